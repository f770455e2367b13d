"""Devices and sites through the REST API: CRUD, filters, pagination, problems."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import col, select

from rjchronos.security.models import AuditEntry

API = "/api/v1"
Ids = Callable[[Any], set[str]]


def _audit_actions(kernel: Any) -> list[tuple[str, str]]:
    with kernel.db.session() as session:
        entries = session.execute(select(AuditEntry).order_by(col(AuditEntry.seq))).scalars()
        return [(entry.action, entry.target) for entry in entries]


def test_create_read_update_delete_a_device(admin: Any, rjc_kernel: Any, make: Any) -> None:
    site = make(admin, "/sites", name="Cabinet 7", region="Centro", latitude=-8.05, longitude=-34.9)
    created = make(
        admin,
        "/devices",
        kind="onu",
        name="Casa 12",
        serial="4857544311E70E9A",
        mac="00259E11E70E",
        site_id=site["id"],
        tags=["ftth", "ftth", " vip "],
        attributes={"pon_index": 3},
        last_seen="2025-01-31T12:00:00Z",
    )
    assert created["serial"] == "HWTC11E70E9A"
    assert created["mac"] == "00:25:9e:11:e7:0e"
    assert created["tags"] == ["ftth", "vip"]
    assert created["status"] == "unknown"
    assert created["last_seen"].startswith("2025-01-31T12:00:00")
    assert len(created["id"]) == 26

    fetched = admin.get(f"{API}/devices/{created['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == created

    changed = admin.patch(
        f"{API}/devices/{created['id']}",
        json={"firmware": "V5R019", "status": "online", "serial": "HWTC-11E70E9B"},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["firmware"] == "V5R019"
    assert changed.json()["serial"] == "HWTC11E70E9B"
    assert changed.json()["status"] == "online"
    assert changed.json()["status_since"] is not None

    events = admin.get(f"{API}/devices/{created['id']}/events").json()["items"]
    assert [e["type"] for e in events] == [
        "device.updated",
        "device.status_changed",
        "device.created",
    ]
    assert events[0]["payload"] == {"fields": ["firmware", "serial"]}
    assert events[1]["payload"] == {"from": "unknown", "to": "online"}
    assert all(e["actor"].startswith("user:admin") for e in events)
    only_status = admin.get(
        f"{API}/devices/{created['id']}/events", params={"type": "device.status_changed"}
    )
    assert [e["type"] for e in only_status.json()["items"]] == ["device.status_changed"]

    deleted = admin.delete(f"{API}/devices/{created['id']}")
    assert deleted.status_code == 204
    assert admin.get(f"{API}/devices/{created['id']}").status_code == 404

    target = f"device:{created['id']}"
    assert [a for a in _audit_actions(rjc_kernel) if a[1] == target] == [
        ("devices.create", target),
        ("devices.update", target),
        ("devices.delete", target),
    ]


def test_a_change_that_changes_nothing_emits_nothing(admin: Any, make: Any) -> None:
    device = make(admin, "/devices", kind="olt", name="OLT", firmware="1.0")
    again = admin.patch(f"{API}/devices/{device['id']}", json={"firmware": "1.0", "name": "OLT"})
    assert again.status_code == 200
    events = admin.get(f"{API}/devices/{device['id']}/events").json()["items"]
    assert [e["type"] for e in events] == ["device.created"]


def test_invalid_bodies_get_422_naming_the_field(admin: Any, make: Any) -> None:
    def problem(method: str, path: str, body: Any) -> list[str]:
        answer = admin.request(method, f"{API}{path}", json=body)
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        return [p["name"] for p in answer.json()["invalid_params"]]

    assert problem("POST", "/devices", {"name": "no kind"}) == ["body.kind"]
    assert problem("POST", "/devices", {"kind": "router"}) == ["body.kind"]
    assert problem("POST", "/devices", {"kind": "onu", "status": "sleepy"}) == ["body.status"]
    assert problem("POST", "/devices", {"kind": "onu", "mac": "00:11"}) == ["body.mac"]
    assert problem("POST", "/devices", {"kind": "onu", "serial": "X" * 65}) == ["body.serial"]
    assert problem("POST", "/devices", {"kind": "onu", "colour": "red"}) == ["body.colour"]
    assert problem("POST", "/devices", {"kind": "onu", "tags": "ftth"}) == ["body.tags"]
    assert problem("POST", "/devices", {"kind": "onu", "last_seen": "yesterday"}) == [
        "body.last_seen"
    ]
    assert problem("POST", "/devices", {"kind": "onu", "last_seen": "2025-01-31T12:00:00"}) == [
        "body.last_seen"
    ]
    assert problem("POST", "/devices", {"kind": "onu", "parent_id": "01NOPE"}) == ["body.parent_id"]
    assert problem("POST", "/devices", {"kind": "onu", "site_id": "01NOPE"}) == ["body.site_id"]
    assert problem("POST", "/devices", {"kind": "onu", "customer_id": "01NOPE"}) == [
        "body.customer_id"
    ]
    device = make(admin, "/devices", kind="onu", name="x")
    assert problem("PATCH", f"/devices/{device['id']}", {"kind": "cpe"}) == ["body.kind"]
    assert problem("PATCH", f"/devices/{device['id']}", {}) == ["body"]
    assert problem("POST", "/sites", {"region": "Norte"}) == ["body.name"]
    assert problem("POST", "/sites", {"name": "x", "latitude": 91}) == ["body.latitude"]
    # Nothing half-done was stored by the refused requests.
    assert [d["name"] for d in admin.get(f"{API}/devices").json()["items"]] == ["x"]


def test_unknown_ids_get_404(admin: Any) -> None:
    for method, path in [
        ("GET", "/devices/01UNKNOWN"),
        ("PATCH", "/devices/01UNKNOWN"),
        ("DELETE", "/devices/01UNKNOWN"),
        ("GET", "/devices/01UNKNOWN/events"),
        ("GET", "/topology/01UNKNOWN"),
        ("GET", "/topology/01UNKNOWN/affected"),
        ("GET", "/sites/01UNKNOWN"),
        ("PATCH", "/sites/01UNKNOWN"),
        ("DELETE", "/sites/01UNKNOWN"),
    ]:
        body = {"name": "x"} if method == "PATCH" else None
        answer = admin.request(method, f"{API}{path}", json=body)
        assert answer.status_code == 404, (method, path, answer.text)
        assert "01UNKNOWN" in answer.json()["detail"]


def test_duplicate_serial_of_a_kind_or_identity_is_a_conflict(admin: Any, make: Any) -> None:
    first = make(admin, "/devices", kind="onu", serial="HWTC11E70E9A", identity="HWTC-ONT-1")
    again = admin.post(f"{API}/devices", json={"kind": "onu", "serial": "4857544311E70E9A"})
    assert again.status_code == 409
    assert again.json()["invalid_params"][0]["name"] == "body.serial"
    assert again.json()["existing_id"] == first["id"]
    taken = admin.post(f"{API}/devices", json={"kind": "cpe", "identity": "HWTC-ONT-1"})
    assert taken.status_code == 409
    assert taken.json()["invalid_params"][0]["name"] == "body.identity"
    # The same serial on another kind is the same box seen by another protocol.
    cpe = admin.post(f"{API}/devices", json={"kind": "cpe", "serial": "HWTC-11E70E9A"})
    assert cpe.status_code == 201


def test_filters(admin: Any, network: Any, ids: Ids) -> None:
    n = network
    everything = ids(admin.get(f"{API}/devices", params={"limit": 500}))
    assert len(everything) == 9

    def where(**params: Any) -> set[str]:
        return ids(admin.get(f"{API}/devices", params=params))

    assert where(kind="onu") == {n.onus[0]["id"], n.onus[1]["id"], n.south_onu["id"]}
    assert where(kind="olt,pon") == {n.olt["id"], n.south_olt["id"], n.pon["id"], n.south_pon["id"]}
    assert where(kind="olt", status="online") == {n.olt["id"]}
    assert where(serial="4857544311E70E91") == {n.onus[1]["id"]}
    assert where(serial="hwtc-11e70e91") == {n.onus[1]["id"]}
    assert where(serial="22ab0001") == {n.cpe["id"]}
    assert where(mac="0025.9e11.e70e") == {n.cpe["id"]}
    assert where(identity="00259E-Archer-22AB0001") == {n.cpe["id"]}
    assert where(vendor="ZTE") == {n.south_olt["id"], n.south_onu["id"]}
    assert where(vendor="Huawei", model="HG8245H") == {o["id"] for o in n.onus}
    assert where(tag="ftth") == {n.onus[0]["id"], n.onus[1]["id"], n.south_onu["id"]}
    assert where(tag="ftth,n1") == {n.onus[1]["id"]}
    assert where(parent=n.splitter["id"]) == {o["id"] for o in n.onus}
    assert where(olt=n.south_olt["id"]) == {n.south_olt["id"], n.south_pon["id"], n.south_onu["id"]}
    assert where(site=n.north_site["id"]) == {n.olt["id"]}
    assert where(region="Sul") == {n.south_olt["id"], n.south_pon["id"], n.south_onu["id"]}
    assert where(q="onu") == {n.onus[0]["id"], n.onus[1]["id"], n.south_onu["id"]}
    assert where(q="OLT-") == {n.olt["id"], n.south_olt["id"]}
    assert where(q="hwtc-11e70e91") == {n.onus[1]["id"]}
    assert where(q="hwtc11e") == {o["id"] for o in n.onus}
    assert where(q="ZTEGC0") == {n.south_onu["id"]}
    assert where(q="50%") == set()
    assert where(kind="cpe", q="router") == {n.cpe["id"]}


def test_list_rows_leave_out_attributes(admin: Any, make: Any) -> None:
    device = make(admin, "/devices", kind="olt", attributes={"big": "x" * 1000})
    listed = admin.get(f"{API}/devices").json()["items"]
    assert listed[0]["id"] == device["id"] and "attributes" not in listed[0]
    assert admin.get(f"{API}/devices/{device['id']}").json()["attributes"] == {"big": "x" * 1000}


def test_bad_filters_get_422_naming_the_parameter(admin: Any) -> None:
    for params, name in [
        ({"kind": "onu,modem"}, "query.kind"),
        ({"status": "asleep"}, "query.status"),
        ({"mac": "nope"}, "query.mac"),
        ({"serial": " "}, "query.serial"),
        ({"limit": 501}, "query.limit"),
        ({"limit": "many"}, "query.limit"),
        ({"cursor": "!!!"}, "query.cursor"),
    ]:
        answer = admin.get(f"{API}/devices", params=params)
        assert answer.status_code == 422, (params, answer.text)
        assert [p["name"] for p in answer.json()["invalid_params"]] == [name]


def test_walking_every_page_sees_each_device_once(admin: Any, rjc_kernel: Any) -> None:
    import rjchronos.inventory.service as service

    with rjc_kernel.db.session() as session:
        kinds = {
            service.create_device(
                rjc_kernel,
                {"kind": "onu" if i % 3 else "cpe", "serial": f"SN{i:04d}"},
                session=session,
            ).id: "onu" if i % 3 else "cpe"
            for i in range(137)
        }
    cpes = {device_id for device_id, kind in kinds.items() if kind == "cpe"}
    assert len(cpes) == 46
    for params, expected in [({}, set(kinds)), ({"kind": "cpe"}, cpes)]:
        seen: list[str] = []
        cursor = None
        while True:
            page = admin.get(f"{API}/devices", params={**params, "limit": 10, "cursor": cursor})
            assert page.status_code == 200, page.text
            seen += [item["id"] for item in page.json()["items"]]
            cursor = page.json()["next_cursor"]
            if cursor is None:
                break
        assert len(seen) == len(set(seen)) == len(expected)
        assert set(seen) == expected
        assert seen == sorted(seen)


def _walk(admin: Any, params: dict[str, Any]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = admin.get(f"{API}/devices", params={**params, "limit": 7, "cursor": cursor})
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return items


def test_sorting_by_a_column_walks_every_page_in_order(admin: Any, rjc_kernel: Any) -> None:
    import rjchronos.inventory.service as service

    vendors = ["Huawei", "ZTE", "Nokia", None]
    with rjc_kernel.db.session() as session:
        for i in range(40):
            fields = {"kind": "cpe", "name": f"casa-{(i * 7) % 40:02d}", "serial": f"SRT{i:04d}"}
            if vendors[i % 4]:
                fields["vendor"] = vendors[i % 4]
            service.create_device(rjc_kernel, fields, session=session)
    by_name = [d["name"] for d in _walk(admin, {"sort": "name"})]
    assert by_name == sorted(by_name) and len(by_name) == len(set(by_name)) == 40
    backwards = [d["name"] for d in _walk(admin, {"sort": "-name"})]
    assert backwards == by_name[::-1]
    # Ties (and missing values, sorted as empty) are broken by id: nothing seen twice or lost.
    by_vendor = _walk(admin, {"sort": "vendor", "kind": "cpe"})
    assert len({d["id"] for d in by_vendor}) == 40
    assert [d["vendor"] or "" for d in by_vendor] == sorted(d["vendor"] or "" for d in by_vendor)
    for vendor in ("Huawei", "Nokia", "ZTE"):
        ids = [d["id"] for d in by_vendor if d["vendor"] == vendor]
        assert ids == sorted(ids)
    answer = admin.get(f"{API}/devices", params={"sort": "password"})
    assert answer.status_code == 422
    assert [p["name"] for p in answer.json()["invalid_params"]] == ["query.sort"]
    plain = admin.get(f"{API}/devices", params={"limit": 5}).json()["next_cursor"]
    mixed = admin.get(f"{API}/devices", params={"sort": "name", "cursor": plain})
    assert mixed.status_code == 422


def test_sites_crud_and_a_site_in_use_is_kept(
    admin: Any, rjc_kernel: Any, make: Any, ids: Ids
) -> None:
    site = make(
        admin,
        "/sites",
        name="POP Boa Vista",
        region="Centro",
        city="Recife",
        neighbourhood="Boa Vista",
        state="PE",
        address="Rua A, 1",
    )
    other = make(admin, "/sites", name="POP Olinda", region="Norte", city="Olinda")
    assert ids(admin.get(f"{API}/sites", params={"region": "Centro"})) == {site["id"]}
    assert ids(admin.get(f"{API}/sites", params={"q": "pop"})) == {site["id"], other["id"]}
    assert ids(admin.get(f"{API}/sites", params={"city": "Olinda"})) == {other["id"]}
    changed = admin.patch(
        f"{API}/sites/{site['id']}", json={"latitude": -8.06, "longitude": -34.88}
    )
    assert changed.status_code == 200
    assert (changed.json()["latitude"], changed.json()["longitude"]) == (-8.06, -34.88)
    assert admin.get(f"{API}/sites/{site['id']}").json()["neighbourhood"] == "Boa Vista"

    device = make(admin, "/devices", kind="olt", site_id=site["id"])
    refused = admin.delete(f"{API}/sites/{site['id']}")
    assert refused.status_code == 409
    assert refused.json()["existing_id"] == device["id"]
    assert admin.patch(f"{API}/devices/{device['id']}", json={"site_id": None}).status_code == 200
    assert admin.delete(f"{API}/sites/{site['id']}").status_code == 204
    assert admin.get(f"{API}/sites/{site['id']}").status_code == 404
    actions = [a for a, t in _audit_actions(rjc_kernel) if t == f"site:{site['id']}"]
    assert actions == ["sites.create", "sites.update", "sites.delete"]


def test_roles_without_the_permission_are_refused(viewer: Any, admin: Any, make: Any) -> None:
    device = make(admin, "/devices", kind="olt", name="OLT")
    assert viewer.get(f"{API}/devices").status_code == 200
    assert viewer.get(f"{API}/devices/{device['id']}").status_code == 200
    assert viewer.post(f"{API}/devices", json={"kind": "olt"}).status_code == 403
    assert viewer.patch(f"{API}/devices/{device['id']}", json={"name": "x"}).status_code == 403
    assert viewer.delete(f"{API}/devices/{device['id']}").status_code == 403
    assert viewer.post(f"{API}/sites", json={"name": "x"}).status_code == 403
    assert admin.get(f"{API}/devices/{device['id']}").json()["name"] == "OLT"
