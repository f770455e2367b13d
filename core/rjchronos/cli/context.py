"""Build settings and kernels for commands."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from rjchronos.config import ConfigError, Settings, load_settings
from rjchronos.plugins import PluginError


def settings_from(ctx: click.Context | None = None, **overrides: Any) -> Settings:
    """Settings from file and environment, with the group's and a command's options on top."""
    base: dict[str, Any] = dict(ctx.find_root().obj or {}) if ctx else {}
    base.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return load_settings(overrides=base)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


@contextmanager
def open_kernel(settings: Settings, **kwargs: Any) -> Iterator[Any]:
    """A kernel for the length of a command; plugin errors become clean CLI errors."""
    from rjchronos.kernel import Kernel

    try:
        kernel = Kernel(settings, **kwargs)
    except (PluginError, ConfigError) as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        yield kernel
    finally:
        kernel.db.dispose()
