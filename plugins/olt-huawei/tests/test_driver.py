"""The driver over a scripted CLI session that answers with captured SmartAX output.

The OLT is the one thing outside this machine: the session stands in for it,
answering each command with what a real SmartAX printed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from rjchronos.drivers import DeviceFacts, Drivers, OltCapability, UnsupportedOperation
from rjchronos.drivers.olt_model import AuthorizeRequest, OltCommandError, OnuStatus
from rjchronos_olt_huawei.driver import HuaweiSmartAxDriver
from rjchronos_sdk import Kernel

Capture = Callable[..., str]


class CapturedOlt:
    """Answers the commands it knows with captured output, the rest with nothing."""

    def __init__(self, answers: dict[str, str]) -> None:
        self.answers = answers
        self.sent: list[str] = []

    async def send(self, line: str) -> str:
        self.sent.append(line)
        return self.answers.get(line, "")


def test_the_plugin_loads_and_owns_the_driver(rjc_kernel_factory: Callable[..., Kernel]) -> None:
    kernel = rjc_kernel_factory(entrypoints=["olt-huawei"])
    record = kernel.host.records["olt-huawei"]
    assert record.state == "loaded", record.error
    assert record.distribution == "rjchronos-olt-huawei"
    assert "huawei-smartax" in kernel.drivers.names("rjchronos.drivers.olt")
    assert "rjchronos.drivers.olt:huawei-smartax" in record.drivers


def test_found_through_its_entry_point_and_matched_by_model() -> None:
    drivers = Drivers()
    assert drivers.get("rjchronos.drivers.olt", "huawei-smartax") is HuaweiSmartAxDriver
    facts = DeviceFacts(vendor="Huawei", model="MA5608T")
    assert drivers.select("rjchronos.drivers.olt", facts) is HuaweiSmartAxDriver
    assert OltCapability.AUTHORIZE in HuaweiSmartAxDriver.capabilities_for(facts)
    assert HuaweiSmartAxDriver.family_for(DeviceFacts(vendor="Huawei", model="EA5800-X7"))


def test_identify_and_list_onus_of_a_port(capture: Capture) -> None:
    olt = CapturedOlt(
        {
            "display version": capture("display_version"),
            "display ont info summary 0/1/0": capture("display_ont_info_summary_ont", "*_ont"),
            "display ont optical-info 0 all": capture("display_ont_optical-info_0_all"),
        }
    )
    driver = HuaweiSmartAxDriver({"host": "10.0.0.2"}, session=olt)
    facts = asyncio.run(driver.identify())
    assert facts.model == "MA5608T"
    onus = asyncio.run(driver.list_onus("0/1/0"))
    assert len(onus) == 23
    assert (onus[0].status, onus[0].rx_dbm, onus[0].olt_rx_dbm) == (
        OnuStatus.ONLINE,
        -24.68,
        -22.68,
    )
    assert onus[15].olt_rx_dbm is None  # optical-info had rows 0-9 only
    assert olt.sent == [
        "display version",
        "display ont info summary 0/1/0",
        "config",
        "interface gpon 0/1",
        "display ont optical-info 0 all",
        "quit",
        "quit",
    ]


def test_unconfigured_onus_are_read_in_config_mode(capture: Capture) -> None:
    olt = CapturedOlt({"display ont autofind all": capture("display_ont_autofind")})
    found = asyncio.run(HuaweiSmartAxDriver({}, session=olt).list_unconfigured_onus())
    assert [onu.serial for onu in found] == ["ABCDA12BC3DE"]
    assert olt.sent == ["config", "display ont autofind all", "quit"]


def test_authorize_on_the_lowest_free_id_and_record_a_failure(capture: Capture) -> None:
    table = capture("display_ont_info_0_1_2").replace(
        "  0/ 1/0    3  1234567890ABCDEF  active      online   normal   match    no \n", ""
    )
    olt = CapturedOlt(
        {
            "display ont info 0 1 0 all": table,
            "ont ipconfig 0 3 dhcp vlan 100 priority 0": "  Failure: The ONT does not exist\n",
        }
    )
    request = AuthorizeRequest(
        port="0/1/0",
        serial="HWTC11E70E9A",
        line_profile="1",
        service_profile="1",
        vlan=100,
        wan_mode="dhcp",
    )
    result = asyncio.run(HuaweiSmartAxDriver({}, session=olt).authorize(request))
    assert not result.ok
    assert [step.command for step in result.applied] == [
        "ont add 0 3 sn-auth HWTC11E70E9A omci ont-lineprofile-id 1 ont-srvprofile-id 1"
    ]
    assert result.failed is not None and result.error == "Failure: The ONT does not exist"
    assert [step.command.split()[0] for step in result.not_run] == ["service-port"]
    assert olt.sent[-2:] == ["quit", "quit"]


def test_deauthorize_removes_the_service_ports_it_finds(capture: Capture) -> None:
    olt = CapturedOlt(
        {"display service-port port 0/1/0 ont 0": capture("display_service-port_all")}
    )
    result = asyncio.run(HuaweiSmartAxDriver({}, session=olt).deauthorize("0/1/0", 0))
    assert result.ok
    assert [step.command for step in result.applied] == ["undo service-port 5827", "ont delete 0 0"]


def test_a_refused_read_names_the_olt_and_the_command() -> None:
    olt = CapturedOlt({"display version": "  % Unknown command, the error locates at '^'"})
    with pytest.raises(OltCommandError, match="OLT 10.0.0.2 refused 'display version'"):
        asyncio.run(HuaweiSmartAxDriver({"host": "10.0.0.2"}, session=olt).identify())


def test_without_a_port_the_driver_says_so() -> None:
    driver = HuaweiSmartAxDriver({}, session=CapturedOlt({}))
    with pytest.raises(UnsupportedOperation, match="one PON port at a time"):
        asyncio.run(driver.list_onus())
    with pytest.raises(UnsupportedOperation, match="cannot resync"):
        asyncio.run(driver.resync("0/1/0", 1))
