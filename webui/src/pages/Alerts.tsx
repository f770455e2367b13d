/**
 * Alerts, when a plugin provides them: by status (resolved ones are the history) and severity;
 * actions (acknowledge, resolve, ...) from the API's routes; silence an alert's rule for a while.
 */
import {
  Alert as Notice,
  Box,
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  Link,
  MenuItem,
  Tab,
  Tabs,
  TextField,
} from "@mui/material";
import { useState, type FormEvent } from "react";
import { Link as RouterLink, useSearchParams } from "react-router-dom";
import { api } from "../api";
import { DataTable } from "../components/DataTable";
import { PageTitle } from "../components/PageTitle";
import { EmptyState } from "../components/StateView";
import { StatusChip } from "../components/StatusChip";
import { formatValue } from "../format";
import { useI18n, type MessageKey } from "../i18n";
import { hasRoute, type Manifest } from "../manifest";
import { useSession } from "../session";

/** The actions the server offers on one alert: `POST /alerts/{id}/<action>`. */
export function alertActions(manifest: Manifest | null): string[] {
  const prefix = "POST /alerts/{id}/";
  return (manifest?.routes ?? [])
    .filter((route) => route.startsWith(prefix) && !route.slice(prefix.length).includes("/"))
    .map((route) => route.slice(prefix.length));
}

/** The actions that apply to an alert in `status`: none once resolved, `ack` only while open. */
export function actionsFor(actions: string[], status: string): string[] {
  if (status === "resolved") return [];
  return actions.filter((action) => action !== "ack" || status === "open");
}

const ACTION_LABELS: Record<string, MessageKey> = { ack: "alerts.ack", resolve: "alerts.resolve" };
const STATUSES = ["", "open", "acknowledged", "resolved"] as const;
const SEVERITIES = ["", "critical", "major", "minor", "warning", "info"];
const SILENCE_HOURS = [1, 4, 8, 24];

/** `value` when it is one of `allowed`, else "" (all). */
export function known(allowed: readonly string[], value: string | null): string {
  return value && allowed.includes(value) ? value : "";
}

interface AlertRow extends Record<string, unknown> {
  id: string;
  status: string;
  rule_id: string | null;
  rule_name?: string;
  title?: string;
  device_id: string | null;
}

/** The body of `POST /silences` that silences `alert`'s rule everywhere for `hours` from `now`. */
export function silenceBody(alert: Pick<AlertRow, "rule_id" | "title">, hours: number, reason: string, now = new Date()) {
  return {
    reason: reason.trim() || String(alert.title ?? "").slice(0, 500),
    starts_at: now.toISOString(),
    ends_at: new Date(now.getTime() + hours * 3600000).toISOString(),
    rule_id: alert.rule_id,
    scope: { kind: "all" },
  };
}

export default function Alerts() {
  const { t, locale } = useI18n();
  const { manifest, can } = useSession();
  const [version, setVersion] = useState(0);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [params] = useSearchParams();
  const [status, setStatus] = useState(known(STATUSES, params.get("status")));
  const [severity, setSeverity] = useState(known(SEVERITIES, params.get("severity")));
  const [silencing, setSilencing] = useState<AlertRow | null>(null);
  if (!hasRoute(manifest, "GET /alerts"))
    return (
      <Box>
        <PageTitle>{t("menu.alerts")}</PageTitle>
        <EmptyState text={t("common.unavailable")} />
      </Box>
    );
  const actions = alertActions(manifest);
  const silences = hasRoute(manifest, "POST /silences") && can("alerts.silence");
  const label = (action: string) => (ACTION_LABELS[action] ? t(ACTION_LABELS[action]) : action);
  const act = async (id: string, action: string) => {
    try {
      await api.post(`/alerts/${id}/${action}`);
      setMessage({ ok: true, text: `${label(action)}: ${id}` });
    } catch (error) {
      setMessage({ ok: false, text: (error as Error).message });
    }
    setVersion((n) => n + 1);
  };
  const statusLabels: Record<string, string> = {
    "": t("common.all"),
    open: t("alerts.open"),
    acknowledged: t("alerts.acknowledged"),
    resolved: t("alerts.history"),
  };
  return (
    <Box>
      <PageTitle>{t("menu.alerts")}</PageTitle>
      <Tabs value={status} onChange={(_, value: string) => setStatus(value)} variant="scrollable" aria-label={t("common.status")}>
        {STATUSES.map((value) => (
          <Tab key={value} value={value} label={statusLabels[value]} />
        ))}
      </Tabs>
      <Box sx={{ display: "flex", gap: 2, flexWrap: "wrap", my: 2 }}>
        <TextField select size="small" label={t("common.severity")} value={severity} onChange={(event) => setSeverity(event.target.value)} sx={{ minWidth: 160 }}>
          {SEVERITIES.map((value) => (
            <MenuItem key={value} value={value}>
              {value || t("common.all")}
            </MenuItem>
          ))}
        </TextField>
      </Box>
      {message && (
        <Notice severity={message.ok ? "info" : "error"} sx={{ mb: 1 }} data-testid="alert-result">
          {message.text}
        </Notice>
      )}
      <DataTable<AlertRow>
        key={version}
        path="/alerts"
        query={{ status: status || undefined, severity: severity || undefined }}
        label={t("menu.alerts")}
        refreshMs={15000}
        columns={[
          { key: "severity", label: t("common.severity"), render: (row) => <StatusChip status={String(row.severity ?? "")} /> },
          {
            key: "title",
            label: t("common.name"),
            render: (row) => {
              const text = String(row.title ?? row.summary ?? row.rule_name ?? row.id);
              return row.device_id ? (
                <Link component={RouterLink} to={`/devices/${row.device_id}`}>
                  {text}
                </Link>
              ) : (
                text
              );
            },
          },
          { key: "status", label: t("common.status"), render: (row) => `${row.status}${row.silenced ? ` (${t("alerts.silenced")})` : ""}` },
          { key: "opened_at", label: t("alerts.opened") },
          {
            key: "resolved_at",
            label: status === "resolved" ? t("alerts.resolvedAt") : t("alerts.acknowledgedBy"),
            render: (row) => (status === "resolved" ? formatValue(row.resolved_at, locale) : String(row.acknowledged_by ?? "")),
          },
          {
            key: "actions",
            label: "",
            render: (row) => (
              <Box sx={{ display: "flex", gap: 1 }}>
                {actionsFor(actions, row.status).map((action) => (
                  <Button key={action} size="small" onClick={() => void act(row.id, action)}>
                    {label(action)}
                  </Button>
                ))}
                {silences && row.rule_id && row.status !== "resolved" && (
                  <Button size="small" color="secondary" onClick={() => setSilencing(row)}>
                    {t("alerts.silence")}
                  </Button>
                )}
              </Box>
            ),
          },
        ]}
      />
      {silencing && (
        <SilenceDialog
          alert={silencing}
          onClose={() => setSilencing(null)}
          onDone={(text) => {
            setSilencing(null);
            setMessage({ ok: true, text });
            setVersion((n) => n + 1);
          }}
        />
      )}
    </Box>
  );
}

/** Silence the alert's rule (every device) for a number of hours: `POST /silences`. */
export function SilenceDialog({ alert, onClose, onDone }: { alert: AlertRow; onClose: () => void; onDone: (text: string) => void }) {
  const { t, locale } = useI18n();
  const [hours, setHours] = useState(4);
  const [reason, setReason] = useState("");
  const [error, setError] = useState("");
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError("");
    const body = silenceBody(alert, hours, reason);
    try {
      await api.post("/silences", body);
      onDone(`${t("alerts.silencedUntil")} ${new Date(body.ends_at).toLocaleString(locale)}`);
    } catch (failure) {
      setError((failure as Error).message);
    }
  };
  return (
    <Dialog open onClose={onClose} aria-labelledby="silence-title">
      <Box component="form" onSubmit={submit}>
        <DialogTitle id="silence-title">
          {t("alerts.silence")}: {String(alert.rule_name || alert.title || alert.rule_id)}
        </DialogTitle>
        <DialogContent sx={{ pt: "8px !important", display: "grid", gap: 2, minWidth: { sm: 420 } }}>
          <TextField select size="small" label={t("alerts.silenceFor")} value={hours} onChange={(event) => setHours(Number(event.target.value))}>
            {SILENCE_HOURS.map((value) => (
              <MenuItem key={value} value={value}>
                {value} h
              </MenuItem>
            ))}
          </TextField>
          <TextField size="small" label={t("sil.reason")} value={reason} onChange={(event) => setReason(event.target.value)} slotProps={{ htmlInput: { maxLength: 500 } }} />
          {error && <Notice severity="error">{error}</Notice>}
        </DialogContent>
        <DialogActions>
          <Button onClick={onClose}>{t("common.cancel")}</Button>
          <Button type="submit" variant="contained">
            {t("alerts.silence")}
          </Button>
        </DialogActions>
      </Box>
    </Dialog>
  );
}
