/** The generic panel kinds that need no plugin code: table, stat, time series, tree. */
import { Box, List, ListItemButton, ListItemText, Typography } from "@mui/material";
import { useMemo } from "react";
import { Link as RouterLink } from "react-router-dom";
import { Chart } from "../components/Chart";
import { DataTable } from "../components/DataTable";
import { StateView } from "../components/StateView";
import { StatusChip } from "../components/StatusChip";
import { formatValue } from "../format";
import { useGet } from "../hooks";
import { useI18n } from "../i18n";
import type { PanelSpec } from "../manifest";

type Json = Record<string, unknown>;

/** The value at a dotted path (`devices.online`) of a document. */
export function pluck(document: unknown, path: string): unknown {
  return path
    .split(".")
    .filter(Boolean)
    .reduce<unknown>(
      (value, key) => (value && typeof value === "object" ? (value as Json)[key] : undefined),
      document,
    );
}

export function TablePanel({ panel, path }: { panel: PanelSpec; path: string }) {
  const columns = ((panel.options.columns as string[] | undefined) ?? ["id", "name"]).map(
    (key) => ({ key, label: key }),
  );
  return <DataTable path={path} columns={columns} label={panel.title} />;
}

export function StatPanel({ panel, path }: { panel: PanelSpec; path: string }) {
  const { locale } = useI18n();
  const { data, error, loading } = useGet<Json>(path, undefined, 30000);
  const field = panel.options.field as string | undefined;
  const value = field ? pluck(data, field) : Array.isArray(data?.items) ? data.items.length : data;
  const unit = (panel.options.unit as string | undefined) ?? "";
  return (
    <StateView loading={loading && !data} error={error}>
      <Typography variant="h4" component="p" data-testid={`stat-${panel.id}`}>
        {formatValue(value, locale)}
        {unit && ` ${unit}`}
      </Typography>
    </StateView>
  );
}

/** Series points as `[time, value]` pairs or `{time, value}` objects. */
export function seriesPoints(data: unknown, x = "time", y = "value"): [string, number][] {
  const raw = (pluck(data, "points") ?? pluck(data, "items") ?? data) as unknown;
  if (!Array.isArray(raw)) return [];
  return raw.map((point) =>
    Array.isArray(point) ? [point[0], Number(point[1])] : [(point as Json)[x] as string, Number((point as Json)[y])],
  );
}

export function TimeSeriesPanel({ panel, path }: { panel: PanelSpec; path: string }) {
  const query = (panel.options.query as Record<string, string> | undefined) ?? {};
  const { data, error, loading } = useGet<unknown>(path, query);
  const points = useMemo(
    () => seriesPoints(data, panel.options.x as string, panel.options.y as string),
    [data, panel.options.x, panel.options.y],
  );
  return (
    <StateView loading={loading && !data} error={error} empty={!loading && points.length === 0}>
      <TimeSeries points={points} label={panel.title} />
    </StateView>
  );
}

export function TimeSeries({ points, label }: { points: [string, number][]; label: string }) {
  const option = useMemo(
    () => ({
      tooltip: { trigger: "axis" as const },
      grid: { left: 48, right: 16, top: 16, bottom: 32 },
      xAxis: { type: "time" as const },
      yAxis: { type: "value" as const, scale: true },
      series: [{ type: "line" as const, showSymbol: false, data: points, name: label }],
    }),
    [points, label],
  );
  return <Chart option={option} label={label} />;
}

export interface TreeNode {
  id: string;
  name: string;
  kind?: string;
  status?: string;
  children?: TreeNode[];
}

export function TreePanel({ panel, path }: { panel: PanelSpec; path: string }) {
  const { data, error, loading } = useGet<Json>(path);
  const root = (pluck(data, (panel.options.root as string) ?? "root") ?? data) as TreeNode | undefined;
  return (
    <StateView loading={loading && !data} error={error} empty={!loading && !root}>
      {root && <Tree nodes={[root]} />}
    </StateView>
  );
}

/** A tree of devices coloured by status, each a link to its page. */
export function Tree({ nodes, depth = 0 }: { nodes: TreeNode[]; depth?: number }) {
  return (
    <List dense disablePadding role={depth === 0 ? "tree" : "group"}>
      {nodes.map((node) => (
        <Box key={node.id} role="treeitem" aria-expanded={node.children?.length ? true : undefined}>
          <ListItemButton component={RouterLink} to={`/devices/${node.id}`} sx={{ pl: 1 + depth * 2.5 }}>
            <ListItemText
              primary={
                <Box component="span" sx={{ display: "flex", gap: 1, alignItems: "center" }}>
                  <Typography component="span" variant="caption" sx={{ minWidth: 64 }}>
                    {node.kind}
                  </Typography>
                  {node.name || node.id}
                  <StatusChip status={node.status} />
                </Box>
              }
            />
          </ListItemButton>
          {node.children && node.children.length > 0 && <Tree nodes={node.children} depth={depth + 1} />}
        </Box>
      ))}
    </List>
  );
}
