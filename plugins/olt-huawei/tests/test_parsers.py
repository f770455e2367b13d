"""Every captured SmartAX output parses into the common model; bad rows come back verbatim."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from rjchronos.drivers.olt_model import OnuStatus
from rjchronos_olt_huawei import parsers
from rjchronos_olt_huawei.fsm import UnparsableOutput, clean, parse

Capture = Callable[..., str]


def test_every_capture_has_a_parser_that_reads_it_whole() -> None:
    """Each data folder is read by a parser with no rows lost (serial anonymisation aside)."""
    readers = {
        "display_board": ("display board 0", parsers.parse_boards),
        "display_ont-lineprofile_gpon_all": (
            "display ont-lineprofile gpon all",
            parsers.parse_profiles,
        ),
        "display_ont_autofind": ("display ont autofind all", parsers.parse_autofind),
        "display_ont_info_0_1_2": ("display ont info 0 1 0 all", parsers.parse_onu_table),
        "display_ont_info_0_1_2_3": ("display ont info 0 0 6 2", parsers.parse_onu_detail),
        "display_ont_info_summary_ont": (
            "display ont info summary 0/1/0",
            parsers.parse_onu_summary,
        ),
        "display_ont_optical-info_0_all": ("display ont optical-info 0 all", parsers.parse_optics),
        "display_ont_wan-info_0_1_2_0": ("display ont wan-info 0/1 0 0", parsers.parse_wan_info),
        "display_service-port_all": ("display service-port all", parsers.parse_service_ports),
    }
    data = Path(__file__).parent / "data"
    covered = {"display_version", "ont_add", *readers}
    assert {path.name for path in data.iterdir() if path.is_dir()} == covered
    for folder, (command, reader) in readers.items():
        for path in sorted((data / folder).glob("*.raw")):
            listing = reader(command, path.read_text())  # type: ignore[operator]
            assert len(listing) > 0, path
            refused = [i for i in listing.issues if "GPON serial" not in i.reason]
            assert refused == [], (path, refused)


def test_summary_reads_status_causes_times_and_optics(capture: Capture) -> None:
    command = "display ont info summary 0/1/0"
    listing = parsers.parse_onu_summary(command, capture("display_ont_info_summary_ont", "*_3"))
    online, offline = listing
    assert (online.port, online.onu_id, online.status) == ("0/1/0", 0, OnuStatus.ONLINE)
    assert online.last_up_time == datetime(2000, 1, 1, tzinfo=UTC)
    assert online.last_down_time is None and online.last_down_cause is None
    assert (online.distance_m, online.rx_dbm, online.tx_dbm) == (42, -22.84, 2.12)
    assert (online.type, online.description) == ("P612E", "P612E")
    # Offline with LOSi/LOBi is a fibre problem; "-/-" optics and "-" distance are no reading.
    assert offline.status == OnuStatus.LOS
    assert offline.last_down_cause == "los"
    assert offline.last_down_time == datetime(2000, 1, 1, tzinfo=UTC)
    assert (offline.distance_m, offline.rx_dbm, offline.tx_dbm) == (None, None, None)


def test_a_serial_that_is_not_gpon_form_is_kept_and_reported(capture: Capture) -> None:
    command = "display ont info summary 0/1/0"
    listing = parsers.parse_onu_summary(command, capture("display_ont_info_summary_ont", "*_3"))
    assert [onu.serial for onu in listing] == ["AAAAAAAAAAAAAAAA"] * 2
    assert [issue.raw.split()[:2] for issue in listing.issues] == [
        ["0", "AAAAAAAAAAAAAAAA"],
        ["1", "AAAAAAAAAAAAAAAA"],
    ]


def test_a_cut_down_cause_is_still_understood(capture: Capture) -> None:
    command = "display ont info summary 0/1/0"
    listing = parsers.parse_onu_summary(command, capture("display_ont_info_summary_ont", "*_ont"))
    assert len(listing) == 23
    assert listing[18].last_down_cause == "reset"
    assert {onu.last_down_cause for onu in listing} == {"los", "reset"}


def test_a_garbled_row_is_reported_verbatim_and_the_rest_is_read(capture: Capture) -> None:
    """ONT 0's optics row is unreadable: ONT 0 is left out; the row and the loss are reported."""
    output = capture("display_ont_info_summary_ont", "*_3").replace(
        "  0   AAAAAAAAAAAAAAAA P612E ", "  0 ##garbled## AAAAAAAAAAAAAAAA P612E "
    )
    listing = parsers.parse_onu_summary("display ont info summary 0/1/0", output)
    refused = [
        issue for issue in listing.issues if issue.reason == "the template refused this line"
    ]
    assert [issue.raw for issue in refused] == [
        "0 ##garbled## AAAAAAAAAAAAAAAA P612E            42    -22.84/2.12  P612E"
    ]
    assert [onu.onu_id for onu in listing] == [1]
    (lost,) = [issue for issue in listing.issues if issue.reason.startswith("no serial")]
    assert lost.raw.startswith("0    online  1/1/2000 00:00:00")


def test_a_value_that_does_not_convert_is_reported(capture: Capture) -> None:
    output = capture("display_ont_info_summary_ont", "*_3").replace(
        "1    offline 1/1/2000", "1    asleep  1/1/2000"
    )
    listing = parsers.parse_onu_summary("display ont info summary 0/1/0", output)
    assert [onu.onu_id for onu in listing] == [0]
    (issue,) = [i for i in listing.issues if "run state" in i.reason]
    assert issue.raw.startswith("1    asleep  1/1/2000 00:00:00 01/01/2000 00:00:00 LOSi/LOBi")


def test_a_missing_row_is_caught_by_the_port_total(capture: Capture) -> None:
    output = capture("display_ont_info_0_1_2").replace(
        "  0/ 1/0   30  1234567890ABCDEF  active      online   normal   match    no \n", ""
    )
    listing = parsers.parse_onu_table("display ont info 0 1 0 all", output)
    assert len(listing) == 30
    (issue,) = [i for i in listing.issues if "were read" in i.reason]
    assert issue.reason == "the OLT lists 31 ONTs, 30 were read"


def test_onu_table_reads_state_and_description(capture: Capture) -> None:
    listing = parsers.parse_onu_table(
        "display ont info 0 1 0 all", capture("display_ont_info_0_1_2")
    )
    assert len(listing) == 31
    assert {onu.port for onu in listing} == {"0/1/0"}
    assert [onu.onu_id for onu in listing] == list(range(31))
    assert {(onu.status, onu.description) for onu in listing} == {
        (OnuStatus.ONLINE, "Generic_description")
    }


def test_onu_detail(capture: Capture) -> None:
    (onu,) = parsers.parse_onu_detail(
        "display ont info 0 0 6 2", capture("display_ont_info_0_1_2_3")
    )
    plus8 = timezone(timedelta(hours=8))
    assert (onu.port, onu.onu_id, onu.status) == ("0/0/6", 2, OnuStatus.ONLINE)
    assert onu.last_down_cause == "dying_gasp"
    assert onu.last_down_time == datetime(2023, 1, 5, 8, 55, 28, tzinfo=plus8)
    assert onu.last_up_time == datetime(2023, 1, 5, 8, 56, 12, tzinfo=plus8)
    assert (onu.distance_m, onu.description) == (47, "New_link")


def test_optics_and_merge(capture: Capture) -> None:
    optics = parsers.parse_optics(
        "display ont optical-info 0 all", capture("display_ont_optical-info_0_all")
    )
    assert len(optics) == 10
    first = optics[0]
    assert (first.rx_dbm, first.tx_dbm, first.olt_rx_dbm) == (-24.68, 3.68, -22.68)
    assert (first.temperature_c, first.voltage_v, first.bias_ma, first.distance_m) == (
        38,
        3.2,
        6,
        171,
    )
    onus = parsers.parse_onu_table("display ont info 0 1 0 all", capture("display_ont_info_0_1_2"))
    merged = parsers.with_optics(onus, optics)
    assert merged[5].olt_rx_dbm == -23.88 and merged[5].rx_dbm == -26.57
    assert merged[20].rx_dbm is None  # no optics row for ONT 20


def test_autofind_prefers_the_printed_serial(capture: Capture) -> None:
    (found,) = parsers.parse_autofind("display ont autofind all", capture("display_ont_autofind"))
    assert (found.port, found.serial) == ("0/0/0", "ABCDA12BC3DE")
    assert (found.equipment_id, found.vendor_id) == ("EG8145X6-10", "HWTC")
    assert (found.hardware_version, found.software_version) == ("1234A.D", "A1B123D12E123")
    assert found.found_at == datetime(2000, 1, 1, tzinfo=UTC)


def test_boards_skip_empty_slots(capture: Capture) -> None:
    boards = parsers.parse_boards("display board 0", capture("display_board"))
    assert [(b.slot, b.name, b.status) for b in boards] == [
        (0, "A123ABCD", "Normal"),
        (2, "A123ABCDE", "Normal"),
        (3, "A123ABCDE", "Active_normal"),
        (4, "A123ABCDE", "Standby_failed"),
    ]
    assert boards[3].online is False and boards[3].subtype == "CPCF"
    assert boards[0].online is None


def test_version_service_ports_profiles_wan_and_ont_add(capture: Capture) -> None:
    facts = parsers.parse_version("display version", capture("display_version"))
    assert (facts.vendor, facts.model, facts.firmware) == (
        "Huawei",
        "MA5608T",
        "AB1234C342A123D23 QEF227",
    )
    (service,) = parsers.parse_service_ports(
        "display service-port all", capture("display_service-port_all")
    )
    assert (service.index, service.vlan, service.port, service.onu_id, service.gemport) == (
        5827,
        2,
        "0/1/0",
        0,
        1,
    )
    profiles = parsers.parse_profiles(
        "display ont-lineprofile gpon all", capture("display_ont-lineprofile_gpon_all")
    )
    assert [(p.profile_id, p.name, p.bindings) for p in profiles] == [
        (0, "line-profile_default_0", 0),
        (429, "example", 12),
    ]
    wans = parsers.parse_wan_info(
        "display ont wan-info 0/1 0 0", capture("display_ont_wan-info_0_1_2_0")
    )
    assert [(w.index, w.service_type, w.vlan) for w in wans][:3] == [
        (1, "Tr069", 1000),
        (2, "Voip", 3000),
        (3, "Internet", 3002),
    ]
    assert wans[0].ipv4_address == "1.1.1.1" and wans[2].mac == ""
    ont_add = "ont add 6 sn-auth HWTC11E70E9A omci ont-lineprofile-id 1 ont-srvprofile-id 1"
    assert parsers.parse_ont_add(ont_add, capture("ont_add")) == 2


def test_pager_and_cursor_moves_are_removed() -> None:
    raw = "  0  online\n---- More ( Press 'Q' to break ) ----\x1b[37D  1  online\r\n"
    assert clean(raw) == "  0  online\n  1  online\n"


def test_output_of_another_command_is_reported_line_by_line(capture: Capture) -> None:
    listing = parsers.parse_onu_summary(
        "display ont info summary 0/1/0", capture("display_version")
    )
    assert len(listing) == 0
    assert "VERSION : AB1234C342A123D23" in [issue.raw for issue in listing.issues]


def test_a_command_no_template_reads_is_an_error() -> None:
    with pytest.raises(UnparsableOutput, match="display nonsense"):
        parse("display nonsense", "anything")
