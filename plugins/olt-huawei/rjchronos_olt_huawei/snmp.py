"""HUAWEI-XPON-MIB: OIDs, index math and value conversions, in one place.

Rows of the ONT tables are indexed ``<ifIndex of the GPON port>.<ONT id>``;
a GPON port's ifIndex is ``0xFA000000 + frame<<19 + slot<<13 + port<<8``.
"""

from __future__ import annotations

from rjchronos.drivers.olt_model import NO_READING_NUMBERS, OnuStatus
from rjchronos.serials import normalise_gpon_serial

_XPON = "1.3.6.1.4.1.2011.6.128.1.1.2"

#: Column OIDs (append ``.<ifIndex>.<ontId>``).
OID = {
    "ont_temperature": f"{_XPON}.51.1.1",
    "ont_bias": f"{_XPON}.51.1.2",
    "ont_tx_power": f"{_XPON}.51.1.3",
    "ont_rx_power": f"{_XPON}.51.1.4",
    "ont_voltage": f"{_XPON}.51.1.5",
    "olt_rx_power": f"{_XPON}.51.1.6",
    "ont_serial": f"{_XPON}.43.1.3",
    "ont_description": f"{_XPON}.43.1.9",
    "ont_reset": f"{_XPON}.46.1.2",
    "ont_run_status": f"{_XPON}.46.1.15",
    "ont_distance": f"{_XPON}.46.1.20",
    "ont_last_up_time": f"{_XPON}.46.1.22",
    "ont_last_down_time": f"{_XPON}.46.1.23",
    "ont_last_down_cause": f"{_XPON}.46.1.24",
    "autofind_serial": f"{_XPON}.48.1.2",
    "autofind_vendor": f"{_XPON}.48.1.4",
    "autofind_version": f"{_XPON}.48.1.5",
    "autofind_software": f"{_XPON}.48.1.6",
    "autofind_equipment": f"{_XPON}.48.1.7",
    "autofind_time": f"{_XPON}.48.1.8",
    "port_tx_power": f"{_XPON}.23.1.4",
    "port_rx_power": f"{_XPON}.23.1.5",
}

GPON_BASE = 0xFA000000
_FRAME_MAX, _SLOT_MAX, _PORT_MAX = 63, 63, 31

#: hwGponDeviceOntControlLastDownCause codes in the common vocabulary.
DOWN_CAUSE_CODES = {
    1: "los",
    2: "los",  # LOSi/LOBi
    3: "lof",  # LOFi
    4: "signal_fail",  # SFi
    5: "loa",  # LOAi
    6: "loam",  # LOAMi
    7: "deactivation_failed",
    8: "deactivated",
    9: "reset",
    10: "re_registered",
    13: "dying_gasp",
}


def gpon_if_index(frame: int, slot: int, port: int) -> int:
    """The ifIndex of GPON port ``frame/slot/port`` (0/1/0 -> 4194312192)."""
    for name, value, top in (("frame", frame, _FRAME_MAX), ("slot", slot, _SLOT_MAX)):
        if not 0 <= value <= top:
            raise ValueError(f"{name} {value} is outside 0-{top}")
    if not 0 <= port <= _PORT_MAX:
        raise ValueError(f"port {port} is outside 0-{_PORT_MAX}")
    return GPON_BASE + (frame << 19) + (slot << 13) + (port << 8)


def gpon_port_of(if_index: int) -> tuple[int, int, int]:
    """``frame, slot, port`` of a GPON port's ifIndex; ValueError for any other ifIndex."""
    offset = if_index - GPON_BASE
    if not 0 <= offset < 1 << 25 or offset & 0xFF:
        raise ValueError(f"ifIndex {if_index} is not a Huawei GPON port")
    return offset >> 19, (offset >> 13) & 0x3F, (offset >> 8) & 0x1F


def row_index(frame: int, slot: int, port: int, ont_id: int) -> str:
    """The ``<ifIndex>.<ontId>`` suffix of an ONT's rows."""
    return f"{gpon_if_index(frame, slot, port)}.{ont_id}"


def split_row_index(suffix: str) -> tuple[int, int, int, int]:
    """``frame, slot, port, ont id`` of a row suffix ``<ifIndex>.<ontId>``."""
    if_index, _, ont_id = suffix.partition(".")
    if not (if_index.isdigit() and ont_id.isdigit()):
        raise ValueError(f"{suffix!r} is not <ifIndex>.<ontId>")
    return (*gpon_port_of(int(if_index)), int(ont_id))


def _reading(value: int) -> int | None:
    return None if value in NO_READING_NUMBERS else value


def ont_power_dbm(value: int) -> float | None:
    """ONT Rx/Tx and OLT port optics: hundredths of a dBm."""
    raw = _reading(value)
    return None if raw is None else raw / 100


def olt_rx_dbm(value: int) -> float | None:
    """OLT Rx of an ONT: ``(v - 10000) / 100`` dBm."""
    raw = _reading(value)
    return None if raw is None else (raw - 10000) / 100


def distance_m(value: int) -> int | None:
    """Ranging distance in metres; -1 means not ranged."""
    return None if value < 0 or value in NO_READING_NUMBERS else value


def serial_from_octets(octets: bytes) -> str:
    """The 8-byte ONT SN (4 ASCII vendor bytes, 4 bytes) -> canonical ``HWTC11E70E9A``."""
    if len(octets) != 8:
        raise ValueError(f"an ONT SN has 8 bytes, not {len(octets)}")
    return normalise_gpon_serial(octets.hex())


def down_cause(code: int) -> str | None:
    """hwGponDeviceOntControlLastDownCause -> common cause; -1 (none) -> None."""
    if code < 0:
        return None
    return DOWN_CAUSE_CODES.get(code, f"code_{code}")


def onu_status(run_status: int, cause_code: int = -1) -> OnuStatus:
    """hwGponDeviceOntControlRunStatus (1 up, 2 down, -1 invalid), refined by the down cause."""
    if run_status == 1:
        return OnuStatus.ONLINE
    if run_status == 2:
        cause = down_cause(cause_code)
        return {"los": OnuStatus.LOS, "dying_gasp": OnuStatus.DYING_GASP}.get(
            cause or "", OnuStatus.OFFLINE
        )
    return OnuStatus.UNKNOWN
