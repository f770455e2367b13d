"""The trap receiver against the simulator's traps: a confirming collection before any event."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable
from typing import Any

import pytest
from olt_testkit import RunningOlt
from sqlalchemy import select
from test_collector import add_olt, collect, events, onus

from rjchronos.jobs.models import Job
from rjchronos_olt_manager import PLUGIN, hooks
from rjchronos_olt_manager.collector import JOB_TYPE
from rjchronos_olt_manager.traps import decode_trap
from rjchronos_sdk.sim.olt.snmp import trap_message

TRAP_SETTINGS = {"trap_port": 0, "trap_host": "127.0.0.1", "trap_confirm_delay_seconds": 0}


@pytest.fixture
def trap_kernel(rjc_kernel_factory: Any) -> Any:
    return rjc_kernel_factory(plugins={PLUGIN: hooks}, plugin_settings={PLUGIN: TRAP_SETTINGS})


@pytest.fixture
def trap_api(trap_kernel: Any, rjc_client_factory: Any) -> Any:
    return rjc_client_factory("admin", kernel=trap_kernel)


def listen(kernel: Any, olt: RunningOlt) -> int:
    """Start the plugin's receiver on the simulator's loop; the simulator sends its traps there."""
    olt.call(lambda: hooks.rjc_startup(kernel))
    port = hooks.RECEIVERS[kernel].port
    olt.sim.trap_target = ("127.0.0.1", port)
    return port


def stop(kernel: Any, olt: RunningOlt) -> None:
    olt.call(lambda: hooks.rjc_shutdown(kernel))


def trap_jobs(kernel: Any) -> list[Job]:
    with kernel.db.session() as session:
        found = session.execute(select(Job).where(Job.type == JOB_TYPE)).scalars()
        return [job for job in found if "trap" in job.params]


def wait_for(check: Callable[[], Any], seconds: float = 10) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.05)
    raise AssertionError("timed out")


@pytest.mark.parametrize("vendor", ["huawei", "zte"])
def test_a_los_trap_triggers_the_collection_that_raises_the_event(
    vendor: str, trap_api: Any, trap_kernel: Any, running_olt: Any
) -> None:
    olt: RunningOlt = running_olt(vendor, ports=1, onus_per_port=2)
    olt_id = add_olt(trap_api, olt)
    collect(trap_kernel, olt_id)
    listen(trap_kernel, olt)
    try:
        slot, port = next(iter(olt.sim.state.ports))
        first = next(olt.sim.state.all_onus()).onu_id
        [victim] = olt.call(lambda: olt.sim.los(port, first, slot=slot))
        [job] = wait_for(lambda: [j for j in trap_jobs(trap_kernel) if j.status == "done"])
        assert job.device_id == olt_id and job.result["ok"] is True
        [los] = events(trap_kernel, "onu.los")
        assert los.payload["serial"] == victim.serial
        assert onus(trap_kernel, olt_id)[victim.serial].status == "los"
    finally:
        stop(trap_kernel, olt)


def test_a_trap_the_olt_does_not_confirm_raises_nothing(
    trap_api: Any, trap_kernel: Any, running_olt: Any
) -> None:
    olt: RunningOlt = running_olt("huawei", ports=1, onus_per_port=2)
    olt_id = add_olt(trap_api, olt)
    collect(trap_kernel, olt_id)
    port = listen(trap_kernel, olt)
    try:
        onu = next(olt.sim.state.all_onus())  # online: the trap below is stale
        message = trap_message(olt.sim.state, "los", onu, olt.sim.community)
        assert message is not None and decode_trap(message) is not None
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            sender.sendto(message, ("127.0.0.1", port))
        [job] = wait_for(lambda: [j for j in trap_jobs(trap_kernel) if j.status == "done"])
        assert job.result["ok"] is True and job.result["status_changes"] == 0
        assert events(trap_kernel, "onu.los") == []
        assert onus(trap_kernel, olt_id)[onu.serial].status == "online"
    finally:
        stop(trap_kernel, olt)


def test_unknown_sources_and_garbage_are_ignored_with_a_log_line(
    trap_api: Any,
    trap_kernel: Any,
    running_olt: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    olt: RunningOlt = running_olt("huawei", ports=1, onus_per_port=2)
    add_olt(trap_api, olt)
    port = listen(trap_kernel, olt)
    receiver = hooks.RECEIVERS[trap_kernel]
    caplog.set_level(logging.INFO, logger="rjchronos_olt_manager.traps")
    try:
        onu = next(olt.sim.state.all_onus())
        stranger = trap_message(olt.sim.state, "los", onu, "not-the-community")
        assert stranger is not None
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            sender.sendto(stranger, ("127.0.0.1", port))
            sender.sendto(b"\x30\x03garbage", ("127.0.0.1", port))
        wait_for(lambda: receiver.ignored == 2)
        assert "no OLT with that address and community" in caplog.text
        assert "not an SNMPv2c trap" in caplog.text
        assert trap_jobs(trap_kernel) == []
    finally:
        stop(trap_kernel, olt)
