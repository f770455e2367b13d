"""The ZXAN driver against the simulated C320, over real SSH and SNMP on 127.0.0.1."""

from __future__ import annotations

from typing import Any

from rjchronos.drivers.olt_model import AuthorizeRequest
from rjchronos_olt_zte.driver import ZteZxanDriver
from rjchronos_sdk.conformance_olt import OltDriverConformance
from rjchronos_sdk.sim.olt import OltSimulator


class TestZteZxan(OltDriverConformance):
    driver_class = ZteZxanDriver
    vendor = "zte"

    def port_name(self, slot: int, port: int) -> str:
        return f"1/{slot}/{port}"

    def authorize_request(
        self, port: str, serial: str, onu_id: int | None = None
    ) -> AuthorizeRequest:
        return AuthorizeRequest(
            port=port,
            serial=serial,
            onu_id=onu_id,
            onu_type="ZTE-F660",
            upload_profile="UP-1G",
            vlan=100,
            name="conformance",
        )


class TestZteZxan1082Tree(TestZteZxan):
    """The same contract read from the 1082.500 tree (C300/C320 V2.1 firmware, C600)."""

    def connection(
        self, sim: OltSimulator, *, snmp: bool = True, **overrides: Any
    ) -> dict[str, Any]:
        return super().connection(sim, snmp=snmp, snmp_tree="1082", **overrides)
