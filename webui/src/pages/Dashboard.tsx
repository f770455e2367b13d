/**
 * Overview (devices, alerts, failure rate, main links), network performance (signal per OLT,
 * latency per neighbourhood), CPE health (firmware, reboots, WAN errors), SLA, plugin panels.
 */
import { Box, Card, CardContent, Grid, Table, TableBody, TableCell, TableHead, TableRow, Typography } from "@mui/material";
import { useMemo } from "react";
import { Chart } from "../components/Chart";
import { PageTitle } from "../components/PageTitle";
import { EmptyState, StateView } from "../components/StateView";
import { useGet } from "../hooks";
import { useI18n } from "../i18n";
import { hasRoute, panelsFor } from "../manifest";
import { PanelCard } from "../panels/PanelHost";
import { useSession } from "../session";
import { FailureRate, MainLinks, Reboots, Section, SignalPerOlt, SnrPerRegion, Sla, Stat, Tickets, useCount, usePeriod, type Kpis } from "./DashboardSections";

const CRITICAL_OPEN = { status: "open", severity: "critical" };
/** The KPIs the dashboard shows: the server computes only these. */
const KPI_SECTIONS = "availability,sla,incidents,reboots";

export interface Overview {
  devices: { total: number; online: number; offline: number };
  by_kind: Record<string, Record<string, number>>;
  firmware?: { kind: string; vendor: string; model: string; firmware: string; count: number }[];
}

export default function Dashboard() {
  const { t, locale } = useI18n();
  const { manifest } = useSession();
  const { data, error, loading } = useGet<Overview>("/ui/overview", undefined, 30000);
  const alerts = hasRoute(manifest, "GET /alerts");
  const critical = useCount(alerts ? "/alerts" : null, CRITICAL_OPEN);
  const period = usePeriod();
  const reports = hasRoute(manifest, "GET /reports/kpis");
  const kpiQuery = useMemo(() => ({ ...period, sections: KPI_SECTIONS }), [period]);
  const kpis = useGet<Kpis>(reports ? "/reports/kpis" : null, kpiQuery, 300000);
  const telemetry = hasRoute(manifest, "GET /telemetry/query");
  const panels = manifest ? panelsFor(manifest, "dashboard") : [];
  const insights = manifest ? panelsFor(manifest, "dashboard.insights") : [];
  const stat = { xs: 6, sm: 4, md: 2 };
  return (
    <Box>
      <PageTitle>{t("dash.title")}</PageTitle>
      <StateView loading={loading && !data} error={error}>
        <Grid container spacing={2}>
          <Grid size={stat}>
            <Stat label={t("dash.devices")} value={data?.devices.total} testid="stat-total" href="/inventory/devices" />
          </Grid>
          <Grid size={stat}>
            <Stat label={t("dash.online")} value={data?.devices.online} testid="stat-online" colour="success.main" href="/inventory/devices?status=online" />
          </Grid>
          <Grid size={stat}>
            <Stat label={t("dash.offline")} value={data?.devices.offline} testid="stat-offline" colour="error.main" href="/inventory/devices?status=offline" />
          </Grid>
          <Grid size={stat}>
            <Stat
              label={t("dash.alerts")}
              value={alerts ? critical : t("common.unavailable")}
              testid="stat-alerts"
              href={alerts ? "/monitoring/alerts?status=open&severity=critical" : undefined}
            />
          </Grid>
          <Grid size={stat}>
            <FailureRate kpis={kpis} available={reports} />
          </Grid>
          <Grid size={stat}>
            <MainLinks available={hasRoute(manifest, "GET /main-links")} />
          </Grid>
          <Grid size={12}>
            <Card variant="outlined" sx={{ height: "100%" }}>
              <CardContent>
                <Typography variant="h6" component="h2">
                  {t("dash.byKind")}
                </Typography>
                {data && <ByKind overview={data} />}
              </CardContent>
            </Card>
          </Grid>
          {telemetry && (
            <>
              <Section>{t("dash.section.network")}</Section>
              <Grid size={{ xs: 12, md: 6 }}>
                <SignalPerOlt period={period} />
              </Grid>
              <Grid size={{ xs: 12, md: 6 }}>
                <LatencyPerNeighbourhood />
              </Grid>
              <SnrPerRegion period={period} />
            </>
          )}
          <Section>{t("dash.section.cpe")}</Section>
          <Grid size={{ xs: 12, md: 6 }}>
            <Card variant="outlined" sx={{ height: "100%" }}>
              <CardContent>
                <Typography variant="h6" component="h2">
                  {t("dash.firmware")}
                </Typography>
                {data?.firmware?.length ? (
                  <Table size="small" aria-label={t("dash.firmware")}>
                    <TableHead>
                      <TableRow>
                        <TableCell>{t("common.kind")}</TableCell>
                        <TableCell>{t("inv.model")}</TableCell>
                        <TableCell>{t("dev.firmware")}</TableCell>
                        <TableCell align="right">#</TableCell>
                      </TableRow>
                    </TableHead>
                    <TableBody>
                      {data.firmware.map((row) => (
                        <TableRow key={`${row.kind}-${row.vendor}-${row.model}-${row.firmware}`}>
                          <TableCell>{row.kind}</TableCell>
                          <TableCell>{`${row.vendor} ${row.model}`.trim()}</TableCell>
                          <TableCell>{row.firmware}</TableCell>
                          <TableCell align="right">{row.count.toLocaleString(locale)}</TableCell>
                        </TableRow>
                      ))}
                    </TableBody>
                  </Table>
                ) : (
                  <EmptyState text={t("common.empty")} />
                )}
              </CardContent>
            </Card>
          </Grid>
          <Grid size={{ xs: 12, md: 6 }}>
            <Reboots kpis={kpis} available={reports} />
          </Grid>
          {telemetry && (
            <Grid size={12}>
              <WanErrors />
            </Grid>
          )}
          <Section>{t("dash.section.sla")}</Section>
          <Grid size={{ xs: 12, md: 6 }}>
            <Sla kpis={kpis} available={reports} />
          </Grid>
          <Grid size={{ xs: 12, md: 6 }}>
            <Tickets available={hasRoute(manifest, "GET /tickets/evolution")} />
          </Grid>
          {panels.map((panel) => (
            <Grid key={panel.id} size={{ xs: 12, md: 6 }}>
              <PanelCard panel={panel} />
            </Grid>
          ))}
          <Grid size={12}>
            <Card variant="outlined">
              <CardContent>
                <Typography variant="h6" component="h2">
                  {t("dash.insights")}
                </Typography>
                {insights.length === 0 ? (
                  <EmptyState text={t("common.unavailable")} />
                ) : (
                  insights.map((panel) => <PanelCard key={panel.id} panel={panel} />)
                )}
              </CardContent>
            </Card>
          </Grid>
        </Grid>
      </StateView>
    </Box>
  );
}

function ByKind({ overview }: { overview: Overview }) {
  const { t } = useI18n();
  const option = useMemo(() => {
    const kinds = Object.keys(overview.by_kind).sort();
    const statuses = [...new Set(kinds.flatMap((kind) => Object.keys(overview.by_kind[kind])))].sort();
    const colours: Record<string, string> = { online: "#2e7d32", offline: "#c62828", unknown: "#9e9e9e" };
    return {
      tooltip: { trigger: "axis" as const },
      legend: { bottom: 0 },
      grid: { left: 40, right: 16, top: 16, bottom: 48 },
      xAxis: { type: "category" as const, data: kinds },
      yAxis: { type: "value" as const, minInterval: 1 },
      series: statuses.map((status) => ({
        name: status,
        type: "bar" as const,
        stack: "devices",
        itemStyle: colours[status] ? { color: colours[status] } : undefined,
        data: kinds.map((kind) => overview.by_kind[kind][status] ?? 0),
      })),
    };
  }, [overview]);
  return <Chart option={option} label={t("dash.byKind")} height={260} />;
}

/** One group of `GET /telemetry/query?group_by=...` (see docs/telemetry.md). */
export interface AggregateGroup {
  key: string;
  label?: string;
  devices: number;
  reporting: number;
  nonzero: number;
  samples: number;
  sum: number;
  avg: number | null;
  min: number | null;
  max: number | null;
  p95?: number | null;
}

export interface Aggregate {
  group_by: string;
  metric: string;
  start: string;
  end: string;
  groups: AggregateGroup[];
}

/** Totals of a WAN error metric over every group: CPEs with an error, reporting, reports. */
export function errorTotals(groups: AggregateGroup[]) {
  return groups.reduce(
    (total, group) => ({
      nonzero: total.nonzero + group.nonzero,
      reporting: total.reporting + group.reporting,
      reports: total.reports + group.sum,
    }),
    { nonzero: 0, reporting: 0, reports: 0 },
  );
}

/** Neighbourhoods with samples, in the API's order. */
export function reportingGroups(groups: AggregateGroup[]): AggregateGroup[] {
  return groups.filter((group) => group.reporting > 0);
}

const LATENCY_QUERY = { group_by: "neighbourhood", kind: "cpe", metric: "cpe.ping_avg_ms", percentiles: "95" };

/** Network performance: the sampled IPPing round trip per neighbourhood, average and p95. */
function LatencyPerNeighbourhood() {
  const { t, locale } = useI18n();
  const { data, error, loading } = useGet<Aggregate>("/telemetry/query", LATENCY_QUERY, 60000);
  const rows = data ? reportingGroups(data.groups) : [];
  const ms = (value: number | null | undefined) =>
    value === null || value === undefined ? "—" : `${value.toLocaleString(locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 })} ms`;
  return (
    <Card variant="outlined" sx={{ height: "100%" }}>
      <CardContent>
        <Typography variant="h6" component="h2">
          {t("dash.latency")}
        </Typography>
        <StateView loading={loading && !data} error={error} empty={data ? rows.length === 0 : undefined}>
          <Table size="small" aria-label={t("dash.latency")} data-testid="latency-per-neighbourhood">
            <TableHead>
              <TableRow>
                <TableCell>{t("dash.neighbourhood")}</TableCell>
                <TableCell align="right">avg</TableCell>
                <TableCell align="right">p95</TableCell>
                <TableCell align="right">{t("dash.reporting")}</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {rows.map((group) => (
                <TableRow key={group.key} data-key={group.key}>
                  <TableCell>{group.label || group.key}</TableCell>
                  <TableCell align="right" data-value={group.avg ?? ""}>
                    {ms(group.avg)}
                  </TableCell>
                  <TableCell align="right" data-value={group.p95 ?? ""}>
                    {ms(group.p95)}
                  </TableCell>
                  <TableCell align="right" data-value={group.reporting}>
                    {group.reporting.toLocaleString(locale)}
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </StateView>
      </CardContent>
    </Card>
  );
}

const WAN_METRICS = [
  { metric: "cpe.pppoe_error", label: "dash.pppoe" },
  { metric: "cpe.dhcp_error", label: "dash.dhcp" },
] as const;

/** CPE health: PPPoE and DHCP errors reported by the CPEs' WAN connection status. */
function WanErrors() {
  const { t, locale } = useI18n();
  const pppoe = useGet<Aggregate>("/telemetry/query", { group_by: "neighbourhood", kind: "cpe", metric: "cpe.pppoe_error" }, 60000);
  const dhcp = useGet<Aggregate>("/telemetry/query", { group_by: "neighbourhood", kind: "cpe", metric: "cpe.dhcp_error" }, 60000);
  const loaded = { "cpe.pppoe_error": pppoe, "cpe.dhcp_error": dhcp };
  return (
    <Card variant="outlined" sx={{ height: "100%" }}>
      <CardContent>
        <Typography variant="h6" component="h2">
          {t("dash.wanErrors")}
        </Typography>
        <StateView loading={(pppoe.loading && !pppoe.data) || (dhcp.loading && !dhcp.data)} error={pppoe.error ?? dhcp.error}>
          <Grid container spacing={2} sx={{ mt: 1 }}>
            {WAN_METRICS.map(({ metric, label }) => {
              const groups = loaded[metric].data?.groups ?? [];
              const totals = errorTotals(groups);
              const failing = groups.filter((group) => group.nonzero > 0);
              return (
                <Grid key={metric} size={6} data-testid={`wan-${metric}`}>
                  <Typography variant="body2" color="text.secondary" component="h3">
                    {t(label)}
                  </Typography>
                  <Typography variant="h4" component="p" data-testid={`wan-${metric}-nonzero`} data-value={totals.nonzero}>
                    {totals.nonzero.toLocaleString(locale)}
                  </Typography>
                  <Typography variant="caption" component="p">
                    {t("dash.withErrors")} · {t("dash.reporting")}: {totals.reporting.toLocaleString(locale)} ·{" "}
                    <span data-testid={`wan-${metric}-reports`} data-value={totals.reports}>
                      {totals.reports.toLocaleString(locale)}
                    </span>{" "}
                    {t("dash.reports")}
                  </Typography>
                  {failing.map((group) => (
                    <Typography key={group.key} variant="body2">
                      {group.label || group.key}: {group.nonzero.toLocaleString(locale)}
                    </Typography>
                  ))}
                </Grid>
              );
            })}
          </Grid>
        </StateView>
      </CardContent>
    </Card>
  );
}
