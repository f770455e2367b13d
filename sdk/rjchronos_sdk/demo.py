"""The SDK's plugin: ``rjchronos demo``, the server with a simulated lab to look at.

Registered in the ``rjchronos`` entry point group of the SDK, so the command
exists wherever the SDK is installed and core never depends on the SDK.
"""

from __future__ import annotations

import click

from rjchronos import hookimpl


@click.command("demo")
@click.option("--host", help="Address to listen on [RJC_HOST, default 127.0.0.1].")
@click.option("--port", type=int, help="UI and API port [RJC_PORT, default 8000].")
@click.option("--no-seed", is_flag=True, help="Serve the database as it is, without the lab.")
@click.pass_context
def demo_command(ctx: click.Context, host: str | None, port: int | None, no_seed: bool) -> None:
    """Serve RJChronos with a small simulated lab, so there is data to look at.

    Before serving, seeds the database with an ISP in Rio de Janeiro: a POP
    and a street cabinet with coordinates, eight customers on three plans,
    an OLT with two PON ports, a splitter on each, an ONU per customer, Wi-Fi
    routers behind three of them, a day of telemetry and the events the lab
    left on the timeline (one ONU in LOS, one offline). Running it again adds
    nothing twice. Then it runs the same servers as `rjchronos serve`, which
    prints the first administrator's password once.

    The lab is data only for now: its devices do not talk. The CWMP CPE and
    OLT simulators that make them answer arrive with the ACS and OLT plugins.
    """
    from rjchronos.cli.context import open_kernel, settings_from
    from rjchronos.cli.serve import run_server
    from rjchronos.db.migrate import upgrade
    from rjchronos_sdk.lab import seed_lab

    settings = settings_from(ctx, host=host, port=port)
    if not no_seed:
        with open_kernel(settings) as kernel:
            upgrade(kernel)
            click.echo(seed_lab(kernel).describe())
    run_server(settings)


@hookimpl
def rjc_cli_commands() -> list[click.Command]:
    return [demo_command]
