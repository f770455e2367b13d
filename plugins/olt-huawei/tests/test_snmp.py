"""HUAWEI-XPON-MIB index math and value conversions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rjchronos.drivers.olt_model import OnuStatus
from rjchronos_olt_huawei import snmp


def test_the_reference_port() -> None:
    assert snmp.gpon_if_index(0, 1, 0) == 4194312192
    assert snmp.gpon_port_of(4194312192) == (0, 1, 0)
    assert snmp.gpon_if_index(0, 0, 0) == 0xFA000000
    assert snmp.gpon_if_index(1, 2, 3) == 0xFA000000 + (1 << 19) + (2 << 13) + (3 << 8)


def test_every_port_round_trips_and_no_two_share_an_index() -> None:
    seen = {}
    for frame in range(64):
        for slot in range(64):
            for port in range(32):
                index = snmp.gpon_if_index(frame, slot, port)
                assert snmp.gpon_port_of(index) == (frame, slot, port)
                seen[index] = (frame, slot, port)
    assert len(seen) == 64 * 64 * 32


@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_any_other_if_index_is_refused_or_decodes_consistently(if_index: int) -> None:
    try:
        frame, slot, port = snmp.gpon_port_of(if_index)
    except ValueError:
        return
    assert snmp.gpon_if_index(frame, slot, port) == if_index


@pytest.mark.parametrize(
    ("frame", "slot", "port"), [(-1, 0, 0), (64, 0, 0), (0, 64, 0), (0, 0, 32), (0, 0, -1)]
)
def test_out_of_range_parts_are_refused(frame: int, slot: int, port: int) -> None:
    with pytest.raises(ValueError, match="outside"):
        snmp.gpon_if_index(frame, slot, port)


def test_row_index_round_trip() -> None:
    assert snmp.row_index(0, 1, 0, 7) == "4194312192.7"
    assert snmp.split_row_index("4194312192.7") == (0, 1, 0, 7)
    for bad in ("4194312192", "x.1", "4194312193.1", "1.1"):
        with pytest.raises(ValueError):
            snmp.split_row_index(bad)


def test_optical_values() -> None:
    assert snmp.ont_power_dbm(-2268) == -22.68
    assert snmp.ont_power_dbm(212) == 2.12
    assert snmp.ont_power_dbm(2147483647) is None
    assert snmp.olt_rx_dbm(7732) == -22.68
    assert snmp.olt_rx_dbm(10000) == 0.0
    assert snmp.olt_rx_dbm(2147483647) is None
    assert snmp.distance_m(1235) == 1235
    assert snmp.distance_m(-1) is None


def test_serial_from_octets() -> None:
    assert snmp.serial_from_octets(bytes.fromhex("4857544311E70E9A")) == "HWTC11E70E9A"
    with pytest.raises(ValueError, match="8 bytes"):
        snmp.serial_from_octets(b"HWTC")
    with pytest.raises(ValueError, match="not a GPON serial"):
        snmp.serial_from_octets(bytes(8))


@pytest.mark.parametrize(
    ("run", "cause", "status"),
    [
        (1, -1, OnuStatus.ONLINE),
        (1, 1, OnuStatus.ONLINE),
        (2, 1, OnuStatus.LOS),
        (2, 2, OnuStatus.LOS),
        (2, 13, OnuStatus.DYING_GASP),
        (2, 9, OnuStatus.OFFLINE),
        (2, -1, OnuStatus.OFFLINE),
        (-1, -1, OnuStatus.UNKNOWN),
    ],
)
def test_run_status_and_cause(run: int, cause: int, status: OnuStatus) -> None:
    assert snmp.onu_status(run, cause) == status


def test_down_cause_codes() -> None:
    assert snmp.down_cause(1) == "los"
    assert snmp.down_cause(3) == "lof"
    assert snmp.down_cause(9) == "reset"
    assert snmp.down_cause(13) == "dying_gasp"
    assert snmp.down_cause(99) == "code_99"
    assert snmp.down_cause(-1) is None


def test_oids_are_under_the_xpon_tree() -> None:
    assert snmp.OID["ont_rx_power"] == "1.3.6.1.4.1.2011.6.128.1.1.2.51.1.4"
    assert snmp.OID["olt_rx_power"] == "1.3.6.1.4.1.2011.6.128.1.1.2.51.1.6"
    assert snmp.OID["ont_last_down_cause"] == "1.3.6.1.4.1.2011.6.128.1.1.2.46.1.24"
