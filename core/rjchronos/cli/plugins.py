"""``rjchronos plugins``: what is installed, loaded, blocked or broken."""

from __future__ import annotations

import json

import click
from rich.console import Console
from rich.table import Table

from rjchronos.cli.context import open_kernel, settings_from


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def command(ctx: click.Context, as_json: bool) -> None:
    """List every plugin with its version, hooks, drivers, state and load error."""
    with open_kernel(settings_from(ctx)) as kernel:
        listing = kernel.host.listing()
        drivers = kernel.drivers.listing()
    if as_json:
        click.echo(json.dumps({"plugins": listing, "drivers": drivers}, indent=2))
        return
    table = Table(title="RJChronos plugins")
    for column in ("name", "version", "state", "hooks", "drivers", "error"):
        table.add_column(column, overflow="fold")
    for plugin in listing:
        style = {"loaded": "", "failed": "red", "incompatible": "yellow", "blocked": "dim"}[
            plugin["state"]
        ]
        table.add_row(
            plugin["name"],
            plugin["version"],
            plugin["state"],
            ", ".join(plugin["hooks"]),
            ", ".join(plugin["drivers"]),
            plugin["error"] or "",
            style=style,
        )
    Console().print(table)
