"""ZTE ZXA10 SNMP: the three index spaces of one chassis and the value conversions.

- IF-MIB ifIndex of a C300/C320 PON port, 0-based: ``0x10000000 + (slot-1)<<16 + (port-1)<<8``.
- The older ``1012`` GPON tree, 1-based: ``0x10000000 + slot<<16 + port<<8``; rows ``.onuId``.
- The newer ``1082.500`` tree (C300/C320 V2.1, C600): ``0x11010000 + slot<<8 + port``.

Rack and shelf are 1 on every C300/C320/C600 these encodings exist for.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from rjchronos.drivers.olt_model import OnuStatus
from rjchronos.serials import normalise_gpon_serial

_T1012 = "1.3.6.1.4.1.3902.1012.3"
_T1082 = "1.3.6.1.4.1.3902.1082.500"

#: Column OIDs of the 1012 tree (append ``.<1012 index>.<onuId>``; Rx/Tx add ``.1``, the ANI).
OID_1012 = {
    "onu_type": f"{_T1012}.28.1.1.1",
    "onu_name": f"{_T1012}.28.1.1.2",
    "onu_serial": f"{_T1012}.28.1.1.5",
    "onu_phase": f"{_T1012}.28.2.1.4",
    "onu_rx_power": f"{_T1012}.50.12.1.1.10",
    "onu_tx_power": f"{_T1012}.50.12.1.1.14",
    "onu_distance": f"{_T1012}.11.4.1.2",
    "uncfg_serial": f"{_T1012}.13.3.1.2",
}

#: Column OIDs of the 1082.500 tree (append ``.<1082 index>.<onuId>``).
OID_1082 = {
    "onu_type": f"{_T1082}.10.2.3.3.1.1",
    "onu_name": f"{_T1082}.10.2.3.3.1.2",
    "onu_status": f"{_T1082}.10.2.3.8.1.4",
    "onu_rx_power": f"{_T1082}.20.2.2.2.1.10",
    "onu_tx_power": f"{_T1082}.20.2.2.2.1.14",
    "onu_serial": f"{_T1082}.10.2.3.3.1.18",
    "onu_serial_c600": f"{_T1082}.10.2.3.3.1.6",
    "onu_distance": f"{_T1082}.10.2.3.10.1.2",
}

_IF_BASE = 0x10000000
_T1082_BASE = 0x11010000
_SLOT_MAX, _PORT_MAX = 255, 255


def _check(slot: int, port: int, low: int) -> None:
    if not low <= slot <= _SLOT_MAX:
        raise ValueError(f"slot {slot} is outside {low}-{_SLOT_MAX}")
    if not low <= port <= _PORT_MAX:
        raise ValueError(f"port {port} is outside {low}-{_PORT_MAX}")


def if_index(slot: int, port: int) -> int:
    """IF-MIB ifIndex of PON port 1/slot/port (1/1/1 -> 268435456)."""
    _check(slot, port, 1)
    return _IF_BASE + ((slot - 1) << 16) + ((port - 1) << 8)


def port_of_if_index(value: int) -> tuple[int, int]:
    """``slot, port`` of an IF-MIB PON ifIndex."""
    offset = value - _IF_BASE
    if not 0 <= offset < 1 << 24 or offset & 0xFF:
        raise ValueError(f"ifIndex {value} is not a ZTE PON port")
    return (offset >> 16) + 1, ((offset >> 8) & 0xFF) + 1


def index_1012(slot: int, port: int) -> int:
    """Index of PON port 1/slot/port in the 1012 tree (1/1/1 -> 268501248)."""
    _check(slot, port, 1)
    return _IF_BASE + (slot << 16) + (port << 8)


def port_of_1012(value: int) -> tuple[int, int]:
    """``slot, port`` of a 1012-tree PON index."""
    offset = value - _IF_BASE
    slot, port = offset >> 16, (offset >> 8) & 0xFF
    if not 0 <= offset < 1 << 24 or offset & 0xFF or slot < 1 or port < 1:
        raise ValueError(f"{value} is not a 1012-tree PON index")
    return slot, port


def index_1082(slot: int, port: int) -> int:
    """Index of PON port 1/slot/port in the 1082.500 tree (1/1/1 -> 285278465)."""
    _check(slot, port, 1)
    return _T1082_BASE + (slot << 8) + port


def port_of_1082(value: int) -> tuple[int, int]:
    """``slot, port`` of a 1082.500-tree PON index."""
    offset = value - _T1082_BASE
    slot, port = offset >> 8, offset & 0xFF
    if not 0 <= offset < 1 << 16 or slot < 1 or port < 1:
        raise ValueError(f"{value} is not a 1082.500-tree PON index")
    return slot, port


NO_VALUE = 65535


def power_dbm(value: int) -> float | None:
    """1012-tree ONU Rx/Tx: ``v * 0.002 - 30`` dBm, v > 30000 meaning v - 65536, 65535 none."""
    if value == NO_VALUE:
        return None
    if value > 30000:
        value -= 65536
    return round(value * 0.002 - 30, 3)


#: 1012-tree phase state (0-based).
PHASE_1012 = {
    0: OnuStatus.SYNCING,  # logging
    1: OnuStatus.LOS,
    2: OnuStatus.SYNCING,  # syncMib
    3: OnuStatus.ONLINE,  # working
    4: OnuStatus.DYING_GASP,
    5: OnuStatus.AUTH_FAILED,
    6: OnuStatus.OFFLINE,
}

#: 1082.500-tree status (1-based).
STATUS_1082 = {
    1: OnuStatus.SYNCING,  # logging
    2: OnuStatus.LOS,
    3: OnuStatus.SYNCING,  # syncMib
    4: OnuStatus.ONLINE,
    5: OnuStatus.DYING_GASP,
    6: OnuStatus.AUTH_FAILED,
    7: OnuStatus.OFFLINE,
}


def status_1012(value: int) -> OnuStatus:
    """1012-tree phase state -> common status (unknown codes: unknown)."""
    return PHASE_1012.get(value, OnuStatus.UNKNOWN)


def status_1082(value: int) -> OnuStatus:
    """1082.500-tree status -> common status (unknown codes: unknown)."""
    return STATUS_1082.get(value, OnuStatus.UNKNOWN)


def serial_from_octets(octets: bytes) -> str:
    """An 8-byte ONU SN (4 ASCII vendor bytes, 4 bytes) -> canonical ``ZTEGC0A1B2C3``."""
    if len(octets) != 8:
        raise ValueError(f"an ONU SN has 8 bytes, not {len(octets)}")
    return normalise_gpon_serial(octets.hex())


def distance_m(value: int) -> int | None:
    """Distance in metres; negative or 65535 means unknown."""
    return None if value < 0 or value == NO_VALUE else value


@dataclass(frozen=True)
class Tree:
    """One SNMP tree of ONU rows: its columns by common name, index math and status codes.

    Columns: ``onu_serial``, ``onu_name``, ``onu_type``, ``onu_status``, ``onu_distance``,
    ``onu_rx_power``, ``onu_tx_power`` (Rx/Tx rows end in ``.1``, the ANI).
    """

    name: str
    columns: Mapping[str, str]
    index: Callable[[int, int], int]
    port_of: Callable[[int], tuple[int, int]]
    status: Callable[[int], OnuStatus]


TREES = {
    "1012": Tree(
        "1012",
        {
            "onu_serial": OID_1012["onu_serial"],
            "onu_name": OID_1012["onu_name"],
            "onu_type": OID_1012["onu_type"],
            "onu_status": OID_1012["onu_phase"],
            "onu_distance": OID_1012["onu_distance"],
            "onu_rx_power": OID_1012["onu_rx_power"],
            "onu_tx_power": OID_1012["onu_tx_power"],
        },
        index_1012,
        port_of_1012,
        status_1012,
    ),
    "1082": Tree(
        "1082",
        {
            name: OID_1082[name]
            for name in (
                "onu_serial",
                "onu_name",
                "onu_type",
                "onu_status",
                "onu_distance",
                "onu_rx_power",
                "onu_tx_power",
            )
        },
        index_1082,
        port_of_1082,
        status_1082,
    ),
}
