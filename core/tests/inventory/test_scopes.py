"""Permissions scoped to a region or an OLT limit what a caller sees and changes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

API = "/api/v1"
Ids = Callable[[Any], set[str]]


def _north(n: Any) -> set[str]:
    return {n.olt["id"], n.pon["id"], n.splitter["id"], n.cpe["id"], *(o["id"] for o in n.onus)}


def _south(n: Any) -> set[str]:
    return {n.south_olt["id"], n.south_pon["id"], n.south_onu["id"]}


def test_a_region_scope_shows_devices_at_or_below_the_regions_sites(
    admin: Any, scoped_client: Any, network: Any, ids: Ids, make: Any
) -> None:
    n = network
    lone = make(admin, "/devices", kind="cpe", name="Loose CPE", site_id=n.north_site["id"])
    nowhere = make(admin, "/devices", kind="cpe", name="Unplaced")
    north = scoped_client("viewer", "region:Norte")
    assert ids(north.get(f"{API}/devices", params={"limit": 100})) == _north(n) | {lone["id"]}
    assert ids(north.get(f"{API}/devices", params={"kind": "onu"})) == {o["id"] for o in n.onus}
    for device_id in (n.south_onu["id"], nowhere["id"]):
        assert north.get(f"{API}/devices/{device_id}").status_code == 404
        assert north.get(f"{API}/devices/{device_id}/events").status_code == 404
        assert north.get(f"{API}/topology/{device_id}").status_code == 404
        assert north.get(f"{API}/topology/{device_id}/affected").status_code == 404
    assert north.get(f"{API}/devices/{n.cpe['id']}").status_code == 200
    assert north.get(f"{API}/topology/{n.olt['id']}").json()["count"] == 6

    both = scoped_client("viewer", "region:Sul")
    assert ids(both.get(f"{API}/devices")) == _south(n)


def test_an_olt_scope_shows_that_olt_and_everything_below_it(
    scoped_client: Any, network: Any, ids: Ids
) -> None:
    n = network
    south = scoped_client("viewer", f"olt:{n.south_olt['id']}")
    assert ids(south.get(f"{API}/devices")) == _south(n)
    assert ids(south.get(f"{API}/devices", params={"region": "Norte"})) == set()
    assert south.get(f"{API}/devices/{n.olt['id']}").status_code == 404
    topology = south.get(f"{API}/topology/{n.south_olt['id']}").json()
    assert topology["count"] == 3
    affected = south.get(f"{API}/topology/{n.south_pon['id']}/affected").json()
    assert affected["devices"]["count"] == 1


def test_writes_outside_the_write_scope_are_forbidden_and_change_nothing(
    admin: Any, scoped_client: Any, network: Any, ids: Ids
) -> None:
    n = network
    # Sees everything, changes only the north.
    client = scoped_client("operator", "region:Norte", also=(("viewer", None),))
    assert ids(client.get(f"{API}/devices", params={"limit": 100})) == _north(n) | _south(n)

    assert (
        client.patch(f"{API}/devices/{n.onus[0]['id']}", json={"name": "mine"}).status_code == 200
    )
    refused = client.patch(f"{API}/devices/{n.south_onu['id']}", json={"name": "theirs"})
    assert refused.status_code == 403
    assert client.delete(f"{API}/devices/{n.south_onu['id']}").status_code == 403
    # Moving a device of the north under the south's OLT would take it out of scope.
    moving = client.patch(f"{API}/devices/{n.onus[1]['id']}", json={"parent_id": n.south_pon["id"]})
    assert moving.status_code == 403
    created = client.post(f"{API}/devices", json={"kind": "onu", "parent_id": n.south_pon["id"]})
    assert created.status_code == 403
    assert (
        client.post(f"{API}/devices", json={"kind": "onu", "parent_id": n.pon["id"]}).status_code
        == 201
    )

    assert admin.get(f"{API}/devices/{n.south_onu['id']}").json()["name"] == "ONU S"
    assert admin.get(f"{API}/devices/{n.onus[1]['id']}").json()["parent_id"] == n.splitter["id"]
    assert ids(admin.get(f"{API}/devices", params={"parent": n.south_pon["id"]})) == {
        n.south_onu["id"]
    }
    events = admin.get(f"{API}/devices/{n.onus[1]['id']}/events").json()["items"]
    assert [e["type"] for e in events] == ["device.created"]


def test_an_olt_scoped_operator_adds_onus_to_its_olt_only(
    admin: Any, scoped_client: Any, network: Any
) -> None:
    n = network
    client = scoped_client("operator", f"olt:{n.olt['id']}")
    under = client.post(
        f"{API}/devices",
        json={"kind": "onu", "serial": "FHTT00000001", "parent_id": n.splitter["id"]},
    )
    assert under.status_code == 201, under.text
    assert under.json()["olt_id"] == n.olt["id"]
    assert (
        client.post(f"{API}/devices", json={"kind": "olt", "name": "Mine now"}).status_code == 403
    )
    assert client.post(f"{API}/devices", json={"kind": "onu"}).status_code == 403
    assert client.delete(f"{API}/devices/{n.olt['id']}").status_code == 204
    assert (
        admin.get(f"{API}/devices", params={"kind": "olt"}).json()["items"][0]["id"]
        == n.south_olt["id"]
    )
