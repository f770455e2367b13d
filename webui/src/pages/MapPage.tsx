/**
 * Sites on the map with their devices, filtered by status; or coloured by a metric (ONU Rx,
 * CPE latency): each site by its worst device's latest hourly mean, filtered by level.
 */
import { Box, MenuItem, TextField, Typography } from "@mui/material";
import { lazy, Suspense, useEffect, useMemo, useState } from "react";
import { api, type Page } from "../api";
import { PageTitle } from "../components/PageTitle";
import { StateView } from "../components/StateView";
import { useGet } from "../hooks";
import { useI18n, type MessageKey } from "../i18n";
import { hasRoute } from "../manifest";
import { useSession } from "../session";

const LeafletMap = lazy(() => import("../components/LeafletMap"));

interface Site {
  id: string;
  name: string;
  latitude: number | null;
  longitude: number | null;
}

interface Located {
  id: string;
  site_id: string | null;
}

/** A metric the map colours sites by: which devices report it, and its warning/critical bounds. */
export interface MapMetric {
  /** The names the metric is stored under, the preferred first (a device's first one wins). */
  metrics: string[];
  kind: "onu" | "cpe";
  label: MessageKey;
  unit: string;
  /** `low`: lower is worse (optical power); `high`: higher is worse (latency). */
  worse: "low" | "high";
  warning: number;
  critical: number;
}

export const MAP_METRICS: MapMetric[] = [
  { metrics: ["onu.rx_dbm", "onu.rx_power_dbm"], kind: "onu", label: "map.rx", unit: "dBm", worse: "low", warning: -25, critical: -27 },
  { metrics: ["cpe.ping_avg_ms"], kind: "cpe", label: "map.latency", unit: "ms", worse: "high", warning: 50, critical: 100 },
];

export type Level = "good" | "warning" | "critical";
const LEVEL_COLOURS: Record<Level, string> = { good: "#2e7d32", warning: "#ef6c00", critical: "#c62828" };
const RANK: Record<Level, number> = { good: 0, warning: 1, critical: 2 };

export function levelOf(metric: MapMetric, value: number): Level {
  const beyond = (bound: number) => (metric.worse === "low" ? value < bound : value > bound);
  return beyond(metric.critical) ? "critical" : beyond(metric.warning) ? "warning" : "good";
}

/** Each site's worst value among its devices' values. */
export function worstPerSite(metric: MapMetric, devices: Located[], values: Map<string, number>): Map<string, number> {
  const worst = new Map<string, number>();
  for (const device of devices) {
    const value = values.get(device.id);
    if (!device.site_id || value === undefined) continue;
    const now = worst.get(device.site_id);
    if (now === undefined || (metric.worse === "low" ? value < now : value > now)) worst.set(device.site_id, value);
  }
  return worst;
}

/** The last non-empty point of each series: its latest hourly mean. */
export function latestValues(series: { entity: string; points: [string, number | null][] }[]): Map<string, number> {
  const values = new Map<string, number>();
  for (const entry of series) {
    const last = [...entry.points].reverse().find((point) => typeof point[1] === "number");
    if (last) values.set(entry.entity, last[1] as number);
  }
  return values;
}

const BATCH = 100;

/** Latest hourly mean of the metric over the last 24 h for each device (batches of 100), from the
 * first of its names the device reports. */
async function loadValues(metric: MapMetric, devices: Located[]): Promise<Map<string, number>> {
  const values = new Map<string, number>();
  for (const name of metric.metrics) {
    const ids = devices.filter((device) => device.site_id && !values.has(device.id)).map((device) => device.id);
    for (let start = 0; start < ids.length; start += BATCH) {
      const result = await api.post<{ series: { entity: string; points: [string, number | null][] }[] }>("/telemetry/query", {
        entities: ids.slice(start, start + BATCH),
        metric: name,
        resolution: 3600,
      });
      for (const [id, value] of latestValues(result.series)) values.set(id, value);
    }
  }
  return values;
}

export default function MapPage() {
  const { t, locale } = useI18n();
  const { manifest } = useSession();
  const [status, setStatus] = useState("");
  const [metricName, setMetricName] = useState("");
  const [level, setLevel] = useState<"" | "warning" | "critical">("");
  const metric = MAP_METRICS.find((entry) => entry.metrics[0] === metricName);
  const sites = useGet<Page<Site>>("/sites", { limit: 500 });
  const devices = useGet<Page<Located>>("/devices", { status: status || undefined, kind: metric?.kind, limit: 500 });
  const [values, setValues] = useState<{ metric: MapMetric; values: Map<string, number> } | { metric: MapMetric; error: Error }>();
  useEffect(() => {
    if (!metric || !devices.data) return;
    let live = true;
    loadValues(metric, devices.data.items)
      .then((found) => live && setValues({ metric, values: found }))
      .catch((error: Error) => live && setValues({ metric, error }));
    return () => {
      live = false;
    };
  }, [metric, devices.data]);
  const loaded = metric && values?.metric === metric && "values" in values ? values.values : undefined;
  const markers = useMemo(() => {
    const counts = new Map<string, number>();
    for (const device of devices.data?.items ?? []) if (device.site_id) counts.set(device.site_id, (counts.get(device.site_id) ?? 0) + 1);
    const located = (sites.data?.items ?? []).filter((site) => site.latitude !== null && site.longitude !== null);
    if (metric) {
      if (!loaded || !devices.data) return [];
      const worst = worstPerSite(metric, devices.data.items, loaded);
      return located
        .filter((site) => worst.has(site.id))
        .map((site) => ({ site, value: worst.get(site.id)!, level: levelOf(metric, worst.get(site.id)!) }))
        .filter((entry) => !level || RANK[entry.level] >= RANK[level])
        .map(({ site, value, level: found }) => ({
          id: site.id,
          lat: site.latitude!,
          lng: site.longitude!,
          label: `${site.name}: ${value.toLocaleString(locale, { maximumFractionDigits: 1 })} ${metric.unit}`,
          colour: LEVEL_COLOURS[found],
        }));
    }
    return located
      .filter((site) => !status || counts.has(site.id))
      .map((site) => ({
        id: site.id,
        lat: site.latitude!,
        lng: site.longitude!,
        label: `${site.name}: ${counts.get(site.id) ?? 0}`,
        colour: status === "offline" ? "#c62828" : status === "online" ? "#2e7d32" : undefined,
      }));
  }, [sites.data, devices.data, status, metric, loaded, level, locale]);
  const telemetry = hasRoute(manifest, "POST /telemetry/query");
  const metricError = metric && values?.metric === metric && "error" in values ? values.error : undefined;
  return (
    <Box>
      <PageTitle>{t("map.title")}</PageTitle>
      <Box sx={{ display: "flex", gap: 2, flexWrap: "wrap", mb: 2 }}>
        <TextField select size="small" label={t("common.status")} value={status} onChange={(event) => setStatus(event.target.value)} sx={{ minWidth: 180 }}>
          {["", "online", "offline", "unknown"].map((value) => (
            <MenuItem key={value} value={value}>
              {value || t("common.all")}
            </MenuItem>
          ))}
        </TextField>
        {telemetry && (
          <TextField select size="small" label={t("map.metric")} value={metricName} onChange={(event) => setMetricName(event.target.value)} sx={{ minWidth: 220 }}>
            <MenuItem value="">{t("map.noMetric")}</MenuItem>
            {MAP_METRICS.map((entry) => (
              <MenuItem key={entry.metrics[0]} value={entry.metrics[0]}>
                {t(entry.label)}
              </MenuItem>
            ))}
          </TextField>
        )}
        {metric && (
          <TextField select size="small" label={t("map.level")} value={level} onChange={(event) => setLevel(event.target.value as typeof level)} sx={{ minWidth: 200 }}>
            <MenuItem value="">{t("common.all")}</MenuItem>
            <MenuItem value="warning">{t("map.warningOrWorse")}</MenuItem>
            <MenuItem value="critical">{t("map.criticalOnly")}</MenuItem>
          </TextField>
        )}
      </Box>
      {metric && (
        <Typography variant="caption" component="p" sx={{ mb: 1 }} data-testid="map-legend">
          <Box component="span" sx={{ color: LEVEL_COLOURS.good }}>●</Box> {metric.worse === "low" ? "≥" : "≤"} {metric.warning} {metric.unit} ·{" "}
          <Box component="span" sx={{ color: LEVEL_COLOURS.warning }}>●</Box> {metric.warning} … {metric.critical} {metric.unit} ·{" "}
          <Box component="span" sx={{ color: LEVEL_COLOURS.critical }}>●</Box> {metric.worse === "low" ? "<" : ">"} {metric.critical} {metric.unit} · {t("map.metricHelp")}
        </Typography>
      )}
      <StateView loading={(sites.loading && !sites.data) || Boolean(metric && !loaded && !metricError)} error={sites.error ?? devices.error ?? metricError}>
        <Suspense fallback={<StateView loading />}>
          <LeafletMap markers={markers} height={520} />
        </Suspense>
      </StateView>
    </Box>
  );
}
