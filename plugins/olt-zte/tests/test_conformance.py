"""The ZXAN driver against the simulated C320, over real SSH and SNMP on 127.0.0.1."""

from __future__ import annotations

from rjchronos.drivers.olt_model import AuthorizeRequest
from rjchronos_olt_zte.driver import ZteZxanDriver
from rjchronos_sdk.conformance_olt import OltDriverConformance


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
