"""The virtual Huawei MA5800 over real SSH: modes, pager, errors and the ONT commands."""

from __future__ import annotations

import re

import asyncssh
import pytest
from ntc_templates.parse import parse_output

from rjchronos.serials import gpon_serial_hex
from rjchronos_sdk.sim.olt import OltSimulator

from .conftest import DATA, Cli

pytestmark = pytest.mark.anyio

PAGER = "---- More ( Press 'Q' to break ) ----"
MORE = re.escape(PAGER)


def parse(command: str, output: str) -> list[dict[str, object]]:
    return parse_output(platform="huawei_smartax", command=command, data=output)


async def session(sim: OltSimulator, *, mode: str = "config") -> Cli:
    """A logged-in session set up the way a driver does it."""
    cli, _ = await Cli.open(sim)
    for line in ("enable", "undo smart", "scroll", "infoswitch cli OFF"):
        await cli.send(line)
    if mode in {"config", "interface"}:
        await cli.send("config")
    if mode == "interface":
        await cli.send("interface gpon 0/1")
    return cli


async def test_prompts_follow_the_modes(huawei: OltSimulator) -> None:
    cli, banner = await Cli.open(huawei)
    assert "Huawei Integrated Access Software" in banner
    assert banner.endswith("MA5800-X7>")
    assert await cli.prompt_after("enable") == "MA5800-X7#"
    assert await cli.prompt_after("config") == "MA5800-X7(config)#"
    assert await cli.prompt_after("interface gpon 0/1") == "MA5800-X7(config-if-gpon-0/1)#"
    assert await cli.prompt_after("quit") == "MA5800-X7(config)#"
    assert await cli.prompt_after("quit") == "MA5800-X7#"
    output = await cli.send("quit", expect=r"\(y/n\)\[n\]:")
    assert "Are you sure to log out?" in output
    cli.process.stdin.write("y\n")
    with pytest.raises(EOFError):
        await cli.read_until("never")
    await cli.close()


async def test_a_wrong_password_is_refused(huawei: OltSimulator) -> None:
    with pytest.raises(asyncssh.PermissionDenied):
        await Cli.open(huawei, password="wrong")


async def test_unknown_commands_and_commands_of_other_modes_are_refused(
    huawei: OltSimulator,
) -> None:
    cli, _ = await Cli.open(huawei)
    assert "% Unknown command, the error locates at '^'" in await cli.send("display board 0")
    await cli.send("enable")
    assert "% Unknown command" in await cli.send("display nonsense")
    # ont add belongs to the GPON interface mode only
    assert "% Unknown command" in await cli.send("ont add 0 sn-auth HWTC00000001")
    await cli.close()


async def test_output_pages_until_scroll_turns_paging_off() -> None:
    async with OltSimulator("huawei", ports=1, onus_per_port=30, drift_interval=0) as sim:
        cli, _ = await Cli.open(sim)
        await cli.send("enable")
        await cli.send("undo smart")
        first = await cli.send("display ont info 0 1 0 all", expect=MORE)
        assert "  0/ 1/0    0  4857" in first
        cli.process.stdin.write(" ")
        second = await cli.read_until(MORE)
        assert "F/S/P       ONT  Description" in second
        cli.process.stdin.write("q")
        rest = await cli.read_until(r"MA5800-X7# ?")
        assert "the total of ONTs are" not in rest
        await cli.send("scroll")
        whole = await cli.send("display ont info 0 1 0 all")
        assert PAGER not in whole
        assert "In port 0/ 1/0 , the total of ONTs are: 30, online: 30" in whole
        await cli.close()


async def test_smart_mode_asks_for_optional_parameters(huawei: OltSimulator) -> None:
    cli, _ = await Cli.open(huawei)
    await cli.send("enable")
    question = await cli.send("display board", expect=r"\}: ?")
    assert "{ <cr>|frameid/slotid<S><Length 1-15> }:" in question
    boards = await cli.send("0")
    assert "H901GPHF" in boards
    await cli.send("undo smart")
    assert "H901GPHF" in await cli.send("display board")
    await cli.close()


async def test_displays_parse_with_ntc_templates(huawei: OltSimulator) -> None:
    state = huawei.state
    onu = state.onu(1, 0, 2)
    huawei.new_unconfigured(1, "HWTC0A0B0C0D", "EG8145X6")
    cli = await session(huawei)

    rows = parse("display ont info 0 1 0 all", await cli.send("display ont info 0 1 0 all"))
    assert [r["ont_id"] for r in rows] == ["0", "1", "2", "3"]
    assert rows[2]["serial_number"] == gpon_serial_hex(onu.serial)
    assert rows[2]["run_state"] == "online"
    assert rows[2]["description"] == onu.description

    one = parse("display ont info 0 1 0 2", await cli.send("display ont info 0 1 0 2"))
    assert one[0]["ont_id"] == "2"
    assert one[0]["distance_m"] == str(onu.distance_m)
    assert one[0]["line_profile_id"] == "10"
    by_sn = await cli.send(f"display ont info by-sn {onu.serial}")
    assert parse(f"display ont info by-sn {onu.serial}", by_sn)[0]["ont_id"] == "2"

    summary = parse(
        "display ont info summary 0/1/0", await cli.send("display ont info summary 0/1/0")
    )
    assert summary[2]["rx_power_dbm"] == f"{onu.rx_dbm:.2f}"
    assert summary[2]["tx_power_dbm"] == f"{onu.tx_dbm:.2f}"
    assert summary[2]["ont_model_type"] == onu.equipment

    found = parse("display ont autofind all", await cli.send("display ont autofind all"))
    assert found[0]["serial_number"] == "485754430A0B0C0D (HWTC-0A0B0C0D)"
    assert found[0]["fsp"] == "0/1/1"
    assert found[0]["ont_equipment_id"] == "EG8145X6"

    boards = parse("display board 0", await cli.send("display board 0"))
    assert {"slot_id": "1", "boardname": "H901GPHF"}.items() <= boards[1].items()
    version = parse("display version", await cli.send("display version"))
    assert version[0]["product"] == "MA5800-X7"
    flows = parse("display service-port all", await cli.send("display service-port all"))
    assert len(flows) == 8 and flows[0]["fsp"] == "0/1 /0"

    await cli.send("interface gpon 0/1")
    optics = parse(
        "display ont optical-info 0 all", await cli.send("display ont optical-info 0 all")
    )
    assert optics[2]["rx_power"] == f"{onu.rx_dbm:.2f}"
    assert optics[2]["olt_rx_ont"] == f"{onu.olt_rx_dbm:.2f}"
    await cli.close()


async def test_layouts_match_the_real_captures(huawei: OltSimulator) -> None:
    """Header lines are character for character those of real SmartAX output."""
    cli = await session(huawei)
    cases = {
        "display ont info 0 1 0 all": ("huawei_smartax_display_ont_info_fsp.raw", [0, 1, 2, 3]),
        "display board 0": ("huawei_smartax_display_board.raw", [0, 1, 2]),
        "display ont info summary 0/1/0": (
            "huawei_smartax_display_ont_info_summary_ont_3.raw",
            [0, 2, 3, 4, 5],
        ),
        "display service-port all": (
            "huawei_smartax_display_service-port_all.raw",
            [0, 1, 2, 3, 4],
        ),
    }
    for command, (name, numbers) in cases.items():
        captured = (DATA / "huawei_smartax" / name).read_text().splitlines()
        ours = (await cli.send(command)).splitlines()
        assert [ours[i].rstrip() for i in numbers] == [captured[i].rstrip() for i in numbers]
        # The second table of the summary: same headers further down.
        if "summary" in command:
            assert {captured[8], captured[9]} <= {line.rstrip() for line in ours}
    await cli.send("interface gpon 0/1")
    optics = DATA / "huawei_smartax" / "huawei_smartax_display_ont_optical-info_0_all.raw"
    ours = (await cli.send("display ont optical-info 0 all")).splitlines()
    assert ours[:4] == optics.read_text().splitlines()[:4]
    await cli.close()


async def test_authorize_list_and_delete(huawei: OltSimulator) -> None:
    huawei.new_unconfigured(1, "HWTC11E70E9A", "EG8145V5")
    cli = await session(huawei, mode="interface")
    added = await cli.send(
        "ont add 1 sn-auth 4857544311E70E9A omci ont-lineprofile-id 20 "
        'ont-srvprofile-id 30 desc "ana"'
    )
    capture = (DATA / "huawei_smartax" / "huawei_smartax_ont_add.raw").read_text()
    assert parse("ont add", added) == [{"onts": "1", "success": "1", "port_id": "1", "ont_id": "4"}]
    assert parse("ont add", capture)[0].keys() == parse("ont add", added)[0].keys()
    onu = huawei.state.onu(1, 1, 4)
    assert (onu.serial, onu.status, onu.line_profile, onu.service_profile) == (
        "HWTC11E70E9A",
        "online",
        20,
        30,
    )
    assert "Failure: The automatically found ONTs do not exist" in await cli.send(
        "display ont autofind all"
    )
    rows = parse("display ont info 0 1 1 all", await cli.send("display ont info 0 1 1 all"))
    assert ("4", "4857544311E70E9A", "online") in {
        (r["ont_id"], r["serial_number"], r["run_state"]) for r in rows
    }

    assert "Failure: SN already exists" in await cli.send("ont add 1 sn-auth HWTC-11E70E9A")
    # An ONU authorised where the OLT has never seen it stays offline.
    assert "PortID :0, ONTID :9" in await cli.send("ont add 0 9 sn-auth HWTC0000FFFF")
    rows = parse("display ont info 0 1 0 all", await cli.send("display ont info 0 1 0 all"))
    assert (rows[-1]["ont_id"], rows[-1]["run_state"]) == ("9", "offline")
    assert "Failure: the ONT ID is used already" in await cli.send(
        "ont add 1 4 sn-auth HWTC00000009"
    )
    assert "% Parameter error" in await cli.send("ont add 1 sn-auth NOT-A-SERIAL")

    await cli.send("quit")
    await cli.send(
        "service-port 77 vlan 300 gpon 0/1/1 ont 4 gemport 1 multi-service user-vlan 300 "
        "tag-transform translate"
    )
    flows = parse("display service-port all", await cli.send("display service-port all"))
    assert {"index": "77", "vlan_id": "300", "ont_id": "4"}.items() <= flows[-1].items()
    assert onu.vlan == 300
    await cli.send("interface gpon 0/1")
    refused = await cli.send("ont delete 1 4")
    assert "Failure: This configured object has some service virtual ports" in refused
    await cli.send("quit")
    await cli.send("undo service-port 77")
    await cli.send("interface gpon 0/1")
    assert "success: 1" in await cli.send("ont delete 1 4")
    assert 4 not in huawei.state.port(1, 1).onus
    # Still plugged in: the OLT finds it again.
    found = parse("display ont autofind all", await cli.send("display ont autofind all"))
    assert [(f["fsp"], f["serial_number"]) for f in found] == [
        ("0/1/1", "4857544311E70E9A (HWTC-11E70E9A)")
    ]
    assert "Failure: The ONT does not exist" in await cli.send("ont delete 1 4")
    rows = parse("display ont info 0 1 1 all", await cli.send("display ont info 0 1 1 all"))
    assert "4857544311E70E9A" not in {r["serial_number"] for r in rows}
    await cli.close()


async def test_reset_asks_and_records_the_cause(huawei: OltSimulator) -> None:
    cli = await session(huawei, mode="interface")
    question = await cli.send("ont reset 0 1", expect=r"\(y/n\)\[n\]: ?")
    assert "Are you sure to reset the ONT(s)?" in question
    await cli.send("y")
    assert huawei.state.onu(1, 0, 1).last_down_cause == "reset"
    await cli.send("quit")
    summary = parse(
        "display ont info summary 0/1/0", await cli.send("display ont info summary 0/1/0")
    )
    assert summary[1]["last_downcause"] == "ONT is reset by ONT comma"
    assert summary[1]["run_state"] == "online"
    await cli.close()


async def test_injections_show_in_the_cli_and_as_alarms(huawei: OltSimulator) -> None:
    watcher, _ = await Cli.open(huawei)
    await watcher.send("enable")
    cli = await session(huawei)
    huawei.los(0, 1)
    huawei.dying_gasp(0, 2)
    rows = parse("display ont info summary 0/1/0", await cli.send("display ont info summary 0/1/0"))
    assert [(r["run_state"], r["last_downcause"]) for r in rows[1:3]] == [
        ("offline", "LOSi/LOBi"),
        ("offline", "dying-gasp"),
    ]
    assert rows[1]["rx_power_dbm"] == ""  # "-/-" when the ONT does not answer
    one = parse("display ont info 0 1 0 2", await cli.send("display ont info 0 1 0 2"))
    assert one[0]["last_dying_gasp_time"] != ""
    # The session that left infoswitch on prints the alarms before its next prompt.
    alarms = await watcher.send("display board 0")
    assert "The ONT loses its signal, ONT ID: 1" in alarms
    assert "dying-gasp of GPON ONTi is generated, ONT ID: 2" in alarms
    huawei.recover(0)
    rows = parse("display ont info 0 1 0 all", await cli.send("display ont info 0 1 0 all"))
    assert {r["run_state"] for r in rows} == {"online"}
    await watcher.close()
    await cli.close()
