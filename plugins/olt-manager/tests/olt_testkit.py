"""Helpers of the OLT manager's tests: a simulated OLT served from its own thread."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

from rjchronos_sdk.sim.olt import OltSimulator


class RunningOlt:
    """A simulated OLT served from a thread of its own, so tests and the API stay synchronous."""

    def __init__(self, vendor: str, **options: Any) -> None:
        self.sim = OltSimulator(vendor, drift_interval=0, **options)  # type: ignore[arg-type]
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> RunningOlt:
        self.thread.start()
        self.call(self.sim.start)
        return self

    def __exit__(self, *_: Any) -> None:
        self.call(self.sim.stop)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()

    def call(self, function: Callable[[], Any]) -> Any:
        """Run ``function`` (plain or async) on the simulator's loop and return its result."""

        async def run() -> Any:
            result = function()
            return await result if asyncio.iscoroutine(result) else result

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(10)

    def port_name(self, slot: int, port: int) -> str:
        return f"{0 if self.sim.vendor == 'huawei' else 1}/{slot}/{port}"

    def pon_ports(self) -> list[str]:
        return [self.port_name(slot, port) for slot, port in self.sim.state.ports]

    def olt_body(self, **overrides: Any) -> dict[str, Any]:
        """What an operator posts to add this OLT."""
        body = {
            "name": f"{self.sim.vendor}-olt",
            "vendor": "Huawei" if self.sim.vendor == "huawei" else "ZTE",
            "model": "" if self.sim.vendor == "huawei" else "C320",
            "management_address": self.sim.host,
            "ssh_port": self.sim.ssh_port,
            "username": self.sim.username,
            "password": self.sim.password,
            "snmp_port": self.sim.snmp_port,
            "community": self.sim.community,
            "timeout_seconds": 5,
            "default_vlan": 100,
            "pon_ports": self.pon_ports(),
        }
        return body | overrides


def authorize_body(olt: RunningOlt, port: str, serial: str) -> dict[str, Any]:
    """A working service profile for the simulator's vendor."""
    if olt.sim.vendor == "huawei":
        return {
            "port": port,
            "serial": serial,
            "line_profile": "10",
            "service_profile": "10",
            "vlan": 100,
            "description": "customer 42",
        }
    return {
        "port": port,
        "serial": serial,
        "onu_type": "ZTE-F660",
        "upload_profile": "UP-1G",
        "vlan": 100,
        "name": "customer42",
    }
