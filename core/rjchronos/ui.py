"""What plugins declare for the web UI: menu items and panels."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

#: Generic panel kinds the shell renders without plugin code.
PANEL_KINDS = ("table", "timeseries", "stat", "map", "tree", "form", "module")
#: Top-level menus, in the order operators work through them.
MENUS = (
    "dashboard",
    "inventory",
    "monitoring",
    "provisioning",
    "diagnostics",
    "automation",
    "reports",
    "settings",
)


@dataclass(frozen=True)
class MenuItem:
    """An entry under one of :data:`MENUS`, shown to users holding ``permission``."""

    menu: str
    label: str
    path: str
    permission: str
    labels: Mapping[str, str] = field(default_factory=dict)
    order: int = 100

    def __post_init__(self) -> None:
        if self.menu not in MENUS:
            raise ValueError(
                f"menu item {self.label!r}: unknown menu {self.menu!r}, expected one of {MENUS}"
            )


@dataclass(frozen=True)
class Panel:
    """A panel the shell places in a slot (``dashboard``, ``device.tab``, a page path).

    :param kind: one of :data:`PANEL_KINDS`; ``module`` loads ``module_url``.
    :param api: the API path it reads, relative to ``/api/v1``.
    :param options: kind-specific options (columns, metric, schema, ...).
    """

    id: str
    slot: str
    title: str
    kind: Literal["table", "timeseries", "stat", "map", "tree", "form", "module"]
    permission: str
    api: str = ""
    module_url: str = ""
    api_version: str = "v1"
    titles: Mapping[str, str] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)
    order: int = 100

    def __post_init__(self) -> None:
        if self.kind not in PANEL_KINDS:
            raise ValueError(
                f"panel {self.id!r}: unknown kind {self.kind!r}, expected one of {PANEL_KINDS}"
            )
        if self.kind == "module" and not self.module_url:
            raise ValueError(f"panel {self.id!r}: kind 'module' needs module_url")
