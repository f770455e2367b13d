"""The virtual ZTE C320 over real SSH: modes, pager, errors and the ONU commands."""

from __future__ import annotations

import re

import pytest

from rjchronos_sdk.sim.olt import OltSimulator

from .conftest import DATA, Cli

pytestmark = pytest.mark.anyio


def fixture(name: str) -> list[str]:
    return (DATA / "zte" / name).read_text().splitlines()


async def session(sim: OltSimulator) -> Cli:
    cli, _ = await Cli.open(sim)
    await cli.send("enable")
    await cli.send("terminal length 0")
    return cli


async def test_prompts_follow_the_modes(zte: OltSimulator) -> None:
    cli, banner = await Cli.open(zte)
    assert banner.endswith("ZXAN>")
    assert await cli.prompt_after("enable") == "ZXAN#"
    assert await cli.prompt_after("configure terminal") == "ZXAN(config)#"
    assert await cli.prompt_after("interface gpon-olt_1/1/1") == "ZXAN(config-if)#"
    assert await cli.prompt_after("exit") == "ZXAN(config)#"
    assert await cli.prompt_after("pon-onu-mng gpon-onu_1/1/1:1") == "ZXAN(gpon-onu-mng)#"
    assert await cli.prompt_after("end") == "ZXAN#"
    await cli.close()


async def test_errors_keep_the_prompt(zte: OltSimulator) -> None:
    cli = await session(zte)
    assert "% Invalid input detected at '^' marker." in await cli.send("show nonsense")
    await cli.send("configure terminal")
    await cli.send("interface gpon-olt_1/1/1")
    assert "%Error 40311: The ONU ID is already used." in await cli.send(
        "onu 1 type ZTE-F660 sn ZTEG00000001"
    )
    serial = zte.state.onu(1, 1, 2).serial
    assert "%Error 40319" in await cli.send(f"onu 9 type ZTE-F660 sn {serial}")
    assert "%Error 40304: The ONU does not exist." in await cli.send("no onu 99")
    assert "%Error 40300" in await cli.send("interface gpon-olt_1/1/9")
    await cli.close()


async def test_output_pages_until_terminal_length_0() -> None:
    async with OltSimulator("zte", ports=1, onus_per_port=40, drift_interval=0) as sim:
        cli, _ = await Cli.open(sim)
        await cli.send("enable")
        first = await cli.send("show gpon onu state gpon-olt_1/1/1", expect="--More-- ")
        assert first.startswith("OnuIndex   Admin State")
        cli.process.stdin.write(" ")
        rest = await cli.read_until(r"ZXAN# ?")
        assert "ONU Number: 40/40" in rest
        await cli.send("terminal length 0")
        whole = await cli.send("show gpon onu state gpon-olt_1/1/1")
        assert "--More--" not in whole and "ONU Number: 40/40" in whole
        await cli.close()


async def test_show_commands_follow_the_reference_layouts(zte: OltSimulator) -> None:
    zte.los(1, 2)
    zte.dying_gasp(1, 3)
    zte.new_unconfigured(2, "ZTEGC0A1B2C3")
    cli = await session(zte)
    onu = zte.state.onu(1, 1, 1)

    state = (await cli.send("show gpon onu state gpon-olt_1/1/1")).splitlines()
    reference = fixture("c320_v2.1_show_gpon_onu_state_gpon-olt_1-2-1.txt")
    assert state[:2] == reference[:2]
    assert re.split(r"\s+", state[2]) == ["1/1/1:1", "enable", "enable", "working", "1(GPON)"]
    assert re.split(r"\s+", state[3])[3] == "LOS"
    assert re.split(r"\s+", state[4])[3] == "DyingGasp"
    assert state[-1] == "ONU Number: 2/4"

    uncfg = (await cli.send("show gpon onu uncfg")).splitlines()
    assert uncfg[:2] == fixture("c3xx_show_gpon_onu_uncfg.txt")[:2]
    assert uncfg[2].split() == ["gpon-onu_1/1/2:1", "ZTEGC0A1B2C3", "unknown"]

    attenuation = (await cli.send("show pon power attenuation gpon-onu_1/1/1:1")).splitlines()
    assert attenuation[:2] == fixture("c3xx_show_pon_power_attenuation.txt")[:2]
    assert f"Rx :{onu.olt_rx_dbm:.3f}(dbm)" in attenuation[2]
    assert f"Rx:{onu.rx_dbm:.3f}(dbm)" in attenuation[4]

    rx = (await cli.send("show pon power onu-rx gpon-olt_1/1/1")).splitlines()
    assert rx[:2] == fixture("c3xx_show_pon_power_onu-rx_gpon-olt.txt")[:2]
    assert rx[2].split() == ["gpon-onu_1/1/1:1", f"{onu.rx_dbm:.3f}(dbm)"]
    assert rx[3].split() == ["gpon-onu_1/1/1:2", "N/A"]

    detail = (await cli.send("show gpon onu detail-info gpon-onu_1/1/1:2")).splitlines()
    labels = [line.split(":")[0] for line in fixture("c3xx_show_gpon_onu_detail-info.txt")[:24]]
    assert [line.split(":")[0] for line in detail[:24]] == labels
    assert "  Phase state:         LOS" in detail
    assert detail[26].split()[-1] == "LOS"

    found = await cli.send(f"show gpon onu by sn {onu.serial}")
    assert found.splitlines()[-1] == "gpon-onu_1/1/1:1"
    assert "No related information" in await cli.send("show gpon onu by sn ZTEG99999999")

    card = (await cli.send("show card")).splitlines()
    assert card[0].split() == [
        "Rack",
        "Shelf",
        "Slot",
        "CfgType",
        "RealType",
        "Port",
        "HardVer",
        "SoftVer",
        "Status",
    ]
    assert card[2].split()[:4] == ["1", "1", "1", "GTGO"]
    await cli.close()


async def test_authorize_list_reboot_and_delete(zte: OltSimulator) -> None:
    zte.new_unconfigured(2, "ZTEGC0A1B2C3", "ZTE-F670L")
    cli = await session(zte)
    for line in (
        "configure terminal",
        "interface gpon-olt_1/1/2",
        "onu 7 type ZTE-F670L sn ZTEGC0A1B2C3",
        "exit",
        "interface gpon-onu_1/1/2:7",
        "name cliente-0001",
        "tcont 1 profile UP-100M",
        "gemport 1 tcont 1",
        "service-port 1 vport 1 user-vlan 200 vlan 200",
        "exit",
        "pon-onu-mng gpon-onu_1/1/2:7",
        "service internet gemport 1 vlan 200",
        "tr069-mgmt 1 state unlock",
        "end",
    ):
        output = await cli.send(line)
        assert "%" not in output, (line, output)
    assert (await cli.send("write")).splitlines()[-1] == "..[OK]"
    onu = zte.state.onu(1, 2, 7)
    assert (onu.serial, onu.equipment, onu.description, onu.vlan, onu.status) == (
        "ZTEGC0A1B2C3",
        "ZTE-F670L",
        "cliente-0001",
        200,
        "online",
    )
    state = await cli.send("show gpon onu state gpon-olt_1/1/2")
    assert "1/1/2:7     enable       enable      working" in state
    assert "No related information" in await cli.send("show gpon onu uncfg")

    await cli.send("configure terminal")
    await cli.send("pon-onu-mng gpon-onu_1/1/2:7")
    assert "Confirm to reboot?" in await cli.send("reboot", expect=r"\[yes/no\]: ?")
    await cli.send("yes")
    assert onu.last_down_cause == "reset"
    await cli.send("exit")
    await cli.send("interface gpon-olt_1/1/2")
    await cli.send("no onu 7")
    assert 7 not in zte.state.port(1, 2).onus
    await cli.send("end")
    assert "1/1/2:7 " not in await cli.send("show gpon onu state gpon-olt_1/1/2")
    await cli.close()


async def test_a_whole_port_outage_and_stop_closing_sessions() -> None:
    sim = OltSimulator("zte", ports=2, onus_per_port=3, drift_interval=0)
    await sim.start()
    cli = await session(sim)
    down = sim.los(1)
    assert [onu.onu_id for onu in down] == [1, 2, 3]
    state = await cli.send("show gpon onu state gpon-olt_1/1/1")
    assert state.count(" LOS ") == 3 and "ONU Number: 0/3" in state
    assert "ONU Number: 3/3" in await cli.send("show gpon onu state gpon-olt_1/1/2")
    sim.recover(1)
    assert "ONU Number: 3/3" in await cli.send("show gpon onu state gpon-olt_1/1/1")
    await sim.stop()
    with pytest.raises(EOFError):
        await cli.read_until("never")
    await cli.close()


def test_bad_sizes_and_vendors_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown vendor"):
        OltSimulator("nokia", ports=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="ports must be 1..16"):
        OltSimulator("zte", ports=0)
    with pytest.raises(ValueError, match="onus_per_port must be 0..128"):
        OltSimulator("zte", ports=1, onus_per_port=129)
