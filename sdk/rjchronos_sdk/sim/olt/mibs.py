"""The vendor MIB objects of the virtual OLT: index encodings and value conversions.

Each vendor's conversions live here and nowhere else: dBm to the integers the
agent serves, serials to their 8-byte form, statuses to the MIB's numbers.
A row is ``(oid, value)`` with ``value`` an ``int`` (Integer32), ``bytes``
(OCTET STRING), :class:`ObjectId` or :class:`Ticks`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import NamedTuple

from rjchronos_sdk.sim.olt.state import DownCause, OltState, Onu, OnuStatus, UnconfiguredOnu

Oid = tuple[int, ...]


class ObjectId(NamedTuple):
    """An OBJECT IDENTIFIER value."""

    oid: Oid


class Ticks(NamedTuple):
    """A TimeTicks value (hundredths of a second)."""

    value: int


Value = int | bytes | ObjectId | Ticks
Row = tuple[Oid, Value]


def oid(text: str) -> Oid:
    return tuple(int(part) for part in text.strip(".").split("."))


SYS_DESCR = oid("1.3.6.1.2.1.1.1.0")
SYS_OBJECT_ID = oid("1.3.6.1.2.1.1.2.0")
SYS_UPTIME = oid("1.3.6.1.2.1.1.3.0")
SYS_NAME = oid("1.3.6.1.2.1.1.5.0")
IF_DESCR = oid("1.3.6.1.2.1.2.2.1.2")
IF_ADMIN = oid("1.3.6.1.2.1.2.2.1.7")
IF_OPER = oid("1.3.6.1.2.1.2.2.1.8")
IF_NAME = oid("1.3.6.1.2.1.31.1.1.1.1")

HUAWEI_OBJECT_ID = oid("1.3.6.1.4.1.2011.2.248")
HUAWEI_DESCR = "Huawei Integrated Access Software MA5800-X7 V100R019C10"
ZTE_OBJECT_ID = oid("1.3.6.1.4.1.3902.1082.1001.320")
ZTE_DESCR = "ZXA10 C320, ZTE ZXA10 Software Version: V2.1.0"

NO_READING_HUAWEI = 2147483647
NO_READING_ZTE = 65535

_HW = oid("1.3.6.1.4.1.2011.6.128.1.1.2")
HW_PORT_TX = (*_HW, 23, 1, 4)
HW_PORT_RX = (*_HW, 23, 1, 5)
HW_SN = (*_HW, 43, 1, 3)
HW_DESCRIPTION = (*_HW, 43, 1, 9)
HW_RESET = (*_HW, 46, 1, 2)
HW_RUN_STATUS = (*_HW, 46, 1, 15)
HW_DISTANCE = (*_HW, 46, 1, 20)
HW_LAST_UP = (*_HW, 46, 1, 22)
HW_LAST_DOWN = (*_HW, 46, 1, 23)
HW_DOWN_CAUSE = (*_HW, 46, 1, 24)
HW_AUTOFIND_SN = (*_HW, 48, 1, 2)
HW_AUTOFIND_VENDOR = (*_HW, 48, 1, 4)
HW_AUTOFIND_VERSION = (*_HW, 48, 1, 5)
HW_AUTOFIND_SOFTWARE = (*_HW, 48, 1, 6)
HW_AUTOFIND_EQUIPMENT = (*_HW, 48, 1, 7)
HW_AUTOFIND_TIME = (*_HW, 48, 1, 8)
HW_TEMPERATURE = (*_HW, 51, 1, 1)
HW_BIAS = (*_HW, 51, 1, 2)
HW_TX = (*_HW, 51, 1, 3)
HW_RX = (*_HW, 51, 1, 4)
HW_VOLTAGE = (*_HW, 51, 1, 5)
HW_OLT_RX = (*_HW, 51, 1, 6)

HUAWEI_CAUSE: dict[DownCause, int] = {"los": 2, "reset": 9, "deactivated": 8, "dying_gasp": 13}

_ZTE = oid("1.3.6.1.4.1.3902.1012.3")
ZTE_TYPE = (*_ZTE, 28, 1, 1, 1)
ZTE_NAME = (*_ZTE, 28, 1, 1, 2)
ZTE_SN = (*_ZTE, 28, 1, 1, 5)
ZTE_PHASE = (*_ZTE, 28, 2, 1, 4)
ZTE_DISTANCE = (*_ZTE, 11, 4, 1, 2)
ZTE_UNCFG_SN = (*_ZTE, 13, 3, 1, 2)
ZTE_RX = (*_ZTE, 50, 12, 1, 1, 10)
ZTE_TX = (*_ZTE, 50, 12, 1, 1, 14)

_ZTE500 = oid("1.3.6.1.4.1.3902.1082.500")
ZTE500_TYPE = (*_ZTE500, 10, 2, 3, 3, 1, 1)
ZTE500_NAME = (*_ZTE500, 10, 2, 3, 3, 1, 2)
ZTE500_SN = (*_ZTE500, 10, 2, 3, 3, 1, 18)
ZTE500_STATUS = (*_ZTE500, 10, 2, 3, 8, 1, 4)
ZTE500_DISTANCE = (*_ZTE500, 10, 2, 3, 10, 1, 2)
ZTE500_RX = (*_ZTE500, 20, 2, 2, 2, 1, 10)
ZTE500_TX = (*_ZTE500, 20, 2, 2, 2, 1, 14)

ZTE_PHASE_1012: dict[OnuStatus, int] = {"los": 1, "online": 3, "dying_gasp": 4, "offline": 6}
ZTE_STATUS_500: dict[OnuStatus, int] = {"los": 2, "online": 4, "dying_gasp": 5, "offline": 7}


# -- index encodings -----------------------------------------------------------


def huawei_if_index(frame: int, slot: int, port: int) -> int:
    """The GPON port's ifIndex: 0xFA000000 + frame<<19 + slot<<13 + port<<8 (0/1/0 = 4194312192)."""
    return 0xFA000000 + (frame << 19) + (slot << 13) + (port << 8)


def zte_if_index(slot: int, port: int) -> int:
    """IF-MIB ifIndex of a C300/C320 port, 0-based: 1/1/1 = 268435456."""
    return 0x10000000 + ((slot - 1) << 16) + ((port - 1) << 8)


def zte_1012_index(slot: int, port: int) -> int:
    """The index of the 1012 GPON tree, 1-based: 1/1/1 = 268501248."""
    return 0x10000000 + (slot << 16) + (port << 8)


def zte_500_index(slot: int, port: int) -> int:
    """The index of the 1082.500 tree: 1/1/1 = 285278465."""
    return 0x11010000 + (slot << 8) + port


# -- value conversions -----------------------------------------------------------


def serial_bytes(serial: str) -> bytes:
    """A canonical serial as the MIBs carry it: 4 ASCII vendor letters and 4 bytes."""
    return serial[:4].encode("ascii") + bytes.fromhex(serial[4:])


def huawei_power(dbm: float | None) -> int:
    """ONU Rx/Tx in 0.01 dBm; 2147483647 when there is no reading."""
    return NO_READING_HUAWEI if dbm is None else round(dbm * 100)


def huawei_olt_rx(dbm: float | None) -> int:
    """OLT Rx of an ONU: dBm = (v - 10000) / 100."""
    return NO_READING_HUAWEI if dbm is None else round(dbm * 100) + 10000


def zte_power(dbm: float | None) -> int:
    """ZTE ONU optics: dBm = v * 0.002 - 30, v above 30000 meaning v - 65536, 65535 none."""
    if dbm is None:
        return NO_READING_ZTE
    value = round((dbm + 30) / 0.002)
    return value + 65536 if value < 0 else value


def date_and_time(value: datetime | None) -> bytes:
    """SNMPv2-TC DateAndTime in UTC; all zero when the event never happened."""
    if value is None:
        return bytes(8)
    return (
        value.year.to_bytes(2, "big")
        + bytes((value.month, value.day, value.hour, value.minute, value.second))
        + bytes((value.microsecond // 100000, ord("+"), 0, 0))
    )


# -- the tables ------------------------------------------------------------------


def rows(state: OltState) -> list[Row]:
    """Every object the agent serves for ``state``, sorted by OID."""
    produce = _huawei_rows if state.vendor == "huawei" else _zte_rows
    table = [*produce(state)]
    table.sort(key=lambda row: row[0])
    return table


def _system(state: OltState, descr: str, object_id: Oid) -> Iterator[Row]:
    yield SYS_DESCR, descr.encode()
    yield SYS_OBJECT_ID, ObjectId(object_id)
    yield SYS_UPTIME, Ticks(0)  # the agent answers the live value
    yield SYS_NAME, state.name.encode()


def _huawei_rows(state: OltState) -> Iterator[Row]:
    yield from _system(state, HUAWEI_DESCR, HUAWEI_OBJECT_ID)
    for (slot, port), pon in state.ports.items():
        index = huawei_if_index(0, slot, port)
        yield (*IF_DESCR, index), b"HUAWEI, SmartAX Series, GPON Interface"
        yield (*IF_NAME, index), f"GPON 0/{slot}/{port}".encode()
        yield (*IF_ADMIN, index), 1
        yield (*IF_OPER, index), 1
        yield (*HW_PORT_TX, index), huawei_power(pon.tx_dbm)
        yield (*HW_PORT_RX, index), NO_READING_HUAWEI
        for onu in pon.onus.values():
            yield from _huawei_onu(index, onu)
        for number, found in enumerate(state.unconfigured_on(slot, port), start=1):
            row = (index, number)
            yield (*HW_AUTOFIND_SN, *row), serial_bytes(found.serial)
            yield (*HW_AUTOFIND_VENDOR, *row), found.serial[:4].encode()
            yield (*HW_AUTOFIND_VERSION, *row), found.hardware_version.encode()
            yield (*HW_AUTOFIND_SOFTWARE, *row), found.software_version.encode()
            yield (*HW_AUTOFIND_EQUIPMENT, *row), found.equipment.encode()
            yield (*HW_AUTOFIND_TIME, *row), date_and_time(found.found_at)


def _huawei_onu(index: int, onu: Onu) -> Iterator[Row]:
    row = (index, onu.onu_id)
    optics = onu.optics
    rx, tx, olt_rx = optics if optics else (None, None, None)
    yield (*HW_SN, *row), serial_bytes(onu.serial)
    yield (*HW_DESCRIPTION, *row), onu.description.encode()
    yield (*HW_RESET, *row), 0
    yield (*HW_RUN_STATUS, *row), 1 if onu.online else 2
    yield (*HW_DISTANCE, *row), onu.distance_m if onu.online else -1
    yield (*HW_LAST_UP, *row), date_and_time(onu.last_up_time)
    yield (*HW_LAST_DOWN, *row), date_and_time(onu.last_down_time)
    yield (*HW_DOWN_CAUSE, *row), HUAWEI_CAUSE[onu.last_down_cause] if onu.last_down_cause else -1
    online = onu.online
    yield (*HW_TEMPERATURE, *row), onu.temperature_c if online else NO_READING_HUAWEI
    yield (*HW_BIAS, *row), onu.bias_ma if online else NO_READING_HUAWEI
    yield (*HW_TX, *row), huawei_power(tx)
    yield (*HW_RX, *row), huawei_power(rx)
    yield (*HW_VOLTAGE, *row), onu.voltage_mv if online else NO_READING_HUAWEI
    yield (*HW_OLT_RX, *row), huawei_olt_rx(olt_rx)


def _zte_rows(state: OltState) -> Iterator[Row]:
    yield from _system(state, ZTE_DESCR, ZTE_OBJECT_ID)
    for (slot, port), pon in state.ports.items():
        if_index = zte_if_index(slot, port)
        yield (*IF_DESCR, if_index), f"gpon-olt_1/{slot}/{port}".encode()
        yield (*IF_NAME, if_index), f"gpon-olt_1/{slot}/{port}".encode()
        yield (*IF_ADMIN, if_index), 1
        yield (*IF_OPER, if_index), 1
        old, new = zte_1012_index(slot, port), zte_500_index(slot, port)
        for onu in pon.onus.values():
            optics = onu.optics
            rx, tx = (optics[0], optics[1]) if optics else (None, None)
            serial = serial_bytes(onu.serial)
            yield (*ZTE_TYPE, old, onu.onu_id), onu.equipment.encode()
            yield (*ZTE_NAME, old, onu.onu_id), onu.description.encode()
            yield (*ZTE_SN, old, onu.onu_id), serial
            yield (*ZTE_PHASE, old, onu.onu_id), ZTE_PHASE_1012[onu.status]
            yield (*ZTE_DISTANCE, old, onu.onu_id), onu.distance_m
            yield (*ZTE_RX, old, onu.onu_id, 1), zte_power(rx)
            yield (*ZTE_TX, old, onu.onu_id, 1), zte_power(tx)
            yield (*ZTE500_TYPE, new, onu.onu_id), onu.equipment.encode()
            yield (*ZTE500_NAME, new, onu.onu_id), onu.description.encode()
            yield (*ZTE500_SN, new, onu.onu_id), serial
            yield (*ZTE500_STATUS, new, onu.onu_id), ZTE_STATUS_500[onu.status]
            yield (*ZTE500_DISTANCE, new, onu.onu_id), onu.distance_m
            yield (*ZTE500_RX, new, onu.onu_id, 1), zte_power(rx)
            yield (*ZTE500_TX, new, onu.onu_id, 1), zte_power(tx)
        for number, found in enumerate(state.unconfigured_on(slot, port), start=1):
            yield (*ZTE_UNCFG_SN, old, number), serial_bytes(found.serial)


# -- notifications ---------------------------------------------------------------

SNMP_TRAP_OID = oid("1.3.6.1.6.3.1.1.4.1.0")

# The reference lists no notification OIDs for either vendor, so these are the
# simulator's own, one per event under each vendor's enterprise. What a receiver
# acts on are the varbinds: the vendor's real columns of the ONU's row.
TRAP_EVENTS = ("los", "dying_gasp", "offline", "online", "autofind")
_TRAP_ROOT = {"huawei": oid("1.3.6.1.4.1.2011.6.128.99"), "zte": oid("1.3.6.1.4.1.3902.1012.99")}


def trap_oid(vendor: str, event: str) -> Oid:
    """The notification OID the simulator sends for ``event``."""
    return (*_TRAP_ROOT[vendor], TRAP_EVENTS.index(event) + 1)


def trap_rows(state: OltState, subject: Onu | UnconfiguredOnu) -> list[Row]:
    """The varbinds of a notification about ``subject``: its row's SN, status and cause."""
    if state.vendor == "huawei":
        index = huawei_if_index(0, subject.slot, subject.port)
        if isinstance(subject, UnconfiguredOnu):
            number = state.unconfigured.index(subject) + 1 if subject in state.unconfigured else 0
            return [((*HW_AUTOFIND_SN, index, number), serial_bytes(subject.serial))]
        cause = HUAWEI_CAUSE[subject.last_down_cause] if subject.last_down_cause else -1
        row = (index, subject.onu_id)
        return [
            ((*HW_SN, *row), serial_bytes(subject.serial)),
            ((*HW_RUN_STATUS, *row), 1 if subject.online else 2),
            ((*HW_DOWN_CAUSE, *row), cause),
        ]
    old = zte_1012_index(subject.slot, subject.port)
    if isinstance(subject, UnconfiguredOnu):
        return [((*ZTE_UNCFG_SN, old, 1), serial_bytes(subject.serial))]
    return [
        ((*ZTE_SN, old, subject.onu_id), serial_bytes(subject.serial)),
        ((*ZTE_PHASE, old, subject.onu_id), ZTE_PHASE_1012[subject.status]),
    ]
