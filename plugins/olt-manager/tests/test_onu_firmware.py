"""ONU firmware upgrades through the OLT API, against the simulated MA5800."""

from __future__ import annotations

from typing import Any

from olt_testkit import RunningOlt
from test_collector import add_olt, collect, onus

from rjchronos.serials import gpon_serial_hex

BODY = {
    "file": "ONT_V5R021C00S200.bin",
    "server": "192.0.2.10",
    "protocol": "ftp",
    "username": "ftpuser",
    "password": "ftp-s3cret",
}


def test_onus_are_upgraded_in_batches_and_acs_managed_ones_skipped(
    api: Any, olt_kernel: Any, running_olt: Any
) -> None:
    olt: RunningOlt = running_olt("huawei", ports=1, onus_per_port=4)
    olt_id = add_olt(api, olt)
    collect(olt_kernel, olt_id)
    found = sorted(onus(olt_kernel, olt_id).values(), key=lambda d: d.id)
    managed = found[0]  # an ONT the ACS reaches: it informs with the ONU's own serial
    cpe = api.post(
        "/api/v1/devices",
        json={"kind": "cpe", "name": "ont", "serial": gpon_serial_hex(managed.serial or "")},
    )
    assert cpe.status_code == 201 and cpe.json()["parent_id"] == managed.id

    answer = api.post(
        f"/api/v1/olts/{olt_id}/onu-firmware",
        json=BODY | {"onu_ids": [d.id for d in found], "batch_size": 2},
    )
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["ok"] is True and result["not_run"] == []
    assert [len(batch["onus"]) for batch in result["batches"]] == [2, 1]
    assert result["skipped"] == [
        {"id": managed.id, "reason": "reached by the ACS: upgrade it there"}
    ]
    assert "ftp-s3cret" not in answer.text
    for device in found[1:]:
        simulated = olt.sim.state.find_serial(device.serial or "")
        assert simulated is not None and simulated.software_version == "V5R021C00S200"
    untouched = olt.sim.state.find_serial(managed.serial or "")
    assert untouched is not None and untouched.software_version != "V5R021C00S200"
    audit = api.get("/api/v1/audit", params={"action": "olts.onus.firmware"})
    assert audit.json()["items"] and "ftp-s3cret" not in audit.text


def test_a_failing_batch_stops_the_rest(api: Any, olt_kernel: Any, running_olt: Any) -> None:
    olt: RunningOlt = running_olt("huawei", ports=1, onus_per_port=4)
    olt_id = add_olt(api, olt)
    collect(olt_kernel, olt_id)
    found = sorted(onus(olt_kernel, olt_id).values(), key=lambda d: d.id)
    model = found[0].model
    # The OLT loses one ONU after inventory last saw it: its batch fails on the OLT.
    victim = olt.sim.state.find_serial(found[0].serial or "")
    assert victim is not None
    olt.call(lambda: olt.sim.los(victim.port, victim.onu_id, slot=victim.slot))
    body = BODY | {"batch_size": 2}
    body |= {"model": model} if model else {"onu_ids": [d.id for d in found]}
    answer = api.post(f"/api/v1/olts/{olt_id}/onu-firmware", json=body)
    assert answer.status_code == 409, answer.text
    result = answer.json()
    [batch] = result["batches"]
    assert batch["ok"] is False and batch["failed"].startswith("ont-load start")
    assert "not online" in batch["error"]
    assert len(result["not_run"]) == 2


def test_bad_upgrade_requests_name_the_field(api: Any, running_olt: Any) -> None:
    olt: RunningOlt = running_olt("huawei")
    olt_id = add_olt(api, olt)
    url = f"/api/v1/olts/{olt_id}/onu-firmware"
    nothing = api.post(url, json=BODY)
    assert nothing.status_code == 422
    assert nothing.json()["invalid_params"][0]["name"] == "body.model"
    stranger = api.post(url, json=BODY | {"onu_ids": ["01NOTANONU"]})
    assert stranger.status_code == 422
    assert stranger.json()["invalid_params"][0]["name"] == "body.onu_ids"
