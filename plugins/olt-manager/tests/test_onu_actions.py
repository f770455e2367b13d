"""Enable, disable, resync and move through the API, against simulated OLTs."""

from __future__ import annotations

from typing import Any

import pytest
from olt_testkit import RunningOlt, authorize_body
from test_collector import add_olt, collect, onus

from rjchronos.inventory import service
from rjchronos_olt_manager.collector import pon_identity


def authorize_new(api: Any, olt: RunningOlt, olt_id: str, slot: int, port: int) -> dict[str, Any]:
    new = olt.call(lambda: olt.sim.new_unconfigured(port, slot=slot))
    body = authorize_body(olt, olt.port_name(slot, port), new.serial)
    answer = api.post(f"/api/v1/olts/{olt_id}/onus", json=body)
    assert answer.status_code == 201, answer.text
    return dict(answer.json()["onu"])


def audited(api: Any, action: str) -> list[dict[str, Any]]:
    answer = api.get("/api/v1/audit", params={"action": action})
    assert answer.status_code == 200, answer.text
    return list(answer.json()["items"])


@pytest.mark.parametrize("vendor", ["huawei", "zte"])
def test_disable_and_enable(vendor: str, api: Any, olt_kernel: Any, running_olt: Any) -> None:
    olt: RunningOlt = running_olt(vendor, ports=1, onus_per_port=2)
    olt_id = add_olt(api, olt)
    collect(olt_kernel, olt_id)
    serial, device = sorted(onus(olt_kernel, olt_id).items())[0]

    disabled = api.post(f"/api/v1/olts/{olt_id}/onus/{device.id}/disable")
    assert disabled.status_code == 200, disabled.text
    assert disabled.json()["ok"] is True and disabled.json()["applied"]
    assert disabled.json()["onu"]["status"] == "offline"
    simulated = olt.sim.state.find_serial(serial)
    assert simulated is not None and not simulated.online

    enabled = api.post(f"/api/v1/olts/{olt_id}/onus/{device.id}/enable")
    assert enabled.status_code == 200, enabled.text
    assert enabled.json()["onu"]["status"] == "online" and simulated.online
    assert audited(api, "olts.onus.disable") and audited(api, "olts.onus.enable")


@pytest.mark.parametrize("vendor", ["huawei", "zte"])
def test_resync_repushes_the_stored_authorization(
    vendor: str, api: Any, olt_kernel: Any, running_olt: Any
) -> None:
    olt: RunningOlt = running_olt(vendor, ports=1, onus_per_port=1)
    olt_id = add_olt(api, olt)
    slot, port = next(iter(olt.sim.state.ports))
    onu = authorize_new(api, olt, olt_id, slot, port)

    resynced = api.post(f"/api/v1/olts/{olt_id}/onus/{onu['id']}/resync")
    assert resynced.status_code == 200, resynced.text
    result = resynced.json()
    assert result["ok"] is True and len(result["applied"]) >= 2
    removal = "ont delete" if vendor == "huawei" else "no onu"
    assert result["applied"][0].startswith(removal) or any(
        step.startswith(removal) for step in result["applied"]
    )
    assert result["onu"]["id"] == onu["id"] and result["onu"]["onu_id"] == onu["onu_id"]
    assert result["onu"]["status"] == "online"
    [entry] = audited(api, "olts.onus.resync")
    assert entry["result"] == "ok"


def test_resync_without_a_stored_authorization_is_refused(
    api: Any, olt_kernel: Any, running_olt: Any
) -> None:
    olt: RunningOlt = running_olt("huawei", ports=1, onus_per_port=1)
    olt_id = add_olt(api, olt)
    collect(olt_kernel, olt_id)
    [device] = onus(olt_kernel, olt_id).values()
    answer = api.post(f"/api/v1/olts/{olt_id}/onus/{device.id}/resync")
    assert answer.status_code == 409
    assert "not authorized through RJChronos" in answer.json()["detail"]
    assert olt.sim.state.find_serial(device.serial or "") is not None  # nothing was removed


@pytest.mark.parametrize("vendor", ["huawei", "zte"])
def test_move_puts_the_onu_on_another_port(
    vendor: str, api: Any, olt_kernel: Any, running_olt: Any
) -> None:
    olt: RunningOlt = running_olt(vendor, ports=2, onus_per_port=1)
    olt_id = add_olt(api, olt)
    (slot, port), (to_slot, to_port) = sorted(olt.sim.state.ports)[:2]
    onu = authorize_new(api, olt, olt_id, slot, port)
    target = olt.port_name(to_slot, to_port)

    moved = api.post(f"/api/v1/olts/{olt_id}/onus/{onu['id']}/move", json={"port": target})
    assert moved.status_code == 200, moved.text
    assert moved.json()["ok"] is True and moved.json()["onu"]["port"] == target
    simulated = olt.sim.state.find_serial(onu["serial"])
    assert simulated is not None and (simulated.slot, simulated.port) == (to_slot, to_port)
    pon = service.find_device(olt_kernel, identity=pon_identity(olt_id, target))
    assert pon is not None and moved.json()["onu"]["parent_id"] == pon.id
    [entry] = audited(api, "olts.onus.move")
    assert entry["params"]["to"] == target and entry["result"] == "ok"

    bad = api.post(f"/api/v1/olts/{olt_id}/onus/{onu['id']}/move", json={"onu_id": 3})
    assert bad.status_code == 422
