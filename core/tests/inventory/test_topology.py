"""The topology: subtrees, who is affected, moves, deletes and the OLT each device hangs from."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import rjchronos.inventory.service as service

API = "/api/v1"
Ids = Callable[[Any], set[str]]


def _names(node: dict[str, Any]) -> Any:
    """The tree as nested (name, children) pairs, children by name."""
    return (node["name"], sorted(_names(child) for child in node["children"]))


def test_subtree_nests_children_under_parents_to_a_depth(admin: Any, network: Any) -> None:
    whole = admin.get(f"{API}/topology/{network.olt['id']}")
    assert whole.status_code == 200, whole.text
    body = whole.json()
    assert body["count"] == 6 and not body["truncated"] and body["path"] == []
    assert _names(body["root"]) == (
        "OLT-N1",
        [("0/1/0", [("CTO-12", [("ONU 0", [("Router 0", [])]), ("ONU 1", [])])])],
    )
    assert body["root"]["children"][0]["kind"] == "pon"

    shallow = admin.get(f"{API}/topology/{network.olt['id']}", params={"depth": 2}).json()
    assert shallow["count"] == 3 and shallow["truncated"]
    assert _names(shallow["root"]) == ("OLT-N1", [("0/1/0", [("CTO-12", [])])])

    leaf = admin.get(f"{API}/topology/{network.cpe['id']}").json()
    assert leaf["count"] == 1 and not leaf["truncated"]
    assert [step["name"] for step in leaf["path"]] == ["OLT-N1", "0/1/0", "CTO-12", "ONU 0"]

    too_deep = admin.get(f"{API}/topology/{network.olt['id']}", params={"depth": 99})
    assert too_deep.status_code == 422
    assert too_deep.json()["invalid_params"][0]["name"] == "query.depth"


def test_affected_counts_devices_below_and_their_customers(admin: Any, network: Any) -> None:
    customers = []
    for name in ("Maria", "José"):
        answer = admin.post(f"{API}/customers", json={"name": name})
        assert answer.status_code == 201, answer.text
        customers.append(answer.json()["id"])
    links = [
        (network.onus[0], customers[0]),
        (network.cpe, customers[0]),
        (network.onus[1], customers[1]),
    ]
    for device, customer_id in links:
        linked = admin.patch(f"{API}/devices/{device['id']}", json={"customer_id": customer_id})
        assert linked.status_code == 200, linked.text

    splitter = admin.get(f"{API}/topology/{network.splitter['id']}/affected")
    assert splitter.status_code == 200
    assert splitter.json() == {
        "device_id": network.splitter["id"],
        "devices": {"count": 3, "by_kind": {"onu": 2, "cpe": 1}, "by_status": {"unknown": 3}},
        "customers": {"count": 2, "ids": sorted(customers)},
    }
    olt = admin.get(f"{API}/topology/{network.olt['id']}/affected").json()
    assert olt["devices"]["by_kind"] == {"pon": 1, "splitter": 1, "onu": 2, "cpe": 1}
    # A failing ONU takes its own subscriber down too.
    onu = admin.get(f"{API}/topology/{network.onus[1]['id']}/affected").json()
    assert onu["devices"]["count"] == 0
    assert onu["customers"]["ids"] == [customers[1]]
    south = admin.get(f"{API}/topology/{network.south_olt['id']}/affected").json()
    assert south["customers"] == {"count": 0, "ids": []}

    events = admin.get(f"{API}/devices/{network.cpe['id']}/events").json()["items"]
    assert events[0]["type"] == "device.customer_changed"
    assert events[0]["payload"] == {"from": None, "to": customers[0]}


def test_moving_a_branch_moves_its_olt_with_it(admin: Any, network: Any, ids: Ids) -> None:
    n = network
    branch = {n.splitter["id"], n.onus[0]["id"], n.onus[1]["id"], n.cpe["id"]}
    assert branch < ids(admin.get(f"{API}/devices", params={"olt": n.olt["id"]}))

    moved = admin.patch(f"{API}/devices/{n.splitter['id']}", json={"parent_id": n.south_pon["id"]})
    assert moved.status_code == 200, moved.text
    assert moved.json()["olt_id"] == n.south_olt["id"]
    assert ids(admin.get(f"{API}/devices", params={"olt": n.olt["id"]})) == {
        n.olt["id"],
        n.pon["id"],
    }
    south = ids(admin.get(f"{API}/devices", params={"olt": n.south_olt["id"], "limit": 100}))
    assert branch < south

    events = admin.get(f"{API}/devices/{n.splitter['id']}/events").json()["items"]
    assert events[0]["type"] == "device.parent_changed"
    assert events[0]["payload"] == {"from": n.pon["id"], "to": n.south_pon["id"]}

    detached = admin.patch(f"{API}/devices/{n.splitter['id']}", json={"parent_id": None})
    assert detached.json()["olt_id"] is None
    assert admin.get(f"{API}/devices/{n.cpe['id']}").json()["olt_id"] is None


def test_a_move_that_makes_a_loop_is_refused(admin: Any, network: Any) -> None:
    for device, parent in [(network.olt, network.cpe), (network.pon, network.pon)]:
        answer = admin.patch(f"{API}/devices/{device['id']}", json={"parent_id": parent["id"]})
        assert answer.status_code == 409, answer.text
        assert answer.json()["invalid_params"][0]["name"] == "body.parent_id"
    assert admin.get(f"{API}/devices/{network.olt['id']}").json()["parent_id"] is None


def test_deleting_an_element_moves_its_children_up(admin: Any, network: Any) -> None:
    n = network
    assert admin.delete(f"{API}/devices/{n.splitter['id']}").status_code == 204
    for onu in n.onus:
        after = admin.get(f"{API}/devices/{onu['id']}").json()
        assert (after["parent_id"], after["olt_id"]) == (n.pon["id"], n.olt["id"])
    deleted = admin.get(f"{API}/devices/{n.splitter['id']}/events")
    assert deleted.status_code == 404  # the device is gone; its timeline rows stay in the table

    assert admin.delete(f"{API}/devices/{n.olt['id']}").status_code == 204
    pon = admin.get(f"{API}/devices/{n.pon['id']}").json()
    assert (pon["parent_id"], pon["olt_id"]) == (None, None)
    assert admin.get(f"{API}/devices/{n.cpe['id']}").json()["olt_id"] is None
    assert admin.get(f"{API}/devices/{n.south_onu['id']}").json()["olt_id"] == n.south_olt["id"]


def test_service_walks_up_and_down(rjc_kernel: Any, network: Any) -> None:
    n = network
    above = service.ancestors(rjc_kernel, n.cpe["id"])
    assert [d.id for d in above] == [n.onus[0]["id"], n.splitter["id"], n.pon["id"], n.olt["id"]]
    rows = service.subtree(rjc_kernel, n.pon["id"], max_depth=1)
    assert [(r["depth"], r["id"]) for r in rows] == [(0, n.pon["id"]), (1, n.splitter["id"])]
    result = service.affected(rjc_kernel, n.south_pon["id"])
    assert (result.devices, result.by_kind) == (1, {"onu": 1})
