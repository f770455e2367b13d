"""Suggested actions under their policies: approval, automatic limits, verification, rollback,
audit and the success rate."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlmodel import select

from rjchronos.ai.policy import Policy
from rjchronos.db.types import utcnow
from rjchronos.inventory.models import Device
from rjchronos.telemetry.store import Sample

KIND = "wifi.change_channel"
MINUTE = timedelta(minutes=1)


def _interference(tools: SimpleNamespace, kernel: Any, device_id: str) -> None:
    radio = f"{device_id}/radio/1"
    for metric, value in (
        ("cpe.wifi_retrans_pct", 46.0),
        ("cpe.wifi_rssi_dbm", -79.0),
        ("cpe.wifi_channel", 6.0),
    ):
        tools.write_series(
            kernel, radio, metric, value, ago=40 * MINUTE, span=30 * MINUTE, step=5 * MINUTE
        )


def _reading(kernel: Any, device_id: str, retrans: float) -> None:
    kernel.telemetry.write(
        [Sample(f"{device_id}/radio/1", "cpe.wifi_retrans_pct", utcnow(), retrans)]
    )


def _scan(kernel: Any) -> dict[str, int]:
    job = kernel.jobs.get(kernel.jobs.enqueue("ai.scan", {}))
    assert job.status == "done", job.error
    return dict(job.result)


def _actions(api: Any, **query: str) -> list[dict[str, Any]]:
    found = api.get("/api/v1/ai/actions", params=query)
    assert found.status_code == 200, found.text
    return list(found.json()["items"])


def _audited(api: Any, action_id: str) -> list[str]:
    """The audit log's actions on this action, oldest first."""
    found = api.get("/api/v1/audit", params={"target": f"ai_action:{action_id}"})
    assert found.status_code == 200, found.text
    return [entry["action"] for entry in reversed(found.json()["items"])]


def _until_verified(kernel: Any) -> None:
    """Run due jobs, as the worker's loop would, until no action is verifying any more."""
    from rjchronos.ai.models import AiAction

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        kernel.jobs.reconcile()
        with kernel.db.session() as session:
            if not session.exec(select(AiAction).where(AiAction.status == "verifying")).first():
                return
        time.sleep(0.05)


def _cpe(kernel: Any, name: str, tags: list[str]) -> str:
    with kernel.db.session() as session:
        device = Device(kind="cpe", name=name, status="online", last_seen=utcnow(), tags=tags)
        session.add(device)
        session.commit()
        return device.id


def test_a_suggestion_runs_only_when_approved_and_can_be_rolled_back(
    ai_kernel: Callable[..., Any],
    rjc_client_factory: Callable[..., Any],
    tools: SimpleNamespace,
    gateway: Any,
) -> None:
    kernel = ai_kernel()
    site = tools.plant(kernel)
    _interference(tools, kernel, site.cpe)
    assert _scan(kernel)["suggested"] == 1
    viewer, operator = (
        rjc_client_factory("viewer", kernel=kernel),
        rjc_client_factory("operator", kernel=kernel),
    )
    [action] = _actions(viewer, kind=KIND)
    assert (action["status"], action["mode"], action["cause"]) == (
        "suggested",
        "suggest",
        "wifi_interference",
    )
    assert action["evidence"]["pt-BR"].startswith("Wi-Fi rádio 1 (canal 6)")
    assert gateway.channel == {}
    assert _scan(kernel)["suggested"] == 0  # one open suggestion per device and kind

    assert viewer.post(f"/api/v1/ai/actions/{action['id']}/approve", json={}).status_code == 403
    approved = operator.post(f"/api/v1/ai/actions/{action['id']}/approve", json={})
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "verifying"
    assert approved.json()["previous"] == {"channel": 6}
    assert gateway.channel == {site.cpe: 11}

    rolled = operator.post(f"/api/v1/ai/actions/{action['id']}/rollback", json={})
    assert rolled.status_code == 200, rolled.text
    assert rolled.json()["status"] == "rolled_back"
    assert gateway.channel == {site.cpe: 6}
    assert operator.post(f"/api/v1/ai/actions/{action['id']}/rollback", json={}).status_code == 409
    admin = rjc_client_factory("admin", kernel=kernel)
    assert _audited(admin, action["id"]) == [
        "ai.action.suggest",
        "ai.action.approve",
        "ai.action.execute",
        "ai.action.rollback",
    ]
    timeline = viewer.get(f"/api/v1/devices/{site.cpe}/events").json()["items"]
    assert {"ai.action.executed", "ai.action.rolled_back"} <= {e["type"] for e in timeline}


def test_approve_policy_waits_and_a_rejected_suggestion_stays_rejected(
    ai_kernel: Callable[..., Any],
    rjc_client_factory: Callable[..., Any],
    tools: SimpleNamespace,
    gateway: Any,
) -> None:
    kernel = ai_kernel(policies={KIND: {"mode": "approve"}})
    site = tools.plant(kernel)
    _interference(tools, kernel, site.cpe)
    _scan(kernel)
    operator = rjc_client_factory("operator", kernel=kernel)
    [action] = _actions(operator, status="awaiting_approval")
    rejected = operator.post(
        f"/api/v1/ai/actions/{action['id']}/reject", json={"reason": "cliente pediu"}
    )
    assert rejected.json()["status"] == "rejected"
    assert operator.post(f"/api/v1/ai/actions/{action['id']}/approve", json={}).status_code == 409
    assert gateway.channel == {}


def test_automatic_actions_stay_within_scope_and_rate(
    ai_kernel: Callable[..., Any], tools: SimpleNamespace, gateway: Any
) -> None:
    policy = {"mode": "auto", "max_per_hour": 1, "scope": {"tags": ["pilot"]}}
    kernel = ai_kernel(policies={KIND: policy})
    site = tools.plant(kernel)
    other, second_pilot = _cpe(kernel, "CPE-x", []), _cpe(kernel, "CPE-y", ["pilot"])
    for device_id in (site.cpe, other, second_pilot):
        _interference(tools, kernel, device_id)
    counts = _scan(kernel)
    assert (counts["suggested"], counts["scheduled"]) == (3, 1)
    assert list(gateway.channel.values()) == [11]
    executed = next(iter(gateway.channel))
    from rjchronos.ai.models import AiAction

    with kernel.db.session() as session:
        notes = {a.device_id: (a.status, a.note) for a in session.exec(select(AiAction)).all()}
    assert notes[executed][0] == "verifying"
    assert notes[other] == ("suggested", "outside the automatic policy's scope")
    waiting = second_pilot if executed == site.cpe else site.cpe
    assert notes[waiting] == ("suggested", "rate limit: 1 executions an hour")


def test_outside_the_maintenance_window_the_action_waits_for_it(
    ai_kernel: Callable[..., Any], tools: SimpleNamespace, gateway: Any
) -> None:
    now = utcnow()
    opens = (now + timedelta(hours=2)).strftime("%H:%M")
    closes = (now + timedelta(hours=3)).strftime("%H:%M")
    kernel = ai_kernel(policies={KIND: {"mode": "auto", "window": {"start": opens, "end": closes}}})
    site = tools.plant(kernel)
    _interference(tools, kernel, site.cpe)
    assert _scan(kernel)["scheduled"] == 1
    assert gateway.channel == {}
    from rjchronos.ai.models import AiAction

    with kernel.db.session() as session:
        [action] = session.exec(select(AiAction)).all()
    assert action.status == "scheduled"
    assert action.note.startswith("waits for the maintenance window at")
    job = kernel.jobs.get(action.result["execute_job"])
    assert job.status == "pending"
    assert job.run_at.strftime("%H:%M") == opens and job.run_at > now


@pytest.mark.parametrize(
    ("after", "status", "outcome", "channel"),
    [
        (4.0, "succeeded", "recovered", 11),
        (70.0, "rolled_back", "worse", 6),
        (44.0, "failed", "unchanged", 11),
    ],
)
def test_verification_compares_the_metric_before_and_after(
    ai_kernel: Callable[..., Any],
    rjc_client_factory: Callable[..., Any],
    tools: SimpleNamespace,
    gateway: Any,
    after: float,
    status: str,
    outcome: str,
    channel: int,
) -> None:
    kernel = ai_kernel(verify_after_seconds=0.3, policies={KIND: {"mode": "auto"}})
    site = tools.plant(kernel)
    _interference(tools, kernel, site.cpe)
    _scan(kernel)
    _reading(kernel, site.cpe, after)
    _until_verified(kernel)
    api = rjc_client_factory("viewer", kernel=kernel)
    [action] = _actions(api, kind=KIND)
    assert (action["status"], action["outcome"]) == (status, outcome)
    assert (action["metric_before"], action["metric_after"]) == (46.0, after)
    assert gateway.channel == {site.cpe: channel}
    stats = api.get("/api/v1/ai/actions/stats").json()["kinds"][KIND]
    assert stats["success_rate"] == (1.0 if status == "succeeded" else 0.0)


def test_without_readings_after_the_change_it_is_not_counted_a_success(
    ai_kernel: Callable[..., Any], rjc_client_factory: Callable[..., Any], tools: SimpleNamespace
) -> None:
    kernel = ai_kernel(
        verify_after_seconds=0.3, verify_attempts=1, policies={KIND: {"mode": "auto"}}
    )
    site = tools.plant(kernel)
    _interference(tools, kernel, site.cpe)
    _scan(kernel)
    _until_verified(kernel)
    [action] = _actions(rjc_client_factory("viewer", kernel=kernel), kind=KIND)
    assert (action["status"], action["outcome"]) == ("failed", "unverified")


def test_stats_refuse_a_bad_since(
    rjc_client_factory: Callable[..., Any], ai_kernel: Callable[..., Any]
) -> None:
    api = rjc_client_factory("viewer", kernel=ai_kernel())
    bad = api.get("/api/v1/ai/actions/stats", params={"since": "yesterday"})
    assert bad.status_code == 422
    assert bad.json()["invalid_params"][0]["name"] == "since"
    assert api.get("/api/v1/ai/actions/stats").json()["total"]["success_rate"] is None


def test_maintenance_windows_across_midnight_and_on_chosen_days() -> None:
    policy = Policy(window={"start": "22:00", "end": "04:00", "days": [5]})  # Saturday night
    saturday_late = datetime(2026, 12, 5, 23, 0, tzinfo=UTC)
    assert saturday_late.weekday() == 5
    assert policy.next_window(saturday_late) is None
    assert policy.next_window(saturday_late + timedelta(hours=3)) is None  # Sunday 02:00
    sunday_noon = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    assert policy.next_window(sunday_noon) == datetime(2026, 12, 12, 22, 0, tzinfo=UTC)
    assert Policy().next_window(sunday_noon) is None


def test_a_user_scoped_to_another_olt_sees_neither_the_diagnosis_nor_the_actions(
    ai_kernel: Callable[..., Any], rjc_client_factory: Callable[..., Any], tools: SimpleNamespace
) -> None:
    from rjchronos.security.tokens import issue_access_token
    from rjchronos.security.users import bind_role, create_user

    kernel = ai_kernel()
    site = tools.plant(kernel)
    _interference(tools, kernel, site.cpe)
    _scan(kernel)

    def scoped(scope: str) -> Any:
        user = create_user(kernel, f"ana-{scope[-4:]}", "correct horse battery", roles=())
        assert user.id is not None
        bind_role(kernel, user.id, "operator", scope)
        token, _ = issue_access_token(kernel, user)
        client = rjc_client_factory(None, kernel=kernel)
        client.headers["Authorization"] = f"Bearer {token}"
        return client

    elsewhere, here = scoped("olt:01HZZZZZZZZZZZZZZZZZZZZZZZ"), scoped(f"olt:{site.olt}")
    assert elsewhere.get(f"/api/v1/devices/{site.cpe}/diagnosis").status_code == 404
    assert _actions(elsewhere) == []
    [action] = _actions(here)
    assert elsewhere.get(f"/api/v1/ai/actions/{action['id']}").status_code == 404
    assert elsewhere.post(f"/api/v1/ai/actions/{action['id']}/approve", json={}).status_code == 404
    assert here.get(f"/api/v1/devices/{site.cpe}/diagnosis").json()["items"]


def test_a_reboot_loop_suggests_reprovisioning_and_an_approved_ticket_is_opened(
    ai_kernel: Callable[..., Any], rjc_client_factory: Callable[..., Any], tools: SimpleNamespace
) -> None:
    kernel = ai_kernel(policies={"cpe.reprovision": {"mode": "auto"}})
    site = tools.plant(kernel)
    for _ in range(4):
        kernel.events.emit("cpe.boot", site.cpe, {})
    _scan(kernel)
    operator = rjc_client_factory("operator", kernel=kernel)
    by_kind = {a["kind"]: a for a in _actions(operator)}
    # No ACS in this kernel: nothing can reprovision, so even "auto" only suggests.
    reprovision = by_kind["cpe.reprovision"]
    assert reprovision["status"] == "suggested"
    assert reprovision["note"] == "no executor for 'cpe.reprovision' is installed"
    assert (
        operator.post(f"/api/v1/ai/actions/{reprovision['id']}/approve", json={}).status_code == 409
    )

    ticket = by_kind["ticket.open"]
    approved = operator.post(f"/api/v1/ai/actions/{ticket['id']}/approve", json={}).json()
    assert (approved["status"], approved["outcome"]) == ("succeeded", "unverified")
    opened = operator.get(f"/api/v1/tickets/{approved['result']['execution']['ticket_id']}").json()
    assert (opened["title"], opened["device_id"]) == ("CPE reboot loop", site.cpe)
    assert opened["created_by"] == "system:ai"
