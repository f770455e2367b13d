/** OLTs: the list, and one OLT with ports, ONUs, signal matrix and unconfigured ONUs. */
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
  TextField,
  Typography,
} from "@mui/material";
import { useMemo, useState, type FormEvent } from "react";
import { useNavigate, useParams } from "react-router-dom";
import { api, type Page } from "../api";
import { Chart } from "../components/Chart";
import { DataTable } from "../components/DataTable";
import { PageTitle } from "../components/PageTitle";
import { EmptyState, StateView } from "../components/StateView";
import { StatusChip } from "../components/StatusChip";
import { useGet } from "../hooks";
import { useI18n } from "../i18n";
import { hasRoute } from "../manifest";
import { useSession } from "../session";
import type { DeviceRow } from "./Inventory";

interface Olt extends Record<string, unknown> {
  id: string;
  name: string;
  status: string;
  pon_ports?: string[];
}

export function OltList() {
  const { t } = useI18n();
  const navigate = useNavigate();
  return (
    <Box>
      <PageTitle>{t("olt.title")}</PageTitle>
      <DataTable<DeviceRow>
        path="/devices"
        query={{ kind: "olt" }}
        label={t("olt.title")}
        onRowClick={(row) => navigate(`/olts/${row.id}`)}
        columns={[
          { key: "name", label: t("common.name") },
          { key: "vendor", label: t("inv.vendor") },
          { key: "model", label: t("inv.model") },
          { key: "management_address", label: t("dev.address") },
          { key: "status", label: t("common.status"), render: (row) => <StatusChip status={row.status} /> },
        ]}
      />
    </Box>
  );
}

export default function OltPage() {
  const { id = "" } = useParams();
  const { t } = useI18n();
  const { manifest } = useSession();
  const navigate = useNavigate();
  const device = useGet<DeviceRow>(`/devices/${id}`);
  // Only OLTs the OLT manager knows have its resources; ask the list rather than risk a 404.
  const managedApi = hasRoute(manifest, "GET /olts");
  const managedList = useGet<Page<Olt>>(managedApi ? "/olts" : null, { limit: 500 });
  const managed = managedList.data?.items.find((olt) => olt.id === id);
  return (
    <StateView loading={device.loading && !device.data} error={device.error}>
      {device.data && (
        <Box>
          <PageTitle>
            {device.data.name} <StatusChip status={device.data.status} />
          </PageTitle>
          <Grid container spacing={2}>
            <Grid size={12}>
              <Card variant="outlined">
                <CardContent>
                  <Typography variant="h6" component="h2">
                    {t("olt.ports")}
                  </Typography>
                  <DataTable<DeviceRow>
                    path="/devices"
                    query={{ kind: "pon", olt: id }}
                    label={t("olt.ports")}
                    pageSize={64}
                    columns={[
                      { key: "name", label: t("common.name") },
                      { key: "status", label: t("common.status"), render: (row) => <StatusChip status={row.status} /> },
                    ]}
                  />
                </CardContent>
              </Card>
            </Grid>
            {managed && (
              <>
                <Grid size={12}>
                  <Unconfigured oltId={id} />
                </Grid>
                <Grid size={12}>
                  <SignalMatrix oltId={id} />
                </Grid>
              </>
            )}
            {managedList.data && !managed && (
              <Grid size={12}>
                <Alert severity="info">{t("olt.none")}</Alert>
              </Grid>
            )}
            <Grid size={12}>
              <Card variant="outlined">
                <CardContent>
                  <Typography variant="h6" component="h2">
                    {t("olt.onus")}
                  </Typography>
                  <DataTable<DeviceRow>
                    path="/devices"
                    query={{ kind: "onu", olt: id }}
                    label={t("olt.onus")}
                    onRowClick={(row) => navigate(`/devices/${row.id}`)}
                    columns={[
                      { key: "name", label: t("common.name") },
                      { key: "serial", label: t("inv.serial") },
                      { key: "status", label: t("common.status"), render: (row) => <StatusChip status={row.status} /> },
                      { key: "last_seen", label: t("inv.lastSeen") },
                    ]}
                  />
                </CardContent>
              </Card>
            </Grid>
          </Grid>
        </Box>
      )}
    </StateView>
  );
}

interface Unconfigured extends Record<string, unknown> {
  serial: string;
  port: string;
}

function Unconfigured({ oltId }: { oltId: string }) {
  const { t } = useI18n();
  const { data, error, loading, reload } = useGet<{ items: Unconfigured[] }>(`/olts/${oltId}/unconfigured-onus`);
  const [chosen, setChosen] = useState<Unconfigured | null>(null);
  const [done, setDone] = useState("");
  const items = data?.items ?? [];
  return (
    <Card variant="outlined">
      <CardContent>
        <Typography variant="h6" component="h2">
          {t("olt.unconfigured")}
        </Typography>
        {done && (
          <Alert severity="success" data-testid="authorize-result" sx={{ mb: 1 }}>
            {t("olt.authorized")}: {done}
          </Alert>
        )}
        <StateView loading={loading && !data} error={error} empty={!loading && items.length === 0}>
          <Box component="ul" sx={{ listStyle: "none", p: 0, m: 0, display: "grid", gap: 1 }}>
            {items.map((onu) => (
              <Box component="li" key={`${onu.port}-${onu.serial}`} sx={{ display: "flex", gap: 2, alignItems: "center", flexWrap: "wrap" }}>
                <Typography sx={{ fontFamily: "monospace" }}>{onu.serial}</Typography>
                <Typography color="text.secondary">
                  {t("olt.port")} {onu.port}
                </Typography>
                <Button size="small" variant="contained" onClick={() => setChosen(onu)}>
                  {t("olt.authorize")}
                </Button>
              </Box>
            ))}
          </Box>
        </StateView>
      </CardContent>
      {chosen && (
        <AuthorizeDialog
          oltId={oltId}
          onu={chosen}
          onClose={(serial) => {
            setChosen(null);
            if (serial) {
              setDone(serial);
              reload();
            }
          }}
        />
      )}
    </Card>
  );
}

export function AuthorizeDialog({
  oltId,
  onu,
  onClose,
}: {
  oltId: string;
  onu: Unconfigured;
  onClose: (authorized?: string) => void;
}) {
  const { t } = useI18n();
  const [form, setForm] = useState({ port: onu.port, serial: onu.serial, name: "", line_profile: "", service_profile: "", vlan: "" });
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError("");
    const body: Record<string, unknown> = { port: form.port, serial: form.serial };
    for (const key of ["name", "line_profile", "service_profile"] as const) if (form[key]) body[key] = form[key];
    if (form.vlan) body.vlan = Number.parseInt(form.vlan, 10);
    try {
      await api.post(`/olts/${oltId}/onus`, body);
      onClose(form.serial);
    } catch (reason) {
      setError((reason as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const field = (key: keyof typeof form, label: string, type = "text") => (
    <TextField size="small" label={label} name={key} type={type} value={form[key]} onChange={(event) => setForm({ ...form, [key]: event.target.value })} />
  );
  return (
    <Dialog open onClose={() => onClose()} aria-labelledby="authorize-title">
      <Box component="form" onSubmit={submit}>
        <DialogTitle id="authorize-title">{t("olt.authorizeTitle")}</DialogTitle>
        <DialogContent sx={{ display: "grid", gap: 2, pt: "8px !important", minWidth: { sm: 400 } }}>
          {field("serial", t("inv.serial"))}
          {field("port", t("olt.port"))}
          {field("name", t("common.name"))}
          {field("line_profile", t("olt.lineProfile"))}
          {field("service_profile", t("olt.serviceProfile"))}
          {field("vlan", t("olt.vlan"), "number")}
          {error && <Alert severity="error">{error}</Alert>}
        </DialogContent>
        <DialogActions>
          <Button onClick={() => onClose()}>{t("common.cancel")}</Button>
          <Button type="submit" variant="contained" disabled={busy}>
            {t("olt.authorize")}
          </Button>
        </DialogActions>
      </Box>
    </Dialog>
  );
}

interface MatrixOnu {
  id: string;
  name: string;
  serial: string;
  rx_dbm: number | null;
  bucket: string;
  outlier: boolean;
  degrading: boolean;
}

export interface Matrix {
  thresholds?: { good_dbm: number; critical_dbm: number };
  ports: { port: string; median_rx_dbm: number | null; diagnosis: unknown; onus: MatrixOnu[] }[];
}

/** Heat-map cells `[onu index, port index, rx]` of a signal matrix. */
export function heatCells(matrix: Matrix): [number, number, number | string][] {
  return matrix.ports.flatMap((port, y) => port.onus.map((onu, x): [number, number, number | string] => [x, y, onu.rx_dbm ?? "-"]));
}

/** Colours of the OLT manager's buckets: good, warning and critical Rx (dBm). */
export function signalPieces(matrix: Matrix) {
  const good = matrix.thresholds?.good_dbm ?? -25;
  const critical = matrix.thresholds?.critical_dbm ?? -27;
  return [
    { min: good, label: `≥ ${good} dBm`, color: "#2e7d32" },
    { min: critical, max: good, label: `${critical}…${good} dBm`, color: "#f9a825" },
    { max: critical, label: `< ${critical} dBm`, color: "#b71c1c" },
  ];
}

function SignalMatrix({ oltId }: { oltId: string }) {
  const { t } = useI18n();
  const { data, error, loading } = useGet<Matrix>(`/olts/${oltId}/signal-matrix`, undefined, 60000);
  const option = useMemo(() => {
    if (!data) return null;
    const width = Math.max(1, ...data.ports.map((port) => port.onus.length));
    return {
      tooltip: {
        formatter: (params: unknown) => {
          const [x, y, rx] = (params as { value: [number, number, number | string] }).value;
          const onu = data.ports[y]?.onus[x];
          return onu ? `${data.ports[y].port} ${onu.name || onu.serial}<br/>Rx ${rx} dBm (${onu.bucket})` : "";
        },
      },
      grid: { left: 80, right: 16, top: 8, bottom: 72 },
      xAxis: { type: "category" as const, data: Array.from({ length: width }, (_, i) => String(i)) },
      yAxis: { type: "category" as const, data: data.ports.map((port) => port.port) },
      visualMap: {
        type: "piecewise" as const,
        orient: "horizontal" as const,
        left: "center",
        bottom: 0,
        pieces: signalPieces(data),
      },
      series: [{ type: "heatmap" as const, data: heatCells(data), label: { show: false } }],
    };
  }, [data]);
  return (
    <Card variant="outlined">
      <CardContent>
        <Typography variant="h6" component="h2">
          {t("olt.matrix")}
        </Typography>
        <StateView loading={loading && !data} error={error} empty={!loading && !data?.ports.length}>
          {option ? <Chart option={option} label={t("olt.matrix")} height={Math.max(200, 48 * (data?.ports.length ?? 1) + 100)} /> : <EmptyState text="" />}
        </StateView>
      </CardContent>
    </Card>
  );
}
