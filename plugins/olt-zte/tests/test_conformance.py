"""The ZXAN driver against the simulated C320, over real SSH and SNMP on 127.0.0.1."""

from __future__ import annotations

from typing import Any

import pytest

from rjchronos.drivers.olt_model import AuthorizeRequest, OltConnectionError
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


class TestZteZxanTelnet(TestZteZxan):
    """The same contract over Telnet, with an ``enable`` password on the OLT."""

    def simulator(self) -> OltSimulator:
        sim = super().simulator()
        sim.telnet_port = 0
        sim.enable_password = "en-s3cret"
        return sim

    def cli_port(self, sim: OltSimulator) -> int:
        assert sim.telnet_port is not None
        return sim.telnet_port

    def connection(
        self, sim: OltSimulator, *, snmp: bool = True, **overrides: Any
    ) -> dict[str, Any]:
        settings = {
            "transport": "telnet",
            "enable_password": "en-s3cret",
            "telnet_port": sim.telnet_port,
        } | overrides
        if "ssh_port" in overrides:  # the conformance's unreachable-port case
            settings["telnet_port"] = overrides["ssh_port"]
        return super().connection(sim, snmp=snmp, **settings)


def test_a_wrong_enable_password_is_a_clear_error() -> None:
    suite = TestZteZxanTelnet()

    async def scenario(sim: OltSimulator) -> None:
        driver = ZteZxanDriver(suite.connection(sim, enable_password="wrong"))
        try:
            with pytest.raises(OltConnectionError, match="refused the enable password"):
                await driver.list_unconfigured_onus()
        finally:
            await driver.close()

    suite.run(scenario)
