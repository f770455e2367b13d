/** The server's UI manifest: menus and panels the signed-in user may see. */

export interface MenuItem {
  menu: string;
  label: string;
  path: string;
  permission: string;
  labels: Record<string, string>;
  order: number;
}

export interface PanelSpec {
  id: string;
  slot: string;
  title: string;
  kind: "table" | "timeseries" | "stat" | "map" | "tree" | "form" | "module";
  permission: string;
  api: string;
  module_url: string;
  api_version: string;
  titles: Record<string, string>;
  options: Record<string, unknown>;
  order: number;
  plugin: string;
}

export interface Manifest {
  version: string;
  locales: string[];
  user: { username: string; roles: string[] };
  menus: { id: string; items: MenuItem[] }[];
  panels: PanelSpec[];
  map?: { tile_url: string };
  /** The API's operations, as "GET /devices"; a feature a plugin adds shows up here. */
  routes?: string[];
}

/** Whether the server has an operation, e.g. `hasRoute(manifest, "GET /alerts")`. */
export function hasRoute(manifest: Manifest | null, operation: string): boolean {
  return Boolean(manifest?.routes?.includes(operation));
}

/** The API versions this shell speaks; panels declaring another one are not shown. */
export const API_VERSIONS = ["v1"];

export function panelsFor(manifest: Manifest, slot: string): PanelSpec[] {
  return manifest.panels.filter(
    (panel) => panel.slot === slot && API_VERSIONS.includes(panel.api_version || "v1"),
  );
}

/** Fill `{name}` placeholders of an API path from `values`. */
export function fillPath(path: string, values: Record<string, string>): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(values[name] ?? ""));
}
