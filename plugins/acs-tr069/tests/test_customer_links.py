"""A CPE gets its customer from its PPPoE username, its ONU or a device with its MAC."""

from __future__ import annotations

from typing import Any

from acs_testkit import ScriptedCpe


def _customer(api: Any, name: str) -> str:
    response = api.post("/api/v1/customers", json={"name": name})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _cpe(api: Any, serial: str) -> dict[str, Any]:
    found = api.get("/api/v1/devices", params={"serial": serial, "kind": "cpe"}).json()["items"]
    assert len(found) == 1, found
    return dict(found[0])


def test_the_cpe_takes_the_customer_of_its_onu(cpe: ScriptedCpe, api: Any) -> None:
    customer = _customer(api, "Caio Reis")
    onu = {"kind": "onu", "name": "onu-1", "serial": cpe.serial, "customer_id": customer}
    assert api.post("/api/v1/devices", json=onu).status_code == 201
    assert cpe.inform(events=("1 BOOT",)).status_code == 200
    device = _cpe(api, cpe.serial)
    assert device["customer_id"] == customer
    summary = api.get(f"/api/v1/devices/{device['id']}/summary").json()
    assert summary["onu_id"] == device["parent_id"] and summary["customer_id"] == customer


def test_the_cpe_takes_the_customer_of_a_device_with_its_mac_at_a_boot(
    cpe: ScriptedCpe, api: Any
) -> None:
    customer = _customer(api, "Dora Melo")
    other = {"kind": "onu", "name": "router-record", "mac": "00:25:9E:11:E7:0E"}
    other["customer_id"] = customer
    assert api.post("/api/v1/devices", json=other).status_code == 201
    assert cpe.inform(events=("2 PERIODIC",)).status_code == 200
    cpe.post()
    # A periodic Inform is not where links are made (it costs a query per session).
    assert _cpe(api, cpe.serial)["customer_id"] is None
    assert cpe.inform(events=("1 BOOT",)).status_code == 200
    cpe.post()
    assert _cpe(api, cpe.serial)["customer_id"] == customer


def test_an_operator_link_is_kept(cpe: ScriptedCpe, api: Any) -> None:
    chosen, other = _customer(api, "Eva Lima"), _customer(api, "Fabio Ramos")
    record = {"kind": "onu", "name": "r", "mac": "00:25:9E:11:E7:0E", "customer_id": other}
    assert api.post("/api/v1/devices", json=record).status_code == 201
    assert cpe.inform(events=("2 PERIODIC",)).status_code == 200
    cpe.post()
    device = _cpe(api, cpe.serial)
    assert api.patch(f"/api/v1/devices/{device['id']}", json={"customer_id": chosen}).is_success
    assert cpe.inform(events=("1 BOOT",)).status_code == 200
    cpe.post()
    assert _cpe(api, cpe.serial)["customer_id"] == chosen
