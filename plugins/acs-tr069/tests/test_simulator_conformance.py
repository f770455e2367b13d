"""Conformance over real HTTP: the ACS under uvicorn, simulated CPEs (TR-098 and TR-181, CWMP
1.0 and 1.4) informing it, and every parameter, object and life-cycle task reaching them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from acs_testkit import assert_valid
from simkit import COMBINATIONS, Sim, start_sim


@pytest.fixture(params=COMBINATIONS, ids=lambda c: f"{c[0]}-cwmp{c[1]}")
def sim(request: Any, rjc_kernel_factory: Any, rjc_client_factory: Any) -> Iterator[Sim]:
    sim, listener = start_sim(rjc_kernel_factory, rjc_client_factory, *request.param)
    try:
        yield sim
    finally:
        sim.fleet.stop()
        listener.__exit__(None, None, None)


def assert_messages_valid(sim: Sim) -> None:
    """Every envelope the ACS sent in the test validates against its CWMP version's XSD."""
    assert sim.recorder.messages
    for message in sim.recorder.messages:
        assert_valid(message, sim.version)


def test_informs_create_devices_with_their_identity(sim: Sim) -> None:
    for cpe in sim.fleet.fleet.cpes:
        found = sim.api.get("/api/v1/devices", params={"serial": cpe.serial}).json()["items"]
        assert len(found) == 1
        device = found[0]
        assert device["kind"] == "cpe"
        assert device["identity"] == cpe.device_id
        assert device["serial"] == cpe.serial
        assert device["vendor"] == cpe.identity.vendor.manufacturer
        assert device["firmware"] == sim.value(cpe, cpe.paths.software_version)
        model_name = sim.value(cpe, cpe.paths.device_info + "ModelName")
        assert device["model"] == (model_name or cpe.product_class)
        stored = sim.api.get(
            f"/api/v1/devices/{device['id']}/parameters",
            params={"prefix": cpe.paths.management + "ConnectionRequestURL"},
        ).json()["items"]
        assert stored[0]["value"].endswith(f"/cr/{cpe.serial}")
    if sim.version == "1.4":
        assert all(c.negotiated_version == "1.4" for c in sim.fleet.fleet.cpes)
    assert_messages_valid(sim)


def test_parameter_tasks_reach_the_cpe(sim: Sim) -> None:
    cpe = sim.fleet.fleet.cpes[0]
    ssid, version = sim.paths["ssid"], cpe.paths.software_version
    connection_requests = sim.fleet.fleet.counters["connection_requests"]

    read = sim.task(cpe, {"type": "get_parameter_values", "paths": [ssid, version]})
    assert read["status"] == "done"
    assert read["result"]["values"] == {
        ssid: sim.value(cpe, ssid),
        version: sim.value(cpe, version),
    }
    assert sim.fleet.fleet.counters["connection_requests"] == connection_requests + 1

    written = sim.task(cpe, {"type": "set_parameter_values", "values": {ssid: "rjc-conformance"}})
    assert written["status"] == "done" and written["result"]["Status"] == "0"
    assert sim.value(cpe, ssid) == "rjc-conformance"
    assert sim.value(cpe, cpe.paths.management + "ParameterKey") == written["id"]

    refused = sim.task(cpe, {"type": "set_parameter_values", "values": {version: "hacked"}})
    assert refused["status"] == "fault"
    assert refused["fault"]["code"] == 9003
    assert refused["fault"]["parameters"] == [
        {
            "path": version,
            "code": 9008,
            "message": refused["fault"]["parameters"][0]["message"],
            "meaning": "Attempt to set a non-writable parameter",
        }
    ]
    assert sim.value(cpe, version) != "hacked"

    unknown = sim.task(cpe, {"type": "get_parameter_values", "paths": [sim.paths["root"] + "Nope"]})
    assert unknown["status"] == "fault"
    assert (unknown["fault"]["code"], unknown["fault"]["meaning"]) == (
        9005,
        "Invalid parameter name",
    )

    info = cpe.paths.device_info
    refreshed = sim.task(cpe, {"type": "refresh", "path": info})
    assert refreshed["status"] == "done" and refreshed["result"]["names"] > 3
    stored = sim.api.get(
        f"/api/v1/devices/{sim.device_id(cpe)}/parameters", params={"prefix": info}
    ).json()["items"]
    by_path = {p["path"]: p for p in stored}
    assert by_path[version]["writable"] is False
    assert by_path[version]["value"] == sim.value(cpe, version)

    table = sim.paths["table"]
    added = sim.task(cpe, {"type": "add_object", "object": table})
    assert added["status"] == "done"
    instance = f"{table}{added['result']['InstanceNumber']}."
    assert sim.fleet.call(lambda: instance in cpe.tree.objects)
    deleted = sim.task(cpe, {"type": "delete_object", "object": instance})
    assert deleted["status"] == "done"
    assert not sim.fleet.call(lambda: instance in cpe.tree.objects)

    attributes = {"name": ssid, "notification": 2, "access_list": ["Subscriber"]}
    set_attributes = sim.task(cpe, {"type": "set_parameter_attributes", "attributes": [attributes]})
    assert set_attributes["status"] == "done"
    assert sim.fleet.call(lambda: cpe.notifications[ssid]) == 2
    get_attributes = sim.task(cpe, {"type": "get_parameter_attributes", "paths": [ssid]})
    assert get_attributes["result"]["attributes"] == [
        {"name": ssid, "notification": 2, "access_list": ["Subscriber"]}
    ]
    assert_messages_valid(sim)


def test_reboot_and_factory_reset(sim: Sim) -> None:
    cpe = sim.fleet.fleet.cpes[1]
    ssid = sim.paths["ssid"]
    factory_ssid = sim.value(cpe, ssid)
    boots = cpe.stats.events["1 BOOT"]

    rebooted = sim.task(cpe, {"type": "reboot"})
    assert rebooted["status"] == "done"
    sim.fleet.wait_until(lambda: cpe.stats.events["M Reboot"] == 1)
    assert cpe.stats.events["1 BOOT"] == boots + 1
    timeline = sim.api.get(f"/api/v1/devices/{sim.device_id(cpe)}/events").json()["items"]
    assert sum(e["type"] == "cpe.boot" for e in timeline) == 2

    assert (
        sim.task(cpe, {"type": "set_parameter_values", "values": {ssid: "mine"}})["status"]
        == "done"
    )
    reset = sim.task(cpe, {"type": "factory_reset"})
    assert reset["status"] == "done"
    sim.fleet.wait_until(lambda: cpe.stats.events["0 BOOTSTRAP"] == 2)
    assert sim.value(cpe, ssid) == factory_ssid
    assert_messages_valid(sim)
