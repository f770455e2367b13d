"""``rjchronos``: serve, worker, db, plugins, and the commands plugins add."""

from __future__ import annotations

import logging
from functools import cached_property
from typing import Any

import click

from rjchronos import __version__
from rjchronos.cli.context import settings_from


class _RootGroup(click.Group):
    """The root command, with the commands that plugins declare through ``rjc_cli_commands``."""

    @cached_property
    def plugin_commands(self) -> dict[str, click.Command]:
        from rjchronos.builtin import BUILTIN_PLUGINS
        from rjchronos.config import load_settings
        from rjchronos.plugins import PluginHost

        try:
            settings = load_settings()
        except ValueError:
            return {}
        host = PluginHost(core_version=__version__, blocked=settings.blocked_plugins)
        host.load_builtins(BUILTIN_PLUGINS)
        if settings.autoload_plugins:
            host.load_entrypoints()
        commands: dict[str, click.Command] = {}
        for _plugin, declared in host.results_with_plugins("rjc_cli_commands"):
            for command in declared:
                if command.name:
                    commands[command.name] = command
        return commands

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self.plugin_commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return super().get_command(ctx, cmd_name) or self.plugin_commands.get(cmd_name)


@click.group(cls=_RootGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="rjchronos")
@click.option(
    "--home", type=click.Path(file_okay=False), help="Data directory [RJC_HOME, default ./var]."
)
@click.option(
    "--database-url", help="SQLAlchemy URL; SQLite under --home by default [RJC_DATABASE_URL]."
)
@click.option("--broker-url", help="redis:// or amqp://; in-process when unset [RJC_BROKER_URL].")
@click.option(
    "--strict-plugins",
    is_flag=True,
    default=None,
    help="A plugin that fails to load stops start-up.",
)
@click.option(
    "--no-autoload",
    "autoload_plugins",
    flag_value=False,
    default=None,
    help="Load only built-in plugins, not installed ones.",
)
@click.option(
    "--block", "blocked_plugins", multiple=True, help="Do not load this plugin (repeatable)."
)
@click.option("--trace-hooks", is_flag=True, default=None, help="Log every hook call.")
@click.option("-v", "--verbose", count=True, help="More logging (-vv for debug).")
@click.pass_context
def cli(ctx: click.Context, verbose: int, **options: Any) -> None:
    """RJChronos: manage and monitor an ISP's CPEs and OLTs from one place.

    Every option can also be set in the config file (RJC_CONFIG, default
    <home>/rjchronos.toml) or by an RJC_* environment variable.
    """
    logging.basicConfig(
        level=logging.WARNING - 10 * min(verbose + 1, 2),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not verbose:
        # Alembic narrates every step at INFO, httpx every request (a notifier's, a CPE
        # connection request's): the commands and jobs say what they did.
        for chatty in ("alembic", "httpx"):
            logging.getLogger(chatty).setLevel(logging.WARNING)
    if not options.get("blocked_plugins"):
        options.pop("blocked_plugins", None)
    ctx.obj = {k: v for k, v in options.items() if v is not None}


def _register_core_commands() -> None:
    from rjchronos.cli import backup, db, plugins, ready, serve, worker

    for module in (serve, worker, db, plugins, ready):
        cli.add_command(module.command)
    cli.add_command(backup.backup_command)
    cli.add_command(backup.restore_command)


_register_core_commands()


def main() -> None:
    """Entry point of the ``rjchronos`` script."""
    cli(auto_envvar_prefix=None)


__all__ = ["cli", "main", "settings_from"]
