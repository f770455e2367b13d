"""The ACS's Prometheus series, read from /metrics after real sessions with simulated CPEs."""

from __future__ import annotations

from typing import Any

from simkit import start_sim

from rjchronos_sdk.testing import scrape_metrics


def test_sessions_rpc_latency_and_faults_are_counted(
    rjc_kernel_factory: Any, rjc_client_factory: Any
) -> None:
    sim, listener = start_sim(rjc_kernel_factory, rjc_client_factory, "tr181", "1.4", count=2)
    try:
        cpe = sim.fleet.fleet.cpes[0]
        read = sim.task(
            cpe, {"type": "get_parameter_values", "paths": [sim.paths["root"] + "DeviceInfo."]}
        )
        assert read["status"] == "done", read
        bad = sim.task(
            cpe, {"type": "set_parameter_values", "values": {"Device.DeviceInfo.NoSuchThing": "1"}}
        )
        assert bad["status"] == "fault", bad
        samples = scrape_metrics(sim.api)
    finally:
        sim.fleet.stop()
        listener.__exit__(None, None, None)

    sessions = {
        dict(labels)["outcome"]: value
        for (name, labels), value in samples.items()
        if name == "rjc_cwmp_sessions_total"
    }
    # Two first sessions, then one per task (connection request), each ended by a 204.
    assert sessions["started"] >= 4
    assert sessions["completed"] == sessions["started"]
    assert samples[("rjc_cwmp_rpc_seconds_count", (("method", "GetParameterValues"),))] >= 1
    assert samples[("rjc_cwmp_rpc_seconds_count", (("method", "SetParameterValues"),))] == 1
    fault_code = str(bad["fault"]["code"])
    assert samples[("rjc_cwmp_faults_total", (("code", fault_code),))] == 1
    assert samples[("rjc_cwmp_sessions_active", ())] == 0
    label_names = {name for (_, labels) in samples for name, _ in labels}
    assert not label_names & {"device", "device_id", "serial", "cpe"}, "no per-device series"
