"""The collected tree OLT > PON > splitter > ONU > CPE through the topology API, with customers."""

from __future__ import annotations

from typing import Any

from olt_testkit import RunningOlt
from test_collector import add_olt, collect, onus

from rjchronos.inventory import service
from rjchronos.serials import gpon_serial_hex
from rjchronos_olt_manager.collector import pon_identity


def test_the_collected_tree_answers_topology_and_affected(
    api: Any, olt_kernel: Any, running_olt: Any
) -> None:
    olt: RunningOlt = running_olt("huawei", ports=1, onus_per_port=2)
    olt_id = add_olt(api, olt)
    collect(olt_kernel, olt_id)
    port = olt.pon_ports()[0]
    pon = service.find_device(olt_kernel, identity=pon_identity(olt_id, port))
    assert pon is not None
    (first_serial, first), (_, second) = sorted(onus(olt_kernel, olt_id).items())

    splitter = api.post(
        "/api/v1/devices", json={"kind": "splitter", "name": "CTO-7", "parent_id": pon.id}
    )
    assert splitter.status_code == 201, splitter.text
    splitter_id = splitter.json()["id"]
    moved = api.patch(f"/api/v1/devices/{first.id}", json={"parent_id": splitter_id})
    assert moved.status_code == 200, moved.text

    customer = api.post("/api/v1/customers", json={"name": "Maria"})
    assert customer.status_code == 201, customer.text
    # The ACS names the box by its CWMP serial (vendor hex + 8 digits): it still finds its ONU.
    cpe = api.post(
        "/api/v1/devices",
        json={
            "kind": "cpe",
            "name": "router of Maria",
            "serial": gpon_serial_hex(first_serial),
            "customer_id": customer.json()["id"],
        },
    )
    assert cpe.status_code == 201, cpe.text
    assert cpe.json()["parent_id"] == first.id

    collect(olt_kernel, olt_id)  # a new collection keeps the operator's splitter
    assert onus(olt_kernel, olt_id)[first_serial].parent_id == splitter_id

    tree = api.get(f"/api/v1/topology/{olt_id}", params={"depth": 4}).json()
    [pon_node] = tree["root"]["children"]
    assert pon_node["id"] == pon.id
    by_kind = {child["kind"]: child for child in pon_node["children"]}
    assert by_kind["onu"]["id"] == second.id
    [onu_node] = by_kind["splitter"]["children"]
    assert onu_node["id"] == first.id
    assert [child["id"] for child in onu_node["children"]] == [cpe.json()["id"]]

    affected = api.get(f"/api/v1/topology/{splitter_id}/affected").json()
    assert affected["devices"]["by_kind"] == {"onu": 1, "cpe": 1}
    assert affected["customers"]["ids"] == [customer.json()["id"]]
    whole = api.get(f"/api/v1/topology/{pon.id}/affected").json()
    assert whole["devices"]["by_kind"]["onu"] == 2 and whole["customers"]["count"] == 1


def test_cpes_are_linked_by_mac_and_pppoe_username(
    api: Any, olt_kernel: Any, running_olt: Any
) -> None:
    olt: RunningOlt = running_olt("zte", ports=1, onus_per_port=2)
    olt_id = add_olt(api, olt)
    collect(olt_kernel, olt_id)
    by_mac, by_user = sorted(onus(olt_kernel, olt_id).values(), key=lambda d: d.id)
    assert api.patch(f"/api/v1/devices/{by_mac.id}", json={"mac": "AA-BB-CC-00-11-22"}).is_success
    # What an authorization with PPPoE leaves on the ONU.
    attributes = {**by_user.attributes, "pppoe_username": "maria@isp"}
    assert api.patch(f"/api/v1/devices/{by_user.id}", json={"attributes": attributes}).is_success

    routers = {
        "mac": {"kind": "cpe", "name": "router A", "mac": "aa:bb:cc:00:11:22"},
        "pppoe": {
            "kind": "cpe",
            "name": "router B",
            "attributes": {"pppoe_username": "maria@isp"},
        },
        "stranger": {"kind": "cpe", "name": "router C", "attributes": {"pppoe_username": "joao"}},
    }
    ids = {}
    for key, body in routers.items():
        created = api.post("/api/v1/devices", json=body)
        assert created.status_code == 201, created.text
        assert created.json()["parent_id"] is None
        ids[key] = created.json()["id"]

    assert collect(olt_kernel, olt_id)["cpes_linked"] == 2
    parent = {key: api.get(f"/api/v1/devices/{i}").json()["parent_id"] for key, i in ids.items()}
    assert parent == {"mac": by_mac.id, "pppoe": by_user.id, "stranger": None}
    assert collect(olt_kernel, olt_id)["cpes_linked"] == 0  # linked once; an operator's link stays
