"""The driver against the simulated MA5800, over real SSH and SNMP on 127.0.0.1."""

from __future__ import annotations

from rjchronos.drivers.olt_model import AuthorizeRequest
from rjchronos_olt_huawei.driver import HuaweiSmartAxDriver
from rjchronos_sdk.conformance_olt import OltDriverConformance


class TestHuaweiSmartAx(OltDriverConformance):
    driver_class = HuaweiSmartAxDriver
    vendor = "huawei"

    def port_name(self, slot: int, port: int) -> str:
        return f"0/{slot}/{port}"

    def authorize_request(
        self, port: str, serial: str, onu_id: int | None = None
    ) -> AuthorizeRequest:
        return AuthorizeRequest(
            port=port,
            serial=serial,
            onu_id=onu_id,
            line_profile="10",
            service_profile="10",
            vlan=100,
            description="conformance",
        )
