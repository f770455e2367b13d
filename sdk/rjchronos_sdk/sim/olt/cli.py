"""``rjchronos-sim olt``: run a virtual OLT until interrupted."""

from __future__ import annotations

import asyncio
import contextlib
import signal

import click

from rjchronos_sdk.sim.olt.simulator import OltSimulator


@click.command("olt")
@click.option("--vendor", type=click.Choice(["huawei", "zte"]), default="huawei", show_default=True)
@click.option("--ports", type=click.IntRange(1, 16), default=2, show_default=True)
@click.option(
    "--onus", type=click.IntRange(0, 128), default=8, show_default=True, help="ONUs per port."
)
@click.option("--ssh-port", type=click.IntRange(0, 65535), default=2222, show_default=True)
@click.option("--snmp-port", type=click.IntRange(0, 65535), default=1161, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--username", default="admin", show_default=True)
@click.option("--password", default="admin", show_default=True)
@click.option("--community", default="public", show_default=True)
@click.option(
    "--drift-interval",
    type=click.FloatRange(min=0),
    default=10.0,
    show_default=True,
    help="Seconds between optical drift steps; 0 keeps optics still.",
)
@click.option(
    "--trap-target",
    metavar="HOST:PORT",
    default=None,
    help="Send SNMPv2c traps for LOS, dying gasp, recovery and new ONUs there.",
)
@click.option(
    "--telnet-port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Also serve the CLI over Telnet on this port (0: a free one).",
)
@click.option("--enable-password", default="", help="What the ZXAN `enable` asks for.")
def olt_command(
    vendor: str,
    ports: int,
    onus: int,
    ssh_port: int,
    snmp_port: int,
    seed: int,
    host: str,
    username: str,
    password: str,
    community: str,
    drift_interval: float,
    trap_target: str | None,
    telnet_port: int | None,
    enable_password: str,
) -> None:
    """Serve a virtual Huawei MA5800 or ZTE C320 over SSH and SNMPv2c until Ctrl-C."""
    target = None
    if trap_target is not None:
        trap_host, _, trap_port = trap_target.rpartition(":")
        if not trap_host or not trap_port.isdigit() or not 0 < int(trap_port) < 65536:
            raise click.BadParameter("expected HOST:PORT", param_hint="--trap-target")
        target = (trap_host, int(trap_port))
    simulator = OltSimulator(
        "huawei" if vendor == "huawei" else "zte",
        ports=ports,
        onus_per_port=onus,
        seed=seed,
        host=host,
        ssh_port=ssh_port,
        snmp_port=snmp_port,
        username=username,
        password=password,
        community=community,
        drift_interval=drift_interval,
        trap_target=target,
        telnet_port=telnet_port,
        enable_password=enable_password,
    )
    asyncio.run(_serve(simulator))


async def _serve(simulator: OltSimulator) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    async with simulator:
        onus = sum(1 for _ in simulator.state.all_onus())
        click.echo(
            f"{simulator.vendor} OLT {simulator.state.name}: {len(simulator.state.ports)} ports, "
            f"{onus} ONUs\n"
            f"  ssh  {simulator.host}:{simulator.ssh_port} "
            f"(user {simulator.username}, password {simulator.password})\n"
            + (
                f"  telnet {simulator.host}:{simulator.telnet_port}\n"
                if simulator.telnet_port is not None
                else ""
            )
            + f"  snmp {simulator.host}:{simulator.snmp_port} udp "
            f"(v2c, community {simulator.community})\n"
            "Ctrl-C stops it."
        )
        await stop.wait()
