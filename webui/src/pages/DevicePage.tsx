/** One device: status, actions, parameter tree, tasks, telemetry, timeline and plugin tabs. */
import {
  Alert,
  Box,
  Button,
  Card,
  CardContent,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  Grid,
  MenuItem,
  Tab,
  Tabs,
  TextField,
  Typography,
} from "@mui/material";
import { useMemo, useState, type FormEvent } from "react";
import { useParams } from "react-router-dom";
import { api } from "../api";
import { DataTable } from "../components/DataTable";
import { PageTitle } from "../components/PageTitle";
import { StateView } from "../components/StateView";
import { StatusChip } from "../components/StatusChip";
import { formatValue } from "../format";
import { useGet } from "../hooks";
import { useI18n } from "../i18n";
import { hasRoute, panelsFor } from "../manifest";
import { PanelCard } from "../panels/PanelHost";
import { TimeSeries } from "../panels/kinds";
import { useSession } from "../session";
import { AcsActions } from "./DeviceActions";
import { ParameterTree, typedValue, type Parameter } from "./ParameterTree";

interface Device extends Record<string, unknown> {
  id: string;
  kind: string;
  name: string;
  status: string;
  serial: string | null;
}

interface Task extends Record<string, unknown> {
  id: string;
  type: string;
  status: string;
}

export default function DevicePage() {
  const { id = "" } = useParams();
  const { t, locale } = useI18n();
  const { manifest } = useSession();
  const { data: device, error, loading } = useGet<Device>(`/devices/${id}`, undefined, 15000);
  const [tab, setTab] = useState("overview");
  const tasksApi = hasRoute(manifest, "POST /devices/{id}/tasks");
  const parametersApi = hasRoute(manifest, "GET /devices/{id}/parameters");
  const params = useMemo(() => ({ id }), [id]);
  const panels = manifest ? panelsFor(manifest, "device.tab") : [];
  const tabs = [
    { id: "overview", label: t("dev.status") },
    ...(parametersApi && device?.kind === "cpe" ? [{ id: "parameters", label: t("dev.parameters") }] : []),
    ...(tasksApi && device?.kind === "cpe" ? [{ id: "tasks", label: t("dev.tasks") }] : []),
    { id: "telemetry", label: t("dev.telemetry") },
    ...panels.map((panel) => ({ id: panel.id, label: panel.titles[locale] ?? panel.title })),
  ];
  return (
    <StateView loading={loading && !device} error={error}>
      {device && (
        <Box>
          <PageTitle>
            {device.name || device.serial || device.id} <StatusChip status={device.status} />
          </PageTitle>
          <Tabs value={tab} onChange={(_, value: string) => setTab(value)} variant="scrollable" aria-label={device.name}>
            {tabs.map((entry) => (
              <Tab key={entry.id} value={entry.id} label={entry.label} />
            ))}
          </Tabs>
          <Box sx={{ mt: 2 }}>
            {tab === "overview" && (
              <Grid container spacing={2}>
                <Grid size={{ xs: 12, md: 6 }}>
                  <Card variant="outlined">
                    <CardContent>
                      <Box component="dl" sx={{ display: "grid", gridTemplateColumns: "max-content 1fr", gap: 1, m: 0 }}>
                        {(["kind", "vendor", "model", "serial", "mac", "firmware", "management_address", "status_since", "last_seen"] as const).map((key) => (
                          <Box key={key} sx={{ display: "contents" }}>
                            <Typography component="dt" variant="body2" color="text.secondary">
                              {t(`field.${key}`)}
                            </Typography>
                            <Typography component="dd" variant="body2" sx={{ m: 0 }}>
                              {formatValue(device[key], locale) || "—"}
                            </Typography>
                          </Box>
                        ))}
                      </Box>
                    </CardContent>
                  </Card>
                </Grid>
                {tasksApi && device.kind === "cpe" && (
                  <Grid size={{ xs: 12, md: 6 }}>
                    <Actions deviceId={id} />
                  </Grid>
                )}
              </Grid>
            )}
            {tab === "parameters" && <Parameters deviceId={id} />}
            {tab === "tasks" && <Tasks deviceId={id} />}
            {tab === "telemetry" && <Telemetry deviceId={id} />}
            {panels
              .filter((panel) => panel.id === tab)
              .map((panel) => (
                <PanelCard key={panel.id} panel={panel} params={params} />
              ))}
          </Box>
        </Box>
      )}
    </StateView>
  );
}

function Actions({ deviceId }: { deviceId: string }) {
  const { t } = useI18n();
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const run = async (body: Record<string, unknown>) => {
    setMessage(null);
    try {
      const task = await api.post<Task>(`/devices/${deviceId}/tasks?wait=5`, body);
      setMessage({ ok: true, text: `${t("dev.taskQueued")}: ${task.type} (${task.status})` });
    } catch (error) {
      setMessage({ ok: false, text: (error as Error).message });
    }
  };
  return (
    <Card variant="outlined">
      <CardContent sx={{ display: "grid", gap: 2 }}>
        <Box sx={{ display: "flex", gap: 1, flexWrap: "wrap" }}>
          <Button variant="contained" color="warning" onClick={() => run({ type: "reboot" })}>
            {t("dev.reboot")}
          </Button>
          <Button variant="outlined" onClick={() => run({ type: "refresh", path: "" })}>
            {t("dev.refresh")}
          </Button>
          <AcsActions deviceId={deviceId} onMessage={setMessage} />
        </Box>
        {message && (
          <Alert severity={message.ok ? "info" : "error"} data-testid="action-result">
            {message.text}
          </Alert>
        )}
        <Typography variant="subtitle2" component="h2">
          {t("dev.tasks")}
        </Typography>
        <TaskTable deviceId={deviceId} />
      </CardContent>
    </Card>
  );
}

function TaskTable({ deviceId }: { deviceId: string }) {
  const { t } = useI18n();
  return (
    <DataTable<Task>
      path={`/devices/${deviceId}/tasks`}
      label={t("dev.tasks")}
      pageSize={20}
      refreshMs={2000}
      columns={[
        { key: "type", label: t("common.type") },
        { key: "status", label: t("dev.state"), render: (row) => <StatusChip status={row.status} /> },
        { key: "created_at", label: t("common.created") },
        {
          key: "result",
          label: t("dev.result"),
          render: (row) => brief(formatValue(row.fault ?? row.result, "en")),
        },
      ]}
    />
  );
}

/** A task's result in one line: a refresh answers every value it read. */
export function brief(text: string, length = 120): string {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}

function Tasks({ deviceId }: { deviceId: string }) {
  return <TaskTable deviceId={deviceId} />;
}

function Parameters({ deviceId }: { deviceId: string }) {
  const { t } = useI18n();
  const [filter, setFilter] = useState("");
  const [editing, setEditing] = useState<Parameter | null>(null);
  const [value, setValue] = useState("");
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const save = async (event: FormEvent) => {
    event.preventDefault();
    if (!editing) return;
    try {
      const task = await api.post<Task>(`/devices/${deviceId}/tasks?wait=5`, {
        type: "set_parameter_values",
        values: { [editing.path]: typedValue(editing, value) },
      });
      setMessage({ ok: true, text: `${t("dev.taskQueued")}: ${editing.path} (${task.status})` });
      setEditing(null);
    } catch (error) {
      setMessage({ ok: false, text: (error as Error).message });
    }
  };
  const { data, error, loading } = useGet<{ items: Parameter[]; truncated: boolean }>(`/devices/${deviceId}/parameters`, { limit: 5000 });
  return (
    <StateView loading={loading && !data} error={error} empty={!loading && !data?.items.length}>
      <TextField size="small" type="search" label={t("dev.filterParams")} value={filter} onChange={(event) => setFilter(event.target.value)} sx={{ mb: 1, minWidth: 320 }} />
      {message && (
        <Alert severity={message.ok ? "info" : "error"} sx={{ mb: 1 }}>
          {message.text}
        </Alert>
      )}
      <ParameterTree
        parameters={data?.items ?? []}
        filter={filter}
        editLabel={t("dev.edit")}
        onEdit={(parameter) => {
          setEditing(parameter);
          setValue(String(parameter.value ?? ""));
        }}
      />
      {editing && (
        <Dialog open onClose={() => setEditing(null)} aria-labelledby="edit-title">
          <Box component="form" onSubmit={save}>
            <DialogTitle id="edit-title">{editing.path}</DialogTitle>
            <DialogContent sx={{ pt: "8px !important", minWidth: { sm: 420 } }}>
              <TextField fullWidth size="small" label={`${t("common.value")} (${editing.type})`} value={value} onChange={(event) => setValue(event.target.value)} autoFocus />
            </DialogContent>
            <DialogActions>
              <Button onClick={() => setEditing(null)}>{t("common.cancel")}</Button>
              <Button type="submit" variant="contained">
                {t("common.save")}
              </Button>
            </DialogActions>
          </Box>
        </Dialog>
      )}
    </StateView>
  );
}

/** The ranges the telemetry tab offers, in hours. */
export const TELEMETRY_RANGES = [6, 24, 168, 720];

/** Lowest, mean, highest and latest value of a series' points (empty points skipped). */
export function seriesSummary(points: [string, number | null][]) {
  const values = points.map((point) => point[1]).filter((value): value is number => typeof value === "number");
  if (values.length === 0) return null;
  return {
    min: Math.min(...values),
    avg: values.reduce((total, value) => total + value, 0) / values.length,
    max: Math.max(...values),
    last: values[values.length - 1],
  };
}

function Telemetry({ deviceId }: { deviceId: string }) {
  const { t, locale } = useI18n();
  const metrics = useGet<{ metrics: string[] }>(`/devices/${deviceId}/telemetry/metrics`);
  const [chosen, setChosen] = useState("");
  const [hours, setHours] = useState(24);
  const metric = chosen || metrics.data?.metrics[0] || "";
  const query = useMemo(() => {
    const end = Math.floor(Date.now() / 1000) * 1000;
    return { metric, start: new Date(end - hours * 3600000).toISOString(), end: new Date(end).toISOString(), resolution: "auto" };
  }, [metric, hours]);
  const series = useGet<{ points: [string, number | null][] }>(
    metric ? `/devices/${deviceId}/telemetry` : null,
    query,
  );
  const points = useMemo(() => (series.data?.points ?? []).filter((point): point is [string, number] => typeof point[1] === "number"), [series.data]);
  const summary = series.data ? seriesSummary(series.data.points) : null;
  const rangeLabel = (value: number) => (value < 48 ? `${value} h` : `${value / 24} ${t("dev.days")}`);
  return (
    <StateView loading={metrics.loading && !metrics.data} error={metrics.error}>
      {!metric ? (
        <Typography color="text.secondary">{t("dev.noTelemetry")}</Typography>
      ) : (
        <Box>
          <Box sx={{ display: "flex", gap: 2, flexWrap: "wrap", mb: 1 }}>
            <TextField select size="small" label={t("dev.metric")} value={metric} onChange={(event) => setChosen(event.target.value)} sx={{ minWidth: 240 }}>
              {metrics.data?.metrics.map((name) => (
                <MenuItem key={name} value={name}>
                  {name}
                </MenuItem>
              ))}
            </TextField>
            <TextField select size="small" label={t("dev.range")} value={hours} onChange={(event) => setHours(Number(event.target.value))} sx={{ minWidth: 160 }}>
              {TELEMETRY_RANGES.map((value) => (
                <MenuItem key={value} value={value}>
                  {rangeLabel(value)}
                </MenuItem>
              ))}
            </TextField>
          </Box>
          <StateView loading={series.loading && !series.data} error={series.error} empty={series.data ? points.length === 0 : undefined}>
            {summary && (
              <Box sx={{ display: "flex", gap: 3, flexWrap: "wrap", mb: 1 }} data-testid="telemetry-summary" data-start={query.start} data-end={query.end}>
                {(["last", "min", "avg", "max"] as const).map((key) => (
                  <Box key={key}>
                    <Typography variant="caption" color="text.secondary" component="p">
                      {t(`dev.summary.${key}`)}
                    </Typography>
                    <Typography variant="h6" component="p" data-testid={`telemetry-${key}`} data-value={summary[key]}>
                      {summary[key].toLocaleString(locale, { maximumFractionDigits: 2 })}
                    </Typography>
                  </Box>
                ))}
              </Box>
            )}
            <TimeSeries points={points} label={`${metric} (${rangeLabel(hours)})`} />
          </StateView>
        </Box>
      )}
    </StateView>
  );
}
