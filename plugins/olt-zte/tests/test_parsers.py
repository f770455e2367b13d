"""Every ZXAN output parses into the common model; unreadable rows come back verbatim."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from rjchronos.drivers.olt_model import OnuStatus
from rjchronos_olt_zte import parsers

Capture = Callable[[str], str]
STATE_V2 = "c320_v2.1_show_gpon_onu_state_gpon-olt_1-2-1.txt"


def test_state_with_the_channel_column(capture: Capture) -> None:
    listing = parsers.parse_onu_state("show gpon onu state gpon-olt_1/2/1", capture(STATE_V2))
    assert listing.issues == ()
    assert [(onu.port, onu.onu_id, onu.status) for onu in listing] == [
        ("1/2/1", 1, OnuStatus.ONLINE),
        ("1/2/1", 2, OnuStatus.ONLINE),
        ("1/2/1", 3, OnuStatus.OFFLINE),
        ("1/2/1", 4, OnuStatus.ONLINE),
        ("1/2/1", 5, OnuStatus.LOS),
        ("1/2/1", 17, OnuStatus.DYING_GASP),
        ("1/2/1", 18, OnuStatus.SYNCING),
    ]


def test_state_with_the_o7_column(capture: Capture) -> None:
    listing = parsers.parse_onu_state(
        "show gpon onu state", capture("c320_v1.x_show_gpon_onu_state.txt")
    )
    assert listing.issues == ()
    assert [(onu.port, onu.onu_id, onu.status) for onu in listing] == [
        ("1/1/1", 1, OnuStatus.ONLINE),
        ("1/1/1", 2, OnuStatus.ONLINE),
        ("1/1/1", 3, OnuStatus.LOS),
        ("1/1/1", 5, OnuStatus.DYING_GASP),
        ("1/1/2", 1, OnuStatus.ONLINE),
    ]


def test_state_with_the_speed_mode_column(capture: Capture) -> None:
    listing = parsers.parse_onu_state(
        "show gpon onu state gpon_olt-1/3/1", capture("c600_show_gpon_onu_state_gpon_olt-1-3-1.txt")
    )
    assert listing.issues == ()
    assert [onu.status for onu in listing] == [
        OnuStatus.ONLINE,
        OnuStatus.LOS,
        OnuStatus.DYING_GASP,
    ]


def test_a_bad_state_row_is_reported_and_the_count_still_checks(capture: Capture) -> None:
    output = capture(STATE_V2).replace(
        "1/2/1:4     enable       enable      working",
        "1/2/1:4     enable       enable      napping",
    )
    output = output.replace("1/2/1:2     enable       enable      working      1(GPON)\n", "")
    listing = parsers.parse_onu_state("show gpon onu state gpon-olt_1/2/1", output)
    assert [onu.onu_id for onu in listing] == [1, 3, 5, 17, 18]
    raws = [(issue.raw, issue.reason) for issue in listing.issues]
    assert raws == [
        (
            "1/2/1:4     enable       enable      napping      1(GPON)",
            "unknown phase state 'napping'",
        ),
        ("ONU Number: 4/7", "the OLT lists 7 ONUs, 6 rows were seen"),
    ]


def test_output_without_a_state_table_is_one_issue() -> None:
    listing = parsers.parse_onu_state("show gpon onu state", "%Error 20209: No such interface")
    assert len(listing) == 0
    assert listing.issues[0].raw == "%Error 20209: No such interface"


def test_uncfg_and_its_empty_answer(capture: Capture) -> None:
    listing = parsers.parse_uncfg("show gpon onu uncfg", capture("c3xx_show_gpon_onu_uncfg.txt"))
    assert [(onu.port, onu.serial) for onu in listing] == [
        ("1/1/1", "ZTEGC0A1B2C3"),
        ("1/1/4", "HWTC1A2B3C4D"),
        ("1/2/3", "FHTT0099AABB"),
    ]
    empty = parsers.parse_uncfg(
        "show gpon onu uncfg", capture("c3xx_show_gpon_onu_uncfg_empty.txt")
    )
    assert len(empty) == 0 and empty.issues == ()


def test_uncfg_bad_serial_is_reported(capture: Capture) -> None:
    output = capture("c3xx_show_gpon_onu_uncfg.txt").replace("FHTT0099AABB", "FHTT00??AABB")
    listing = parsers.parse_uncfg("show gpon onu uncfg", output)
    assert len(listing) == 2
    assert listing.issues[0].raw == "gpon-onu_1/2/3:1         FHTT00??AABB        unknown"


def test_attenuation(capture: Capture) -> None:
    (row,) = parsers.parse_attenuation(
        "show pon power attenuation gpon-onu_1/1/1:1",
        capture("c3xx_show_pon_power_attenuation.txt"),
    )
    assert (row.olt_rx_dbm, row.onu_tx_dbm, row.upstream_db) == (-21.307, 2.411, 23.718)
    assert (row.olt_tx_dbm, row.onu_rx_dbm, row.downstream_db) == (5.402, -18.955, 24.357)


def test_attenuation_of_an_offline_onu_and_a_stray_line() -> None:
    output = (
        "           OLT                  ONU              Attenuation\n"
        "--------------------------------------------------------------------------\n"
        " up      Rx :N/A      Tx:N/A        N/A\n"
        " sideways\n"
    )
    listing = parsers.parse_attenuation("show pon power attenuation gpon-onu_1/1/1:3", output)
    assert listing[0].olt_rx_dbm is None and listing[0].onu_rx_dbm is None
    assert [issue.raw for issue in listing.issues] == ["sideways"]


def test_onu_rx_with_offline_onus(capture: Capture) -> None:
    listing = parsers.parse_onu_rx(
        "show pon power onu-rx gpon-olt_1/1/1", capture("c3xx_show_pon_power_onu-rx_gpon-olt.txt")
    )
    assert [(r.port, r.onu_id, r.rx_dbm) for r in listing] == [
        ("1/1/1", 1, -18.955),
        ("1/1/1", 2, -24.102),
        ("1/1/1", 3, None),
        ("1/1/1", 5, -27.884),
    ]
    assert listing.issues == ()


def test_detail_info_reads_the_last_down_from_the_history(capture: Capture) -> None:
    (onu,) = parsers.parse_detail(
        "show gpon onu detail-info gpon-onu_1/1/1:1", capture("c3xx_show_gpon_onu_detail-info.txt")
    )
    assert (onu.port, onu.onu_id, onu.serial, onu.status) == (
        "1/1/1",
        1,
        "ZTEGC0A1B2C3",
        OnuStatus.ONLINE,
    )
    assert (onu.type, onu.name, onu.description, onu.distance_m) == (
        "ZTE-F660",
        "cliente-0001",
        "rjchronos-sim",
        1235,
    )
    assert onu.last_down_cause == "los"
    assert onu.last_down_time == datetime(2026, 1, 9, 3, 12, 55, tzinfo=UTC)
    assert onu.last_up_time == datetime(2026, 1, 9, 9, 40, 18, tzinfo=UTC)


def test_detail_info_that_is_not_one_is_reported() -> None:
    listing = parsers.parse_detail(
        "show gpon onu detail-info gpon-onu_1/1/1:9", "%Error 20209: No such ONU"
    )
    assert len(listing) == 0
    assert listing.issues[-1].raw == "%Error 20209: No such ONU"


def test_cards(capture: Capture) -> None:
    cards = parsers.parse_cards("show card", capture("c3xx_show_card.txt"))
    assert cards.issues == ()
    assert [(c.slot, c.name, c.status, c.online) for c in cards] == [
        (1, "GTGO", "INSERVICE", True),
        (2, "GTGH", "INSERVICE", True),
        (3, "GTGH", "OFFLINE", False),
        (10, "SCXN", "INSERVICE", True),
        (11, "SCXN", "STANDBY", True),
        (20, "PRWH", "INSERVICE", True),
    ]


def test_by_sn(capture: Capture) -> None:
    found = parsers.parse_by_sn(
        "show gpon onu by sn ZTEGC0A1B2C3", capture("c3xx_show_gpon_onu_by_sn.txt")
    )
    assert list(found) == [("1/1/1", 1)]
    assert (
        len(
            parsers.parse_by_sn(
                "show gpon onu by sn X", "%Code 32310-GPONSRV : No related information to show."
            )
        )
        == 0
    )


def test_running_config_gives_serial_and_type(capture: Capture) -> None:
    configured = parsers.parse_olt_running_config(
        "show running-config interface gpon-olt_1/2/1",
        capture("c3xx_show_running-config_interface_gpon-olt.txt"),
    )
    assert configured.issues == ()
    assert [(o.onu_id, o.type, o.serial) for o in configured][:3] == [
        (1, "ZTE-F660", "ZTEGC0A1B2C3"),
        (2, "ZTE-F601", "ZTEGC0A1B2C4"),
        (3, "HG8010H", "HWTC11E70E9A"),
    ]
    states = parsers.parse_onu_state("show gpon onu state gpon-olt_1/2/1", capture(STATE_V2))
    merged = parsers.with_identity(states, configured)
    assert {onu.serial for onu in merged} >= {"ZTEGC0A1B2C3", "ZTEGC0A1B2C9"}
    assert all(onu.serial for onu in merged)


def test_a_broken_onu_line_in_the_running_config_is_reported() -> None:
    output = "interface gpon-olt_1/2/1\n  onu 1 type ZTE-F660 sn ZTEGC0A1B2C3\n  onu 2 type\n"
    listing = parsers.parse_olt_running_config(
        "show running-config interface gpon-olt_1/2/1", output
    )
    assert len(listing) == 1
    assert listing.issues[0].raw == "onu 2 type"
