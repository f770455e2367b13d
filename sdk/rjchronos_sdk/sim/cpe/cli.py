"""``rjchronos-sim cpe``: run a fleet of simulated CPEs against an ACS until interrupted."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

import click

from rjchronos_sdk.sim.cpe.cpe import QUIRKS
from rjchronos_sdk.sim.cpe.fleet import Fleet


def _quirk_shares(values: tuple[str, ...]) -> dict[str, float]:
    """``name`` (every CPE) or ``name=share`` (that share of the fleet)."""
    shares: dict[str, float] = {}
    for value in values:
        name, _, share = value.partition("=")
        if name not in QUIRKS:
            raise click.BadParameter(
                f"{name!r} is not one of {', '.join(QUIRKS)}", param_hint="--quirk"
            )
        try:
            shares[name] = float(share) if share else 1.0
        except ValueError:
            raise click.BadParameter(f"{share!r} is not a number", param_hint="--quirk") from None
        if not 0.0 <= shares[name] <= 1.0:
            raise click.BadParameter("a share is between 0 and 1", param_hint="--quirk")
    return shares


@click.command("cpe")
@click.option("--acs", "acs_url", required=True, help="The ACS URL the CPEs inform.")
@click.option("--count", type=click.IntRange(1), default=10, show_default=True)
@click.option("--model", type=click.Choice(["tr098", "tr181"]), default="tr181", show_default=True)
@click.option(
    "--interval",
    type=click.IntRange(1),
    default=300,
    show_default=True,
    help="PeriodicInformInterval in seconds.",
)
@click.option(
    "--jitter",
    type=click.FloatRange(0, 0.9),
    default=0.1,
    show_default=True,
    help="Spread of periodic informs, as a share of the interval.",
)
@click.option(
    "--ramp",
    type=click.FloatRange(0),
    default=None,
    help="Seconds over which the first informs spread (default: the interval).",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--cwmp",
    "cwmp_version",
    type=click.Choice(["1.0", "1.2", "1.4"]),
    default="1.4",
    show_default=True,
    help="1.0 speaks cwmp-1-0; 1.2 and 1.4 speak cwmp-1-2.",
)
@click.option("--connection-host", default="127.0.0.1", show_default=True)
@click.option(
    "--connection-port",
    type=click.IntRange(0, 65535),
    default=7548,
    show_default=True,
    help="The one listener for every CPE's connection requests (0: any free port).",
)
@click.option(
    "--advertise-host",
    default=None,
    help="Host written into ConnectionRequestURL (default: --connection-host).",
)
@click.option("--acs-username", default=None, help="Shared ACS username (default: each serial).")
@click.option("--acs-password", default=None, help="Shared ACS password (default: per CPE).")
@click.option(
    "--quirk",
    "quirks",
    multiple=True,
    metavar="NAME[=SHARE]",
    help=f"Misbehave like real CPEs: {', '.join(QUIRKS)}.",
)
@click.option(
    "--fail-downloads",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="Share of CPEs whose downloads fail.",
)
@click.option(
    "--fail-downloads-times",
    type=click.IntRange(0),
    default=1,
    show_default=True,
    help="How many downloads each of them fails (0: all).",
)
@click.option(
    "--max-sessions",
    type=click.IntRange(1),
    default=500,
    show_default=True,
    help="Sessions (and so connections to the ACS) open at once.",
)
@click.option(
    "--max-connections",
    type=click.IntRange(1),
    default=100,
    show_default=True,
    help="Connections for file transfers (each session has its own).",
)
@click.option("--insecure", is_flag=True, help="Accept any TLS certificate from the ACS.")
@click.option(
    "--udp-connection-requests",
    "udp",
    is_flag=True,
    help="Listen for UDP connection requests (Annex G), one socket per CPE: small fleets only.",
)
@click.option(
    "--stats-every",
    type=click.FloatRange(0),
    default=10.0,
    show_default=True,
    help="Seconds between counter lines (0: none).",
)
def cpe_command(
    acs_url: str,
    count: int,
    model: str,
    interval: int,
    jitter: float,
    ramp: float | None,
    seed: int,
    cwmp_version: str,
    connection_host: str,
    connection_port: int,
    advertise_host: str | None,
    acs_username: str | None,
    acs_password: str | None,
    quirks: tuple[str, ...],
    fail_downloads: float,
    fail_downloads_times: int,
    max_sessions: int,
    max_connections: int,
    insecure: bool,
    udp: bool,
    stats_every: float,
) -> None:
    """Simulate COUNT CPEs informing the ACS at --acs until Ctrl-C."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    fleet = Fleet(
        acs_url,
        count,
        model,
        seed=seed,
        interval=interval,
        jitter=jitter,
        ramp=float(interval) if ramp is None else ramp,
        cwmp_version=cwmp_version,
        quirks=_quirk_shares(quirks),
        fail_downloads=fail_downloads,
        fail_downloads_times=fail_downloads_times,
        acs_username=acs_username,
        acs_password=acs_password,
        connection_host=connection_host,
        connection_port=connection_port,
        advertise_host=advertise_host,
        max_sessions=max_sessions,
        max_connections=max_connections,
        verify_tls=not insecure,
        udp_connection_requests=udp,
    )
    asyncio.run(_run(fleet, stats_every))


async def _run(fleet: Fleet, stats_every: float) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await fleet.start()
    click.echo(
        f"{fleet.count} {fleet.model} CPEs informing {fleet.acs_url}; connection requests on "
        f"port {fleet.connection_request_port}"
    )
    try:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), stats_every or None)
            if stats_every:
                click.echo(" ".join(f"{k}={v}" for k, v in sorted(fleet.counters.items())))
    finally:
        await fleet.stop()
