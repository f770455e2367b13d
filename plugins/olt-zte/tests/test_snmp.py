"""ZTE's three SNMP index spaces and value conversions."""

from __future__ import annotations

import pytest

from rjchronos.drivers.olt_model import OnuStatus
from rjchronos_olt_zte import snmp


def test_the_reference_indexes_of_port_1_1_1() -> None:
    assert snmp.if_index(1, 1) == 268435456
    assert snmp.index_1012(1, 1) == 268501248
    assert snmp.index_1082(1, 1) == 285278465


def test_every_port_round_trips_in_each_space_without_collisions() -> None:
    spaces = [
        (snmp.if_index, snmp.port_of_if_index),
        (snmp.index_1012, snmp.port_of_1012),
        (snmp.index_1082, snmp.port_of_1082),
    ]
    for encode, decode in spaces:
        seen = set()
        for slot in range(1, 256):
            for port in range(1, 256):
                index = encode(slot, port)
                assert decode(index) == (slot, port)
                seen.add(index)
        assert len(seen) == 255 * 255


def test_the_same_port_has_three_different_indexes() -> None:
    assert snmp.if_index(2, 3) == 0x10000000 + (1 << 16) + (2 << 8)
    assert snmp.index_1012(2, 3) == 0x10000000 + (2 << 16) + (3 << 8)
    assert snmp.index_1082(2, 3) == 0x11010000 + (2 << 8) + 3
    # An IF-MIB index read as a 1012 index is another port, not an error: keep them apart.
    assert snmp.port_of_1012(snmp.if_index(2, 3)) == (1, 2)


@pytest.mark.parametrize("value", [268435455, 268435457, 0x11000000, 0x10000000 + (5 << 16)])
def test_foreign_values_are_refused(value: int) -> None:
    with pytest.raises(ValueError):
        snmp.port_of_1012(value)


def test_zero_ports_are_refused() -> None:
    for encode in (snmp.if_index, snmp.index_1012, snmp.index_1082):
        with pytest.raises(ValueError, match="outside"):
            encode(0, 1)
        with pytest.raises(ValueError, match="outside"):
            encode(1, 256)
    with pytest.raises(ValueError):
        snmp.port_of_1082(0x11010000 + 5)  # slot 0
    with pytest.raises(ValueError):
        snmp.port_of_if_index(0x0F000000)


@pytest.mark.parametrize(
    ("raw", "dbm"),
    [
        (0, -30.0),
        (5000, -20.0),
        (30000, 30.0),
        (65535, None),
        (65036, -31.0),  # > 30000: v - 65536 = -500
        (4522, -20.956),
    ],
)
def test_power(raw: int, dbm: float | None) -> None:
    assert snmp.power_dbm(raw) == dbm


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (0, OnuStatus.SYNCING),
        (1, OnuStatus.LOS),
        (2, OnuStatus.SYNCING),
        (3, OnuStatus.ONLINE),
        (4, OnuStatus.DYING_GASP),
        (5, OnuStatus.AUTH_FAILED),
        (6, OnuStatus.OFFLINE),
        (7, OnuStatus.UNKNOWN),
    ],
)
def test_1012_phase(code: int, status: OnuStatus) -> None:
    assert snmp.status_1012(code) == status


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (1, OnuStatus.SYNCING),
        (2, OnuStatus.LOS),
        (3, OnuStatus.SYNCING),
        (4, OnuStatus.ONLINE),
        (5, OnuStatus.DYING_GASP),
        (6, OnuStatus.AUTH_FAILED),
        (7, OnuStatus.OFFLINE),
        (0, OnuStatus.UNKNOWN),
    ],
)
def test_1082_status(code: int, status: OnuStatus) -> None:
    assert snmp.status_1082(code) == status


def test_serial_and_distance() -> None:
    assert snmp.serial_from_octets(b"ZTEG" + bytes.fromhex("C0A1B2C3")) == "ZTEGC0A1B2C3"
    with pytest.raises(ValueError):
        snmp.serial_from_octets(b"ZTEG")
    assert snmp.distance_m(1235) == 1235
    assert snmp.distance_m(65535) is None and snmp.distance_m(-1) is None


def test_oids() -> None:
    assert snmp.OID_1012["onu_phase"] == "1.3.6.1.4.1.3902.1012.3.28.2.1.4"
    assert snmp.OID_1012["onu_rx_power"] == "1.3.6.1.4.1.3902.1012.3.50.12.1.1.10"
    assert snmp.OID_1082["onu_status"] == "1.3.6.1.4.1.3902.1082.500.10.2.3.8.1.4"
