"""Status and optics of 4,096 ONUs over SNMP, against net-snmp's snmpbulkwalk of the same columns.

What it does, in one run:

1. starts the simulated Huawei OLT (two GPON boards of 16 ports, 128 ONUs on
   each port: 32 ports, 4,096 ONUs) in a separate process, so that the
   agent's own CPU time is nobody's client time; optics stay still;
2. polls every port the way the collectors do: the Huawei driver's
   ``list_onus(port)`` for the 32 ports in turn, each one a GETBULK walk per
   polled column limited to the port's rows, at most ``max_concurrency``
   walks in flight; the result is 4,096 parsed ONUs;
3. walks the same columns of the same ports from the same agent with
   ``snmpbulkwalk`` (one process per column and port, the same
   max-repetitions, the same number of walks in flight, ports in turn) and
   checks that it read the same number of values;
4. repeats both, alternating which goes first, and prints the median wall
   and CPU time of each and their ratios; the last line is one JSON object
   with every figure.

CPU time is the client's alone: this process's for RJChronos (measured
around the poll), the ``snmpbulkwalk`` processes' own for net-snmp (their
rusage, process start-up included). Run it with ``make bench`` or
``.venv/bin/python bench/olt_poll.py``; it needs ``snmpbulkwalk`` (Debian's
``snmp`` package). See bench/README.md for how to read the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import resource
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from rjchronos_olt_huawei import snmp as huawei_mib
from rjchronos_olt_huawei.driver import POLLED_COLUMNS, HuaweiSmartAxDriver
from rjchronos_sdk.sim.olt import OltSimulator
from rjchronos_sdk.sim.olt.state import OltState, PonPort

SLOTS = (1, 2)
PORTS_PER_BOARD = 16
COMMUNITY = "public"
#: The wall time RJChronos may take, as a multiple of net-snmp's.
TARGET = 1.5


def olt_state(ports: int, onus_per_port: int, seed: int) -> OltState:
    """A Huawei OLT with ``ports`` GPON ports spread over boards of 16, every ONU online."""
    keys = [(SLOTS[n // PORTS_PER_BOARD], n % PORTS_PER_BOARD) for n in range(ports)]
    state = OltState(
        vendor="huawei",
        name="MA5800-X17",
        slot=SLOTS[0],
        ports={key: PonPort(*key) for key in keys},
        first_onu_id=0,
        first_port=0,
        seed=seed,
    )
    state.populate(onus_per_port)
    return state


def serve_olt(ports: int, onus_per_port: int, seed: int, pipe: Connection) -> None:
    """Run the simulated OLT until the pipe closes; send its SNMP port first."""

    async def serve() -> None:
        simulator = OltSimulator("huawei", ports=1, onus_per_port=0, drift_interval=0)
        simulator.state = olt_state(ports, onus_per_port, seed)
        async with simulator:
            pipe.send(simulator.snmp_port)
            await asyncio.get_running_loop().run_in_executor(None, pipe.recv_bytes)

    # The parent closing the pipe is the signal to stop.
    with contextlib.suppress(EOFError):
        asyncio.run(serve())


def port_names(state: OltState) -> list[str]:
    return [f"0/{slot}/{port}" for slot, port in sorted(state.ports)]


async def poll_rjchronos(connection: dict[str, Any], ports: list[str], whole: bool) -> int:
    """Every ONU of every port through the driver: ports in turn, or the whole OLT at once."""
    driver = HuaweiSmartAxDriver(connection)
    try:
        if whole:
            everything = await driver.list_onus()
            if everything.issues:
                raise RuntimeError(f"whole OLT: {everything.issues[0]}")
            return len(everything)
        onus = 0
        for port in ports:
            listing = await driver.list_onus(port)
            if listing.issues:
                raise RuntimeError(f"port {port}: {listing.issues[0]}")
            onus += len(listing)
        return onus
    finally:
        await driver.close()


async def poll_net_snmp(
    snmp_port: int, ports: list[str], max_repetitions: int, concurrency: int, whole: bool
) -> int:
    """The same columns with one snmpbulkwalk per column and port (or per whole column)."""
    limit = asyncio.Semaphore(concurrency)

    async def walk(oid: str) -> int:
        async with limit:
            process = await asyncio.create_subprocess_exec(
                "snmpbulkwalk",
                "-v2c",
                "-c",
                COMMUNITY,
                f"-Cr{max_repetitions}",
                "-On",
                "-Oq",
                "-m",
                "",
                "-M",
                "",
                f"127.0.0.1:{snmp_port}",
                oid,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            out, err = await process.communicate()
        if process.returncode:
            raise RuntimeError(f"snmpbulkwalk {oid}: {err.decode().strip()}")
        # One line per value, except strings with a line break in them; the
        # last line may be an end-of-MIB notice rather than a value.
        row = f".{oid}.".encode()
        return sum(
            1
            for line in out.splitlines()
            if line.startswith(row) and b"No more variables" not in line
        )

    if whole:
        counts = await asyncio.gather(*(walk(huawei_mib.OID[name]) for name in POLLED_COLUMNS))
        return sum(counts)
    values = 0
    for port in ports:
        frame, slot, number = (int(part) for part in port.split("/"))
        if_index = huawei_mib.gpon_if_index(frame, slot, number)
        counts = await asyncio.gather(
            *(walk(f"{huawei_mib.OID[name]}.{if_index}") for name in POLLED_COLUMNS)
        )
        values += sum(counts)
    return values


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def process_cpu(pid: int) -> float:
    """User and system CPU seconds of another process (Linux ``/proc``)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(
    run: Callable[[], int], cpu: Callable[[], float], agent: Callable[[], float]
) -> tuple[int, float, float, float]:
    """What ``run`` returned, its wall time, the client's and the agent's CPU time."""
    wall, spent, served = time.perf_counter(), cpu(), agent()
    result = run()
    return result, time.perf_counter() - wall, cpu() - spent, agent() - served


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--ports", type=int, default=32, help="GPON ports (16 per board)")
    parser.add_argument("--onus", type=int, default=128, help="ONUs per port")
    parser.add_argument("--rounds", type=int, default=3, help="polls of each, alternating")
    parser.add_argument("--max-repetitions", type=int, default=25)
    parser.add_argument("--concurrency", type=int, default=4, help="walks in flight")
    parser.add_argument(
        "--whole",
        action="store_true",
        help="read every ONU of the OLT at once (one walk per whole column) on both sides",
    )
    args = parser.parse_args()
    if not 1 <= args.ports <= PORTS_PER_BOARD * len(SLOTS):
        parser.error(f"--ports must be 1..{PORTS_PER_BOARD * len(SLOTS)}")
    if shutil.which("snmpbulkwalk") is None:
        sys.exit("snmpbulkwalk is missing: apt-get install -y snmp (see bench/README.md)")

    ports = port_names(olt_state(args.ports, 0, 0))
    ours, theirs = multiprocessing.get_context("spawn").Pipe()
    server = multiprocessing.get_context("spawn").Process(
        target=serve_olt, args=(args.ports, args.onus, 0, theirs), daemon=True
    )
    server.start()
    theirs.close()
    snmp_port = int(ours.recv())
    connection = {
        "host": "127.0.0.1",
        "snmp_port": snmp_port,
        "community": COMMUNITY,
        "max_repetitions": args.max_repetitions,
        "max_concurrency": args.concurrency,
        "snmp_timeout": 10.0,
    }
    onus = len(ports) * args.onus
    values = onus * len(POLLED_COLUMNS)

    def rjchronos() -> int:
        return asyncio.run(poll_rjchronos(connection, ports, args.whole))

    def net_snmp() -> int:
        return asyncio.run(
            poll_net_snmp(snmp_port, ports, args.max_repetitions, args.concurrency, args.whole)
        )

    def agent() -> float:
        return process_cpu(server.pid or 0)

    figures: dict[str, list[tuple[float, float, float]]] = {"rjchronos": [], "net-snmp": []}
    try:
        runs = [("rjchronos", rjchronos, time.process_time), ("net-snmp", net_snmp, children_cpu)]
        for _, run, _ in runs:
            run()  # warm-up: imports, the agent's table, the page cache
        for number in range(args.rounds):
            for name, run, cpu in runs[:: -1 if number % 2 else 1]:
                got, wall, spent, served = timed(run, cpu, agent)
                expected = onus if name == "rjchronos" else values
                if got != expected:
                    raise RuntimeError(f"{name} read {got}, expected {expected}")
                figures[name].append((wall, spent, served))
                print(
                    f"  round {number + 1} {name:9}  wall {wall:6.2f} s  cpu {spent:6.2f} s  "
                    f"agent cpu {served:6.2f} s"
                )
    finally:
        ours.close()
        server.join(timeout=10)

    def median(name: str, at: int) -> float:
        return statistics.median(run[at] for run in figures[name])

    def summary(name: str) -> dict[str, float]:
        return {
            key: round(median(name, at), 3)
            for at, key in enumerate(("wall_s", "cpu_s", "agent_cpu_s"))
        }

    app, base = summary("rjchronos"), summary("net-snmp")
    ratio = {
        "wall": round(app["wall_s"] / base["wall_s"], 2),
        "cpu": round(app["cpu_s"] / base["cpu_s"], 2),
    }
    print(
        f"status and optics of {onus:,} ONUs ({len(ports)} ports x {args.onus}, "
        f"{len(POLLED_COLUMNS)} columns, max-repetitions {args.max_repetitions}, "
        f"{args.concurrency} walks in flight, {'whole OLT' if args.whole else 'per port'}), "
        f"median of {args.rounds}:"
    )
    print(f"  RJChronos  wall {app['wall_s']:7.2f} s   cpu {app['cpu_s']:7.2f} s")
    print(f"  net-snmp   wall {base['wall_s']:7.2f} s   cpu {base['cpu_s']:7.2f} s")
    print(
        f"  ratio      wall {ratio['wall']:7.2f} x   cpu {ratio['cpu']:7.2f} x   "
        f"(target: wall <= {TARGET} x)"
    )
    print(
        json.dumps(
            {
                "benchmark": "olt_poll",
                "onus": onus,
                "ports": len(ports),
                "columns": len(POLLED_COLUMNS),
                "max_repetitions": args.max_repetitions,
                "concurrency": args.concurrency,
                "rounds": args.rounds,
                "whole": args.whole,
                "app": app,
                "baseline": base,
                "ratio": ratio,
                "target_met": ratio["wall"] <= TARGET,
            }
        )
    )


if __name__ == "__main__":
    main()
