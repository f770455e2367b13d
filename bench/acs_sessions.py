"""Periodic Inform sessions per second: the ACS on PostgreSQL against a bare CWMP endpoint.

What it does, in one run:

1. creates a fresh PostgreSQL database and migrates it (core and the ACS plugin);
2. serves the ACS (``rjchronos_acs_tr069.server.build_app`` on a kernel of that
   database, CPE authentication ``none``) with uvicorn, one worker, in a
   process of its own;
3. from another process, runs a fleet of simulated TR-181 CPEs (6,000 by
   default) informing every 2 seconds, at most ``--concurrency`` sessions at
   once, so that the server is saturated; after a warm-up (every CPE has had
   its first, BOOTSTRAP session) it counts the sessions completed in a fixed
   window, times each session from the CPE's side and reads the server
   process's CPU time from /proc;
4. does the same against a bare ASGI app on the same uvicorn configuration
   that answers an Inform with a canned InformResponse and the empty POST
   that follows with 204;
5. prints sessions/s of both, their ratio, p99 session latency, the server's
   CPU seconds per 1,000 sessions and whether the targets hold (at least half
   the bare stack's sessions/s, at most 1.8 CPU-seconds per 1,000 sessions);
   the last line is one JSON object with every figure.

Run it with ``make bench`` or ``.venv/bin/python bench/acs_sessions.py``; the
PostgreSQL server comes from ``RJC_BENCH_DATABASE_URL`` (else
``RJC_TEST_DATABASE_URL``, else ``postgresql://postgres@127.0.0.1:5432/postgres``).
See bench/README.md for how to read the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import socket
import tempfile
import time
from pathlib import Path
from typing import Any

import uvicorn
from _procfs import cpu_seconds
from _scratch import scratch_database

from rjchronos.config import Settings
from rjchronos.db.migrate import upgrade
from rjchronos.kernel import Kernel

TARGET_RATIO = 0.5
#: A bare stack completing this share of the offered sessions is held back by the fleet.
OFFERED_SHARE = 0.95
TARGET_CPU_PER_1000 = 1.8
ACS_SETTINGS = {"cpe_auth": "none"}


def settings_for(home: str, url: str) -> Settings:
    return Settings(
        home=Path(home),
        database_url=url,
        broker_url="inline:",
        plugins={"acs-tr069": ACS_SETTINGS},
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- servers (each in a process of its own) ---------------------------------------------


def run_uvicorn(app: Any, port: int) -> None:
    """The one uvicorn configuration both apps get."""
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, workers=1)


def serve_acs(home: str, url: str, port: int) -> None:
    from rjchronos_acs_tr069.server import build_app

    run_uvicorn(build_app(Kernel(settings_for(home, url))), port)


def canned_inform_response() -> bytes:
    from rjchronos_acs_tr069 import soap

    namespace = "urn:dslforum-org:cwmp-1-2"
    return soap.envelope(namespace, soap.inform_response(namespace), cwmp_id="inform-1")


def serve_bare(port: int) -> None:
    """The baseline: an Inform gets a canned InformResponse, the empty POST after it 204."""
    answer = canned_inform_response()
    inform_headers = [(b"content-type", b'text/xml; charset="utf-8"')]

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        empty, more = True, True
        while more:
            message = await receive()
            empty = empty and not message.get("body", b"").strip()
            more = message.get("more_body", False)
        if empty:
            await send({"type": "http.response.start", "status": 204, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": 200, "headers": inform_headers})
        await send({"type": "http.response.body", "body": answer})

    run_uvicorn(app, port)


def wait_for_port(port: int, process: multiprocessing.process.BaseProcess) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if not process.is_alive():
            raise RuntimeError(f"the server on port {port} exited with {process.exitcode}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port}")


# -- the fleet (in a process of its own) ------------------------------------------------


def drive(options: dict[str, Any], acs_url: str, server_pid: int) -> dict[str, Any]:
    return asyncio.run(_drive(options, acs_url, server_pid))


async def _drive(options: dict[str, Any], acs_url: str, server_pid: int) -> dict[str, Any]:
    from rjchronos_sdk.sim.cpe import Fleet
    from rjchronos_sdk.sim.cpe import fleet as fleet_module

    durations: list[float] = []
    run_session = fleet_module.run_session

    async def timed_session(cpe: Any) -> None:
        started = time.perf_counter()
        await run_session(cpe)
        durations.append(time.perf_counter() - started)

    fleet_module.run_session = timed_session  # type: ignore[assignment]
    count, interval = options["cpes"], options["interval"]
    fleet = Fleet(
        acs_url,
        count,
        "tr181",
        seed=1,
        interval=interval,
        ramp=interval,
        connection_port=None,
        max_sessions=options["concurrency"],
        retry_base=1.0,
        timeout=60.0,
    )
    async with fleet:
        # Warm-up: every CPE has had its first (BOOTSTRAP) session, then some periodic ones.
        # (A count of sessions is not enough: a CPE whose next Inform falls due during its
        # session runs it at once, so early CPEs add sessions while late ones still wait.)
        await fleet.wait_until(
            lambda: (
                fleet.counters["sessions_ok"] >= count
                and not any("0 BOOTSTRAP" in cpe.pending_events for cpe in fleet.cpes)
            ),
            timeout=options["warmup_limit"],
            poll=0.25,
        )
        await asyncio.sleep(options["warmup"])
        durations.clear()
        before = dict(fleet.counters)
        server_cpu, fleet_cpu = cpu_seconds(server_pid), cpu_seconds(os.getpid())
        started = time.perf_counter()
        await asyncio.sleep(options["window"])
        elapsed = time.perf_counter() - started
        server_cpu = cpu_seconds(server_pid) - server_cpu
        fleet_cpu = cpu_seconds(os.getpid()) - fleet_cpu
        counters = {key: value - before.get(key, 0) for key, value in fleet.counters.items()}
    ordered = sorted(durations)
    done = counters.get("sessions_ok", 0)

    def percentile(fraction: float) -> float:
        if not ordered:
            return float("nan")
        return ordered[max(0, min(len(ordered) - 1, round(fraction * len(ordered)) - 1))]

    return {
        "sessions": done,
        "failed": counters.get("sessions_failed", 0),
        "seconds": round(elapsed, 2),
        "sessions_per_s": round(done / elapsed, 1),
        "p50_ms": round(percentile(0.50) * 1000, 1),
        "p99_ms": round(percentile(0.99) * 1000, 1),
        "cpu_s_per_1000": round(server_cpu / done * 1000, 3) if done else None,
        "server_cpu_s": round(server_cpu, 2),
        "fleet_cpu_s": round(fleet_cpu, 2),
    }


def measure(target: Any, args: tuple[Any, ...], options: dict[str, Any]) -> dict[str, Any]:
    """Serve ``target(*args, port)`` in a process and drive the fleet at it from another."""
    context = multiprocessing.get_context("spawn")
    port = free_port()
    server = context.Process(target=target, args=(*args, port), daemon=True)
    server.start()
    try:
        wait_for_port(port, server)
        assert server.pid is not None
        with context.Pool(1) as pool:
            return pool.apply(drive, (options, f"http://127.0.0.1:{port}/", server.pid))
    finally:
        server.terminate()
        server.join(10)


# -- the run ----------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cpes", type=int, default=6_000)
    parser.add_argument("--interval", type=int, default=2, help="periodic Inform interval (s)")
    parser.add_argument("--concurrency", type=int, default=100, help="sessions at once")
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds after first Informs")
    parser.add_argument("--window", type=float, default=30.0, help="measured seconds")
    options = vars(parser.parse_args())
    options["warmup_limit"] = 600.0

    with scratch_database() as url, tempfile.TemporaryDirectory(prefix="rjc-bench-") as home:
        kernel = Kernel(settings_for(home, url))
        upgrade(kernel)
        kernel.db.dispose()
        figures = {
            "app": measure(serve_acs, (home, url), options),
            "baseline": measure(serve_bare, (), options),
        }

    app, bare = figures["app"], figures["baseline"]
    ratio = round(app["sessions_per_s"] / bare["sessions_per_s"], 3)
    offered = options["cpes"] / options["interval"]
    capped = bare["sessions_per_s"] >= OFFERED_SHARE * offered
    targets = {
        "ratio_at_least_0.5": ratio >= TARGET_RATIO and not capped,
        "cpu_at_most_1.8_per_1000": app["cpu_s_per_1000"] is not None
        and app["cpu_s_per_1000"] <= TARGET_CPU_PER_1000,
    }
    print(
        f"periodic Inform sessions ({options['cpes']:,} TR-181 CPEs, interval "
        f"{options['interval']} s, {options['concurrency']} at once, "
        f"{options['window']:.0f} s window, PostgreSQL):"
    )
    for label, row in (("RJChronos", app), ("bare", bare)):
        print(
            f"  {label:<10} {row['sessions_per_s']:8.1f} sessions/s   p99 {row['p99_ms']:8.1f} ms"
            f"   server CPU {row['cpu_s_per_1000']:6.3f} s per 1,000 sessions"
            f"   ({row['sessions']:,} ok, {row['failed']:,} failed)"
        )
    print(f"  {'ratio':<10} {ratio:8.3f} (target >= {TARGET_RATIO})")
    if capped:
        print(
            f"  the bare stack ran every session the fleet offered ({offered:,.0f}/s): it was not"
            " saturated, so the ratio overstates the ACS; raise --cpes"
        )
    print(
        f"  targets: sessions/s ratio {'met' if targets['ratio_at_least_0.5'] else 'NOT met'}, "
        f"CPU per 1,000 sessions {'met' if targets['cpu_at_most_1.8_per_1000'] else 'NOT met'}"
    )
    print("  (bare: canned InformResponse and 204 on the same uvicorn configuration)")
    print(
        json.dumps(
            {
                "benchmark": "acs_sessions",
                "cpes": options["cpes"],
                "interval_s": options["interval"],
                "concurrency": options["concurrency"],
                "offered_per_s": offered,
                "baseline_capped_by_fleet": capped,
                "cpe_auth": ACS_SETTINGS["cpe_auth"],
                "app": app,
                "baseline": bare,
                "ratio": ratio,
                "targets": targets,
            }
        )
    )


if __name__ == "__main__":
    main()
