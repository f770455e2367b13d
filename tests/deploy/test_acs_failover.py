"""Two ACS (and two API) processes behind a load balancer; one is killed mid-load.

The balancer pins nothing, so every session's messages alternate between the
processes, which share nothing but the database: the session lives in
``acs_sessions``. When one process is killed (SIGKILL), the balancer passes it
over; what it was answering fails, and the CPEs retry. No Inform that a CPE saw
answered is missing from the database, and every CPE goes on to complete
sessions: none is left waiting on a session of the dead process for longer
than its lease. The API processes share users, tokens and data through the database alone:
a token one issued works on the other, and the API goes on answering when one is killed.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from processes import RJCHRONOS, Server, environment, free_port, rjchronos
from sqlalchemy import create_engine, text

from rjchronos_sdk.sim.cpe import Fleet
from rjchronos_sdk.sim.cpe.cpe import SimulatedCpe
from rjchronos_sdk.testing import RoundRobinBalancer, serve_asgi

CPES = 30
CPE_USER, CPE_PASSWORD = "cpe", "failover-secret"
LEASE = 3


def _config(path: Path) -> Path:
    path.write_text(
        "[plugins.acs-tr069]\n"
        f'cpe_username = "{CPE_USER}"\ncpe_password = "{CPE_PASSWORD}"\n'
        'session_store = "database"\n'
        f"session_timeout_seconds = {LEASE}\nretry_after_seconds = 1\n"
        "periodic_inform_events = true\n",
        encoding="utf-8",
    )
    return path


def _serve(launch: Callable[..., Server], env: dict[str, str], role: str) -> tuple[Server, str]:
    """A ``serve --role acs|api`` process, and the URL of its listener once it is ready."""
    port, acs_port = free_port(), free_port()
    args = ["serve", "--role", role, "--no-migrate", "--host", "127.0.0.1"]
    server = launch([*args, "--port", str(port), "--acs-port", str(acs_port)], env)
    url = f"http://127.0.0.1:{acs_port if role == 'acs' else port}"
    assert server.get(f"{url}/readyz").status_code == 200
    return server, url


def _periodic_informs_recorded(database_url: str) -> dict[str, int]:
    """Per device identity, the recorded Informs that carried ``2 PERIODIC``."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT d.identity, e.payload FROM device_events e "
                    "JOIN devices d ON d.id = e.device_id WHERE e.type = 'cpe.inform'"
                )
            )
            counts: dict[str, int] = {}
            for identity, payload in rows:
                events = (payload if isinstance(payload, dict) else json.loads(payload))["events"]
                if "2 PERIODIC" in events:
                    counts[identity] = counts.get(identity, 0) + 1
            return counts
    finally:
        engine.dispose()


@dataclass
class Outcome:
    """What the CPEs saw."""

    #: Per device, the sessions it completed after the kill.
    completed_after_kill: dict[str, int] = field(default_factory=dict)
    #: Per device, the periodic Informs it saw answered.
    acknowledged: dict[str, int] = field(default_factory=dict)
    #: Sessions that broke off (a 502 from the balancer, or a 503 while a lease runs).
    failed_before_kill: int = 0
    failed: int = 0


def _completed(cpe: SimulatedCpe) -> int:
    return cpe.stats.sessions - cpe.stats.failed_sessions


async def _load(url: str, kill: Callable[[], None], served_both: Callable[[], bool]) -> Outcome:
    """Run the fleet: warm up, ``kill`` one process, then wait for every CPE to go on."""
    outcome = Outcome()
    fleet = Fleet(
        url,
        CPES,
        "tr181",
        seed=11,
        interval=2,
        jitter=0.3,
        acs_username=CPE_USER,
        acs_password=CPE_PASSWORD,
        connection_port=None,
        retry_base=0.5,
        timeout=10,
    )
    async with fleet:
        await fleet.wait_until(lambda: all(_completed(c) >= 2 for c in fleet.cpes), timeout=60)
        assert served_both()
        kill()
        outcome.failed_before_kill = fleet.counters["sessions_failed"]
        before = {c.device_id: _completed(c) for c in fleet.cpes}
        await fleet.wait_until(
            lambda: all(_completed(c) >= before[c.device_id] + 3 for c in fleet.cpes), timeout=60
        )
        for cpe in fleet.cpes:
            outcome.completed_after_kill[cpe.device_id] = _completed(cpe) - before[cpe.device_id]
            outcome.acknowledged[cpe.device_id] = cpe.stats.events["2 PERIODIC"]
        outcome.failed = fleet.counters["sessions_failed"]
    return outcome


def test_killing_one_acs_process_loses_no_inform_and_strands_no_device(
    rjc_database_url: str, tmp_path: Path, launch: Callable[..., Server]
) -> None:
    env = environment(
        tmp_path / "home", rjc_database_url, RJC_CONFIG=str(_config(tmp_path / "rjc.toml"))
    )
    assert rjchronos("db", "upgrade", env=env).returncode == 0
    (doomed, doomed_url), (_survivor, survivor_url) = (_serve(launch, env, "acs") for _ in "ab")
    balancer = RoundRobinBalancer([doomed_url, survivor_url], timeout=10)

    def served_both() -> bool:
        return balancer.served[doomed_url] > 0 and balancer.served[survivor_url] > 0

    with serve_asgi(balancer) as url:
        # SIGKILL: no shutdown; the sessions it was answering break off.
        outcome = asyncio.run(_load(url, doomed.process.kill, served_both))

    assert doomed.process.poll() is not None
    assert all(n >= 3 for n in outcome.completed_after_kill.values())
    recorded = _periodic_informs_recorded(rjc_database_url)
    # Every Inform a CPE saw answered was committed first: none is missing.
    assert {d: n for d, n in outcome.acknowledged.items() if recorded.get(d, 0) < n} == {}
    # Recorded but unanswered (cut off by the kill, then sent again): at most one per failure.
    assert sum(recorded.values()) - sum(outcome.acknowledged.values()) <= outcome.failed
    assert outcome.failed_before_kill == 0


def test_killing_one_api_process_leaves_the_api_answering(
    rjc_database_url: str, tmp_path: Path, launch: Callable[..., Server]
) -> None:
    env = environment(tmp_path / "home", rjc_database_url)
    assert rjchronos("db", "upgrade", env=env).returncode == 0
    created = subprocess.run(
        [RJCHRONOS, "users", "create", "--username", "noc", "--role", "admin", "--password-stdin"],
        input="a long password for the noc\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert created.returncode == 0, created.stderr
    (doomed, doomed_url), (_survivor, survivor_url) = (_serve(launch, env, "api") for _ in "ab")
    balancer = RoundRobinBalancer([doomed_url, survivor_url])
    with serve_asgi(balancer) as url:
        login = {"username": "noc", "password": "a long password for the noc"}
        token = httpx.post(f"{url}/api/v1/auth/token", json=login).json()["access_token"]
        api = httpx.Client(base_url=f"{url}/api/v1", headers={"Authorization": f"Bearer {token}"})
        # The token one process issued is good on both.
        assert [api.get("/devices").status_code for _ in range(4)] == [200] * 4
        assert balancer.served[doomed_url] >= 2 and balancer.served[survivor_url] >= 2
        doomed.process.kill()
        # Dead, not dying: a request it accepted before the signal landed would get 502.
        doomed.process.wait(30)
        added = [api.post("/sites", json={"name": f"CO {n}", "region": "Sul"}) for n in range(4)]
        assert [r.status_code for r in added] == [201] * 4
        names = {site["name"] for site in api.get("/sites").json()["items"]}
        assert {f"CO {n}" for n in range(4)} <= names
        api.close()
    assert doomed.process.poll() is not None
