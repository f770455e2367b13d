"""Load plugins one by one, record what each did, and expose the hook bus.

One :class:`PluginHost` per kernel, never a module global. Built-in features
are registered as plugins first; third-party plugins come from the
``rjchronos`` entry point group. A plugin that fails to import, declares an
unknown hook, uses ``async def`` where it may not, or supports another core
version is recorded with the reason and left out, unless strict mode makes
that fatal.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from types import ModuleType
from typing import Any, Literal, cast

import jsonschema
import pluggy
from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import Version

from rjchronos import hookspecs
from rjchronos.hookspecs import ASYNC_HOOKS, PROJECT

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "rjchronos"
PluginState = Literal["loaded", "failed", "blocked", "incompatible"]


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


class PluginError(RuntimeError):
    """A plugin could not be loaded or configured (fatal in strict mode)."""


@dataclass
class PluginRecord:
    """What the host knows about one plugin, loaded or not."""

    name: str
    source: Literal["builtin", "entrypoint", "manual"]
    version: str = ""
    distribution: str = ""
    state: PluginState = "loaded"
    error: str | None = None
    hooks: list[str] = field(default_factory=list)
    drivers: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "source": self.source,
            "version": self.version,
            "distribution": self.distribution,
            "state": self.state,
            "error": self.error,
            "hooks": sorted(self.hooks),
            "drivers": sorted(self.drivers),
        }


class PluginHost:
    """The plugin manager of one kernel."""

    def __init__(
        self,
        *,
        core_version: str,
        strict: bool = False,
        blocked: Iterable[str] = (),
        trace: bool = False,
    ) -> None:
        self.core_version = Version(core_version)
        self.strict = strict
        self.blocked = set(blocked)
        self.pm = pluggy.PluginManager(PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.records: dict[str, PluginRecord] = {}
        self.settings: dict[str, dict[str, Any]] = {}
        self.trace = trace
        for name in self.blocked:
            self.pm.set_blocked(name)
        if trace:
            self.pm.trace.root.setwriter(lambda message: log.info("hook %s", message.rstrip()))
            self.pm.enable_tracing()

    @property
    def hook(self) -> Any:
        """The hook caller: ``host.hook.rjc_api_routes(kernel=k)``."""
        return self.pm.hook

    # -- loading ------------------------------------------------------------

    def load_builtins(self, module_names: Iterable[str]) -> None:
        """Import and register core's built-in plugins (a failure here is a bug: fatal)."""
        for module_name in module_names:
            name = "builtin." + module_name.rsplit(".", 1)[-1]
            if name in self.blocked:
                self._record(PluginRecord(name, "builtin", state="blocked"))
                continue
            module = importlib.import_module(module_name)
            self.register(module, name=name, source="builtin", version=str(self.core_version))

    def load_entrypoints(self, only: Iterable[str] | None = None) -> None:
        """Load every plugin of the ``rjchronos`` entry point group, one by one.

        :param only: load just these names (the SDK's app factory uses it).
        """
        wanted = set(only) if only is not None else None
        for ep in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            if wanted is not None and ep.name not in wanted:
                continue
            dist = ep.dist
            record = PluginRecord(
                ep.name,
                "entrypoint",
                version=dist.version if dist else "",
                distribution=dist.metadata["Name"] if dist else "",
            )
            if ep.name in self.blocked:
                record.state = "blocked"
                self._record(record)
                continue
            unsupported = self._unsupported_core(dist)
            if unsupported:
                record.state, record.error = "incompatible", unsupported
                log.warning("plugin %s skipped: %s", ep.name, unsupported)
                self._record(record)
                continue
            try:
                plugin = ep.load()
            except Exception as exc:  # a broken plugin must not take the host down
                self._fail(record, f"import failed: {type(exc).__name__}: {exc}")
                continue
            self.register(plugin, name=ep.name, source="entrypoint", record=record)

    def register(
        self,
        plugin: Any,
        *,
        name: str,
        source: Literal["builtin", "entrypoint", "manual"] = "manual",
        version: str = "",
        record: PluginRecord | None = None,
    ) -> PluginRecord:
        """Validate and register one plugin object (usually a module)."""
        record = record or PluginRecord(name, source, version=version)
        problem = self._validate(plugin)
        if problem:
            self._fail(record, problem)
            return record
        try:
            self.pm.register(plugin, name=name)
        except Exception as exc:
            self._fail(record, f"{type(exc).__name__}: {exc}")
            return record
        record.hooks = [caller.name for caller in self.pm.get_hookcallers(plugin) or []]
        self._record(record)
        return record

    def _validate(self, plugin: Any) -> str | None:
        for attr in dir(plugin):
            function = getattr(plugin, attr, None)
            if not attr.startswith("rjc_") or getattr(function, f"{PROJECT}_impl", None) is None:
                continue
            spec = getattr(hookspecs, attr, None)
            if spec is None:
                return f"implements unknown hook {attr}"
            opts = getattr(function, f"{PROJECT}_impl")
            is_async = inspect.iscoroutinefunction(function) or inspect.isasyncgenfunction(function)
            if is_async and attr not in ASYNC_HOOKS:
                return f"{attr} is async but only {sorted(ASYNC_HOOKS)} may be"
            if is_async and (opts.get("wrapper") or opts.get("hookwrapper")):
                return f"{attr}: a wrapper implementation may not be async"
        return None

    def _unsupported_core(self, dist: metadata.Distribution | None) -> str | None:
        if dist is None:
            return None
        for line in dist.requires or []:
            try:
                requirement = Requirement(line)
            except InvalidRequirement:
                continue
            supported = requirement.specifier.contains(self.core_version, prereleases=True)
            if requirement.name == "rjchronos" and not requirement.marker and not supported:
                return f"supports rjchronos{requirement.specifier}, this is {self.core_version}"
        return None

    def _fail(self, record: PluginRecord, error: str) -> None:
        record.state, record.error = "failed", error
        self._record(record)
        if self.strict:
            raise PluginError(f"plugin {record.name}: {error}")
        log.error("plugin %s not loaded: %s", record.name, error)

    def _record(self, record: PluginRecord) -> None:
        self.records[record.name] = record

    # -- settings -----------------------------------------------------------

    def configure_settings(self, configured: Mapping[str, Mapping[str, Any]]) -> None:
        """Validate each plugin's settings against the schema it declares.

        Raises :class:`PluginError` naming the plugin and the bad key; fills
        in schema defaults of top-level properties.
        """
        configured = {self._resolve(name): values for name, values in configured.items()}
        unknown = set(configured) - set(self.records)
        if unknown:
            raise PluginError(
                f"settings given for plugins that are not installed: {sorted(unknown)}"
            )
        for impl in self.pm.hook.rjc_settings_schema.get_hookimpls():
            schema = cast("Mapping[str, Any] | None", impl.function())
            if not schema:
                continue
            values = dict(configured.get(impl.plugin_name, {}))
            for key, prop in schema.get("properties", {}).items():
                if "default" in prop and key not in values:
                    values[key] = prop["default"]
            errors = sorted(
                jsonschema.Draft202012Validator(schema).iter_errors(values),
                key=lambda e: list(e.path),
            )
            if errors:
                error = errors[0]
                key = ".".join(str(p) for p in error.absolute_path) or "(top level)"
                raise PluginError(f"plugin {impl.plugin_name}: setting {key}: {error.message}")
            self.settings[impl.plugin_name] = values

    def _resolve(self, name: str) -> str:
        """The plugin a settings key means: ``builtin-jobs`` (from RJC_PLUGIN__BUILTIN_JOBS__...)
        names ``builtin.jobs``, since variable names can't hold dots."""
        if name in self.records:
            return name
        matches = [known for known in self.records if _slug(known) == _slug(name)]
        return matches[0] if len(matches) == 1 else name

    # -- introspection --------------------------------------------------------

    def plugin(self, name: str) -> ModuleType | Any | None:
        """The registered plugin object called ``name``."""
        return self.pm.get_plugin(name)

    def plugin_name_of(self, plugin: Any) -> str:
        return self.pm.get_name(plugin) or repr(plugin)

    def listing(self) -> list[dict[str, Any]]:
        """Every plugin with version, hooks, drivers, state and error."""
        return [self.records[name].as_dict() for name in sorted(self.records)]

    def results_with_plugins(self, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call a collecting hook and pair each result with the plugin that returned it."""
        caller = getattr(self.pm.hook, hook_name)
        pairs = []
        for impl in reversed(caller.get_hookimpls()):
            args = {name: kwargs[name] for name in impl.argnames}
            result = impl.function(**args)
            if self.trace:
                log.info("hook %s [%s] -> %r", hook_name, impl.plugin_name, result)
            if result is not None:
                pairs.append((impl.plugin_name, result))
        return pairs
