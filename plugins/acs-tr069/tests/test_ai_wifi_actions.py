"""On the CPE simulator: Wi-Fi interference is detected, the channel is changed automatically
under a policy through the ACS, the change is audited, verified, and rolled back when the
metric gets worse.

Everything talks over HTTP on 127.0.0.1: the CPE simulator speaks CWMP to the ACS under
uvicorn, the ACS sends it connection requests, and the test reads the REST API served by
uvicorn too. The scheduled jobs (``ai.scan``, and the delayed ``ai.verify``) are run as the
embedded worker would: enqueued and dispatched by the reconciler.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from simkit import Sim, start_sim

from rjchronos.db.types import utcnow
from rjchronos_sdk.sim.cpe.wifi import BUSY, HIDDEN_NOISE
from rjchronos_sdk.testing import DEADLINE, serve_asgi

KIND = "wifi.change_channel"
AI_SETTINGS = {
    "verify_after_seconds": 0.2,
    "verify_window_seconds": 600,
    "policies": {KIND: {"mode": "auto", "max_per_hour": 5, "rollback_on_worse": True}},
}


@pytest.fixture
def sim(rjc_kernel_factory: Callable[..., Any], rjc_client_factory: Any) -> Iterator[Sim]:
    def with_ai(**options: Any) -> Any:
        options["plugin_settings"] = {**options["plugin_settings"], "builtin.ai": AI_SETTINGS}
        return rjc_kernel_factory(**options)

    sim, listener = start_sim(
        with_ai, rjc_client_factory, "tr181", "1.4", count=1, telemetry_read_seconds=0.01
    )
    try:
        yield sim
    finally:
        sim.fleet.stop()
        listener.__exit__(None, None, None)


@pytest.fixture
def api(sim: Sim) -> Iterator[httpx.Client]:
    """The REST API of the same kernel, over HTTP, as the admin of ``sim.api``."""
    with serve_asgi(sim.kernel.asgi()) as url:
        headers = {"Authorization": sim.api.headers["Authorization"]}
        with httpx.Client(base_url=url, headers=headers, timeout=DEADLINE) as client:
            yield client


def _feed(sim: Sim, cpe: Any, sessions: int) -> None:
    """Sessions of the CPE, each ending with the ACS reading its telemetry."""
    for _ in range(sessions):
        task = sim.task(cpe, {"type": "schedule_inform", "delay_seconds": 3600})
        assert task["status"] == "done", task


def _radio_mean(sim: Sim, device_id: str, metric: str) -> float:
    now = utcnow()
    points = sim.kernel.telemetry.series(
        f"{device_id}/radio/1", metric, now - timedelta(hours=1), now
    )
    assert points, f"no {metric} read from the CPE"
    return sum(v for _, v in points) / len(points)


def _detect_and_act(sim: Sim, api: httpx.Client, cpe: Any) -> tuple[str, dict[str, Any]]:
    """Read the tree and some telemetry, diagnose, and let the scan act; the action it took."""
    assert sim.task(cpe, {"type": "refresh", "path": "Device."})["status"] == "done"
    _feed(sim, cpe, 2)
    device_id = sim.device_id(cpe)
    assert _radio_mean(sim, device_id, "cpe.wifi_retrans_pct") >= 40

    diagnosis = api.get(f"/api/v1/devices/{device_id}/diagnosis")
    assert diagnosis.status_code == 200, diagnosis.text
    top = diagnosis.json()["items"][0]
    assert top["cause"] == "wifi_interference"
    assert top["evidence"]["en"].startswith(
        f"Wi-Fi radio 1 (channel {sim.fleet.call(cpe.channel, 1)})"
    )
    assert "interferência ou canal congestionado" in top["evidence"]["pt-BR"]

    job = sim.kernel.jobs.get(sim.kernel.jobs.enqueue("ai.scan", {}))
    assert job.status == "done", job.error
    assert job.result["scheduled"] == 1, job.result
    listed = api.get("/api/v1/ai/actions", params={"device": device_id, "kind": KIND})
    [action] = listed.json()["items"]
    assert action["status"] == "verifying", action
    return device_id, action


def _until_final(sim: Sim, api: httpx.Client, cpe: Any, action_id: str) -> dict[str, Any]:
    """Feed readings and run due jobs until the verification has decided."""
    _feed(sim, cpe, 2)
    deadline = time.monotonic() + DEADLINE
    while True:
        sim.kernel.jobs.reconcile()
        action: dict[str, Any] = api.get(f"/api/v1/ai/actions/{action_id}").json()
        if action["status"] != "verifying" or time.monotonic() > deadline:
            return action
        time.sleep(0.05)


def _audit(api: httpx.Client, action: str, target: str) -> list[dict[str, Any]]:
    entries = api.get("/api/v1/audit", params={"action": action, "target": target})
    assert entries.status_code == 200, entries.text
    return list(entries.json()["items"])


def test_interference_is_fixed_by_an_automatic_channel_change(sim: Sim, api: httpx.Client) -> None:
    cpe = sim.fleet.fleet.cpes[0]
    original = sim.fleet.call(cpe.channel, 1)
    sim.fleet.call(cpe.interfere, 1, {original: BUSY})

    device_id, action = _detect_and_act(sim, api, cpe)
    # Changed through the ACS's task queue, to a channel its neighbours do not use.
    path = "Device.WiFi.Radio.1.Channel"
    new = sim.fleet.call(cpe.channel, 1)
    assert new != original and new in (1, 6, 11)
    assert action["previous"] == {path: str(original)}
    assert action["result"]["execution"]["channel"] == new
    assert action["result"]["execution"]["task_status"] == "done"
    tasks = api.get(f"/api/v1/devices/{device_id}/tasks").json()["items"]
    assert tasks[0]["params"]["values"] == {path: new}
    assert tasks[0]["created_by"] == "system:ai"

    final = _until_final(sim, api, cpe, action["id"])
    assert (final["status"], final["outcome"]) == ("succeeded", "recovered")
    assert final["metric_before"] >= 40 > 10 >= final["metric_after"]
    assert sim.fleet.call(cpe.channel, 1) == new

    target = f"ai_action:{action['id']}"
    [executed] = _audit(api, "ai.action.execute", target)
    assert executed["actor"] == "system:ai" and executed["result"] == "ok"
    assert executed["params"]["previous"] == {path: str(original)}
    [verified] = _audit(api, "ai.action.verify", target)
    assert verified["params"]["outcome"] == "recovered"
    queued = _audit(api, "acs.tasks.create", f"device:{device_id}")
    [by_ai] = [entry for entry in queued if entry["actor"] == "system:ai"]
    assert by_ai["params"]["values"] == {path: new}

    stats = api.get("/api/v1/ai/actions/stats").json()
    assert stats["kinds"][KIND]["succeeded"] == 1
    assert stats["kinds"][KIND]["success_rate"] == 1.0
    # The same diagnosis again suggests nothing new: the fix is recorded and worked.
    assert sim.kernel.jobs.get(sim.kernel.jobs.enqueue("ai.scan", {})).result["scheduled"] == 0


def test_a_change_that_makes_things_worse_is_rolled_back(sim: Sim, api: httpx.Client) -> None:
    cpe = sim.fleet.fleet.cpes[0]
    original = sim.fleet.call(cpe.channel, 1)
    # Neighbours on our channel, and interference no scan shows on every other one.
    sim.fleet.call(cpe.interfere, 1, {original: BUSY}, HIDDEN_NOISE)

    device_id, action = _detect_and_act(sim, api, cpe)
    assert sim.fleet.call(cpe.channel, 1) != original

    final = _until_final(sim, api, cpe, action["id"])
    assert (final["status"], final["outcome"]) == ("rolled_back", "worse")
    assert final["metric_after"] > final["metric_before"]
    assert final["result"]["rollback"]["task_status"] == "done"
    assert final["result"]["rolled_back_by"] == "system:ai"
    # The simulator is back on its original channel.
    assert sim.fleet.call(cpe.channel, 1) == original
    [rolled] = _audit(api, "ai.action.rollback", f"ai_action:{action['id']}")
    assert rolled["params"]["restored"] == {"Device.WiFi.Radio.1.Channel": str(original)}

    stats = api.get("/api/v1/ai/actions/stats").json()["kinds"][KIND]
    assert (stats["rolled_back"], stats["success_rate"]) == (1, 0.0)
    # A rolled-back action is not tried again on its own: the next scan only suggests it.
    _feed(sim, cpe, 1)
    assert sim.kernel.jobs.get(sim.kernel.jobs.enqueue("ai.scan", {})).result["scheduled"] == 0
    again = api.get("/api/v1/ai/actions", params={"device": device_id, "status": "suggested"})
    [suggested] = again.json()["items"]
    assert "rolled back on this device recently" in suggested["note"]
    # An operator may still roll back nothing twice.
    refused = api.post(f"/api/v1/ai/actions/{action['id']}/rollback", json={})
    assert refused.status_code == 409
