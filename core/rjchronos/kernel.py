"""The kernel: one plugin host, one database and the core services, per application.

Nothing here is a module global: tests build as many kernels as they like,
each with its own plugins, database and broker.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any

from rjchronos import __version__
from rjchronos.builtin import BUILTIN_PLUGINS
from rjchronos.config import Settings
from rjchronos.db import Database
from rjchronos.plugins import PluginHost, await_hook

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from rjchronos.catalog import Catalog
    from rjchronos.drivers.registry import Drivers
    from rjchronos.events_bus import EventBus
    from rjchronos.jobs.queue import JobQueue
    from rjchronos.metrics import Metrics
    from rjchronos.security.audit import AuditLog
    from rjchronos.security.auth import Authenticator
    from rjchronos.security.permissions import Permission
    from rjchronos.security.secrets import SecretBox
    from rjchronos.telemetry.store import TelemetryStore

log = logging.getLogger(__name__)


class Kernel:
    """An RJChronos application: settings, plugins, database and services.

    :param settings: the process settings.
    :param plugins: extra plugin objects to register (``{name: module}``),
        as tests and the SDK's app factory do.
    :param entrypoints: load installed plugins: ``True`` (all, unless the
        settings turn autoload off), ``False``, or the names to load.
    :param builtins: the built-in plugin modules (all by default).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        plugins: Mapping[str, Any] | None = None,
        entrypoints: bool | Iterable[str] = True,
        builtins: Iterable[str] = BUILTIN_PLUGINS,
    ) -> None:
        self.settings = settings
        self.version = __version__
        self.host = PluginHost(
            core_version=__version__,
            strict=settings.strict_plugins,
            blocked=settings.blocked_plugins,
            trace=settings.trace_hooks,
        )
        self.host.load_builtins(builtins)
        for name, plugin in (plugins or {}).items():
            self.host.register(plugin, name=name, source="manual")
        if entrypoints is True and settings.autoload_plugins:
            self.host.load_entrypoints()
        elif entrypoints not in (True, False):
            self.host.load_entrypoints(only=entrypoints)  # type: ignore[arg-type]
        self.host.configure_settings(settings.plugins)
        self.db = Database(settings.database)
        self.hook.rjc_configure(kernel=self)
        self.catalog.check()

    @property
    def hook(self) -> Any:
        """The hook caller of this kernel's plugins."""
        return self.host.hook

    def plugin_settings(self, name: str) -> dict[str, Any]:
        """The validated settings of plugin ``name`` (defaults filled in)."""
        return dict(self.host.settings.get(name, self.settings.plugins.get(name, {})))

    # -- core services, built on first use ------------------------------------

    @cached_property
    def secrets(self) -> SecretBox:
        from rjchronos.security.secrets import SecretBox

        return SecretBox.for_settings(self.settings)

    @cached_property
    def audit(self) -> AuditLog:
        from rjchronos.security.audit import AuditLog

        return AuditLog(self)

    @cached_property
    def auth(self) -> Authenticator:
        from rjchronos.security.auth import Authenticator

        return Authenticator(self)

    @cached_property
    def events(self) -> EventBus:
        from rjchronos.events_bus import EventBus

        return EventBus(self)

    @cached_property
    def jobs(self) -> JobQueue:
        from rjchronos.jobs.queue import JobQueue

        return JobQueue(self)

    @cached_property
    def telemetry(self) -> TelemetryStore:
        from rjchronos.telemetry.store import open_store

        return open_store(self)

    @cached_property
    def metrics(self) -> Metrics:
        from rjchronos.metrics import Metrics

        return Metrics(self)

    @cached_property
    def drivers(self) -> Drivers:
        from rjchronos.drivers.registry import Drivers

        return Drivers(self)

    @cached_property
    def catalog(self) -> Catalog:
        """Event types, notifier types, analyzers, CPE quirks and provisioning extensions."""
        from rjchronos.catalog import Catalog

        return Catalog(self)

    @cached_property
    def permissions(self) -> dict[str, Permission]:
        """Every permission the plugins declare, by name."""
        declared: dict[str, Permission] = {}
        for plugin, permissions in self.host.results_with_plugins("rjc_permissions"):
            for permission in permissions:
                if permission.name in declared and declared[permission.name] != permission:
                    raise RuntimeError(
                        f"permission {permission.name} declared twice, again by {plugin}"
                    )
                declared[permission.name] = permission
        return declared

    # -- lifecycle ----------------------------------------------------------

    def asgi(self, *, lifespan: bool = True) -> Starlette:
        """The HTTP application (UI, API) of this kernel.

        :param lifespan: run :meth:`start` and :meth:`stop` with the app's
            lifespan; ``serve`` turns it off and runs them itself.
        """
        from rjchronos.http.app import build_app

        return build_app(self, lifespan=lifespan)

    async def start(self) -> None:
        """Run start-up hooks (after migrations)."""
        await await_hook(self.hook, "rjc_startup", kernel=self)

    async def stop(self) -> None:
        """Run shutdown hooks and release connections."""
        await await_hook(self.hook, "rjc_shutdown", kernel=self)
        self.db.dispose()
