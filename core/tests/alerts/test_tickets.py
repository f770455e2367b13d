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


def test_ticket_evolution_counts_opened_resolved_and_open_per_day(
    api: Any, alerts_kernel: Any, rjc_client_factory: Any
) -> None:
    from datetime import timedelta

    from rjchronos.alerts.models import Ticket
    from rjchronos.db.types import utcnow

    now = utcnow()
    with alerts_kernel.db.session() as session:
        session.add_all(
            [
                # opened 20 days ago and resolved 18 days ago: outside a 14-day window
                Ticket(title="old", created_at=now - timedelta(days=20),
                       resolved_at=now - timedelta(days=18), status="resolved"),
                # opened before the window, still open: open on every day
                Ticket(title="long", created_at=now - timedelta(days=30)),
                # opened 3.5 days ago, resolved 2.5 days ago
                Ticket(title="fixed", created_at=now - timedelta(days=3, hours=12),
                       resolved_at=now - timedelta(days=2, hours=12), status="resolved"),
            ]
        )  # fmt: skip
        session.commit()
    opened = api.post("/api/v1/tickets", json={"title": "today"})
    assert opened.status_code == 201

    viewer = rjc_client_factory("viewer", kernel=alerts_kernel)
    answer = viewer.get("/api/v1/tickets/evolution", params={"days": 7})
    assert answer.status_code == 200, answer.text
    evolution = answer.json()
    assert evolution["days"] == 7
    assert (evolution["opened"], evolution["resolved"], evolution["open_now"]) == (2, 1, 2)
    points = evolution["points"]
    assert len(points) == 7
    assert [p["opened"] for p in points] == [0, 0, 0, 1, 0, 0, 1]
    assert [p["resolved"] for p in points] == [0, 0, 0, 0, 1, 0, 0]
    assert [p["open"] for p in points] == [1, 1, 1, 2, 1, 1, 2]
    assert points[-1]["end"] == evolution["end"]

    default = viewer.get("/api/v1/tickets/evolution").json()
    assert default["days"] == 14 and default["opened"] == 2
    bad = viewer.get("/api/v1/tickets/evolution", params={"days": 0})
    assert bad.status_code == 422
    assert bad.json()["invalid_params"][0]["name"] == "query.days"
