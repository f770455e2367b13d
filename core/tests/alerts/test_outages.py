"""Route outage analysis: a cut splitter is one incident, its customers told once, and recovery."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from rjchronos.customers.models import Customer
from rjchronos.inventory.models import Device

from .conftest import NOTIFIER, Receiver, TestNotifiers, emit

ONUS_CUT = 60
ONUS_UP = 20


@pytest.fixture
def outage_kernel(rjc_kernel_factory: Any) -> Any:
    from .conftest import HttpTestNotifier

    kernel = rjc_kernel_factory(
        plugins={"test-notifiers": TestNotifiers()},
        plugin_settings={
            "builtin.alerts": {
                "incident_channels": ["noc"],
                "customer_channels": {"email": "customers-email", "phone": "customers-sms"},
            }
        },
    )
    kernel.drivers.add("rjchronos.notifiers", NOTIFIER, HttpTestNotifier)
    return kernel


def _channels(api: Any, receiver: Receiver) -> None:
    for name, recipient in (
        ("noc", "noc@isp.example"),
        ("customers-email", ""),
        ("customers-sms", ""),
    ):
        response = api.post(
            "/api/v1/notification-channels",
            json={"name": name, "type": NOTIFIER, "config": {"url": receiver.url},
                  "recipient": recipient},
        )  # fmt: skip
        assert response.status_code == 201, response.text


def _plant(kernel: Any) -> dict[str, Any]:
    """OLT > PON > splitter A (60 ONUs) and splitter B (20 ONUs), one customer per ONU."""
    with kernel.db.session() as session:
        olt = Device(kind="olt", name="OLT-Centro")
        session.add(olt)
        session.flush()
        pon = Device(kind="pon", name="0/1/0", parent_id=olt.id, olt_id=olt.id)
        session.add(pon)
        session.flush()
        plant: dict[str, Any] = {"olt": olt.id, "pon": pon.id, "onus": {}, "customers": {}}
        for splitter_name, count in (("CTO-A", ONUS_CUT), ("CTO-B", ONUS_UP)):
            splitter = Device(kind="splitter", name=splitter_name, parent_id=pon.id, olt_id=olt.id)
            session.add(splitter)
            session.flush()
            plant[splitter_name] = splitter.id
            plant["onus"][splitter_name] = []
            plant.setdefault("customers_of", {})[splitter_name] = []
            for n in range(count):
                prefers_email = n % 2 == 0
                customer = Customer(
                    name=f"Cliente {splitter_name}-{n} Silva",
                    contacts={
                        "email": f"c{splitter_name}{n}@mail.example",
                        "phone": f"+55119{n:08d}",
                    },
                    preferred_channel="email" if prefers_email else "phone",
                )
                session.add(customer)
                session.flush()
                onu = Device(kind="onu", name=f"ONU-{splitter_name}-{n}", parent_id=splitter.id,
                             olt_id=olt.id, customer_id=customer.id)  # fmt: skip
                session.add(onu)
                session.flush()
                plant["onus"][splitter_name].append(onu.id)
                plant["customers_of"][splitter_name].append(customer.id)
                plant["customers"][customer.id] = customer.contacts[
                    "email" if prefers_email else "phone"
                ]
        session.commit()
    return plant


def _by_template(receiver: Receiver) -> Counter[str]:
    return Counter(m["template"] for m in receiver.received)


def test_cut_splitter_is_one_fiber_incident_then_power(
    outage_kernel: Any, rjc_client_factory: Any, receiver: Receiver
) -> None:
    api = rjc_client_factory("admin", kernel=outage_kernel)
    _channels(api, receiver)
    plant = _plant(outage_kernel)
    cut = plant["onus"]["CTO-A"]
    for onu in cut:
        emit(outage_kernel, "onu.los", onu, {"port": "0/1/0"})

    listing = api.get("/api/v1/incidents").json()
    assert "items" in listing, listing
    [incident] = listing["items"]
    assert incident["kind"] == "fiber"
    assert incident["status"] == "open"
    assert incident["element"] == {"id": plant["CTO-A"], "kind": "splitter", "name": "CTO-A"}
    assert sorted(incident["device_ids"]) == sorted(cut)
    expected_customers = {c for c, _ in plant["customers"].items()} & set(incident["customer_ids"])
    assert len(incident["customer_ids"]) == ONUS_CUT == len(expected_customers)
    sent = _by_template(receiver)
    assert sent["incident.opened"] == 1, "operators hear of the incident once"
    assert sent["customer.outage"] == ONUS_CUT
    to_customers = {m["recipient"] for m in receiver.received if m["template"] == "customer.outage"}
    assert to_customers == {plant["customers"][c] for c in incident["customer_ids"]}
    assert any(r.startswith("+55") for r in to_customers)
    assert any(r.endswith("@mail.example") for r in to_customers)
    timeline = api.get(f"/api/v1/devices/{plant['CTO-A']}/events").json()["items"]
    assert "incident.opened" in {e["type"] for e in timeline}

    for onu in cut:
        emit(outage_kernel, "onu.online", onu)
    recovered = api.get(f"/api/v1/incidents/{incident['id']}").json()
    assert recovered["status"] == "resolved"
    assert recovered["time_to_recover_seconds"] is not None
    assert recovered["recovered_at"] >= recovered["detected_at"]
    sent = _by_template(receiver)
    assert sent["incident.resolved"] == 1
    assert sent["customer.restored"] == ONUS_CUT

    for onu in cut:
        emit(outage_kernel, "onu.dying_gasp", onu)
    incidents = api.get("/api/v1/incidents", params={"status": "open"}).json()["items"]
    assert [(i["kind"], i["element"]["id"]) for i in incidents] == [("power", plant["CTO-A"])]
    assert _by_template(receiver)["incident.opened"] == 2


def test_scattered_los_opens_no_incident(
    outage_kernel: Any, rjc_client_factory: Any, receiver: Receiver
) -> None:
    api = rjc_client_factory("admin", kernel=outage_kernel)
    _channels(api, receiver)
    plant = _plant(outage_kernel)
    # Three ONUs of one splitter and two of the other: no element is mostly down.
    for onu in plant["onus"]["CTO-A"][:3] + plant["onus"]["CTO-B"][:2]:
        emit(outage_kernel, "onu.los", onu)
    assert api.get("/api/v1/incidents").json()["items"] == []
    assert receiver.received == []


def test_per_onu_alerts_join_the_incident_once_it_is_open(
    outage_kernel: Any, rjc_client_factory: Any, receiver: Receiver
) -> None:
    api = rjc_client_factory("admin", kernel=outage_kernel)
    _channels(api, receiver)
    noc = api.get("/api/v1/notification-channels").json()["items"][0]
    assert noc["name"] == "noc"
    rule = api.post(
        "/api/v1/alert-rules",
        json={"name": "ONU LOS", "condition": {"type": "event", "event": "onu.los"},
              "channels": [noc["id"]]},
    )  # fmt: skip
    assert rule.status_code == 201, rule.text
    plant = _plant(outage_kernel)
    for onu in plant["onus"]["CTO-A"]:
        emit(outage_kernel, "onu.los", onu)
    [incident] = api.get("/api/v1/incidents").json()["items"]
    alerts = api.get("/api/v1/alerts", params={"limit": 100}).json()["items"]
    grouped = [a for a in alerts if a["details"].get("incident_id") == incident["id"]]
    # 48 of 60 ONUs down (ratio 0.8) open the incident; the 47 before it alerted on their own.
    first = 48
    assert len(alerts) == ONUS_CUT
    assert len(grouped) == ONUS_CUT - first + 1
    assert not any(a["notified"] for a in grouped)
    assert _by_template(receiver)["alert.opened"] == first - 1
