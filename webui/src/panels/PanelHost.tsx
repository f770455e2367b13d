/** Renders a declared panel by kind, each inside its own error boundary. */
import { Card, CardContent, Typography } from "@mui/material";
import { lazy, Suspense } from "react";
import { ErrorBoundary } from "../components/ErrorBoundary";
import { StateView } from "../components/StateView";
import { useI18n } from "../i18n";
import { fillPath, type PanelSpec } from "../manifest";
import { FormPanel } from "./FormPanel";
import { ModulePanel } from "./ModulePanel";
import { StatPanel, TablePanel, TimeSeriesPanel, TreePanel } from "./kinds";

const MapPanel = lazy(() => import("./MapPanel"));

/** What a page hands its panels: values for `{name}` placeholders in their API path. */
export type PanelParams = Record<string, string>;

export function PanelBody({ panel, params }: { panel: PanelSpec; params: PanelParams }) {
  const path = panel.api ? fillPath(panel.api, params) : "";
  switch (panel.kind) {
    case "table":
      return <TablePanel panel={panel} path={path} />;
    case "stat":
      return <StatPanel panel={panel} path={path} />;
    case "timeseries":
      return <TimeSeriesPanel panel={panel} path={path} />;
    case "tree":
      return <TreePanel panel={panel} path={path} />;
    case "form":
      return <FormPanel panel={panel} path={path} />;
    case "map":
      return (
        <Suspense fallback={<StateView loading />}>
          <MapPanel panel={panel} path={path} />
        </Suspense>
      );
    case "module":
      return <ModulePanel panel={panel} params={params} />;
    default:
      throw new Error(`unknown panel kind ${String(panel.kind)}`);
  }
}

export function PanelCard({ panel, params = {} }: { panel: PanelSpec; params?: PanelParams }) {
  const { pick } = useI18n();
  const title = pick(panel.title, panel.titles);
  return (
    <Card variant="outlined" data-panel={panel.id}>
      <CardContent>
        <Typography variant="h6" component="h2" gutterBottom>
          {title}
        </Typography>
        <ErrorBoundary title={title}>
          <PanelBody panel={panel} params={params} />
        </ErrorBoundary>
      </CardContent>
    </Card>
  );
}
