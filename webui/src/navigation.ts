/** Menus: the manifest's, plus the pages the shell itself provides, without duplicates. */
import type { Manifest, MenuItem } from "./manifest";

/** Pages of the shell that no plugin declares a menu item for; shown when permitted. */
export const SHELL_ITEMS: MenuItem[] = [
  { menu: "inventory", label: "OLTs", path: "/inventory/olts", permission: "devices.read", labels: { "pt-BR": "OLTs" }, order: 110 },
  { menu: "inventory", label: "Topology", path: "/inventory/topology", permission: "devices.read", labels: { "pt-BR": "Topologia" }, order: 120 },
  { menu: "monitoring", label: "Map", path: "/monitoring/map", permission: "devices.read", labels: { "pt-BR": "Mapa" }, order: 110 },
  { menu: "monitoring", label: "Alerts", path: "/monitoring/alerts", permission: "devices.read", labels: { "pt-BR": "Alertas" }, order: 120 },
  { menu: "monitoring", label: "Incidents", path: "/monitoring/incidents", permission: "alerts.read", labels: { "pt-BR": "Incidentes" }, order: 130 },
  { menu: "automation", label: "Alert rules", path: "/automation/rules", permission: "alerts.read", labels: { "pt-BR": "Regras de alerta" }, order: 110 },
  { menu: "automation", label: "Silences", path: "/automation/silences", permission: "alerts.read", labels: { "pt-BR": "Silêncios" }, order: 120 },
  { menu: "settings", label: "Notification channels", path: "/settings/channels", permission: "notifications.read", labels: { "pt-BR": "Canais de notificação" }, order: 150 },
  { menu: "settings", label: "Integrations and webhooks", path: "/settings/integrations", permission: "notifications.read", labels: { "pt-BR": "Integrações e webhooks" }, order: 160 },
];

export function buildMenus(manifest: Manifest, can: (permission: string) => boolean) {
  const menus = manifest.menus.map((menu) => ({ id: menu.id, items: [...menu.items] }));
  const known = new Set(menus.flatMap((menu) => menu.items.map((item) => item.path)));
  for (const item of SHELL_ITEMS) {
    if (known.has(item.path) || !can(item.permission)) continue;
    let menu = menus.find((entry) => entry.id === item.menu);
    if (!menu) {
      menu = { id: item.menu, items: [] };
      menus.push(menu);
    }
    menu.items.push(item);
  }
  const order = ["dashboard", "inventory", "monitoring", "provisioning", "diagnostics", "automation", "reports", "settings"];
  menus.sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
  for (const menu of menus) menu.items.sort((a, b) => a.order - b.order || a.label.localeCompare(b.label));
  return menus;
}
