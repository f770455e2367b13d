"""The SDK's plugin: ``rjchronos demo``, the server with a simulated lab to look at.

Registered in the ``rjchronos`` entry point group of the SDK, so the command
exists wherever the SDK is installed and core never depends on the SDK.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable
from typing import Any

import click

from rjchronos import hookimpl

#: The ACS plugin's name; with it installed the demo adds a simulated CPE fleet.
ACS_PLUGIN = "acs-tr069"
ACS_DEFAULT_PORT = 7547
DEMO_CPE_USER = "rjchronos-demo-cpe"


@click.command("demo")
@click.option("--host", help="Address to listen on [RJC_HOST, default 127.0.0.1].")
@click.option("--port", type=int, help="UI and API port [RJC_PORT, default 8000].")
@click.option("--acs-port", type=int, help="CWMP port of the ACS plugin [default 7547].")
@click.option("--no-seed", is_flag=True, help="Serve the database as it is, without the lab.")
@click.option(
    "--cpes",
    type=click.IntRange(min=0),
    default=20,
    show_default=True,
    help="Simulated CPEs that inform the ACS (when the ACS plugin is installed); 0 for none.",
)
@click.option(
    "--inform-interval",
    type=click.IntRange(min=10),
    default=60,
    show_default=True,
    help="Seconds between each simulated CPE's periodic informs.",
)
@click.pass_context
def demo_command(
    ctx: click.Context,
    host: str | None,
    port: int | None,
    acs_port: int | None,
    no_seed: bool,
    cpes: int,
    inform_interval: int,
) -> None:
    """Serve RJChronos with a small simulated lab, so there is data to look at.

    Before serving, seeds the database with an ISP in Rio de Janeiro: a POP
    and a street cabinet with coordinates, eight customers on three plans,
    an OLT with two PON ports, a splitter on each, an ONU per customer, Wi-Fi
    routers behind three of them, a day of telemetry and the events the lab
    left on the timeline (one ONU in LOS, one offline). Running it again adds
    nothing twice. Then it runs the same servers as `rjchronos serve`, which
    prints the first administrator's password once.

    With the ACS plugin installed, a fleet of simulated CPEs (TR-098 and
    TR-181, from the SDK's simulator) informs the ACS on --acs-port, so they
    appear in the inventory within seconds and keep informing. The demo
    gives the ACS and the fleet one shared CPE password for this run.
    """
    from rjchronos.cli.context import open_kernel, settings_from
    from rjchronos.cli.serve import run_server
    from rjchronos.db.migrate import upgrade
    from rjchronos_sdk.lab import seed_lab

    settings = settings_from(ctx, host=host, port=port)
    with open_kernel(settings) as kernel:
        acs_installed = kernel.host.records.get(ACS_PLUGIN, None)
        has_acs = acs_installed is not None and acs_installed.state == "loaded"
        if not no_seed:
            upgrade(kernel)
            click.echo(seed_lab(kernel).describe())
    fleet: list[Awaitable[Any]] = []
    if has_acs and cpes:
        acs_port = acs_port or int(settings.options.get("acs_port") or ACS_DEFAULT_PORT)
        password = secrets.token_urlsafe(16)
        acs = {**settings.plugins.get(ACS_PLUGIN, {}), "cpe_username": DEMO_CPE_USER}
        acs["cpe_password"] = password
        settings = settings.with_overrides(
            plugins={**settings.plugins, ACS_PLUGIN: acs},
            options={**settings.options, "acs_port": acs_port},
        )
        fleet.append(_run_fleet(settings.host, acs_port, cpes, inform_interval, password))
        click.echo(f"{cpes} simulated CPEs will inform the ACS on port {acs_port}.")
    run_server(settings, extra_tasks=fleet)


async def _run_fleet(host: str, acs_port: int, count: int, interval: int, password: str) -> None:
    """Start the simulated CPEs once the ACS answers, and keep them informing until stopped."""
    from rjchronos_sdk.sim.cpe import Fleet

    while True:
        try:
            _, writer = await asyncio.open_connection(host, acs_port)
        except OSError:
            await asyncio.sleep(0.2)
            continue
        writer.close()
        break
    halves = (count + 1) // 2
    fleets = [
        Fleet(
            f"http://{host}:{acs_port}/",
            halves,
            "tr181",
            seed=1,
            interval=interval,
            ramp=5,
            acs_username=DEMO_CPE_USER,
            acs_password=password,
        ),
        Fleet(
            f"http://{host}:{acs_port}/",
            count - halves,
            "tr098",
            seed=2,
            interval=interval,
            ramp=5,
            cwmp_version="1.0",
            acs_username=DEMO_CPE_USER,
            acs_password=password,
        ),
    ]
    for fleet in fleets:
        await fleet.start()
    try:
        await asyncio.Event().wait()
    finally:
        for fleet in fleets:
            await fleet.stop()


@hookimpl
def rjc_cli_commands() -> list[click.Command]:
    return [demo_command]
