"""Tickets: open, assigned, resolved; linked to customer and device; audited, on the timeline."""

from __future__ import annotations

from typing import Any

from rjchronos.customers.models import Customer

from .conftest import add_device


def test_ticket_lifecycle_with_links(api: Any, alerts_kernel: Any, rjc_client_factory: Any) -> None:
    device = add_device(alerts_kernel, "onu-t")
    with alerts_kernel.db.session() as session:
        customer = Customer(name="Maria")
        session.add(customer)
        session.commit()
        customer_id = customer.id
    bad = api.post("/api/v1/tickets", json={"title": "x", "device_id": "nope"})
    assert bad.status_code == 422
    assert bad.json()["invalid_params"][0]["name"] == "body.device_id"
    assert api.post("/api/v1/tickets", json={"title": ""}).status_code == 422

    opened = api.post(
        "/api/v1/tickets",
        json={"title": "Sem sinal", "customer_id": customer_id, "device_id": device},
    )
    assert opened.status_code == 201, opened.text
    ticket = opened.json()
    assert ticket["status"] == "open"
    viewer = rjc_client_factory("viewer", kernel=alerts_kernel)
    assert (
        viewer.post(f"/api/v1/tickets/{ticket['id']}/assign", json={"assignee": "a"}).status_code
        == 403
    )
    assigned = api.post(f"/api/v1/tickets/{ticket['id']}/assign", json={"assignee": "ana"}).json()
    assert (assigned["status"], assigned["assignee"]) == ("assigned", "ana")
    resolved = api.post(f"/api/v1/tickets/{ticket['id']}/resolve", json={"resolution": "ok"})
    assert resolved.json()["status"] == "resolved"
    assert resolved.json()["time_to_resolve_seconds"] >= 0
    again = api.post(f"/api/v1/tickets/{ticket['id']}/resolve", json={})
    assert again.status_code == 409
    by_customer = api.get("/api/v1/tickets", params={"customer": customer_id}).json()["items"]
    assert [t["id"] for t in by_customer] == [ticket["id"]]
    types = [e["type"] for e in api.get(f"/api/v1/devices/{device}/events").json()["items"]]
    assert {"ticket.opened", "ticket.assigned", "ticket.resolved"} <= set(types)
    audit = api.get("/api/v1/audit", params={"action": "ticket.resolved"}).json()["items"]
    assert [a["target"] for a in audit] == [f"ticket:{ticket['id']}"]
