/**
 * The device page's ACS actions beyond reboot and refresh: Wi-Fi settings, remote diagnostics
 * (ping, traceroute, download speed test) with their results, a firmware upgrade from the
 * firmware store, and running the CPE's on-demand provisioning profiles.
 */
import {
  Alert,
  Box,
  Button,
  CircularProgress,
  MenuItem,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  TextField,
  Typography,
} from "@mui/material";
import { useEffect, useState, type ReactNode } from "react";
import { api, type Api } from "../api";
import { FormDialog, problemText, useSubmission } from "../components/FormDialog";
import { useI18n, type MessageKey } from "../i18n";
import { hasRoute } from "../manifest";
import { useSession } from "../session";

/** What the dialogs need of the API client (the real one, or another in component tests). */
export type Client = Pick<Api, "get" | "post">;

export interface AcsTask {
  id: string;
  type: string;
  status: string;
  fault?: { message?: string; meaning?: string } | null;
  result?: { state?: string; results?: Record<string, unknown>; [key: string]: unknown } | null;
  params?: Record<string, unknown>;
}

type Errors = Record<string, MessageKey>;

/** A form check's errors in the user's language. */
export function translated(errors: Errors, t: (key: MessageKey) => string): Record<string, string> {
  return Object.fromEntries(Object.entries(errors).map(([key, message]) => [key, t(message)]));
}

// -- Wi-Fi ------------------------------------------------------------------------------

export interface WifiForm {
  radio: string;
  ssid: string;
  password: string;
  channel: string;
  band: string;
}

/** A radio as `GET /devices/{id}/summary` reports it. */
interface Radio {
  radio: number;
  ssid?: string | null;
  channel?: number | null;
  band?: string | null;
}

export const EMPTY_WIFI: WifiForm = { radio: "1", ssid: "", password: "", channel: "", band: "" };

/** The body of `POST /devices/{id}/wifi`, or the fields in error (as the server checks them). */
export function wifiBody(form: WifiForm): { body?: Record<string, unknown>; errors: Errors } {
  const errors: Errors = {};
  const body: Record<string, unknown> = { radio: Number(form.radio) };
  if (form.ssid) {
    if (form.ssid.length > 32) errors.ssid = "acs.err.ssid";
    body.ssid = form.ssid;
  }
  if (form.password) {
    if (form.password.length < 8 || form.password.length > 63 || !/^[ -~]+$/.test(form.password)) {
      errors.password = "acs.err.password";
    }
    body.password = form.password;
  }
  if (form.channel !== "") {
    const channel = Number(form.channel);
    if (!/^\d+$/.test(form.channel) || channel > 233) errors.channel = "acs.err.channel";
    body.channel = channel;
  }
  if (form.band) body.band = form.band;
  if (!form.ssid && !form.password && form.channel === "" && !form.band) errors.ssid = "acs.err.wifiEmpty";
  return Object.keys(errors).length ? { errors } : { body, errors };
}

export function WifiDialog({
  deviceId,
  onClose,
  onQueued,
  client = api,
}: {
  deviceId: string;
  onClose: () => void;
  onQueued: (task: AcsTask) => void;
  client?: Client;
}) {
  const { t } = useI18n();
  const [form, setForm] = useState<WifiForm>(EMPTY_WIFI);
  const { errors, setErrors, failure, busy, send } = useSubmission();
  const [radios, setRadios] = useState<Radio[]>([]);
  useEffect(() => {
    client
      .get<{ wifi?: Radio[] }>(`/devices/${deviceId}/summary`)
      .then((summary) => setRadios(summary.wifi ?? []))
      .catch(() => setRadios([]));
  }, [client, deviceId]);
  const now = radios.find((radio) => String(radio.radio) === form.radio);
  const set = (key: keyof WifiForm) => (event: { target: { value: string } }) => setForm({ ...form, [key]: event.target.value });
  const submit = async () => {
    const checked = wifiBody(form);
    setErrors(translated(checked.errors, t));
    const body = checked.body;
    if (body) await send(async () => onQueued(await client.post<AcsTask>(`/devices/${deviceId}/wifi?wait=5`, body)));
  };
  return (
    <FormDialog id="wifi" title={t("acs.wifi")} submitLabel={t("acs.apply")} onSubmit={() => void submit()} onClose={onClose} failure={failure} busy={busy} minWidth={420}>
          <TextField select size="small" label={t("acs.radio")} value={form.radio} onChange={set("radio")}>
            <MenuItem value="1">{t("acs.radio")} 1</MenuItem>
            <MenuItem value="2">{t("acs.radio")} 2</MenuItem>
          </TextField>
          {now && (
            <Typography variant="body2" color="text.secondary" data-testid="wifi-current">
              {t("acs.current")}: {[now.ssid, now.channel !== null && now.channel !== undefined ? `${t("acs.channel")} ${now.channel}` : "", now.band].filter(Boolean).join(" · ")}
            </Typography>
          )}
          <TextField size="small" label="SSID" value={form.ssid} onChange={set("ssid")} error={Boolean(errors.ssid)} helperText={errors.ssid} autoFocus />
          <TextField
            size="small"
            type="password"
            label={t("acs.wifiPassword")}
            value={form.password}
            onChange={set("password")}
            error={Boolean(errors.password)}
            helperText={errors.password || t("acs.wifiPasswordHelp")}
            autoComplete="new-password"
          />
          <TextField
            size="small"
            label={t("acs.channel")}
            value={form.channel}
            onChange={set("channel")}
            error={Boolean(errors.channel)}
            helperText={errors.channel || t("acs.channelHelp")}
            slotProps={{ htmlInput: { inputMode: "numeric" } }}
          />
          <TextField select size="small" label={t("acs.band")} value={form.band} onChange={set("band")} error={Boolean(errors.band)} helperText={errors.band}>
            <MenuItem value="">{t("acs.unchanged")}</MenuItem>
            {["2.4GHz", "5GHz", "6GHz"].map((band) => (
              <MenuItem key={band} value={band}>
                {band}
              </MenuItem>
            ))}
          </TextField>
    </FormDialog>
  );
}

// -- diagnostics ------------------------------------------------------------------------

export type DiagnosticKind = "ping" | "traceroute" | "download";

export interface DiagnosticForm {
  type: DiagnosticKind;
  host: string;
  count: string;
  max_hops: string;
  url: string;
}

export const EMPTY_DIAGNOSTIC: DiagnosticForm = { type: "ping", host: "", count: "4", max_hops: "30", url: "" };

const HOST = /^[A-Za-z0-9.:_\-[\]]+$/;
const URL_PATTERN = /^[hH][tT][tT][pP][sS]?:\/\/[^\s]+$/;

function integerIn(text: string, low: number, high: number): boolean {
  return /^\d+$/.test(text) && Number(text) >= low && Number(text) <= high;
}

/** The body of `POST /devices/{id}/diagnostics`, or the fields in error. */
export function diagnosticBody(form: DiagnosticForm): { body?: Record<string, unknown>; errors: Errors } {
  const errors: Errors = {};
  const body: Record<string, unknown> = { type: form.type };
  if (form.type === "download") {
    if (!URL_PATTERN.test(form.url) || form.url.length > 1024) errors.url = "acs.err.url";
    body.url = form.url;
  } else {
    if (!form.host || form.host.length > 256 || !HOST.test(form.host)) errors.host = "acs.err.host";
    body.host = form.host;
    if (form.type === "ping") {
      if (!integerIn(form.count, 1, 100)) errors.count = "acs.err.count";
      body.count = Number(form.count);
    } else {
      if (!integerIn(form.max_hops, 1, 64)) errors.max_hops = "acs.err.maxHops";
      body.max_hops = Number(form.max_hops);
    }
  }
  return Object.keys(errors).length ? { errors } : { body, errors };
}

const FINISHED = ["done", "fault", "expired"];
export const POLL_MS = 2000;

/** Poll the device's tasks until `task` has finished; the finished task goes to `onDone`. */
export function useTaskResult(deviceId: string, task: AcsTask | null, client: Client = api): AcsTask | null {
  const [current, setCurrent] = useState<AcsTask | null>(task);
  useEffect(() => {
    setCurrent(task);
    if (!task || FINISHED.includes(task.status)) return;
    let live = true;
    const timer = setInterval(async () => {
      try {
        const page = await client.get<{ items: AcsTask[] }>(`/devices/${deviceId}/tasks`, { limit: 100 });
        const found = page.items.find((item) => item.id === task.id);
        if (!live || !found) return;
        setCurrent(found);
        if (FINISHED.includes(found.status)) clearInterval(timer);
      } catch {
        // A failed poll is tried again at the next tick.
      }
    }, POLL_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [deviceId, task, client]);
  return current;
}

/** Seconds between two TR-143 timestamps (BOMTime, EOMTime), or null. */
function seconds(from: unknown, to: unknown): number | null {
  const start = Date.parse(String(from ?? ""));
  const end = Date.parse(String(to ?? ""));
  return Number.isFinite(start) && Number.isFinite(end) && end > start ? (end - start) / 1000 : null;
}

/** The lines a finished diagnostic shows, label key and value, by kind; numbers in `locale`. */
export function resultLines(kind: string, results: Record<string, unknown>, locale = "en"): [MessageKey, string][] {
  const decimal = (value: number, digits: number) => value.toLocaleString(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const value = (key: string) => String(results[key] ?? "—");
  if (kind === "ping") {
    return [
      ["acs.res.success", value("SuccessCount")],
      ["acs.res.failure", value("FailureCount")],
      ["acs.res.average", `${value("AverageResponseTime")} ms`],
      ["acs.res.minimum", `${value("MinimumResponseTime")} ms`],
      ["acs.res.maximum", `${value("MaximumResponseTime")} ms`],
    ];
  }
  if (kind === "traceroute") return [["acs.res.responseTime", `${value("ResponseTime")} ms`]];
  const bytes = Number(results.TestBytesReceived ?? 0);
  const duration = seconds(results.BOMTime, results.EOMTime);
  const rate = duration && bytes ? decimal((bytes * 8) / duration / 1e6, 1) : "—";
  return [
    ["acs.res.bytes", bytes ? bytes.toLocaleString(locale) : "—"],
    ["acs.res.duration", duration ? `${decimal(duration, 2)} s` : "—"],
    ["acs.res.throughput", `${rate} Mbit/s`],
  ];
}

export function DiagnosticResult({ task }: { task: AcsTask }) {
  const { t, locale } = useI18n();
  const kind = String(task.params?.kind ?? "");
  if (!FINISHED.includes(task.status)) {
    return (
      <Box sx={{ display: "flex", gap: 1, alignItems: "center" }} role="status" data-testid="diagnostic-waiting">
        <CircularProgress size={18} />
        <Typography variant="body2">
          {t("acs.waitingCpe")} ({task.status})
        </Typography>
      </Box>
    );
  }
  if (task.status !== "done") {
    return (
      <Alert severity="error" data-testid="diagnostic-result">
        {t("acs.diagFailed")}: {task.fault?.message || task.result?.state || task.status}
      </Alert>
    );
  }
  const results = task.result?.results ?? {};
  const hops = Array.isArray(results.RouteHops) ? (results.RouteHops as Record<string, string>[]) : [];
  return (
    <Box data-testid="diagnostic-result">
      <Alert severity="success" sx={{ mb: 1 }}>
        {t("acs.diagDone")}: {task.result?.state ?? ""}
      </Alert>
      <Box component="dl" sx={{ display: "grid", gridTemplateColumns: "max-content 1fr", gap: 0.5, m: 0 }}>
        {resultLines(kind, results, locale).map(([label, text]) => (
          <Box key={label} sx={{ display: "contents" }}>
            <Typography component="dt" variant="body2" color="text.secondary">
              {t(label)}
            </Typography>
            <Typography component="dd" variant="body2" sx={{ m: 0 }} data-testid={`result-${label.split(".").pop()}`}>
              {text}
            </Typography>
          </Box>
        ))}
      </Box>
      {hops.length > 0 && (
        <Table size="small" aria-label={t("acs.res.hops")} sx={{ mt: 1 }}>
          <TableHead>
            <TableRow>
              <TableCell>#</TableCell>
              <TableCell>{t("acs.host")}</TableCell>
              <TableCell>{t("acs.res.rtt")}</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {hops.map((hop, index) => (
              <TableRow key={index}>
                <TableCell>{index + 1}</TableCell>
                <TableCell>{hop.Host || hop.HostAddress || hop.HopHost || "*"}</TableCell>
                <TableCell>{hop.RTTimes || hop.HopRTTimes || ""}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </Box>
  );
}

export function DiagnosticsDialog({
  deviceId,
  onClose,
  client = api,
}: {
  deviceId: string;
  onClose: () => void;
  client?: Client;
}) {
  const { t } = useI18n();
  const [form, setForm] = useState<DiagnosticForm>(EMPTY_DIAGNOSTIC);
  const { errors, setErrors, failure, busy, send } = useSubmission();
  const [task, setTask] = useState<AcsTask | null>(null);
  const current = useTaskResult(deviceId, task, client);
  const set = (key: keyof DiagnosticForm) => (event: { target: { value: string } }) => setForm({ ...form, [key]: event.target.value });
  const submit = async () => {
    const checked = diagnosticBody(form);
    setErrors(translated(checked.errors, t));
    const body = checked.body;
    if (!body) return;
    setTask(null);
    await send(async () => setTask(await client.post<AcsTask>(`/devices/${deviceId}/diagnostics?wait=5`, body)));
  };
  const running = busy || (current !== null && !FINISHED.includes(current.status));
  return (
    <FormDialog
      id="diagnostic"
      title={t("acs.diagnostics")}
      submitLabel={t("acs.run")}
      cancelLabel={t("acs.close")}
      onSubmit={() => void submit()}
      onClose={onClose}
      failure={failure}
      busy={running}
      maxWidth="sm"
      after={current && <DiagnosticResult task={current} />}
    >
          <TextField select size="small" label={t("acs.test")} value={form.type} onChange={set("type")} disabled={running}>
            <MenuItem value="ping">{t("acs.ping")}</MenuItem>
            <MenuItem value="traceroute">{t("acs.traceroute")}</MenuItem>
            <MenuItem value="download">{t("acs.speedTest")}</MenuItem>
          </TextField>
          {form.type === "download" ? (
            <TextField size="small" label={t("acs.url")} value={form.url} onChange={set("url")} error={Boolean(errors.url)} helperText={errors.url || t("acs.urlHelp")} disabled={running} />
          ) : (
            <TextField size="small" label={t("acs.host")} value={form.host} onChange={set("host")} error={Boolean(errors.host)} helperText={errors.host} disabled={running} autoFocus />
          )}
          {form.type === "ping" && (
            <TextField size="small" label={t("acs.count")} value={form.count} onChange={set("count")} error={Boolean(errors.count)} helperText={errors.count} disabled={running} />
          )}
          {form.type === "traceroute" && (
            <TextField size="small" label={t("acs.maxHops")} value={form.max_hops} onChange={set("max_hops")} error={Boolean(errors.max_hops)} helperText={errors.max_hops} disabled={running} />
          )}
    </FormDialog>
  );
}

// -- firmware ---------------------------------------------------------------------------

export interface FirmwareImage {
  id: string;
  filename: string;
  version: string;
  product_class: string;
  oui: string;
  size: number;
  created_at: string;
}

export function FirmwareDialog({
  deviceId,
  onClose,
  onQueued,
  client = api,
}: {
  deviceId: string;
  onClose: () => void;
  onQueued: (task: AcsTask) => void;
  client?: Client;
}) {
  const { t } = useI18n();
  const [images, setImages] = useState<FirmwareImage[] | null>(null);
  const [chosen, setChosen] = useState("");
  const { errors, setErrors, failure, setFailure, busy, send } = useSubmission();
  useEffect(() => {
    client
      .get<{ items: FirmwareImage[] }>("/firmware")
      .then((page) => setImages(page.items))
      .catch((reason) => setFailure(problemText(reason)));
  }, [client]);
  const submit = async () => {
    setErrors(chosen ? {} : { file: t("acs.err.image") });
    if (chosen) await send(async () => onQueued(await client.post<AcsTask>(`/devices/${deviceId}/tasks?wait=5`, { type: "download", file: chosen })));
  };
  const error = errors.file ?? "";
  return (
    <FormDialog
      id="firmware"
      title={t("acs.firmwareUpgrade")}
      submitLabel={t("acs.upgrade")}
      submitColor="warning"
      onSubmit={() => void submit()}
      onClose={onClose}
      failure={failure}
      busy={busy}
      disabled={!images?.length}
      minWidth={420}
    >
          {images === null && !failure && <CircularProgress size={20} />}
          {images !== null && images.length === 0 && <Alert severity="info">{t("acs.noImages")}</Alert>}
          {images !== null && images.length > 0 && (
            <TextField select size="small" label={t("acs.image")} value={chosen} onChange={(event) => setChosen(event.target.value)} error={Boolean(error)} helperText={error || t("acs.imageHelp")}>
              {images.map((image) => (
                <MenuItem key={image.id} value={image.id}>
                  {image.version} — {image.filename}
                  {image.product_class ? ` (${image.product_class})` : ""}
                </MenuItem>
              ))}
            </TextField>
          )}
    </FormDialog>
  );
}

// -- the buttons on the device page -----------------------------------------------------

type Open = "wifi" | "diagnostics" | "firmware" | null;

/** The buttons of the ACS actions the server has and the user may run; each opens a dialog. */
export function AcsActions({ deviceId, onMessage }: { deviceId: string; onMessage: (message: { ok: boolean; text: string }) => void }) {
  const { t } = useI18n();
  const { manifest, can } = useSession();
  const [open, setOpen] = useState<Open>(null);
  const queued = (label: string) => (task: AcsTask) => {
    setOpen(null);
    onMessage({ ok: true, text: `${t("dev.taskQueued")}: ${label} (${task.status})` });
  };
  const provision = async () => {
    try {
      const answer = await api.post<{ connection_request: string }>(`/devices/${deviceId}/provision`);
      onMessage({ ok: true, text: `${t("acs.provisionQueued")} (${answer.connection_request})` });
    } catch (error) {
      onMessage({ ok: false, text: problemText(error) });
    }
  };
  const buttons: { show: boolean; node: ReactNode }[] = [
    {
      show: hasRoute(manifest, "POST /devices/{id}/wifi") && can("acs.wifi.write"),
      node: (
        <Button key="wifi" variant="outlined" onClick={() => setOpen("wifi")}>
          {t("acs.wifi")}
        </Button>
      ),
    },
    {
      show: hasRoute(manifest, "POST /devices/{id}/diagnostics") && can("acs.diagnostics.write"),
      node: (
        <Button key="diagnostics" variant="outlined" onClick={() => setOpen("diagnostics")}>
          {t("acs.diagnostics")}
        </Button>
      ),
    },
    {
      show: hasRoute(manifest, "GET /firmware") && can("acs.firmware.read") && can("acs.tasks.write"),
      node: (
        <Button key="firmware" variant="outlined" onClick={() => setOpen("firmware")}>
          {t("acs.firmwareUpgrade")}
        </Button>
      ),
    },
    {
      show: hasRoute(manifest, "POST /devices/{id}/provision") && can("acs.provision"),
      node: (
        <Button key="provision" variant="outlined" onClick={() => void provision()}>
          {t("acs.provision")}
        </Button>
      ),
    },
  ];
  return (
    <>
      {buttons.filter((button) => button.show).map((button) => button.node)}
      {open === "wifi" && <WifiDialog deviceId={deviceId} onClose={() => setOpen(null)} onQueued={queued(t("acs.wifi"))} />}
      {open === "diagnostics" && <DiagnosticsDialog deviceId={deviceId} onClose={() => setOpen(null)} />}
      {open === "firmware" && <FirmwareDialog deviceId={deviceId} onClose={() => setOpen(null)} onQueued={queued(t("acs.firmwareUpgrade"))} />}
    </>
  );
}
