"""``rjchronos db``: apply and inspect migrations (core's and every plugin's)."""

from __future__ import annotations

import click

from rjchronos.cli.context import open_kernel, settings_from


@click.group("db")
def command() -> None:
    """Database schema: upgrade, current revisions, history."""


@command.command("upgrade")
@click.pass_context
def upgrade_command(ctx: click.Context) -> None:
    """Apply every pending migration of core and the installed plugins."""
    from rjchronos.db.migrate import upgrade

    with open_kernel(settings_from(ctx)) as kernel:
        upgrade(kernel)
        click.echo(f"database at head: {kernel.db.engine.url.render_as_string(hide_password=True)}")


@command.command("current")
@click.pass_context
def current_command(ctx: click.Context) -> None:
    """Show the applied revision of each branch."""
    from rjchronos.db.migrate import current

    with open_kernel(settings_from(ctx)) as kernel:
        for revision in current(kernel):
            click.echo(revision)
