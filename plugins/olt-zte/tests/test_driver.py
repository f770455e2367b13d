"""The ZTE drivers over a scripted CLI session answering with the reference outputs.

The OLT is the one thing outside this machine: the session stands in for it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from rjchronos.drivers import DeviceFacts, Drivers, OltCapability, UnsupportedOperation
from rjchronos.drivers.olt_model import AuthorizeRequest, OnuStatus
from rjchronos_olt_zte.driver import ZteTitanDriver, ZteZxanDriver
from rjchronos_sdk import Kernel

Capture = Callable[[str], str]


class CapturedOlt:
    def __init__(self, answers: dict[str, str]) -> None:
        self.answers = answers
        self.sent: list[str] = []

    async def send(self, line: str) -> str:
        self.sent.append(line)
        return self.answers.get(line, "")


def test_the_plugin_loads_and_owns_both_drivers(rjc_kernel_factory: Callable[..., Kernel]) -> None:
    kernel = rjc_kernel_factory(entrypoints=["olt-zte"])
    record = kernel.host.records["olt-zte"]
    assert record.state == "loaded", record.error
    names = kernel.drivers.names("rjchronos.drivers.olt")
    assert {"zte-zxan", "zte-titan"} <= set(names)
    assert {"rjchronos.drivers.olt:zte-zxan", "rjchronos.drivers.olt:zte-titan"} <= set(
        record.drivers
    )


def test_each_family_picks_its_driver() -> None:
    drivers = Drivers()
    olt = "rjchronos.drivers.olt"
    assert drivers.select(olt, DeviceFacts(vendor="ZTE", model="ZXA10 C320")) is ZteZxanDriver
    assert drivers.select(olt, DeviceFacts(vendor="ZTE", model="C600")) is ZteTitanDriver
    facts = DeviceFacts(vendor="ZTE", model="C650")
    assert OltCapability.LIST_ONUS not in ZteTitanDriver.capabilities_for(facts)
    assert OltCapability.AUTHORIZE in ZteTitanDriver.capabilities_for(facts)


def test_list_onus_of_a_port_joins_state_config_and_rx(capture: Capture) -> None:
    rx = capture("c3xx_show_pon_power_onu-rx_gpon-olt.txt").replace("1/1/1:", "1/2/1:")
    olt = CapturedOlt(
        {
            "show gpon onu state gpon-olt_1/2/1": capture(
                "c320_v2.1_show_gpon_onu_state_gpon-olt_1-2-1.txt"
            ),
            "show running-config interface gpon-olt_1/2/1": capture(
                "c3xx_show_running-config_interface_gpon-olt.txt"
            ),
            "show pon power onu-rx gpon-olt_1/2/1": rx,
        }
    )
    onus = asyncio.run(ZteZxanDriver({"host": "10.0.0.3"}, session=olt).list_onus("1/2/1"))
    assert onus.issues == ()
    first, second, third = onus[:3]
    assert (first.serial, first.type, first.status, first.rx_dbm) == (
        "ZTEGC0A1B2C3",
        "ZTE-F660",
        OnuStatus.ONLINE,
        -18.955,
    )
    assert second.rx_dbm == -24.102
    assert (third.status, third.rx_dbm) == (OnuStatus.OFFLINE, None)


def test_unconfigured_and_cards(capture: Capture) -> None:
    olt = CapturedOlt(
        {
            "show gpon onu uncfg": capture("c3xx_show_gpon_onu_uncfg_empty.txt"),
            "show card": capture("c3xx_show_card.txt"),
        }
    )
    driver = ZteZxanDriver({}, session=olt)
    found = asyncio.run(driver.list_unconfigured_onus())
    assert len(found) == 0
    inventory = asyncio.run(driver.inventory())
    assert [board.slot for board in inventory.boards] == [1, 2, 3, 10, 11, 20]


def test_authorize_picks_a_free_id_and_stops_at_the_first_error(capture: Capture) -> None:
    olt = CapturedOlt(
        {
            "show running-config interface gpon-olt_1/2/1": capture(
                "c3xx_show_running-config_interface_gpon-olt.txt"
            ),
            "tcont 1 profile UP-100M": "%Error 20214: The profile does not exist.",
        }
    )
    request = AuthorizeRequest(
        port="1/2/1", serial="ZTEGC0A1B2D0", onu_type="ZTE-F660", upload_profile="UP-100M", vlan=100
    )
    result = asyncio.run(ZteZxanDriver({}, session=olt).authorize(request))
    assert [step.command for step in result.applied] == ["onu 6 type ZTE-F660 sn ZTEGC0A1B2D0"]
    assert result.failed is not None and result.failed.command == "tcont 1 profile UP-100M"
    assert result.error == "%Error 20214: The profile does not exist."
    assert "write" not in olt.sent
    assert olt.sent[-2:] == ["exit", "exit"]


def test_titan_writes_use_its_interface_names() -> None:
    olt = CapturedOlt({})
    result = asyncio.run(ZteTitanDriver({}, session=olt).deauthorize("1/3/1", 4))
    assert result.ok
    assert olt.sent == [
        "configure terminal",
        "interface gpon_olt-1/3/1",
        "no onu 4",
        "exit",
        "exit",
        "write",
    ]


def test_what_is_not_offered_says_so() -> None:
    with pytest.raises(UnsupportedOperation, match="cannot list ONUs"):
        asyncio.run(ZteTitanDriver({}, session=CapturedOlt({})).list_onus("1/3/1"))
    with pytest.raises(UnsupportedOperation, match="identify without SNMP"):
        asyncio.run(ZteZxanDriver({}, session=CapturedOlt({})).identify())
