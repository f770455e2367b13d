/** Settings: users and roles, API tokens, installed plugins, the audit log, notification channels, integrations. */
import { Alert, Box, Button, Card, CardContent, TextField, Typography } from "@mui/material";
import { useState, type FormEvent } from "react";
import { useParams } from "react-router-dom";
import { api } from "../api";
import { DataTable } from "../components/DataTable";
import { PageTitle } from "../components/PageTitle";
import { StatusChip } from "../components/StatusChip";
import { useI18n } from "../i18n";
import { Channels, Integrations } from "./Channels";
import PanelPage from "./PanelPage";

type Row = Record<string, unknown>;

export default function Settings() {
  const { section = "" } = useParams();
  switch (section) {
    case "users":
      return <Users />;
    case "tokens":
      return <Tokens />;
    case "plugins":
      return <Plugins />;
    case "audit":
      return <Audit />;
    case "channels":
      return <Channels />;
    case "integrations":
      return <Integrations />;
    default:
      return <PanelPage slot={`/settings/${section}`} />;
  }
}

function Users() {
  const { t } = useI18n();
  return (
    <Box>
      <PageTitle>{t("set.users")}</PageTitle>
      <DataTable<Row>
        path="/users"
        label={t("set.users")}
        columns={[
          { key: "username", label: t("set.username") },
          { key: "display_name", label: t("common.name") },
          {
            key: "roles",
            label: t("set.roleList"),
            render: (row) =>
              ((row.roles as { role: string; scope: string | null }[]) ?? [])
                .map((binding) => (binding.scope ? `${binding.role} (${binding.scope})` : binding.role))
                .join(", "),
          },
          { key: "disabled", label: t("set.disabled"), render: (row) => (row.disabled ? "✓" : "") },
          { key: "last_login_at", label: t("inv.lastSeen") },
        ]}
      />
      <Typography variant="h6" component="h2" sx={{ mt: 3 }}>
        {t("set.roles")}
      </Typography>
      <DataTable<Row>
        path="/roles"
        label={t("set.roles")}
        rowKey="name"
        columns={[
          { key: "name", label: t("common.name") },
          { key: "description", label: "" },
          {
            key: "permissions",
            label: t("set.permissions"),
            render: (row) => ((row.permissions as string[]) ?? []).length,
          },
        ]}
      />
    </Box>
  );
}

function Tokens() {
  const { t } = useI18n();
  const [name, setName] = useState("");
  const [secret, setSecret] = useState("");
  const [error, setError] = useState("");
  const [version, setVersion] = useState(0);
  const create = async (event: FormEvent) => {
    event.preventDefault();
    setError("");
    try {
      const created = await api.post<{ secret?: string; token?: string }>("/tokens", { name });
      setSecret(created.secret ?? created.token ?? "");
      setName("");
      setVersion((n) => n + 1);
    } catch (reason) {
      setError((reason as Error).message);
    }
  };
  const revoke = async (id: unknown) => {
    await api.delete(`/tokens/${String(id)}`).catch((reason: Error) => setError(reason.message));
    setVersion((n) => n + 1);
  };
  return (
    <Box>
      <PageTitle>{t("set.tokens")}</PageTitle>
      <Card variant="outlined" sx={{ mb: 2 }}>
        <CardContent component="form" onSubmit={create} sx={{ display: "flex", gap: 2, flexWrap: "wrap", alignItems: "center" }}>
          <TextField size="small" label={t("set.tokenName")} value={name} onChange={(event) => setName(event.target.value)} required />
          <Button type="submit" variant="contained">
            {t("set.newToken")}
          </Button>
          {secret && (
            <Alert severity="warning" sx={{ width: "100%" }}>
              {t("set.tokenSecret")}: <code>{secret}</code>
            </Alert>
          )}
          {error && (
            <Alert severity="error" sx={{ width: "100%" }}>
              {error}
            </Alert>
          )}
        </CardContent>
      </Card>
      <DataTable<Row>
        key={version}
        path="/tokens"
        label={t("set.tokens")}
        columns={[
          { key: "name", label: t("common.name") },
          { key: "created_at", label: t("common.created") },
          { key: "expires_at", label: t("set.expires") },
          {
            key: "revoke",
            label: "",
            render: (row) => (
              <Button size="small" color="error" onClick={() => void revoke(row.id)}>
                {t("set.revoke")}
              </Button>
            ),
          },
        ]}
      />
    </Box>
  );
}

function Plugins() {
  const { t } = useI18n();
  return (
    <Box>
      <PageTitle>{t("set.plugins")}</PageTitle>
      <DataTable<Row>
        path="/plugins"
        label={t("set.plugins")}
        rowKey="name"
        pageSize={200}
        columns={[
          { key: "name", label: t("common.name") },
          { key: "version", label: t("set.version") },
          { key: "source", label: t("common.type") },
          { key: "state", label: t("set.state"), render: (row) => <StatusChip status={String(row.state)} /> },
          { key: "error", label: t("common.failure") },
        ]}
      />
    </Box>
  );
}

function Audit() {
  const { t } = useI18n();
  const [filters, setFilters] = useState({ actor: "", action: "", target: "" });
  const [applied, setApplied] = useState(filters);
  return (
    <Box>
      <PageTitle>{t("set.audit")}</PageTitle>
      <Box
        component="form"
        onSubmit={(event: FormEvent) => {
          event.preventDefault();
          setApplied(filters);
        }}
        sx={{ display: "flex", gap: 2, flexWrap: "wrap", mb: 2 }}
      >
        {(["actor", "action", "target"] as const).map((key) => (
          <TextField key={key} size="small" label={t(`set.${key}`)} value={filters[key]} onChange={(event) => setFilters({ ...filters, [key]: event.target.value })} />
        ))}
        <Button type="submit" variant="outlined">
          {t("common.search")}
        </Button>
      </Box>
      <DataTable<Row>
        path="/audit"
        label={t("set.audit")}
        rowKey="seq"
        query={{ actor: applied.actor || undefined, action: applied.action || undefined, target: applied.target || undefined }}
        columns={[
          { key: "time", label: t("common.time") },
          { key: "actor", label: t("set.actor") },
          { key: "action", label: t("set.action") },
          { key: "target", label: t("set.target") },
          { key: "result", label: t("set.result") },
          { key: "source_ip", label: "IP" },
        ]}
      />
    </Box>
  );
}
