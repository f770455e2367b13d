"""The inventory service as plugins call it: upserts by identity, lookups, normalised values."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import func, select

import rjchronos.inventory.service as service
from rjchronos.inventory.errors import Conflict, InvalidField, NotFound
from rjchronos.inventory.models import device_events, devices


def _events(kernel: Any, device_id: str) -> list[tuple[str, dict[str, Any]]]:
    with kernel.db.session() as session:
        rows = session.execute(
            select(device_events.c.type, device_events.c.payload)
            .where(device_events.c.device_id == device_id)
            .order_by(device_events.c.id)
        )
        return [(kind, payload) for kind, payload in rows]


def test_upsert_matches_the_protocol_identity_first(rjc_kernel: Any) -> None:
    report = {
        "kind": "cpe",
        "identity": "00259E-HG8245H-4857544311E70E9A",
        "serial": "4857544311E70E9A",
        "vendor": "Huawei",
        "model": "HG8245H",
        "firmware": "V3R017",
    }
    device, created = service.upsert_device(rjc_kernel, report, actor="acs")
    assert created and device.serial == "HWTC11E70E9A"
    again, created = service.upsert_device(
        rjc_kernel, {**report, "firmware": "V3R019"}, actor="acs"
    )
    assert not created and again.id == device.id and again.firmware == "V3R019"
    same, created = service.upsert_device(rjc_kernel, {**report, "firmware": "V3R019"})
    assert not created and same.id == device.id
    assert _events(rjc_kernel, device.id) == [
        ("device.created", {"kind": "cpe", "name": "", "serial": "HWTC11E70E9A"}),
        ("device.updated", {"fields": ["firmware"]}),
    ]


def test_upsert_by_serial_is_per_kind(rjc_kernel: Any) -> None:
    onu, _ = service.upsert_device(rjc_kernel, {"kind": "onu", "serial": "HWTC-11E70E9A"})
    cpe, created = service.upsert_device(rjc_kernel, {"kind": "cpe", "serial": "4857544311E70E9A"})
    assert created and cpe.id != onu.id
    found, created = service.upsert_device(
        rjc_kernel, {"kind": "onu", "serial": "hwtc11e70e9a", "status": "online"}
    )
    assert not created and found.id == onu.id and found.status == "online"
    with pytest.raises(InvalidField, match="serial or an identity"):
        service.upsert_device(rjc_kernel, {"kind": "onu", "name": "who am I"})


def test_an_identity_of_another_kind_is_a_conflict(rjc_kernel: Any) -> None:
    service.create_device(rjc_kernel, {"kind": "cpe", "identity": "OUI-X-1"})
    with pytest.raises(Conflict, match="belongs to a cpe"):
        service.upsert_device(rjc_kernel, {"kind": "onu", "identity": "OUI-X-1"})


def test_concurrent_upserts_of_one_device_make_one_device(rjc_kernel: Any) -> None:
    report = {"kind": "onu", "serial": "ZTEGC0FFEE01", "firmware": "V1"}
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda _: service.upsert_device(rjc_kernel, report), range(12)))
    assert len({device.id for device, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    with rjc_kernel.db.session() as session:
        count = session.execute(select(func.count()).select_from(devices)).scalar_one()
    assert count == 1


def test_finding_devices_by_any_spelling(rjc_kernel: Any) -> None:
    onu = service.create_device(
        rjc_kernel, {"kind": "onu", "serial": "FHTT-0A0B0C0D", "mac": "AA-BB-CC-00-11-22"}
    )
    cpe = service.create_device(rjc_kernel, {"kind": "cpe", "serial": "464854540A0B0C0D"})
    found = service.find_device(rjc_kernel, mac="aabb.cc00.1122")
    assert found is not None and found.id == onu.id
    found = service.find_device(rjc_kernel, serial="fhtt0a0b0c0d", kind="cpe")
    assert found is not None and found.id == cpe.id
    assert service.find_device(rjc_kernel, serial="FHTT0A0B0C0E") is None
    with pytest.raises(Conflict, match="2 devices match"):
        service.find_device(rjc_kernel, serial="FHTT0A0B0C0D")
    assert {d.id for d in service.find_devices(rjc_kernel, serial="FHTT0A0B0C0D")} == {
        onu.id,
        cpe.id,
    }
    with pytest.raises(ValueError, match="needs a serial"):
        service.find_devices(rjc_kernel, kind="onu")


def test_links_and_missing_devices(rjc_kernel: Any) -> None:
    olt = service.create_device(rjc_kernel, {"kind": "olt"})
    onu = service.create_device(rjc_kernel, {"kind": "onu"})
    linked = service.link_parent(rjc_kernel, onu.id, olt.id, actor="driver")
    assert (linked.parent_id, linked.olt_id) == (olt.id, olt.id)
    assert service.link_parent(rjc_kernel, onu.id, None).olt_id is None
    with pytest.raises(InvalidField, match="no customer"):
        service.link_customer(rjc_kernel, onu.id, "01NOCUSTOMER")
    for call in (
        lambda: service.update_device(rjc_kernel, "01NOPE", {"name": "x"}),
        lambda: service.delete_device(rjc_kernel, "01NOPE"),
        lambda: service.set_status(rjc_kernel, "01NOPE", "online"),
        lambda: service.subtree(rjc_kernel, "01NOPE"),
        lambda: service.affected(rjc_kernel, "01NOPE"),
    ):
        with pytest.raises(NotFound, match="01NOPE"):
            call()


def test_an_ont_cpe_goes_under_the_onu_with_its_serial_whichever_comes_first(
    rjc_kernel: Any,
) -> None:
    olt = service.create_device(rjc_kernel, {"kind": "olt", "name": "OLT"})
    pon = service.create_device(rjc_kernel, {"kind": "pon", "name": "0/1/0", "parent_id": olt.id})
    onu = service.create_device(
        rjc_kernel, {"kind": "onu", "serial": "HWTC-11E70E9A", "parent_id": pon.id}
    )
    cpe, _ = service.upsert_device(
        rjc_kernel, {"kind": "cpe", "identity": "00E0FC-HG8245H-1", "serial": "4857544311E70E9A"}
    )
    assert (cpe.parent_id, cpe.olt_id) == (onu.id, olt.id)

    early, _ = service.upsert_device(
        rjc_kernel, {"kind": "cpe", "identity": "00E0FC-HG8245H-2", "serial": "HWTC11E70E9B"}
    )
    assert early.parent_id is None
    late, _ = service.upsert_device(
        rjc_kernel, {"kind": "onu", "serial": "4857544311E70E9B", "parent_id": pon.id}
    )
    assert service.get_device(rjc_kernel, early.id).parent_id == late.id
    below_olt = {row["id"] for row in service.subtree(rjc_kernel, olt.id)}
    assert {cpe.id, early.id} <= below_olt


def test_an_operators_link_is_kept_when_an_onu_with_the_serial_appears(rjc_kernel: Any) -> None:
    router = service.create_device(rjc_kernel, {"kind": "onu", "name": "elsewhere"})
    cpe = service.create_device(
        rjc_kernel, {"kind": "cpe", "serial": "HWTC11E70E9C", "parent_id": router.id}
    )
    service.create_device(rjc_kernel, {"kind": "onu", "serial": "HWTC11E70E9C"})
    assert service.get_device(rjc_kernel, cpe.id).parent_id == router.id
