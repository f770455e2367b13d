/** The shell: sign-in, menus from the manifest, routes to pages and plugin panels. */
import {
  AppBar,
  Box,
  Drawer,
  IconButton,
  List,
  ListItemButton,
  ListItemText,
  ListSubheader,
  MenuItem,
  Select,
  Toolbar,
  Tooltip,
  Typography,
  useMediaQuery,
  useTheme,
} from "@mui/material";
import MenuIcon from "@mui/icons-material/Menu";
import DarkModeIcon from "@mui/icons-material/DarkMode";
import LightModeIcon from "@mui/icons-material/LightMode";
import LogoutIcon from "@mui/icons-material/Logout";
import { lazy, Suspense, useCallback, useMemo, useState } from "react";
import { Link as RouterLink, Route, Routes, useLocation } from "react-router-dom";
import { api } from "./api";
import { StateView } from "./components/StateView";
import { I18nProvider, LOCALES, useI18n, type Locale, type MessageKey } from "./i18n";
import { buildMenus } from "./navigation";
import { Login } from "./pages/Login";
import { useSession } from "./session";
import { useThemeMode } from "./theme";

const Dashboard = lazy(() => import("./pages/Dashboard"));
const Inventory = lazy(() => import("./pages/Inventory"));
const DevicePage = lazy(() => import("./pages/DevicePage"));
const OltList = lazy(() => import("./pages/OltPage").then((m) => ({ default: m.OltList })));
const OltPage = lazy(() => import("./pages/OltPage"));
const Topology = lazy(() => import("./pages/Topology"));
const MapPage = lazy(() => import("./pages/MapPage"));
const Live = lazy(() => import("./pages/Live"));
const Alerts = lazy(() => import("./pages/Alerts"));
const Incidents = lazy(() => import("./pages/Incidents"));
const Simple = lazy(() => import("./pages/Simple"));
const Settings = lazy(() => import("./pages/Settings"));
const PanelPage = lazy(() => import("./pages/PanelPage"));
const Rules = lazy(() => import("./pages/Automation").then((m) => ({ default: m.Rules })));
const Silences = lazy(() => import("./pages/Automation").then((m) => ({ default: m.Silences })));
const Profiles = lazy(() => import("./pages/Profiles"));
const Firmware = lazy(() => import("./pages/Firmware"));
const Campaigns = lazy(() => import("./pages/Campaigns"));
const CampaignPage = lazy(() => import("./pages/Campaigns").then((m) => ({ default: m.CampaignPage })));

const DRAWER = 248;

export function App() {
  const { me, ready } = useSession();
  const persist = useCallback(
    (locale: Locale) => {
      if (me) api.patch("/users/me", { locale }).catch(() => undefined);
    },
    [me],
  );
  const initial = me && LOCALES.includes(me.locale as Locale) ? (me.locale as Locale) : undefined;
  return (
    <I18nProvider key={me?.username ?? ""} initial={initial} onChange={persist}>
      {!ready ? <StateView loading /> : me ? <Shell /> : <Login />}
    </I18nProvider>
  );
}

function Shell() {
  const { manifest, me, logout, can } = useSession();
  const { t, pick, locale, setLocale } = useI18n();
  const { mode, toggle } = useThemeMode();
  const theme = useTheme();
  const wide = useMediaQuery(theme.breakpoints.up("lg"));
  const [open, setOpen] = useState(false);
  const location = useLocation();
  const menus = useMemo(() => (manifest ? buildMenus(manifest, can) : []), [manifest, can]);
  const builtIn = new Set(BUILT_IN_PATHS);
  const pluginPaths = menus.flatMap((menu) => menu.items.map((item) => item.path)).filter((path) => !builtIn.has(path));

  const nav = (
    <Box component="nav" aria-label="menu" sx={{ width: DRAWER, overflowY: "auto" }}>
      <Toolbar />
      {menus.map((menu) => (
        <List key={menu.id} dense subheader={<ListSubheader component="div">{t(`menu.${menu.id}` as MessageKey)}</ListSubheader>}>
          {menu.items.map((item) => (
            <ListItemButton
              key={item.path}
              component={RouterLink}
              to={item.path}
              selected={location.pathname === item.path}
              onClick={() => setOpen(false)}
            >
              <ListItemText primary={pick(item.label, item.labels)} />
            </ListItemButton>
          ))}
        </List>
      ))}
    </Box>
  );

  return (
    <Box sx={{ display: "flex", minHeight: "100vh" }}>
      <AppBar position="fixed" sx={{ zIndex: (z) => z.zIndex.drawer + 1 }}>
        <Toolbar sx={{ gap: 1 }}>
          {!wide && (
            <IconButton color="inherit" edge="start" aria-label={t("shell.menu")} onClick={() => setOpen(!open)}>
              <MenuIcon />
            </IconButton>
          )}
          <Typography variant="h6" component="div" sx={{ flexGrow: 1 }}>
            {t("app.title")}
          </Typography>
          <Select
            size="small"
            value={locale}
            onChange={(event) => setLocale(event.target.value as Locale)}
            inputProps={{ "aria-label": t("shell.language"), "data-testid": "language" }}
            sx={{ color: "inherit", ".MuiOutlinedInput-notchedOutline": { borderColor: "rgba(255,255,255,0.5)" }, ".MuiSvgIcon-root": { color: "inherit" } }}
          >
            <MenuItem value="pt-BR">Português</MenuItem>
            <MenuItem value="en">English</MenuItem>
          </Select>
          <Tooltip title={t("shell.theme")}>
            <IconButton color="inherit" aria-label={t("shell.theme")} onClick={toggle}>
              {mode === "dark" ? <LightModeIcon /> : <DarkModeIcon />}
            </IconButton>
          </Tooltip>
          <Typography variant="body2" sx={{ display: { xs: "none", sm: "block" } }}>
            {me?.display_name || me?.username}
          </Typography>
          <Tooltip title={t("shell.logout")}>
            <IconButton color="inherit" aria-label={t("shell.logout")} onClick={() => void logout()}>
              <LogoutIcon />
            </IconButton>
          </Tooltip>
        </Toolbar>
      </AppBar>
      <Drawer
        variant={wide ? "permanent" : "temporary"}
        open={wide || open}
        onClose={() => setOpen(false)}
        sx={{ width: wide ? DRAWER : undefined, flexShrink: 0, "& .MuiDrawer-paper": { width: DRAWER } }}
      >
        {nav}
      </Drawer>
      <Box component="main" sx={{ flexGrow: 1, p: { xs: 1.5, sm: 3 }, minWidth: 0 }}>
        <Toolbar />
        <Suspense fallback={<StateView loading />}>
          <Routes>
            <Route path="/" element={<Dashboard />} />
            <Route path="/inventory/devices" element={<Inventory />} />
            <Route path="/inventory/customers" element={<Simple kind="customers" />} />
            <Route path="/inventory/olts" element={<OltList />} />
            <Route path="/inventory/topology" element={<Topology />} />
            <Route path="/devices/:id" element={<DevicePage />} />
            <Route path="/olts/:id" element={<OltPage />} />
            <Route path="/monitoring/live" element={<Live />} />
            <Route path="/monitoring/map" element={<MapPage />} />
            <Route path="/monitoring/alerts" element={<Alerts />} />
            <Route path="/monitoring/incidents" element={<Incidents />} />
            <Route path="/automation/jobs" element={<Simple kind="jobs" />} />
            <Route path="/settings/:section" element={<Settings />} />
            <Route path="/automation/rules" element={<Rules />} />
            <Route path="/automation/silences" element={<Silences />} />
            <Route path="/provisioning/profiles" element={<Profiles />} />
            <Route path="/provisioning/firmware" element={<Firmware />} />
            <Route path="/provisioning/campaigns" element={<Campaigns />} />
            <Route path="/provisioning/campaigns/:id" element={<CampaignPage />} />
            {pluginPaths.map((path) => (
              <Route key={path} path={path} element={<PanelPage slot={path} />} />
            ))}
            <Route path="*" element={<NotFound />} />
          </Routes>
        </Suspense>
      </Box>
    </Box>
  );
}

const BUILT_IN_PATHS = [
  "/",
  "/inventory/devices",
  "/inventory/customers",
  "/inventory/olts",
  "/inventory/topology",
  "/monitoring/live",
  "/monitoring/map",
  "/monitoring/alerts",
  "/monitoring/incidents",
  "/automation/jobs",
  "/settings/users",
  "/settings/tokens",
  "/settings/plugins",
  "/settings/audit",
  "/settings/channels",
  "/settings/integrations",
  "/automation/rules",
  "/automation/silences",
  "/provisioning/profiles",
  "/provisioning/firmware",
  "/provisioning/campaigns",
];

function NotFound() {
  const { t } = useI18n();
  return <Typography>{t("notfound")}</Typography>;
}
