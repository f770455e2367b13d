"""Channels and deliveries over real HTTP: retries, dead letter, idempotency, rate limits."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from rjchronos.drivers.contracts import Attachment
from rjchronos.notifications import service
from rjchronos.notifications.models import NotificationChannel, NotificationDelivery

from .conftest import NOTIFIER, HttpTestNotifier, Receiver


def test_channel_secret_is_encrypted_and_masked(api: Any, alerts_kernel: Any, channel: Any) -> None:
    assert channel["config"] == {"url": channel["config"]["url"]}
    assert channel["secrets_set"] == ["token"]
    with alerts_kernel.db.session() as session:
        row = session.execute(select(NotificationChannel)).scalar_one()
    assert "t0ken" not in str(row.secrets_encrypted)
    assert alerts_kernel.secrets.decrypt(row.secrets_encrypted["token"]) == "t0ken"
    entries = api.get("/api/v1/audit", params={"action": "notification_channel.create"}).json()
    assert entries["items"], "channel creation is audited"
    assert "t0ken" not in str(entries)


def test_bad_channel_config_is_422_naming_the_field(api: Any) -> None:
    response = api.post(
        "/api/v1/notification-channels",
        json={"name": "x", "type": NOTIFIER, "config": {"url": "ftp://nope"}},
    )
    assert response.status_code == 422
    assert response.json()["invalid_params"][0]["name"] == "body.config.url"
    response = api.post("/api/v1/notification-channels", json={"name": "y", "type": "pigeon"})
    assert response.status_code == 422
    assert response.json()["invalid_params"][0]["name"] == "body.type"


def test_channel_types_with_their_schema(api: Any, rjc_client_factory: Any) -> None:
    types = api.get("/api/v1/notification-types")
    assert types.status_code == 200, types.text
    by_name = {t["name"]: t for t in types.json()["items"]}
    assert by_name[NOTIFIER]["title"] == "HTTP test receiver"
    assert by_name[NOTIFIER]["config_schema"]["required"] == ["url"]
    assert by_name[NOTIFIER]["secret_fields"] == ["token"]
    assert rjc_client_factory(None).get("/api/v1/notification-types").status_code == 401


def test_test_message_is_delivered_over_http(api: Any, channel: Any, receiver: Receiver) -> None:
    response = api.post(f"/api/v1/notification-channels/{channel['id']}/test", json={})
    assert response.status_code == 202, response.text
    delivery = api.get(f"/api/v1/notification-deliveries/{response.json()['id']}").json()
    assert delivery["status"] == "delivered"
    assert delivery["provider_id"] == "msg-1"
    assert [m["recipient"] for m in receiver.received] == ["noc@example.net"]
    assert receiver.received[0]["subject"] == "Teste do canal noc"


def test_endpoint_down_retries_then_dead_letter(
    api: Any, alerts_kernel: Any, channel: Any, receiver: Receiver
) -> None:
    receiver.failing = True
    delivery_id = service.notify(
        alerts_kernel,
        channel["id"],
        "alert.opened",
        {"title": "LOS", "severity": "major"},
        idempotency_key="k-dead",
        language="en",
    )
    delivery = api.get(f"/api/v1/notification-deliveries/{delivery_id}").json()
    assert delivery["status"] == "dead"
    assert delivery["attempts"] == 3
    assert delivery["last_error"] == "HTTP 503"
    dead = api.get("/api/v1/notification-deliveries", params={"status": "dead"}).json()
    assert [d["id"] for d in dead["items"]] == [delivery_id]
    assert receiver.received == []


def test_same_key_and_rerun_job_never_send_twice(
    alerts_kernel: Any, channel: Any, receiver: Receiver
) -> None:
    first = service.notify(alerts_kernel, channel["id"], "test", {}, idempotency_key="once")
    again = service.notify(alerts_kernel, channel["id"], "test", {}, idempotency_key="once")
    assert first == again
    # A worker that restarts re-runs the job (the reconciler's retry of its lease).
    rerun = alerts_kernel.jobs.enqueue(service.JOB_TYPE, {"delivery": first})
    assert alerts_kernel.jobs.get(rerun).result == {"status": "delivered", "sent": False}
    assert len(receiver.received) == 1
    assert receiver.received[0]["variables"]["idempotency_key"] == "once"


def test_rate_limit_defers_the_excess(
    api: Any, alerts_kernel: Any, channel: Any, receiver: Receiver
) -> None:
    api.patch(f"/api/v1/notification-channels/{channel['id']}", json={"rate_limit_per_minute": 2})
    ids = [
        service.notify(alerts_kernel, channel["id"], "test", {}, idempotency_key=f"r{n}")
        for n in range(4)
    ]
    statuses = [api.get(f"/api/v1/notification-deliveries/{i}").json()["status"] for i in ids]
    assert statuses == ["delivered", "delivered", "throttled", "throttled"]
    assert len(receiver.received) == 2


def test_templates_in_both_languages(api: Any) -> None:
    items = {t["name"]: t for t in api.get("/api/v1/notification-templates").json()["items"]}
    assert set(items["customer.outage"]["languages"]) == {"pt-BR", "en"}


def test_a_worker_dying_after_sending_never_sends_twice(
    alerts_kernel: Any, channel: Any, receiver: Receiver
) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from rjchronos.db.types import utcnow
    from rjchronos.jobs.models import Job

    delivery_id = service.notify(alerts_kernel, channel["id"], "test", {}, idempotency_key="crash")
    with alerts_kernel.db.session() as session:
        job = session.execute(select(Job).where(Job.type == service.JOB_TYPE)).scalar_one()
        # The worker sent the message and died before recording the job as done.
        session.execute(
            update(Job)
            .where(Job.id == job.id)
            .values(status="running", lease_until=utcnow() - timedelta(minutes=1), result=None)
        )
        session.commit()
    alerts_kernel.jobs.reconcile(now=utcnow())
    rerun = alerts_kernel.jobs.get(job.id)
    assert rerun.status == "done"
    assert rerun.result == {"status": "delivered", "sent": False}
    assert len(receiver.received) == 1
    assert delivery_id


def test_attachments_go_only_to_types_that_take_them(
    api: Any, alerts_kernel: Any, channel: Any, receiver: Receiver
) -> None:
    # The test channel type does not declare attachments: the message goes without the file,
    # and the file's bytes never reach the notifier's variables nor the API.
    assert not service.accepts_attachments(alerts_kernel, NOTIFIER)
    delivery_id = service.notify(
        alerts_kernel,
        channel["id"],
        "test",
        {},
        idempotency_key="with-file",
        attachments=[Attachment("r.pdf", "application/pdf", b"%PDF-1.4 x")],
    )
    [message] = receiver.received
    assert service.ATTACHMENTS not in message["variables"]
    assert "r.pdf" not in str(message)
    delivery = api.get(f"/api/v1/notification-deliveries/{delivery_id}").json()
    assert delivery["status"] == "delivered" and "r.pdf" not in str(delivery)
    # Kept with the delivery, so a retry would send the same file.
    with alerts_kernel.db.session() as session:
        row = session.get(NotificationDelivery, delivery_id)
        assert row is not None
        assert row.variables[service.ATTACHMENTS][0]["filename"] == "r.pdf"


def test_a_single_delivery_goes_through_the_notifiers_batch_path(
    alerts_kernel: Any, channel: Any, receiver: Receiver, monkeypatch: Any
) -> None:
    # A notifier's send_many may be its cheaper path (the webhook's kept-alive pool).
    batches: list[int] = []
    default = HttpTestNotifier.send_many

    async def send_many(self: HttpTestNotifier, notifications: Any) -> Any:
        batches.append(len(notifications))
        return await default(self, notifications)

    monkeypatch.setattr(HttpTestNotifier, "send_many", send_many)
    delivery_id = service.notify(alerts_kernel, channel["id"], "test", {}, idempotency_key="one")
    with alerts_kernel.db.session() as session:
        delivery = session.get(NotificationDelivery, delivery_id)
        assert delivery is not None and delivery.status == "delivered"
    assert batches == [1]
    assert len(receiver.received) == 1
