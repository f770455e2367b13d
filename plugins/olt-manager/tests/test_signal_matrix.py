"""The optical signal matrix: buckets, port and drop diagnoses, degradation, and the API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from olt_testkit import RunningOlt

from rjchronos.db.types import utcnow
from rjchronos.telemetry.store import Sample
from rjchronos_olt_manager.collector import JOB_TYPE
from rjchronos_olt_manager.signals import OnuOptics, Thresholds, build_matrix


def optics(name: str, rx: float | None, port: str = "0/1/0") -> OnuOptics:
    return OnuOptics(
        name, name, f"SN{name}", port, "online", rx, 2.1, None if rx is None else rx - 2
    )


def test_buckets_follow_the_operators_thresholds() -> None:
    thresholds = Thresholds()
    assert [thresholds.bucket(rx) for rx in (-18.0, -25.0, -25.01, -27.0, -27.01, None)] == [
        "good", "good", "warning", "warning", "critical", "no_reading",
    ]  # fmt: skip


def test_one_onu_low_among_healthy_neighbours_points_to_its_drop() -> None:
    [port] = build_matrix(
        [optics("a", -19.0), optics("b", -19.5), optics("c", -20.0), optics("d", -26.1)],
        {},
        Thresholds(),
    )
    assert port["median_rx_dbm"] == -19.75
    assert [row["name"] for row in port["onus"] if row["outlier"]] == ["d"]
    assert port["diagnosis"].startswith("outliers")
    assert port["counts"] == {"good": 3, "warning": 1, "critical": 0, "no_reading": 0}


def test_a_whole_port_low_points_to_the_feeder_or_splitter_not_to_each_onu() -> None:
    low = [optics("a", -26.0, "0/1/1"), optics("b", -26.4, "0/1/1"), optics("c", -29.9, "0/1/1")]
    fine = [optics("e", -18.0, "0/1/0"), optics("f", None, "0/1/0")]
    ports = build_matrix(low + fine, {}, Thresholds())
    assert [p["port"] for p in ports] == ["0/1/0", "0/1/1"]
    assert ports[1]["diagnosis"].startswith("port_low")
    assert not any(row["outlier"] for row in ports[1]["onus"])
    assert ports[0]["counts"]["no_reading"] == 1 and ports[0]["diagnosis"] == "ok"


def test_degradation_against_a_week_and_a_month_ago() -> None:
    [port] = build_matrix(
        [optics("a", -21.0), optics("b", -20.0)],
        {"7d": {"a": -18.5, "b": -20.2}, "30d": {"a": -18.0}},
        Thresholds(),
    )
    a, b = port["onus"]
    assert (a["rx_change_7d_db"], a["rx_change_30d_db"], a["degrading"]) == (-2.5, -3.0, True)
    assert (b["rx_change_7d_db"], b["rx_change_30d_db"], b["degrading"]) == (0.2, None, False)


def test_the_api_shows_the_simulated_olts_optics(
    api: Any, olt_kernel: Any, running_olt: Any
) -> None:
    olt: RunningOlt = running_olt("huawei", ports=2, onus_per_port=3)
    created = api.post("/api/v1/olts", json=olt.olt_body())
    assert created.status_code == 201, created.text
    olt_id = created.json()["id"]
    job = olt_kernel.jobs.get(olt_kernel.jobs.enqueue(JOB_TYPE, {"device_id": olt_id}))
    assert job.status == "done", job.error

    onu_device = next(
        d for d in api.get("/api/v1/devices", params={"kind": "onu", "limit": 100}).json()["items"]
    )
    week_ago = utcnow() - timedelta(days=7, hours=12)
    olt_kernel.telemetry.write([Sample(onu_device["id"], "onu.rx_dbm", week_ago, -5.0)])

    answer = api.get(f"/api/v1/olts/{olt_id}/signal-matrix")
    assert answer.status_code == 200, answer.text
    matrix = answer.json()
    assert matrix["thresholds"]["good_dbm"] == -25.0
    simulated = {
        onu.serial: onu for pon in olt.sim.state.ports.values() for onu in pon.onus.values()
    }
    rows = [row for port in matrix["ports"] for row in port["onus"]]
    assert len(rows) == len(simulated) == 6
    assert len(matrix["ports"]) == 2
    for row in rows:
        onu = simulated[row["serial"]]
        assert row["rx_dbm"] == onu.rx_dbm and row["olt_rx_dbm"] == onu.olt_rx_dbm
    flagged = next(row for row in rows if row["id"] == onu_device["id"])
    assert flagged["degrading"] and flagged["rx_change_7d_db"] < -2
    assert api.get("/api/v1/olts/01JZZZZZZZZZZZZZZZZZZZZZZZ/signal-matrix").status_code == 404
