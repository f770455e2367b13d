"""LGPD duties: export everything held, erase for good, retention of cancelled customers."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from rjchronos.customers import lgpd
from rjchronos.customers.models import Customer
from rjchronos.db.types import utcnow
from rjchronos.inventory.models import Device

PERSONAL = ("João", "12345678909", "123.456.789-09", "joao@example.com", "+5511912344321")


def link_device(kernel: Any, customer_id: str) -> str:
    with kernel.db.session() as session:
        device = Device(
            kind="onu", name="ONU da casa", serial="HWTC11E70E9A", customer_id=customer_id
        )
        session.add(device)
    return device.id


def test_export_holds_everything_about_the_customer(
    rjc_kernel: Any, admin: Any, customer: dict[str, Any], plan: dict[str, Any]
) -> None:
    device_id = link_device(rjc_kernel, customer["id"])
    rjc_kernel.events.emit("device.status_changed", device_id, {"from": "online", "to": "los"})

    answer = admin.get(f"/api/v1/customers/{customer['id']}/export")
    assert answer.status_code == 200, answer.text
    document = answer.json()
    assert document["customer"]["document"] == "123.456.789-09"
    assert document["customer"]["document_digits"] == "12345678909"
    assert document["customer"]["contacts"]["email"] == "joao@example.com"
    assert document["plan"]["name"] == plan["name"]
    assert document["devices"] == [device_id]
    assert [e["type"] for e in document["events"]] == ["device.status_changed"]
    assert document["events"][0]["payload"] == {"from": "online", "to": "los"}
    assert any(e["action"] == "customers.export" for e in rjc_kernel.audit.tail(20))


def test_erase_blanks_personal_data_keeps_links_and_audits_without_it(
    rjc_kernel: Any, admin: Any, viewer: Any, customer: dict[str, Any]
) -> None:
    device_id = link_device(rjc_kernel, customer["id"])
    answer = admin.post(f"/api/v1/customers/{customer['id']}/erase")
    assert answer.status_code == 200, answer.text
    erased = answer.json()
    assert erased["erased_at"] and erased["name"] == "(erased)"
    assert erased["document"] is None and erased["contacts"] == {} and erased["external_id"] is None
    assert erased["plan_id"] == customer["plan_id"]

    with rjc_kernel.db.session() as session:
        row = session.get(Customer, customer["id"])
        device = session.get(Device, device_id)
        assert row is not None and device is not None
        assert device.customer_id == customer["id"]  # kept for statistics
        stored_text = json.dumps(row.model_dump(mode="json"))
    for value in PERSONAL:
        assert value not in stored_text

    entry = [e for e in rjc_kernel.audit.tail(20) if e["action"] == "customers.erase"][-1]
    assert entry["target"] == f"customer:{customer['id']}"
    audit_text = json.dumps([e["params"] for e in rjc_kernel.audit.tail(100)])
    for value in PERSONAL:
        assert value not in audit_text

    assert admin.post(f"/api/v1/customers/{customer['id']}/erase").status_code == 409
    assert (
        admin.patch(f"/api/v1/customers/{customer['id']}", json={"name": "Back"}).status_code == 409
    )
    assert viewer.get(f"/api/v1/customers/{customer['id']}").json()["name"] == "(erased)"


def test_retention_erases_only_customers_cancelled_long_ago(
    rjc_kernel_factory: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lgpd, "RETENTION_BATCH", 1)  # exercise more than one batch
    kernel = rjc_kernel_factory(pii_retention_days=365)
    now = utcnow()
    people = {
        "old-cancelled": ("cancelled", now - timedelta(days=400)),
        "older-cancelled": ("cancelled", now - timedelta(days=3000)),
        "recent-cancelled": ("cancelled", now - timedelta(days=30)),
        "old-active": ("active", None),
        "old-suspended": ("suspended", None),
    }
    ids: dict[str, str] = {}
    with kernel.db.session() as session:
        for external_id, (status, cancelled_at) in people.items():
            customer = Customer(
                name=f"Pessoa {external_id}",
                external_id=external_id,
                document="52998224725",
                contacts={"email": "p@example.com"},
                status=status,
                cancelled_at=cancelled_at,
                created_at=now - timedelta(days=2000),
            )
            session.add(customer)
            ids[external_id] = customer.id

    schedules = [s for batch in kernel.hook.rjc_schedules(kernel=kernel) for s in batch]
    retention = next(s for s in schedules if s.job_type == "customers.retention")
    assert retention.every == timedelta(days=1)

    # The jobs engine's scheduler enqueues it once it is due; the inline broker runs it at once.
    kernel.jobs.run_schedules(now=now)
    job_ids = kernel.jobs.run_schedules(now=now + retention.every + retention.jitter)
    jobs = [kernel.jobs.get(job_id) for job_id in job_ids]
    job = next(j for j in jobs if j is not None and j.type == "customers.retention")
    assert job.status == "done", job.error
    expected = sorted([ids["old-cancelled"], ids["older-cancelled"]])
    assert job.result == {"erased": 2, "customer_ids": expected}

    with kernel.db.session() as session:
        rows = {key: session.get(Customer, value) for key, value in ids.items()}
    for key in ("old-cancelled", "older-cancelled"):
        row = rows[key]
        assert row is not None and row.erased_at is not None and row.document is None, key
        assert row.contacts == {} and row.name == "(erased)" and row.external_id is None
    for key in ("recent-cancelled", "old-active", "old-suspended"):
        row = rows[key]
        assert row is not None and row.erased_at is None and row.document == "52998224725", key

    entries = [e for e in kernel.audit.tail(20) if e["action"] == "customers.erase"]
    assert [e["actor"] for e in entries] == ["system:retention"] * 2
    assert [e["params"]["customer_ids"] for e in entries] == [[i] for i in expected]

    again = kernel.jobs.enqueue("customers.retention", {})
    assert kernel.jobs.get(again).result == {"erased": 0, "customer_ids": []}
