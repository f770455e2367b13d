"""Bursts: many events evaluated together open each alert once and send in batched jobs."""

from __future__ import annotations

import socket
from typing import Any

from sqlalchemy import insert, select

from rjchronos.alerts import engine
from rjchronos.alerts.lifecycle import unresolved_of
from rjchronos.alerts.models import alerts
from rjchronos.db.types import utcnow
from rjchronos.events import DeviceEvent
from rjchronos.jobs.models import Job
from rjchronos.notifications import service
from rjchronos.notifications.models import NotificationDelivery

from .conftest import NOTIFIER, Receiver, add_device, los_rule


def _los(device_ids: list[str]) -> list[DeviceEvent]:
    now = utcnow()
    return [
        DeviceEvent(n + 1, "onu.los", device_id, now, {"port": "0/1/0"})
        for n, device_id in enumerate(device_ids)
    ]


def _delivery_jobs(kernel: Any) -> list[Job]:
    with kernel.db.session() as session:
        rows = session.execute(select(Job).where(Job.type == service.JOB_TYPE)).scalars()
        return list(rows)


def test_a_burst_opens_each_alert_once_and_sends_in_one_batch(
    api: Any, alerts_kernel: Any, channel: Any, receiver: Receiver
) -> None:
    los_rule(api, [channel["id"]])
    onus = [add_device(alerts_kernel, f"onu-{n}") for n in range(30)]
    # The first ONU reports twice in the burst: one alert, two occurrences.
    assert engine.on_events(alerts_kernel, _los([*onus, onus[0]])) == 31

    alerts = api.get("/api/v1/alerts", params={"limit": 100}).json()["items"]
    assert len(alerts) == 30
    assert {a["device_id"] for a in alerts} == set(onus)
    assert [a["occurrences"] for a in alerts if a["device_id"] == onus[0]] == [2]
    assert sorted(m["subject"] for m in receiver.received) == sorted(
        f"[MAJOR] ONU LOS: onu-{n}" for n in range(30)
    )
    [job] = _delivery_jobs(alerts_kernel)
    assert job.status == "done"
    assert len(job.params["deliveries"]) == 30
    assert job.result == {"delivered": 30}

    audit = api.get("/api/v1/audit", params={"action": "alert.opened", "limit": 100}).json()
    assert sorted(e["target"] for e in audit["items"]) == sorted(f"alert:{a['id']}" for a in alerts)
    assert alerts_kernel.audit.check().ok
    timeline = api.get(f"/api/v1/devices/{onus[0]}/events").json()["items"]
    assert [e["type"] for e in timeline].count("alert.opened") == 1


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_in_a_batch_only_the_failures_are_retried_each_in_a_job_of_its_own(
    api: Any, alerts_kernel: Any, channel: Any, receiver: Receiver
) -> None:
    response = api.post(
        "/api/v1/notification-channels",
        json={
            "name": "down",
            "type": NOTIFIER,
            "config": {"url": f"http://127.0.0.1:{_closed_port()}/hook"},
            "recipient": "ops@example.net",
        },
    )
    assert response.status_code == 201, response.text
    down = response.json()["id"]
    los_rule(api, [channel["id"], down])
    onus = [add_device(alerts_kernel, f"onu-{n}") for n in range(3)]
    engine.on_events(alerts_kernel, _los(onus))

    with alerts_kernel.db.session() as session:
        deliveries = list(session.execute(select(NotificationDelivery)).scalars())
    by_channel = {
        key: sorted((d.status, d.attempts) for d in deliveries if d.channel_id == key)
        for key in (channel["id"], down)
    }
    assert by_channel == {channel["id"]: [("delivered", 1)] * 3, down: [("retrying", 1)] * 3}
    assert len(receiver.received) == 3
    retries = [j for j in _delivery_jobs(alerts_kernel) if "delivery" in j.params]
    assert sorted(j.params["delivery"] for j in retries) == sorted(
        d.id for d in deliveries if d.channel_id == down
    )
    assert all(j.status == "pending" and j.run_at and j.run_at > utcnow() for j in retries)


def test_a_batch_reads_the_unresolved_alerts_of_its_keys_in_one_query(
    alerts_kernel: Any,
) -> None:
    now = utcnow()
    # Each key has resolved alerts; two keys in three also have one unresolved alert.
    statuses = ["open", "acknowledged", "resolved"]
    rows = [
        {"id": f"a{n:03d}", "rule_name": "r", "dedup_key": f"k{n % 100}",
         "status": statuses[n % 3] if n < 100 else "resolved", "severity": "major",
         "title": "t", "details": {}, "opened_at": now, "last_seen_at": now}
        for n in range(300)
    ]  # fmt: skip
    with alerts_kernel.db.engine.begin() as connection:
        connection.execute(insert(alerts), rows)
    wanted = [f"k{n}" for n in range(0, 100, 7)]
    with alerts_kernel.db.session() as session:
        found = session.execute(unresolved_of(alerts_kernel, wanted)).scalars().all()
    expected = {r["id"] for r in rows if r["dedup_key"] in wanted and r["status"] != "resolved"}
    assert {alert.id for alert in found} == expected
