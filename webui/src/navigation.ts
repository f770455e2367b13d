/** Menus: the manifest's, plus the pages the shell itself provides, without duplicates. */
import type { Manifest, MenuItem } from "./manifest";

/** Pages of the shell that no plugin declares a menu item for; shown when permitted. */
export const SHELL_ITEMS: MenuItem[] = [
  { menu: "inventory", label: "OLTs", path: "/inventory/olts", permission: "devices.read", labels: { "pt-BR": "OLTs" }, order: 110 },
  { menu: "inventory", label: "Topology", path: "/inventory/topology", permission: "devices.read", labels: { "pt-BR": "Topologia" }, order: 120 },
  { menu: "monitoring", label: "Map", path: "/monitoring/map", permission: "devices.read", labels: { "pt-BR": "Mapa" }, order: 110 },
  { menu: "monitoring", label: "Alerts", path: "/monitoring/alerts", permission: "devices.read", labels: { "pt-BR": "Alertas" }, order: 120 },
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
