"""The collector against simulated OLTs: inventory, optics, events, dead OLTs, authorization."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from olt_testkit import RunningOlt, authorize_body
from sqlalchemy import select

from rjchronos.db.types import utcnow
from rjchronos.inventory import service
from rjchronos.inventory.models import Device, DeviceEventRecord, devices
from rjchronos_olt_manager.collector import JOB_TYPE, pon_identity


def add_olt(api: Any, olt: RunningOlt, **overrides: Any) -> str:
    created = api.post("/api/v1/olts", json=olt.olt_body(**overrides))
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def collect(kernel: Any, olt_id: str) -> dict[str, Any]:
    job = kernel.jobs.get(kernel.jobs.enqueue(JOB_TYPE, {"device_id": olt_id}, device_id=olt_id))
    assert job.status == "done", job.error
    return dict(job.result)


def events(kernel: Any, event_type: str) -> list[DeviceEventRecord]:
    with kernel.db.session() as session:
        statement = select(DeviceEventRecord).where(DeviceEventRecord.type == event_type)
        return list(session.execute(statement).scalars())


def onus(kernel: Any, olt_id: str) -> dict[str, Device]:
    with kernel.db.session() as session:
        statement = select(Device).where(devices.c.olt_id == olt_id, devices.c.kind == "onu")
        return {d.serial: d for d in session.execute(statement).scalars()}


@pytest.mark.parametrize("vendor", ["huawei", "zte"])
def test_a_collection_fills_inventory_and_telemetry(
    vendor: str, api: Any, olt_kernel: Any, running_olt: Any
) -> None:
    olt: RunningOlt = running_olt(vendor, ports=2, onus_per_port=2)
    olt_id = add_olt(api, olt)
    result = collect(olt_kernel, olt_id)
    assert result["ok"] is True and result["ports"] == 2 and result["onus"] == 4

    found = onus(olt_kernel, olt_id)
    assert set(found) == {onu.serial for onu in olt.sim.state.all_onus()}
    port = olt.pon_ports()[0]
    pon = service.find_device(olt_kernel, identity=pon_identity(olt_id, port))
    assert pon is not None and pon.parent_id == olt_id and pon.kind == "pon"
    on_port = [d for d in found.values() if d.attributes["olt_port"] == port]
    assert len(on_port) == 2 and all(d.parent_id == pon.id for d in on_port)
    assert all(d.status == "online" for d in found.values())
    olt_device = service.get_device(olt_kernel, olt_id)
    assert olt_device is not None and olt_device.status == "online"

    onu = on_port[0]
    rx = olt_kernel.telemetry.series(
        onu.id, "onu.rx_dbm", utcnow() - timedelta(hours=1), utcnow() + timedelta(minutes=1)
    )
    simulated = olt.sim.state.find_serial(onu.serial)
    assert simulated is not None and simulated.optics is not None
    assert len(rx) == 1 and abs(rx[0][1] - simulated.optics[0]) < 0.06

    listed = api.get(f"/api/v1/olts/{olt_id}/onus").json()["items"]
    assert {item["serial"] for item in listed} == set(found)


@pytest.mark.parametrize("vendor", ["huawei", "zte"])
def test_los_and_recovery_are_events(
    vendor: str, api: Any, olt_kernel: Any, running_olt: Any
) -> None:
    olt: RunningOlt = running_olt(vendor, ports=1, onus_per_port=2)
    olt_id = add_olt(api, olt)
    collect(olt_kernel, olt_id)
    assert events(olt_kernel, "onu.los") == []
    slot, port = next(iter(olt.sim.state.ports))
    first = next(olt.sim.state.all_onus()).onu_id
    [victim] = olt.call(lambda: olt.sim.los(port, first, slot=slot))
    collect(olt_kernel, olt_id)
    device = onus(olt_kernel, olt_id)[victim.serial]
    assert device.status == "los"
    [los] = events(olt_kernel, "onu.los")
    assert los.device_id == device.id and los.payload["serial"] == victim.serial

    collect(olt_kernel, olt_id)  # no transition, no second event
    assert len(events(olt_kernel, "onu.los")) == 1
    olt.call(lambda: olt.sim.recover(port, victim.onu_id, slot=slot))
    collect(olt_kernel, olt_id)
    assert onus(olt_kernel, olt_id)[victim.serial].status == "online"
    assert [e.device_id for e in events(olt_kernel, "onu.online")] == [device.id]


def test_a_dead_olt_is_recorded_and_the_others_still_collected(
    api: Any, olt_kernel: Any, running_olt: Any, closed_port: int
) -> None:
    alive: RunningOlt = running_olt("huawei")
    alive_id = add_olt(api, alive, name="alive")
    dead_id = add_olt(api, alive, name="dead", ssh_port=closed_port, community="")
    # The collector spec plans one job per OLT (first runs within the jitter); run the due ones.
    assert olt_kernel.jobs.run_schedules() == []
    job_ids = olt_kernel.jobs.run_schedules(now=utcnow() + timedelta(hours=1))
    jobs = [olt_kernel.jobs.get(job_id) for job_id in job_ids]
    by_olt = {job.device_id: job for job in jobs if job.type == JOB_TYPE}
    assert set(by_olt) == {alive_id, dead_id}
    assert by_olt[alive_id].result["ok"] is True
    assert by_olt[dead_id].result["ok"] is False
    assert "unreachable" in by_olt[dead_id].result["error"]

    assert len(onus(olt_kernel, alive_id)) == 2
    dead = api.get(f"/api/v1/olts/{dead_id}").json()
    assert dead["status"] == "offline" and "unreachable" in dead["last_error"]
    assert [e.device_id for e in events(olt_kernel, "olt.unreachable")] == [dead_id]


@pytest.mark.parametrize("vendor", ["huawei", "zte"])
def test_an_unconfigured_onu_is_listed_authorized_and_appears_online(
    vendor: str, api: Any, olt_kernel: Any, running_olt: Any
) -> None:
    olt: RunningOlt = running_olt(vendor, ports=1, onus_per_port=1)
    olt_id = add_olt(api, olt)
    slot, port_number = next(iter(olt.sim.state.ports))
    new = olt.call(lambda: olt.sim.new_unconfigured(port_number, slot=slot))
    collect(olt_kernel, olt_id)
    [discovered] = events(olt_kernel, "onu.discovered")
    assert discovered.device_id == olt_id and discovered.payload["serial"] == new.serial

    waiting = api.get(f"/api/v1/olts/{olt_id}/unconfigured-onus")
    assert waiting.status_code == 200, waiting.text
    assert [item["serial"] for item in waiting.json()["items"]] == [new.serial]

    port = olt.port_name(slot, port_number)
    answer = api.post(f"/api/v1/olts/{olt_id}/onus", json=authorize_body(olt, port, new.serial))
    assert answer.status_code == 201, answer.text
    result = answer.json()
    assert result["ok"] is True and result["applied"] and result["failed"] is None
    assert result["onu"]["serial"] == new.serial and result["onu"]["status"] == "online"

    collect(olt_kernel, olt_id)
    device = onus(olt_kernel, olt_id)[new.serial]
    pon = service.find_device(olt_kernel, identity=pon_identity(olt_id, port))
    assert pon is not None and device.parent_id == pon.id and device.status == "online"
    assert api.get(f"/api/v1/olts/{olt_id}/unconfigured-onus").json()["items"] == []


def test_a_sequence_failing_midway_is_recorded_with_secrets_masked(
    api: Any, olt_kernel: Any, running_olt: Any
) -> None:
    olt: RunningOlt = running_olt("huawei", ports=1, onus_per_port=1)
    olt_id = add_olt(api, olt)
    slot, port_number = next(iter(olt.sim.state.ports))
    new = olt.call(lambda: olt.sim.new_unconfigured(port_number, slot=slot))
    body = authorize_body(olt, olt.port_name(slot, port_number), new.serial) | {
        "wan_mode": "pppoe",
        "pppoe_username": "customer42",
        "pppoe_password": "ppp-s3cret",
    }
    # The simulated MA5800 does not know ``ont ipconfig``: the ONU is added, its WAN refused.
    answer = api.post(f"/api/v1/olts/{olt_id}/onus", json=body)
    assert answer.status_code == 409, answer.text
    result = answer.json()
    assert result["ok"] is False
    assert result["applied"][0].startswith("ont add")
    assert result["failed"].startswith("ont ipconfig") and "********" in result["failed"]
    assert "Unknown command" in result["error"]
    assert result["not_run"] and result["not_run"][0].startswith("service-port")
    assert "ppp-s3cret" not in answer.text
    audit = api.get("/api/v1/audit", params={"action": "olts.onus.authorize"})
    assert audit.status_code == 200, audit.text
    assert audit.json()["items"] and "ppp-s3cret" not in audit.text
    assert audit.json()["items"][0]["result"] == "error"


def test_a_refused_authorize_shows_what_ran_and_the_olt_text(
    api: Any, olt_kernel: Any, running_olt: Any
) -> None:
    olt: RunningOlt = running_olt("huawei", ports=1, onus_per_port=1)
    olt_id = add_olt(api, olt)
    slot, port_number = next(iter(olt.sim.state.ports))
    taken = next(olt.sim.state.all_onus())
    new = olt.call(lambda: olt.sim.new_unconfigured(port_number, slot=slot))
    body = authorize_body(olt, olt.port_name(slot, port_number), new.serial)
    answer = api.post(f"/api/v1/olts/{olt_id}/onus", json=body | {"onu_id": taken.onu_id})
    assert answer.status_code == 409, answer.text
    result = answer.json()
    assert result["ok"] is False and result["failed"] and result["error"]
    assert onus(olt_kernel, olt_id) == {}  # nothing recorded as authorized


def test_an_invalid_authorization_names_the_field(api: Any, running_olt: Any) -> None:
    olt: RunningOlt = running_olt("huawei")
    olt_id = add_olt(api, olt)
    answer = api.post(
        f"/api/v1/olts/{olt_id}/onus",
        json={"port": "0/1/0", "serial": "HWTC11E70E9A", "svlan": 200, "onu_type": "x"},
    )
    assert answer.status_code == 422
    assert answer.json()["invalid_params"][0]["name"] == "body.cvlan"
    not_a_serial = api.post(
        f"/api/v1/olts/{olt_id}/onus",
        json={"port": "0/1/0", "serial": "nonsense!", "onu_type": "x"},
    )
    assert not_a_serial.status_code == 422
    assert not_a_serial.json()["invalid_params"][0]["name"] == "body.serial"


def test_reboot_and_deauthorize(api: Any, olt_kernel: Any, running_olt: Any) -> None:
    olt: RunningOlt = running_olt("huawei", ports=1, onus_per_port=2)
    olt_id = add_olt(api, olt)
    collect(olt_kernel, olt_id)
    serial, device = sorted(onus(olt_kernel, olt_id).items())[0]
    rebooted = api.post(f"/api/v1/olts/{olt_id}/onus/{device.id}/reboot")
    assert rebooted.status_code == 200, rebooted.text
    assert rebooted.json()["ok"] is True and rebooted.json()["applied"]
    removed = api.delete(f"/api/v1/olts/{olt_id}/onus/{device.id}")
    assert removed.status_code == 200, removed.text
    assert olt.sim.state.find_serial(serial) is None
    assert serial not in onus(olt_kernel, olt_id)
    assert api.delete(f"/api/v1/olts/{olt_id}/onus/{device.id}").status_code == 404


@pytest.mark.parametrize("vendor", ["huawei", "zte"])
def test_pon_port_states_and_optics_are_recorded(
    vendor: str, api: Any, olt_kernel: Any, running_olt: Any
) -> None:
    olt: RunningOlt = running_olt(vendor, ports=2, onus_per_port=2)
    olt_id = add_olt(api, olt, pon_ports=[])  # the ports come from the driver's inventory
    slot, number = sorted(olt.sim.state.ports)[0]
    first = min(olt.sim.state.port(slot, number).onus)
    olt.call(lambda: olt.sim.los(number, first, slot=slot))
    result = collect(olt_kernel, olt_id)
    assert result["ok"] is True and result["ports"] == 2 and result["onus"] == 4

    port = olt.port_name(slot, number)
    pon = service.find_device(olt_kernel, identity=pon_identity(olt_id, port))
    assert pon is not None
    assert pon.attributes["oper_up"] is True and pon.attributes["admin_up"] is True
    assert (pon.attributes["onu_count"], pon.attributes["online_count"]) == (2, 1)
    tx = olt_kernel.telemetry.series(
        pon.id, "pon.tx_dbm", utcnow() - timedelta(hours=1), utcnow() + timedelta(minutes=1)
    )
    if vendor == "huawei":  # the simulated C320 publishes no port optics
        assert len(tx) == 1 and abs(tx[0][1] - olt.sim.state.port(slot, number).tx_dbm) < 0.01
    else:
        assert tx == [] and pon.attributes["tx_dbm"] is None
