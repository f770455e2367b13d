"""``rjchronos-sdk``: tools for plugin authors."""

from __future__ import annotations

import click

from rjchronos_sdk.scaffold import KINDS, ScaffoldError, create_plugin


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Tools for writing RJChronos plugins."""


@main.command("new")
@click.argument("name")
@click.option(
    "--kind",
    type=click.Choice(KINDS),
    default="generic",
    show_default=True,
    help="notify: a notification channel; analyze: a telemetry analyzer; "
    "olt: an OLT driver; generic: routes, permissions and menus only.",
)
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False),
    default=".",
    show_default=True,
    help="Create the package folder inside this folder.",
)
def new_command(name: str, kind: str, directory: str) -> None:
    """Create the plugin package NAME from a template.

    NAME is the plugin's name in lowercase words joined by dashes (``sms``,
    ``acme-portal``); a notify, analyze or olt plugin is prefixed with its
    kind (``notify-sms``). The package installs with ``pip install -e`` and
    passes its own tests as generated.
    """
    try:
        created = create_plugin(name, kind=kind, parent=directory)
    except ScaffoldError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"created {created.distribution} in {created.path}")
    click.echo("next:")
    click.echo(f"  cd {created.path}")
    click.echo("  pip install -e .        # or: uv pip install -e .")
    click.echo("  pytest")
