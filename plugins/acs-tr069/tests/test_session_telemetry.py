"""Telemetry from sessions: the parameters of interest become samples in kernel.telemetry."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from simkit import Sim, start_sim

from rjchronos.db.types import utcnow


@pytest.fixture(params=["tr098", "tr181"])
def sim(request: Any, rjc_kernel_factory: Any, rjc_client_factory: Any) -> Iterator[Sim]:
    sim, listener = start_sim(
        rjc_kernel_factory, rjc_client_factory, request.param, "1.4", telemetry_read_seconds=0.01
    )
    try:
        yield sim
    finally:
        sim.fleet.stop()
        listener.__exit__(None, None, None)


def _series(sim: Sim, entity: str, metric: str) -> list[Any]:
    now = utcnow()
    return sim.kernel.telemetry.series(entity, metric, now - timedelta(hours=1), now)


def test_each_session_reads_the_parameters_of_interest_into_telemetry(sim: Sim) -> None:
    cpe = sim.fleet.fleet.cpes[0]
    device_id = sim.device_id(cpe)
    # The first sessions know no tree yet: nothing is asked for, nothing is written.
    assert _series(sim, device_id, "cpe.uptime_seconds") == []
    assert sim.task(cpe, {"type": "refresh", "path": sim.paths["root"]})["status"] == "done"
    before = len(_series(sim, device_id, "cpe.uptime_seconds"))
    # Any later session ends with the telemetry read.
    assert sim.task(cpe, {"type": "schedule_inform", "delay_seconds": 3600})["status"] == "done"
    uptime = _series(sim, device_id, "cpe.uptime_seconds")
    assert len(uptime) > before
    assert uptime[-1][1] >= 0
    assert _series(sim, device_id, "cpe.cpu_percent")
    assert _series(sim, device_id, "cpe.memory_total_kib")[-1][1] == 262144
    low, high = cpe.identity.clients_per_band
    assert _series(sim, device_id, "cpe.wifi_clients")[-1][1] == low + high
    assert _series(sim, f"{device_id}/radio/2", "cpe.wifi_clients")[-1][1] == high
    mac = cpe.identity.clients[0][0]
    rssi = _series(sim, f"{device_id}/wifi/{mac}", "cpe.wifi_client_rssi_dbm")
    assert rssi and -100 < rssi[-1][1] < 0
    optical = _series(sim, device_id, "cpe.optical_rx_dbm")
    if sim.model == "tr181":
        level = int(sim.value(cpe, "Device.Optical.Interface.1.OpticalSignalLevel")) / 1000
        assert optical and optical[-1][1] == pytest.approx(level, abs=5)
    else:
        assert optical == []
