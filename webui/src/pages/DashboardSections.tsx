/**
 * The dashboard's cards that read the reports plugin's KPIs, main links, telemetry per OLT and
 * tickets: failure rate, main link status, optical signal per OLT, frequent reboots, SLA.
 */
import { Box, Card, CardContent, Chip, Grid, Link, Table, TableBody, TableCell, TableHead, TableRow, Typography } from "@mui/material";
import { useEffect, useMemo, useState, type ReactNode } from "react";
import { api, type Page } from "../api";
import { Link as RouterLink } from "react-router-dom";
import { Chart } from "../components/Chart";
import { EmptyState, StateView } from "../components/StateView";
import { useGet, type Loaded } from "../hooks";
import { useI18n } from "../i18n";
import type { Aggregate, AggregateGroup } from "./Dashboard";

/** A headline number in a card; `value` is a number (formatted) or a word. */
export function Stat({
  label,
  value,
  testid,
  colour,
  raw,
  caption,
  href,
}: {
  label: string;
  value: number | string | undefined;
  testid: string;
  colour?: string;
  raw?: number | null;
  caption?: ReactNode;
  /** The list behind the figure: the number links there. */
  href?: string;
}) {
  const { locale } = useI18n();
  const text = value === undefined ? "—" : typeof value === "number" ? value.toLocaleString(locale) : value;
  return (
    <Card variant="outlined" sx={{ height: "100%" }}>
      <CardContent>
        <Typography variant="body2" color="text.secondary" component="h2">
          {label}
        </Typography>
        <Typography
          variant={typeof value === "string" ? "body1" : "h3"}
          component="p"
          data-testid={testid}
          data-value={raw ?? (typeof value === "number" ? value : undefined)}
          sx={{ color: colour }}
        >
          {href ? (
            <Link component={RouterLink} to={href} color="inherit" underline="hover" title={label}>
              {text}
            </Link>
          ) : (
            text
          )}
        </Typography>
        {caption && (
          <Typography variant="caption" component="div" color="text.secondary">
            {caption}
          </Typography>
        )}
      </CardContent>
    </Card>
  );
}

/** How many items a cursor-paginated list holds: its pages of 500 followed to the end. */
export async function countAll(path: string, query: Record<string, string>): Promise<number> {
  let total = 0;
  let cursor: string | null = null;
  do {
    const page: Page<unknown> = await api.get<Page<unknown>>(path, { ...query, limit: 500, cursor });
    total += page.items.length;
    cursor = page.next_cursor;
  } while (cursor);
  return total;
}

/** `countAll` of a list, refreshed every `refreshMs`; `undefined` until counted or when `path` is null. */
export function useCount(path: string | null, query: Record<string, string>, refreshMs = 30000): number | undefined {
  const [count, setCount] = useState<number>();
  const [tick, setTick] = useState(0);
  const key = JSON.stringify(query);
  useEffect(() => {
    if (!path) return;
    let live = true;
    countAll(path, JSON.parse(key))
      .then((value) => live && setCount(value))
      .catch(() => live && setCount(undefined));
    return () => {
      live = false;
    };
  }, [path, key, tick]);
  useEffect(() => {
    const timer = setInterval(() => setTick((n) => n + 1), refreshMs);
    return () => clearInterval(timer);
  }, [refreshMs]);
  return count;
}

/** The period the dashboard's 24-hour figures cover: the last 24 h to the second, moved every 5 min. */
export function usePeriod(refreshMs = 300000): { from: string; to: string } {
  const make = () => {
    const to = new Date(Math.floor(Date.now() / 1000) * 1000);
    return { from: new Date(to.getTime() - 86400000).toISOString(), to: to.toISOString() };
  };
  const [period, setPeriod] = useState(make);
  useEffect(() => {
    const timer = setInterval(() => setPeriod(make()), refreshMs);
    return () => clearInterval(timer);
  }, [refreshMs]);
  return period;
}

interface AvailabilityRow {
  availability_percent: number | null;
}

/** The part of `GET /reports/kpis` the dashboard shows. */
export interface Kpis {
  period: { from: string; to: string };
  availability: { network: AvailabilityRow & { devices: number } };
  sla: { customers_with_target: number; met: number; breached: number };
  incidents: {
    total: number;
    recovered: number;
    mttr_seconds: number | null;
    regions: { region: string; incidents: number; recovered: number; mttr_seconds: number | null }[];
  };
  reboots: { total: number; devices: number; top: { device_id: string; name: string; serial?: string; count: number }[] };
}

/** Share of the access network's device-time offline, in percent; `null` when nothing was measured. */
export function failureRate(kpis: Pick<Kpis, "availability"> | undefined): number | null {
  const percent = kpis?.availability.network.availability_percent;
  return percent === null || percent === undefined ? null : 100 - percent;
}

function percent(value: number | null | undefined, locale: string): string {
  return value === null || value === undefined ? "—" : `${value.toLocaleString(locale, { maximumFractionDigits: 2 })} %`;
}

/** Seconds as minutes, one decimal. */
export function minutesText(seconds: number | null | undefined, locale: string): string {
  return seconds === null || seconds === undefined ? "—" : `${(seconds / 60).toLocaleString(locale, { maximumFractionDigits: 1 })} min`;
}

/** Failure rate over the last 24 h, from the reports plugin's network availability. */
export function FailureRate({ kpis, available }: { kpis: Loaded<Kpis>; available: boolean }) {
  const { t, locale } = useI18n();
  const rate = failureRate(kpis.data);
  const value = !available ? t("dash.needsReports") : kpis.error ? t("common.error") : kpis.data ? percent(rate, locale) : undefined;
  return (
    <Stat
      label={t("dash.failureRate")}
      value={value}
      raw={rate}
      testid="stat-failure-rate"
      colour={rate !== null && rate > 1 ? "error.main" : undefined}
      caption={available ? t("dash.failureRateHelp") : undefined}
    />
  );
}

export interface MainLink {
  name: string;
  host: string;
  port: number;
  status: "up" | "down";
  down_since: string | null;
}

/** Main links: how many are up, and the ones down with since when. */
export function MainLinks({ available }: { available: boolean }) {
  const { t, locale } = useI18n();
  const links = useGet<{ items: MainLink[] }>(available ? "/main-links" : null, undefined, 30000);
  const items = links.data?.items ?? [];
  const up = items.filter((link) => link.status === "up").length;
  const down = items.filter((link) => link.status === "down");
  const value = !available
    ? t("common.unavailable")
    : links.error
      ? t("common.error")
      : !links.data
        ? undefined
        : items.length === 0
          ? t("dash.linksNone")
          : `${up}/${items.length} ${t("dash.linksUp")}`;
  return (
    <Stat
      label={t("dash.links")}
      value={value}
      testid="stat-links"
      href={down.length ? "/monitoring/incidents?status=open&kind=link" : undefined}
      raw={links.data ? up : undefined}
      colour={down.length ? "error.main" : items.length ? "success.main" : undefined}
      caption={
        down.length ? (
          <Box component="ul" sx={{ m: 0, pl: 2 }} data-testid="links-down">
            {down.map((link) => (
              <li key={link.name}>
                {link.name} ({link.host}:{link.port}) {t("dash.linkDown")} {link.down_since ? new Date(link.down_since).toLocaleString(locale) : "—"}
              </li>
            ))}
          </Box>
        ) : undefined
      }
    />
  );
}

/** Every OLT's groups folded into one: ONUs reporting, lowest, highest and mean Rx (over samples). */
export function signalTotals(groups: AggregateGroup[]) {
  const reporting = groups.filter((group) => group.reporting > 0);
  const samples = reporting.reduce((total, group) => total + group.samples, 0);
  return {
    reporting: reporting.reduce((total, group) => total + group.reporting, 0),
    min: reporting.length ? Math.min(...reporting.map((group) => group.min ?? Infinity)) : null,
    max: reporting.length ? Math.max(...reporting.map((group) => group.max ?? -Infinity)) : null,
    avg: samples ? reporting.reduce((total, group) => total + group.sum, 0) / samples : null,
  };
}

/**
 * The names ONU receive power is stored under, in order of preference: the OLT manager's
 * collector writes `onu.rx_dbm`, imports and the demo lab `onu.rx_power_dbm`.
 */
export const RX_METRICS = ["onu.rx_dbm", "onu.rx_power_dbm"] as const;

/** Per OLT, the groups of the first Rx metric it reports, in the API's order of that metric. */
export function firstReporting(answers: Aggregate[]): (AggregateGroup & { metric: string })[] {
  const seen = new Set<string>();
  const rows: (AggregateGroup & { metric: string })[] = [];
  for (const answer of answers) {
    for (const group of answer.groups) {
      if (group.reporting === 0 || seen.has(group.key)) continue;
      seen.add(group.key);
      rows.push({ ...group, metric: answer.metric });
    }
  }
  return rows;
}

/** ONU receive power per OLT over the period: average, minimum, maximum; all OLTs on the first row. */
export function SignalPerOlt({ period }: { period: { from: string; to: string } }) {
  const { t, locale } = useI18n();
  const base = { group_by: "olt", kind: "onu", start: period.from, end: period.to };
  const collected = useGet<Aggregate>("/telemetry/query", { ...base, metric: RX_METRICS[0] }, 60000);
  const imported = useGet<Aggregate>("/telemetry/query", { ...base, metric: RX_METRICS[1] }, 60000);
  const data = collected.data && imported.data ? { start: collected.data.start, end: collected.data.end } : undefined;
  const error = collected.error ?? imported.error;
  const loading = collected.loading || imported.loading;
  const rows = collected.data && imported.data ? firstReporting([collected.data, imported.data]) : [];
  const totals = signalTotals(rows);
  const dbm = (value: number | null | undefined) =>
    value === null || value === undefined ? "—" : `${value.toLocaleString(locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 })} dBm`;
  const row = (
    key: string,
    name: ReactNode,
    figures: { avg: number | null; min: number | null; max: number | null; reporting: number },
    strong = false,
    metric?: string,
  ) => (
    <TableRow key={key} data-key={key} data-metric={metric} sx={strong ? { "& td": { fontWeight: 600 } } : undefined}>
      <TableCell>{name}</TableCell>
      {(["avg", "min", "max"] as const).map((field) => (
        <TableCell key={field} align="right" data-field={field} data-value={figures[field] ?? ""}>
          {dbm(figures[field])}
        </TableCell>
      ))}
      <TableCell align="right" data-field="reporting" data-value={figures.reporting}>
        {figures.reporting.toLocaleString(locale)}
      </TableCell>
    </TableRow>
  );
  return (
    <Card variant="outlined" sx={{ height: "100%" }}>
      <CardContent>
        <Typography variant="h6" component="h2">
          {t("dash.signal")}
        </Typography>
        <StateView loading={loading && !data} error={error} empty={data ? rows.length === 0 : undefined}>
          <Table size="small" aria-label={t("dash.signal")} data-testid="signal-per-olt" data-start={data?.start} data-end={data?.end}>
            <TableHead>
              <TableRow>
                <TableCell>OLT</TableCell>
                <TableCell align="right">avg</TableCell>
                <TableCell align="right">min</TableCell>
                <TableCell align="right">max</TableCell>
                <TableCell align="right">{t("dash.onus")}</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {rows.length > 1 && row("*", t("dash.signalAll"), totals, true)}
              {rows.map((group) =>
                row(
                  group.key,
                  <Link component={RouterLink} to={`/olts/${group.key}`}>
                    {group.label || group.key}
                  </Link>,
                  { avg: group.avg, min: group.min, max: group.max, reporting: group.reporting },
                  false,
                  group.metric,
                ),
              )}
            </TableBody>
          </Table>
        </StateView>
      </CardContent>
    </Card>
  );
}

/**
 * DSL lines' downstream SNR margin per region over the period, where DSL CPEs report it
 * (`cpe.dsl_snr_down_db`); nothing at all on a network without them.
 */
export function SnrPerRegion({ period }: { period: { from: string; to: string } }) {
  const { t, locale } = useI18n();
  const query = { group_by: "region", kind: "cpe", metric: "cpe.dsl_snr_down_db", start: period.from, end: period.to };
  const answer = useGet<Aggregate>("/telemetry/query", query, 60000);
  const rows = (answer.data?.groups ?? []).filter((group) => group.reporting > 0);
  if (!rows.length) return null;
  const db = (value: number | null) => (value === null ? "—" : `${value.toLocaleString(locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 })} dB`);
  return (
    <Grid size={{ xs: 12, md: 6 }}>
    <Card variant="outlined" sx={{ height: "100%" }}>
      <CardContent>
        <Typography variant="h6" component="h2">
          {t("dash.snr")}
        </Typography>
        <Table size="small" aria-label={t("dash.snr")} data-testid="snr-per-region">
          <TableHead>
            <TableRow>
              <TableCell>{t("dash.region")}</TableCell>
              <TableCell align="right">avg</TableCell>
              <TableCell align="right">min</TableCell>
              <TableCell align="right">max</TableCell>
              <TableCell align="right">CPEs</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {rows.map((group) => (
              <TableRow key={group.key} data-key={group.key}>
                <TableCell>{group.label || group.key}</TableCell>
                {(["avg", "min", "max"] as const).map((field) => (
                  <TableCell key={field} align="right" data-field={field}>
                    {db(group[field])}
                  </TableCell>
                ))}
                <TableCell align="right" data-field="reporting">
                  {group.reporting.toLocaleString(locale)}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </CardContent>
    </Card>
    </Grid>
  );
}

/** CPEs that rebooted most over the period (`cpe.boot` events), with the total. */
export function Reboots({ kpis, available }: { kpis: Loaded<Kpis>; available: boolean }) {
  const { t, locale } = useI18n();
  const reboots = kpis.data?.reboots;
  return (
    <Card variant="outlined" sx={{ height: "100%" }}>
      <CardContent>
        <Typography variant="h6" component="h2">
          {t("dash.reboots")}
        </Typography>
        {!available ? (
          <EmptyState text={t("dash.needsReports")} />
        ) : (
          <StateView loading={kpis.loading && !kpis.data} error={kpis.error} empty={reboots ? reboots.total === 0 : undefined}>
            {reboots && (
              <Box data-testid="reboots">
                <Typography variant="body1" component="p">
                  <Box component="span" sx={{ typography: "h4" }} data-testid="reboots-total" data-value={reboots.total}>
                    {reboots.total.toLocaleString(locale)}
                  </Box>{" "}
                  {t("dash.rebootsTotal")} ·{" "}
                  <span data-testid="reboots-devices" data-value={reboots.devices}>
                    {reboots.devices.toLocaleString(locale)}
                  </span>{" "}
                  {t("dash.rebootsDevices")}
                </Typography>
                <Table size="small" aria-label={t("dash.reboots")}>
                  <TableHead>
                    <TableRow>
                      <TableCell>{t("dash.device")}</TableCell>
                      <TableCell align="right">{t("dash.rebootsTotal")}</TableCell>
                    </TableRow>
                  </TableHead>
                  <TableBody>
                    {reboots.top.slice(0, 5).map((device) => (
                      <TableRow key={device.device_id} data-key={device.device_id}>
                        <TableCell>
                          <Link component={RouterLink} to={`/devices/${device.device_id}`}>
                            {device.name || device.serial || device.device_id}
                          </Link>
                        </TableCell>
                        <TableCell align="right" data-value={device.count}>
                          {device.count >= 3 ? <Chip size="small" color="error" label={device.count} /> : device.count.toLocaleString(locale)}
                        </TableCell>
                      </TableRow>
                    ))}
                  </TableBody>
                </Table>
              </Box>
            )}
          </StateView>
        )}
      </CardContent>
    </Card>
  );
}

/** SLA over the period: MTTR, incidents, SLA breaches, availability, and incidents per region. */
export function Sla({ kpis, available }: { kpis: Loaded<Kpis>; available: boolean }) {
  const { t, locale } = useI18n();
  const data = kpis.data;
  const figure = (label: string, testid: string, text: string, raw: number | null | undefined) => (
    <Grid size={{ xs: 6, sm: 3 }}>
      <Typography variant="body2" color="text.secondary" component="h3">
        {label}
      </Typography>
      <Typography variant="h5" component="p" data-testid={testid} data-value={raw ?? ""}>
        {text}
      </Typography>
    </Grid>
  );
  return (
    <Card variant="outlined" sx={{ height: "100%" }}>
      <CardContent>
        <Typography variant="h6" component="h2">
          {t("dash.incidentsPerRegion")}
        </Typography>
        {!available ? (
          <EmptyState text={t("dash.needsReports")} />
        ) : (
          <StateView loading={kpis.loading && !data} error={kpis.error}>
            {data && (
              <Box data-testid="sla" data-from={data.period.from} data-to={data.period.to}>
                <Grid container spacing={2} sx={{ mt: 0.5, mb: 1 }}>
                  {figure(t("dash.mttr"), "sla-mttr", minutesText(data.incidents.mttr_seconds, locale), data.incidents.mttr_seconds)}
                  {figure(t("dash.incidents"), "sla-incidents", data.incidents.total.toLocaleString(locale), data.incidents.total)}
                  {figure(t("dash.slaBreaches"), "sla-breaches", `${data.sla.breached.toLocaleString(locale)} / ${data.sla.customers_with_target.toLocaleString(locale)}`, data.sla.breached)}
                  {figure(
                    t("dash.availability"),
                    "sla-availability",
                    percent(data.availability.network.availability_percent, locale),
                    data.availability.network.availability_percent,
                  )}
                </Grid>
                {data.incidents.regions.length === 0 ? (
                  <EmptyState text={t("common.empty")} />
                ) : (
                  <Table size="small" aria-label={t("dash.incidentsPerRegion")} data-testid="incidents-per-region">
                    <TableHead>
                      <TableRow>
                        <TableCell>{t("dash.region")}</TableCell>
                        <TableCell align="right">{t("dash.incidents")}</TableCell>
                        <TableCell align="right">{t("dash.recovered")}</TableCell>
                        <TableCell align="right">{t("dash.mttr")}</TableCell>
                      </TableRow>
                    </TableHead>
                    <TableBody>
                      {data.incidents.regions.map((region) => (
                        <TableRow key={region.region} data-key={region.region}>
                          <TableCell>{region.region || t("dash.noRegion")}</TableCell>
                          <TableCell align="right" data-value={region.incidents}>
                            {region.incidents.toLocaleString(locale)}
                          </TableCell>
                          <TableCell align="right" data-value={region.recovered}>
                            {region.recovered.toLocaleString(locale)}
                          </TableCell>
                          <TableCell align="right" data-value={region.mttr_seconds ?? ""}>
                            {minutesText(region.mttr_seconds, locale)}
                          </TableCell>
                        </TableRow>
                      ))}
                    </TableBody>
                  </Table>
                )}
              </Box>
            )}
          </StateView>
        )}
      </CardContent>
    </Card>
  );
}

export interface TicketEvolution {
  days: number;
  opened: number;
  resolved: number;
  open_now: number;
  points: { start: string; end: string; opened: number; resolved: number; open: number }[];
}

/** Tickets opened and resolved per day over 14 days, and those open at each day's end. */
export function Tickets({ available }: { available: boolean }) {
  const { t, locale } = useI18n();
  const { data, error, loading } = useGet<TicketEvolution>(available ? "/tickets/evolution" : null, { days: 14 }, 60000);
  const option = useMemo(() => {
    if (!data) return null;
    const days = data.points.map((point) => new Date(point.end).toLocaleDateString(locale, { day: "2-digit", month: "2-digit" }));
    return {
      tooltip: { trigger: "axis" as const },
      legend: { bottom: 0 },
      grid: { left: 40, right: 16, top: 16, bottom: 48 },
      xAxis: { type: "category" as const, data: days },
      yAxis: { type: "value" as const, minInterval: 1 },
      series: [
        { name: t("dash.ticketsOpened"), type: "bar" as const, data: data.points.map((point) => point.opened), itemStyle: { color: "#ef6c00" } },
        { name: t("dash.ticketsResolved"), type: "bar" as const, data: data.points.map((point) => point.resolved), itemStyle: { color: "#2e7d32" } },
        { name: t("dash.ticketsOpen"), type: "line" as const, data: data.points.map((point) => point.open), itemStyle: { color: "#1565c0" } },
      ],
    };
  }, [data, locale, t]);
  return (
    <Card variant="outlined" sx={{ height: "100%" }}>
      <CardContent>
        <Typography variant="h6" component="h2">
          {t("dash.tickets")}
        </Typography>
        {!available ? (
          <EmptyState text={t("common.unavailable")} />
        ) : (
          <StateView loading={loading && !data} error={error}>
            {data && (
              <Box data-testid="tickets">
                <Typography variant="body2" component="p">
                  {t("dash.ticketsOpened")}:{" "}
                  <strong data-testid="tickets-opened" data-value={data.opened}>
                    {data.opened.toLocaleString(locale)}
                  </strong>{" "}
                  · {t("dash.ticketsResolved")}:{" "}
                  <strong data-testid="tickets-resolved" data-value={data.resolved}>
                    {data.resolved.toLocaleString(locale)}
                  </strong>{" "}
                  ·{" "}
                  <strong data-testid="tickets-open-now" data-value={data.open_now}>
                    {data.open_now.toLocaleString(locale)}
                  </strong>{" "}
                  {t("dash.ticketsOpenNow")}
                </Typography>
                {option && <Chart option={option} label={t("dash.tickets")} height={220} />}
              </Box>
            )}
          </StateView>
        )}
      </CardContent>
    </Card>
  );
}

/** A section heading of the dashboard. */
export function Section({ children }: { children: ReactNode }) {
  return (
    <Grid size={12}>
      <Typography variant="h5" component="h2" sx={{ mt: 1 }}>
        {children}
      </Typography>
    </Grid>
  );
}
