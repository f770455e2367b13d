"""Canonical names, Wi-Fi changes and TR-143 diagnostics against simulated CPEs, over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from acs_testkit import assert_valid
from simkit import Sim, start_sim

from rjchronos_acs_tr069 import names

MODELS = [("tr098", "1.0"), ("tr181", "1.4")]


@pytest.fixture(params=MODELS, ids=lambda c: f"{c[0]}-cwmp{c[1]}")
def sim(request: Any, rjc_kernel_factory: Any, rjc_client_factory: Any) -> Iterator[Sim]:
    sim, listener = start_sim(rjc_kernel_factory, rjc_client_factory, *request.param)
    try:
        yield sim
    finally:
        sim.fleet.stop()
        listener.__exit__(None, None, None)


def _refresh(sim: Sim, cpe: Any) -> None:
    task = sim.task(cpe, {"type": "refresh", "path": sim.paths["root"]})
    assert task["status"] == "done", task


def test_summary_reads_canonical_names_from_the_stored_tree(sim: Sim) -> None:
    cpe = sim.fleet.fleet.cpes[0]
    _refresh(sim, cpe)
    summary = sim.api.get(f"/api/v1/devices/{sim.device_id(cpe)}/summary").json()
    root = sim.paths["root"]
    assert summary["data_model"] == sim.model
    assert summary["wan_ip"] == cpe.identity.wan_ip
    assert summary["pppoe_username"] == cpe.identity.pppoe_username
    assert summary["firmware"] == sim.value(cpe, cpe.paths.software_version)
    assert summary["uptime"] is not None and int(summary["uptime"]) >= 0
    assert summary["cpu"] is not None
    assert summary["memory_total"] == "262144"
    assert "pppoe_password" not in summary
    radios = {r["radio"]: r for r in summary["wifi"]}
    assert set(radios) == {1, 2}
    for radio in (1, 2):
        assert radios[radio]["ssid"] == sim.value(cpe, str(names.path(f"wifi.{radio}.ssid", root)))
        channel = sim.value(cpe, str(names.path(f"wifi.{radio}.channel", root)))
        assert radios[radio]["channel"] == int(channel)
    assert radios[2]["band"] == "5GHz"
    low, high = cpe.identity.clients_per_band
    assert [len(radios[1]["clients"]), len(radios[2]["clients"])] == [low, high]
    macs = [c["mac"] for r in (1, 2) for c in radios[r]["clients"]]
    assert macs == [mac for mac, _ip, _rssi in cpe.identity.clients]
    rssi = [c["rssi"] for r in (1, 2) for c in radios[r]["clients"]]
    assert all(isinstance(v, int) and -100 < v < 0 for v in rssi), rssi
    if sim.model == "tr181":
        rx = int(sim.value(cpe, "Device.Optical.Interface.1.OpticalSignalLevel")) / 1000
        assert summary["optical_rx_dbm"] == pytest.approx(rx, abs=5)
        assert summary["optical_tx_dbm"] is not None
    else:
        assert summary["optical_rx_dbm"] is None


@pytest.mark.parametrize(
    "root", ["InternetGatewayDevice.WANDevice.1.WANDSLInterfaceConfig.", "Device.DSL.Line.1."]
)
def test_a_dsl_lines_snr_margins_become_telemetry_in_db(root: str) -> None:
    # Both models report the margins in tenths of a dB.
    values = {root + "DownstreamNoiseMargin": "123", root + "UpstreamNoiseMargin": "-4"}
    found = {metric: value for _, metric, value in names.samples(values)}
    assert found == {
        "cpe.dsl_snr_down_db": pytest.approx(12.3),
        "cpe.dsl_snr_up_db": pytest.approx(-0.4),
    }
    model = "InternetGatewayDevice." if root.startswith("Internet") else "Device."
    assert {root + "DownstreamNoiseMargin", root + "UpstreamNoiseMargin"} <= set(
        names.telemetry_paths(model)
    )


def test_pppoe_username_links_the_cpe_to_its_customer(sim: Sim) -> None:
    cpe = sim.fleet.fleet.cpes[0]
    _refresh(sim, cpe)
    customer = sim.api.post("/api/v1/customers", json={"name": "Bia Lima"}).json()
    credentials = {"username": cpe.identity.pppoe_username, "password": "ppp-s3cret"}
    assert sim.api.put(f"/api/v1/customers/{customer['id']}/pppoe", json=credentials).is_success
    device_id = sim.device_id(cpe)
    assert sim.api.get(f"/api/v1/devices/{device_id}").json()["customer_id"] is None
    # The link is made at the next session that is more than periodic: a boot.
    assert sim.task(cpe, {"type": "reboot"})["status"] == "done"
    summary: dict[str, Any] = {}
    for _ in range(100):
        summary = sim.api.get(f"/api/v1/devices/{device_id}/summary").json()
        if summary["customer_id"]:
            break
        sim.fleet.run(_sleep(0.1))
    assert summary["customer_id"] == customer["id"]


async def _sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


def test_wifi_change_reaches_the_cpe_with_the_password_sealed(sim: Sim) -> None:
    cpe = sim.fleet.fleet.cpes[0]
    _refresh(sim, cpe)
    root = sim.paths["root"]
    device_id = sim.device_id(cpe)
    body = {"radio": 2, "ssid": "casa-5g", "password": "n0va-senha-wifi", "channel": 44}
    response = sim.api.post(f"/api/v1/devices/{device_id}/wifi?wait=15", json=body)
    assert response.status_code == 201, response.text
    task = response.json()
    assert task["status"] == "done", task
    assert "n0va-senha-wifi" not in response.text
    assert sim.value(cpe, str(names.path("wifi.2.ssid", root))) == "casa-5g"
    assert sim.value(cpe, str(names.path("wifi.2.password", root))) == "n0va-senha-wifi"
    assert sim.value(cpe, str(names.path("wifi.2.channel", root))) == "44"
    stored = sim.api.get(f"/api/v1/devices/{device_id}/tasks").json()["items"][0]
    assert stored["params"]["values"][str(names.path("wifi.2.password", root))] == "********"
    with sim.kernel.db.session() as session:
        from rjchronos_acs_tr069.models import CpeTask

        row = session.get(CpeTask, task["id"])
        assert row is not None and "n0va-senha-wifi" not in str(row.params)
    audit = sim.api.get("/api/v1/audit", params={"action": "acs.wifi.set"}).json()["items"]
    assert audit and "n0va-senha-wifi" not in str(audit)
    band = sim.api.post(f"/api/v1/devices/{device_id}/wifi", json={"band": "5GHz"})
    if sim.model == "tr098":
        assert band.status_code == 422
        assert band.json()["invalid_params"][0]["name"] == "body.band"
    else:
        assert band.status_code == 201
    bad = sim.api.post(f"/api/v1/devices/{device_id}/wifi", json={"password": "short"})
    assert bad.status_code == 422 and "body.password" in bad.text


def test_wifi_change_for_a_tag_queues_one_task_per_cpe(sim: Sim) -> None:
    first, second = sim.fleet.fleet.cpes
    for cpe in (first, second):
        _refresh(sim, cpe)
    tagged = sim.device_id(first)
    assert sim.api.patch(f"/api/v1/devices/{tagged}", json={"tags": ["predio-7"]}).is_success
    response = sim.api.post("/api/v1/wifi", json={"tag": "predio-7", "ssid": "predio"})
    assert response.status_code == 201, response.text
    assert response.json()["queued"] == 1
    assert response.json()["items"][0]["device_id"] == tagged
    listed = sim.api.post(
        "/api/v1/wifi", json={"devices": [sim.device_id(second), "nope"], "channel": 11}
    ).json()
    assert listed["queued"] == 1
    assert {"device_id": "nope", "error": "no such CPE"} in listed["items"]
    assert sim.task(first, {"type": "reboot"})["status"] == "done"
    assert sim.value(first, sim.paths["ssid"]) == "predio"
    assert sim.value(second, sim.paths["ssid"]) != "predio"


@pytest.mark.parametrize(
    "body",
    [
        {"type": "ping", "host": "192.0.2.1", "count": 3},
        {"type": "traceroute", "host": "example.net"},
        {"type": "download", "url": "http://192.0.2.9/10MB.bin"},
        {"type": "upload", "url": "http://192.0.2.9/up", "file_length": 1000000},
    ],
    ids=lambda b: b["type"],
)
def test_diagnostics_results_reach_the_task_and_the_timeline(
    sim: Sim, body: dict[str, Any]
) -> None:
    cpe = sim.fleet.fleet.cpes[0]
    _refresh(sim, cpe)
    device_id = sim.device_id(cpe)
    response = sim.api.post(f"/api/v1/devices/{device_id}/diagnostics?wait=20", json=body)
    assert response.status_code == 201, response.text
    task = response.json()
    assert task["status"] == "done", task
    results = task["result"]["results"]
    assert task["result"]["state"] == "Complete"
    if body["type"] == "ping":
        assert int(results["SuccessCount"]) + int(results["FailureCount"]) == 3
        assert int(results["AverageResponseTime"]) > 0
    elif body["type"] == "traceroute":
        assert len(results["RouteHops"]) >= 3
        assert results["RouteHops"][-1]["Host"] == "192.0.2.1"
    elif body["type"] == "download":
        assert int(results["TestBytesReceived"]) > 0
    else:
        assert int(results["TotalBytesSent"]) > 0
    events = sim.api.get(f"/api/v1/devices/{device_id}/events").json()["items"]
    done = [e for e in events if e["type"] == "cpe.diagnostics"]
    assert done and done[0]["payload"]["task"] == task["id"]
    assert done[0]["payload"]["results"] == results
    for message in sim.recorder.messages:
        assert_valid(message, sim.version)


def test_bad_diagnostics_get_422_naming_the_field(sim: Sim) -> None:
    device_id = sim.device_id(sim.fleet.fleet.cpes[0])
    bad = sim.api.post(f"/api/v1/devices/{device_id}/diagnostics", json={"type": "ping"})
    assert bad.status_code == 422 and "body.host" in bad.text
    shell = {"type": "ping", "host": "x; rm -rf /"}
    assert sim.api.post(f"/api/v1/devices/{device_id}/diagnostics", json=shell).status_code == 422
    queued = sim.api.post(
        f"/api/v1/devices/{device_id}/diagnostics", json={"type": "ping", "host": "192.0.2.1"}
    ).json()
    lifetime = datetime.fromisoformat(queued["expires_at"]) - datetime.fromisoformat(
        queued["created_at"]
    )
    assert timedelta(minutes=59) < lifetime <= timedelta(hours=1)
