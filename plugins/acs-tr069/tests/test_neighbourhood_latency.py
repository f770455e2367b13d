"""Latency per neighbourhood from sampled IPPing diagnostics, and PPPoE errors from the
connection status, against simulated CPEs over real HTTP, read back through the
telemetry query API."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from simkit import Sim, start_sim

from rjchronos.config import ConfigError
from rjchronos.db.types import utcnow
from rjchronos_acs_tr069 import PLUGIN, hooks, latency

URL = "/api/v1/telemetry/query"
HOST = "192.0.2.1"
#: Neighbourhood -> (CPE indexes, simulated round trip in ms, simulated loss in %).
HOODS = {
    "Boa Vista, Recife": ((0, 1, 2), 12.0, 0.0),
    "Casa Forte, Recife": ((3, 4), 35.0, 0.0),
    "Pina, Recife": ((5,), 80.0, 25.0),
}
SIZE = 2
MODELS = [("tr098", "1.0"), ("tr181", "1.4")]


@pytest.fixture(params=MODELS, ids=lambda c: f"{c[0]}-cwmp{c[1]}")
def sim(request: Any, rjc_kernel_factory: Any, rjc_client_factory: Any) -> Iterator[Sim]:
    sim, listener = start_sim(
        rjc_kernel_factory,
        rjc_client_factory,
        *request.param,
        count=6,
        fleet_options={"diagnostics_delay": 0.05},
        latency_sample_seconds=600,
        latency_sample_size=SIZE,
        latency_ping_host=HOST,
        latency_ping_count=4,
        telemetry_read_seconds=0.01,
    )
    try:
        yield sim
    finally:
        sim.fleet.stop()
        listener.__exit__(None, None, None)


def _place(sim: Sim) -> dict[str, list[str]]:
    """Put the CPEs in their neighbourhoods (Pina's through its customer's address) and set
    the round trips their IPPing reports. Device ids per neighbourhood."""
    placed: dict[str, list[str]] = {}
    for hood, (indexes, rtt, loss) in HOODS.items():
        name, city = hood.split(", ")
        site = sim.api.post(
            "/api/v1/sites",
            json={"name": f"Casas {name}", "neighbourhood": name, "city": city, "region": "RMR"},
        )
        assert site.status_code == 201, site.text
        for index in indexes:
            cpe = sim.fleet.fleet.cpes[index]
            device_id = sim.device_id(cpe)
            if name == "Pina":
                customer = sim.api.post(
                    "/api/v1/customers", json={"name": "Rui", "site_id": site.json()["id"]}
                )
                assert customer.status_code == 201, customer.text
                change = {"customer_id": customer.json()["id"]}
            else:
                change = {"site_id": site.json()["id"]}
            assert sim.api.patch(f"/api/v1/devices/{device_id}", json=change).is_success
            sim.fleet.call(setattr, cpe, "ping_latency_ms", rtt)
            sim.fleet.call(setattr, cpe, "ping_loss_pct", loss)
            placed.setdefault(hood, []).append(device_id)
    return placed


def _run_job(sim: Sim) -> dict[str, Any]:
    job = sim.kernel.jobs.enqueue(latency.JOB_TYPE, {})
    record = sim.kernel.jobs.get(job)
    assert record.status == "done", record
    result: dict[str, Any] = record.result
    return result


def _wait(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def _sampled_tasks(sim: Sim) -> list[dict[str, Any]]:
    from sqlalchemy import select

    from rjchronos_acs_tr069.models import CpeTask, task_rows

    with sim.kernel.db.session() as session:
        rows = session.execute(select(CpeTask).where(task_rows.c.type == "diagnostics"))
        return [
            {"device_id": t.device_id, "status": t.status, "params": t.params}
            for t in rows.scalars()
            if t.params.get("sample")
        ]


def _groups(sim: Sim, **params: str) -> dict[str, dict[str, Any]]:
    now = utcnow()
    window = {"start": (now - timedelta(hours=1)).isoformat(), "end": now.isoformat()}
    answer = sim.api.get(URL, params={"kind": "cpe", **window, **params})
    assert answer.status_code == 200, answer.text
    return {g["key"]: g for g in answer.json()["groups"]}


def _reporting(sim: Sim, metric: str) -> int:
    groups = _groups(sim, group_by="neighbourhood", metric=metric)
    return sum(g["reporting"] for g in groups.values())


def test_sampled_pings_give_latency_per_neighbourhood(sim: Sim) -> None:
    placed = _place(sim)
    offline = placed["Boa Vista, Recife"][0]
    with sim.kernel.db.session() as session:
        from rjchronos.inventory.models import Device

        device = session.get(Device, offline)
        assert device is not None
        device.status = "offline"  # never drawn: only online CPEs are sampled

    result = _run_job(sim)

    assert result["neighbourhoods"] == {
        "Boa Vista, Recife": SIZE,
        "Casa Forte, Recife": SIZE,
        "Pina, Recife": 1,
    }
    assert result["connection_requests"] == 5
    sampled = _sampled_tasks(sim)
    assert {t["device_id"] for t in sampled} == {
        *placed["Boa Vista, Recife"][1:],
        *placed["Casa Forte, Recife"],
        *placed["Pina, Recife"],
    }
    assert all(t["params"]["values"][t["params"]["object"] + "Host"] == HOST for t in sampled)
    _wait(lambda: all(t["status"] == "done" for t in _sampled_tasks(sim)))
    # The samples are written once the task's transaction is committed: wait for all five.
    _wait(lambda: _reporting(sim, "cpe.ping_avg_ms") == 5)

    latency = _groups(sim, group_by="neighbourhood", metric="cpe.ping_avg_ms", percentiles="95")
    for hood, (_indexes, rtt, _loss) in HOODS.items():
        assert latency[hood]["avg"] == pytest.approx(rtt), hood
        assert latency[hood]["p95"] == pytest.approx(rtt), hood
    assert latency["Boa Vista, Recife"]["reporting"] == SIZE
    assert latency["Casa Forte, Recife"]["reporting"] == SIZE
    loss = _groups(sim, group_by="neighbourhood", metric="cpe.ping_loss_pct")
    assert loss["Pina, Recife"]["avg"] == pytest.approx(25.0)
    assert loss["Casa Forte, Recife"]["max"] == 0.0

    audit = sim.api.get("/api/v1/audit", params={"action": "acs.latency.sample"}).json()
    assert audit["items"] and audit["items"][0]["params"]["queued"] == 5


def test_a_cpe_still_sampling_is_not_drawn_again(sim: Sim) -> None:
    placed = _place(sim)
    with sim.kernel.db.session() as session:
        from rjchronos.inventory.models import Device

        for device_id in placed["Boa Vista, Recife"] + placed["Casa Forte, Recife"]:
            device = session.get(Device, device_id)
            assert device is not None
            device.status = "offline"
    pina = sim.fleet.fleet.cpes[HOODS["Pina, Recife"][0][0]]
    # The CPE runs no session: its sample stays pending.
    sim.fleet.call(setattr, pina, "offline_until", time.time() + 3600)
    first = _run_job(sim)
    assert first["queued"] == 1 and first["connection_requests"] == 0
    second = _run_job(sim)
    assert (second["queued"], second["busy"]) == (0, 1)
    assert [t["device_id"] for t in _sampled_tasks(sim)] == placed["Pina, Recife"]


def test_pppoe_authentication_failure_counts_per_neighbourhood_and_model(sim: Sim) -> None:
    from rjchronos.alerts import engine
    from rjchronos.alerts.rules import PPPOE_ERRORS_RULE

    placed = _place(sim)
    rule = sim.api.post("/api/v1/alert-rules", json=PPPOE_ERRORS_RULE)
    assert rule.status_code == 201, rule.text
    failing = sim.fleet.fleet.cpes[HOODS["Casa Forte, Recife"][0][0]]
    ppp = failing.paths.ppp_username.rpartition(".")[0] + "."
    # Each CPE's tree is read once; its WAN status is part of every telemetry read after.
    for cpe in sim.fleet.fleet.cpes:
        assert sim.task(cpe, {"type": "refresh", "path": sim.paths["root"]})["status"] == "done"
    # Active notification on the status: the CPE informs as soon as the session drops.
    watched = [{"name": ppp + "ConnectionStatus", "notification": 2}]
    body = {"type": "set_parameter_attributes", "attributes": watched}
    assert sim.task(failing, body)["status"] == "done"

    sim.fleet.call(failing.ppp_failure, "ERROR_AUTHENTICATION_FAILURE")
    failing_id = sim.device_id(failing)

    def reported() -> bool:
        group = _groups(sim, group_by="neighbourhood", metric="cpe.pppoe_error")
        return bool(group["Casa Forte, Recife"]["nonzero"]) and _reporting(
            sim, "cpe.pppoe_error"
        ) == len(sim.fleet.fleet.cpes)

    _wait(reported)
    errors = _groups(sim, group_by="neighbourhood", metric="cpe.pppoe_error")
    assert errors["Casa Forte, Recife"]["nonzero"] == 1
    assert errors["Casa Forte, Recife"]["sum"] >= 1
    assert errors["Boa Vista, Recife"]["nonzero"] == 0
    assert errors["Boa Vista, Recife"]["reporting"] == 3
    by_model = _groups(sim, group_by="model", metric="cpe.pppoe_error")
    assert sum(g["nonzero"] for g in by_model.values()) == 1
    series = sim.api.get(
        f"/api/v1/devices/{failing_id}/telemetry",
        params={"metric": "cpe.pppoe_error", "resolution": "raw"},
    ).json()["points"]
    assert series[0][1] == 0.0 and series[-1][1] == 1.0  # up after the refresh, then failing
    assert failing_id in placed["Casa Forte, Recife"]

    # The default PPPoE rule opens one alert, on the failing CPE only.
    engine.evaluate_all(sim.kernel, utcnow())
    alerts = sim.api.get("/api/v1/alerts", params={"rule": rule.json()["id"]}).json()["items"]
    assert [(a["device_id"], a["status"]) for a in alerts] == [(failing_id, "open")]


def test_the_schedule_follows_the_settings(acs_kernel: Any, rjc_kernel_factory: Any) -> None:
    from acs_testkit import acs_settings

    assert latency.JOB_TYPE not in {s.job_type for s in hooks.rjc_schedules(kernel=acs_kernel)}
    on = rjc_kernel_factory(
        plugins={PLUGIN: hooks},
        plugin_settings={
            PLUGIN: acs_settings(latency_sample_seconds=900, latency_ping_host="192.0.2.9")
        },
    )
    schedule = next(s for s in hooks.rjc_schedules(kernel=on) if s.job_type == latency.JOB_TYPE)
    assert schedule.every == timedelta(seconds=900)
    # Sampling without a host to ping: the kernel refuses to start.
    with pytest.raises(ConfigError, match="latency_ping_host"):
        rjc_kernel_factory(
            plugins={PLUGIN: hooks},
            plugin_settings={PLUGIN: acs_settings(latency_sample_seconds=900)},
        )
