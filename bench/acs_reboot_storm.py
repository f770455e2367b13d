"""Reboot storm: 20,000 CPEs send 1 BOOT within 60 s and a profile must reach every one.

What it does, in one run, for the ACS on PostgreSQL and, as the baseline, for the bare
CWMP endpoint of ``bench/acs_sessions.py`` (a canned InformResponse, then 204) on the same
uvicorn configuration:

1. serves it in a process of its own (one uvicorn worker);
2. from another process, brings up ``--cpes`` simulated TR-181 CPEs (their first, BOOTSTRAP
   sessions spread over ``--ramp`` seconds) and waits until every one has informed;
3. for the ACS, stores a profile triggered by ``1 BOOT`` that sets
   ``Device.ManagementServer.PeriodicInformInterval`` (the CPEs do not have that value yet);
4. reboots every CPE at a random moment within ``--storm`` seconds (each informs with
   1 BOOT when it is back) and times until every CPE has finished a session after its reboot
   and, for the ACS, holds the profile's value (checked on the simulator's side);
5. prints both times, their ratio, the sessions that failed and were retried, and the CPEs
   that did not converge (there must be none); the last line is one JSON object.

PostgreSQL comes from ``RJC_BENCH_DATABASE_URL`` (else ``RJC_TEST_DATABASE_URL``, else
``postgresql://postgres@127.0.0.1:5432/postgres``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import random
import tempfile
import time
from typing import Any

from _scratch import scratch_database
from acs_sessions import free_port, serve_acs, serve_bare, settings_for, wait_for_port

from rjchronos.db.migrate import upgrade
from rjchronos.kernel import Kernel
from rjchronos_acs_tr069 import profiles
from rjchronos_acs_tr069.profiles import DEFAULT_CACHE_SECONDS

PARAMETER = "Device.ManagementServer.PeriodicInformInterval"
DESIRED = 86_400
#: The fleet's own periodic interval: longer than the run, so only the storm's sessions count.
INTERVAL = 7_200


def add_profile(home: str, url: str) -> None:

    kernel = Kernel(settings_for(home, url))
    document = {
        "name": "storm",
        "triggers": ["1 BOOT"],
        "desired": {"parameters": {PARAMETER: DESIRED}},
    }
    with kernel.db.session() as session:
        profiles.save(session, profiles.Profile(name="storm", document={}), document, "bench")
        session.commit()
    kernel.db.dispose()


def storm(options: dict[str, Any], acs_url: str, check_value: bool, ready: Any, go: Any) -> Any:
    return asyncio.run(_storm(options, acs_url, check_value, ready, go))


async def _storm(
    options: dict[str, Any], acs_url: str, check_value: bool, ready: Any, go: Any
) -> dict[str, Any]:
    from rjchronos_sdk.sim.cpe import Fleet

    count = options["cpes"]
    fleet = Fleet(
        acs_url,
        count,
        "tr181",
        seed=7,
        interval=INTERVAL,
        ramp=options["ramp"],
        connection_port=None,
        max_sessions=options["concurrency"],
        retry_base=1.0,
        timeout=120.0,
        reboot_delay=0.0,
    )
    async with fleet:
        await fleet.wait_until(
            lambda: fleet.counters["sessions_ok"] >= count, timeout=options["limit"]
        )
        ready.set()
        await asyncio.get_running_loop().run_in_executor(None, go.wait)
        before_ok = fleet.counters["sessions_ok"]
        before_failed = fleet.counters["sessions_failed"]
        rng = random.Random(11)
        started = time.monotonic()
        for cpe in fleet.cpes:
            cpe.reboot(delay=rng.uniform(0, options["storm"]))

        def converged() -> bool:
            if fleet.counters["sessions_ok"] - before_ok < count:
                return False
            return not check_value or all(
                cpe.value(PARAMETER) == str(DESIRED) for cpe in fleet.cpes
            )

        with contextlib.suppress(TimeoutError):  # what did not converge is reported below
            await fleet.wait_until(converged, timeout=options["limit"])
        elapsed = time.monotonic() - started
        behind = sum(
            1 for cpe in fleet.cpes if check_value and cpe.value(PARAMETER) != str(DESIRED)
        )
        return {
            "seconds": round(elapsed, 1),
            "sessions": fleet.counters["sessions_ok"] - before_ok,
            "failed_and_retried": fleet.counters["sessions_failed"] - before_failed,
            "not_converged": behind,
        }


def measure(
    target: Any, args: tuple[Any, ...], options: dict[str, Any], profile: tuple[str, str] | None
) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    port = free_port()
    server = context.Process(target=target, args=(*args, port), daemon=True)
    server.start()
    manager = context.Manager()
    ready, go = manager.Event(), manager.Event()
    try:
        wait_for_port(port, server)
        with context.Pool(1) as pool:
            pending = pool.apply_async(
                storm, (options, f"http://127.0.0.1:{port}/", profile is not None, ready, go)
            )
            if not ready.wait(options["limit"]):
                raise RuntimeError(f"the fleet did not come up: {pending.get(1)}")
            if profile is not None:
                add_profile(*profile)
                # The ACS reads profiles at most this often: a profile is in place before a storm.
                time.sleep(DEFAULT_CACHE_SECONDS + 1)
            go.set()
            return dict(pending.get())
    finally:
        manager.shutdown()
        server.terminate()
        server.join(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cpes", type=int, default=20_000)
    parser.add_argument("--storm", type=float, default=60.0, help="seconds the reboots span")
    parser.add_argument("--ramp", type=float, default=120.0, help="seconds of first sessions")
    parser.add_argument("--concurrency", type=int, default=200, help="sessions at once")
    parser.add_argument("--limit", type=float, default=900.0, help="seconds to wait at most")
    options = vars(parser.parse_args())

    with scratch_database() as url, tempfile.TemporaryDirectory() as home:
        kernel = Kernel(settings_for(home, url))
        upgrade(kernel)
        kernel.db.dispose()
        bare = measure(serve_bare, (), options, None)
        app = measure(serve_acs, (home, url), options, (home, url))

    ratio = round(app["seconds"] / bare["seconds"], 2) if bare["seconds"] else None
    print(
        f"reboot storm: {options['cpes']:,} CPEs reboot within {options['storm']:.0f} s, "
        f"a 1 BOOT profile to apply (one uvicorn worker, PostgreSQL):"
    )
    for label, row in (("RJChronos", app), ("bare CWMP", bare)):
        print(
            f"  {label:<10} all back and converged in {row['seconds']} s   "
            f"({row['sessions']:,} sessions, {row['failed_and_retried']:,} failed and retried, "
            f"{row['not_converged']:,} not converged)"
        )
    print(f"  ratio      {ratio}")
    print(
        json.dumps(
            {
                "benchmark": "acs_reboot_storm",
                "cpes": options["cpes"],
                "storm_s": options["storm"],
                "app": app,
                "baseline": bare,
                "ratio": ratio,
                "all_converged": app["not_converged"] == 0 and app["sessions"] >= options["cpes"],
            }
        )
    )


if __name__ == "__main__":
    main()
