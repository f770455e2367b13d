"""Settings: defaults, then the TOML config file, then ``RJC_*`` variables, then options.

Every setting has one name. In the config file it is a top-level key
(``database_url = "..."``), in the environment ``RJC_<NAME>`` upper-cased
(``RJC_DATABASE_URL``), on the command line ``--<name>`` with dashes. Plugin
settings live in ``[plugins.<plugin name>]`` tables of the file, and
``RJC_PLUGIN__<PLUGIN>__<KEY>`` variables (plugin name upper-cased, dashes as
underscores).
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal, get_args

Role = Literal["all", "api", "acs"]
ROLES: tuple[str, ...] = get_args(Role)


class ConfigError(ValueError):
    """A setting has a value that cannot be used; the message names it."""


@dataclass(frozen=True)
class Settings:
    """The settings of one RJChronos process."""

    home: Path = Path("var")
    database_url: str = ""
    broker_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    role: Role = "all"
    secret_key: str = ""
    strict_plugins: bool = False
    autoload_plugins: bool = True
    blocked_plugins: tuple[str, ...] = ()
    trace_hooks: bool = False
    access_token_ttl: int = 3600
    session_ttl: int = 12 * 3600
    login_attempts_per_minute: int = 10
    pii_retention_days: int = 5 * 365
    telemetry_retention_days: int = 90
    telemetry_rollup_retention_days: int = 2 * 365
    #: Map tiles of the web UI, ``{z}/{x}/{y}`` placeholders; empty shows markers on a blank map.
    map_tile_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    plugins: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def database(self) -> str:
        """The database URL, defaulting to a SQLite file under ``home``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'rjchronos.db').resolve()}"

    @property
    def embedded_broker(self) -> bool:
        """Whether jobs run on the in-process broker (no ``broker_url``)."""
        return not self.broker_url

    def with_overrides(self, **overrides: Any) -> Settings:
        """A copy with ``overrides`` applied (``None`` values ignored)."""
        given = {k: v for k, v in overrides.items() if v is not None}
        return replace(self, **_coerce_all(given)) if given else self


_FIELDS = {f.name: f for f in fields(Settings)}


def _coerce(name: str, value: Any) -> Any:
    kind = _FIELDS[name].type
    try:
        if kind == "Path":
            return Path(value)
        if kind == "int":
            return int(value)
        if kind == "bool":
            if isinstance(value, bool):
                return value
            lowered = str(value).strip().lower()
            if lowered not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
                raise ValueError(value)
            return lowered in {"1", "true", "yes", "on"}
        if kind.startswith("tuple"):
            if isinstance(value, str):
                return tuple(v.strip() for v in value.split(",") if v.strip())
            return tuple(value)
        if kind == "Role":
            if value not in ROLES:
                raise ValueError(value)
            return value
        if kind.startswith("Mapping"):
            return json.loads(value) if isinstance(value, str) else dict(value)
        return str(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {name}: cannot use {value!r} as {kind}") from exc


def _coerce_all(values: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(_FIELDS)
    if unknown:
        raise ConfigError(f"unknown settings {sorted(unknown)}; known: {sorted(_FIELDS)}")
    return {name: _coerce(name, value) for name, value in values.items()}


def config_path(environ: Mapping[str, str]) -> Path:
    """Where the config file is: ``RJC_CONFIG``, else ``<home>/rjchronos.toml``."""
    if environ.get("RJC_CONFIG"):
        return Path(environ["RJC_CONFIG"])
    return Path(environ.get("RJC_HOME", "var")) / "rjchronos.toml"


def load_settings(
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Build :class:`Settings` from the config file, the environment and overrides."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    plugin_values: dict[str, dict[str, Any]] = {}

    path = config_path(environ)
    if path.exists():
        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {path}: {exc}") from exc
        for name, table in document.pop("plugins", {}).items():
            plugin_values[name] = dict(table)
        values.update(document)

    for key, raw in environ.items():
        if key.startswith("RJC_PLUGIN__"):
            _, plugin, setting = key.split("__", 2)
            plugin_values.setdefault(plugin.lower().replace("_", "-"), {})[setting.lower()] = (
                _parse_scalar(raw)
            )
        elif key.startswith("RJC_") and key[4:].lower() in _FIELDS and key != "RJC_CONFIG":
            values[key[4:].lower()] = raw

    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    if plugin_values:
        merged = {**plugin_values, **dict(values.get("plugins", {}))}
        values["plugins"] = merged
    return Settings(**_coerce_all(values))


def _parse_scalar(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw
