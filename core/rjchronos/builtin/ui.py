"""Built-in plugin: the UI manifest the web shell builds its menus and pages from."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from rjchronos import hookimpl
from rjchronos.http.app import PLUGIN_STATIC_PREFIX
from rjchronos.http.principal import Principal
from rjchronos.http.routing import AUTHENTICATED, ApiCall, ApiRoute
from rjchronos.inventory import queries
from rjchronos.inventory.models import devices
from rjchronos.ui import MENUS, MenuItem, Panel

if TYPE_CHECKING:
    from rjchronos.kernel import Kernel

LOCALES = ("pt-BR", "en")


@hookimpl
def rjc_menu_items(kernel: Kernel) -> list[MenuItem]:
    return [
        MenuItem("dashboard", "Overview", "/", "devices.read", {"pt-BR": "Visão geral"}, order=0),
        MenuItem(
            "inventory", "Devices", "/inventory/devices", "devices.read", {"pt-BR": "Dispositivos"}
        ),
        MenuItem(
            "inventory",
            "Customers",
            "/inventory/customers",
            "customers.read",
            {"pt-BR": "Clientes"},
        ),
        MenuItem(
            "monitoring",
            "Live events",
            "/monitoring/live",
            "events.read",
            {"pt-BR": "Eventos ao vivo"},
        ),
        MenuItem("automation", "Jobs", "/automation/jobs", "jobs.read", {"pt-BR": "Tarefas"}),
        MenuItem(
            "settings",
            "Users and roles",
            "/settings/users",
            "users.read",
            {"pt-BR": "Usuários e papéis"},
        ),
        MenuItem(
            "settings", "API tokens", "/settings/tokens", AUTHENTICATED, {"pt-BR": "Tokens de API"}
        ),
        MenuItem("settings", "Plugins", "/settings/plugins", "plugins.read", {"pt-BR": "Plugins"}),
        MenuItem("settings", "Audit log", "/settings/audit", "audit.read", {"pt-BR": "Auditoria"}),
    ]


@hookimpl
def rjc_ui_panels(kernel: Kernel) -> list[Panel]:
    return [
        Panel(
            "core.devices.table",
            "inventory.devices",
            "Devices",
            "table",
            "devices.read",
            api="/devices",
            titles={"pt-BR": "Dispositivos"},
            options={
                "columns": ["name", "kind", "vendor", "model", "serial", "status", "last_seen"]
            },
        ),
        Panel(
            "core.device.timeline",
            "device.tab",
            "Timeline",
            "table",
            "events.read",
            api="/devices/{id}/events",
            titles={"pt-BR": "Linha do tempo"},
            options={"columns": ["time", "type", "actor", "payload"]},
        ),
    ]


def _visible(principal: Principal, permission: str) -> bool:
    return permission == AUTHENTICATED or bool(principal.scopes(permission))


def manifest(call: ApiCall) -> dict[str, Any]:
    """What this user may see: menus in the operators' order, panels by slot, plugin assets,
    map tiles, and the API's operations (features a plugin adds appear there)."""
    kernel, user = call.kernel, call.user
    items = _declared(kernel, "rjc_menu_items")
    panels = _declared(kernel, "rjc_ui_panels")
    menus = []
    for menu in MENUS:
        entries = sorted(
            (
                item
                for plugin, item in items
                if item.menu == menu and _visible(user, item.permission)
            ),
            key=lambda item: (item.order, item.label),
        )
        if entries:
            menus.append({"id": menu, "items": [asdict(item) for item in entries]})
    visible_panels = [
        {**asdict(panel), "plugin": plugin, "module_url": _module_url(plugin, panel)}
        for plugin, panel in sorted(
            panels, key=lambda pair: (pair[1].slot, pair[1].order, pair[1].id)
        )
        if _visible(user, panel.permission)
    ]
    return {
        "version": kernel.version,
        "locales": list(LOCALES),
        "user": {"username": user.username, "roles": list(user.roles)},
        "menus": menus,
        "panels": visible_panels,
        "map": {"tile_url": kernel.settings.map_tile_url},
        "routes": _api_routes(call),
    }


def _api_routes(call: ApiCall) -> list[str]:
    """``GET /devices``-like names of the API's operations, so the shell asks only for those."""
    declared = getattr(call.request.app.state, "api_routes", [])
    return sorted({f"{route.method} {route.path}" for _, route in declared if route.prefix})


#: Firmware versions the dashboard lists, the most common first.
TOP_FIRMWARE = 10


def overview(call: ApiCall) -> dict[str, Any]:
    """Devices the user may see, counted by kind and status; the most common CPE/ONU firmware."""
    statement = select(devices.c.kind, devices.c.status, func.count()).group_by(
        devices.c.kind, devices.c.status
    )
    count = func.count().label("count")
    firmware = (
        select(devices.c.kind, devices.c.vendor, devices.c.model, devices.c.firmware, count)
        .where(devices.c.kind.in_(("cpe", "onu")), devices.c.firmware != "")
        .group_by(devices.c.kind, devices.c.vendor, devices.c.model, devices.c.firmware)
        .order_by(count.desc(), devices.c.firmware)
        .limit(TOP_FIRMWARE)
    )
    condition = queries.scope_condition(call.user.scopes("devices.read"))
    if condition is not None:
        statement, firmware = statement.where(condition), firmware.where(condition)
    counts: dict[str, dict[str, int]] = {}
    with call.kernel.db.session() as session:
        for kind, status, number in session.execute(statement):
            counts.setdefault(kind, {})[status] = number
        versions = [dict(row._mapping) for row in session.execute(firmware)]
    total = {
        "total": sum(sum(by_status.values()) for by_status in counts.values()),
        "online": sum(by_status.get("online", 0) for by_status in counts.values()),
        "offline": sum(by_status.get("offline", 0) for by_status in counts.values()),
    }
    return {"devices": total, "by_kind": counts, "firmware": versions}


def _declared(kernel: Kernel, hook: str) -> list[tuple[str, Any]]:
    return [
        (plugin, entry)
        for plugin, entries in kernel.host.results_with_plugins(hook, kernel=kernel)
        for entry in entries
    ]


def _module_url(plugin: str, panel: Panel) -> str:
    if panel.kind != "module" or panel.module_url.startswith(("/", "http")):
        return panel.module_url
    return f"{PLUGIN_STATIC_PREFIX}/{plugin}/{panel.module_url}"


@hookimpl
def rjc_api_routes(kernel: Kernel) -> list[ApiRoute]:
    return [
        ApiRoute(
            "GET",
            "/ui/manifest",
            manifest,
            permission=AUTHENTICATED,
            summary="Menus and panels the signed-in user may see",
            tags=("ui",),
        ),
        ApiRoute(
            "GET",
            "/ui/overview",
            overview,
            permission="devices.read",
            summary="Devices counted by kind and status, for the dashboard",
            tags=("ui",),
        ),
    ]
