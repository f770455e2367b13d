"""SmartAX command outputs -> the common model, with every unreadable row reported.

Each ``parse_*`` takes the command sent and what the OLT printed, and returns
a :class:`Listing` (or a single record) whose ``issues`` hold the rows it
could not read, verbatim.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, tzinfo
from typing import TypeVar

from rjchronos.drivers.contracts import DeviceFacts
from rjchronos.drivers.olt_model import (
    Board,
    Listing,
    Onu,
    ParseIssue,
    UnconfiguredOnu,
    optical_dbm,
)
from rjchronos.serials import canonical_serial
from rjchronos_olt_huawei import convert
from rjchronos_olt_huawei.fsm import clean, parse

T = TypeVar("T")

_PORT_TOTAL = re.compile(
    r"In port\s+(?P<port>\d+/\s*\d+\s*/\d+)\s*,\s*the total of ONTs are:\s*(?P<total>\d+)"
    r"(?:,\s*online:\s*(?P<online>\d+))?"
)


@dataclass(frozen=True)
class OnuOptics:
    """One row of ``display ont optical-info <port> all``."""

    onu_id: int
    rx_dbm: float | None
    tx_dbm: float | None
    olt_rx_dbm: float | None
    temperature_c: int | None
    voltage_v: float | None
    bias_ma: int | None
    distance_m: int | None


@dataclass(frozen=True)
class ServicePort:
    """One row of ``display service-port``."""

    index: int
    vlan: int
    port: str
    onu_id: int
    gemport: int
    user_vlan: str
    state: str


@dataclass(frozen=True)
class Profile:
    """An ONT line or service profile."""

    profile_id: int
    name: str
    bindings: int


@dataclass(frozen=True)
class WanInterface:
    """One WAN of an ONT (``display ont wan-info``)."""

    index: int
    name: str
    service_type: str
    connection_type: str
    status: str
    access_type: str
    ipv4_address: str
    vlan: int | None
    mac: str


def _line_with(output: str, *values: str, first: str = "") -> str:
    """The first output line (starting with ``first``) holding every value: a row's raw text."""
    for line in clean(output).split("\n"):
        starts = not first or line.split()[:1] == [first]
        if starts and all(value in line for value in values if value):
            return line.strip()
    return " ".join((first, *values)).strip()


def _convert(
    command: str,
    output: str,
    rows: Iterable[dict[str, str]],
    build: Callable[[dict[str, str]], T],
    key: Callable[[dict[str, str]], tuple[str, ...]],
    issues: list[ParseIssue],
) -> list[T]:
    """``build`` each row; a row whose values do not convert becomes an issue.

    ``key`` gives the first word of the row's line ("" if any) and values on it.
    """
    items = []
    for row in rows:
        try:
            items.append(build(row))
        except ValueError as exc:
            first, *values = key(row)
            issues.append(ParseIssue(command, _line_with(output, *values, first=first), str(exc)))
    return items


def _serial(command: str, output: str, text: str, issues: list[ParseIssue], first: str = "") -> str:
    """The canonical serial; a serial that is not GPON's form is kept as printed, reported."""
    if not text.strip():
        raise ValueError("no serial was read for this ONT")
    try:
        return convert.serial(text)
    except ValueError as exc:
        issues.append(ParseIssue(command, _line_with(output, text, first=first), str(exc)))
        return canonical_serial(text)


def _check_totals(command: str, output: str, found: int, issues: list[ParseIssue]) -> None:
    """Compare the rows read with the total the OLT printed under the table."""
    for match in _PORT_TOTAL.finditer(clean(output)):
        if int(match["total"]) != found:
            issues.append(
                ParseIssue(
                    command, match[0], f"the OLT lists {match['total']} ONTs, {found} were read"
                )
            )


def parse_version(command: str, output: str) -> DeviceFacts:
    """``display version`` -> vendor, model and firmware (with patch)."""
    rows, _ = parse(command, output)
    if not rows:
        return DeviceFacts(vendor="Huawei")
    first = rows[0]
    firmware = first["olt_version"] + (f" {first['patch']}" if first["patch"] else "")
    return DeviceFacts(vendor="Huawei", model=first["product"], firmware=firmware)


def parse_boards(command: str, output: str) -> Listing[Board]:
    """``display board 0`` -> the boards present (empty slots left out).

    The template expects the table's columns padded with spaces to the end,
    as SmartAX prints them; transports that trim line ends get them back.
    """
    width = max((len(line) for line in output.splitlines()), default=0)
    padded = "\n".join(
        line.ljust(width) if line.strip() and line.strip()[0].isdigit() else line
        for line in output.splitlines()
    )
    rows, issues = parse(command, padded)
    boards = [
        Board(
            slot=int(row["slot_id"]),
            name=row["boardname"],
            status=row["status"],
            subtype=" ".join(filter(None, (row["subtype_0"], row["subtype_1"]))),
            online=None if not row["online_offline"] else row["online_offline"] == "Online",
        )
        for row in rows
        if row["boardname"]
    ]
    return Listing(boards, issues)


def parse_onu_summary(command: str, output: str, zone: tzinfo = UTC) -> Listing[Onu]:
    """``display ont info summary <f/s/p>`` -> ONUs with status, causes, optics."""
    rows, issues = parse(command, output)

    def build(row: dict[str, str]) -> Onu:
        cause = convert.down_cause(row["last_downcause"])
        rx, tx = optical_dbm(row["rx_power_dbm"]), optical_dbm(row["tx_power_dbm"])
        return Onu(
            port=convert.fsp(row["port"]),
            onu_id=int(row["ont_id"]),
            serial=_serial(command, output, row["serial_number"], issues, row["ont_id"]),
            status=convert.onu_status(row["run_state"], cause),
            last_down_cause=cause,
            last_down_time=convert.olt_time(row["last_downtime"], zone),
            last_up_time=convert.olt_time(row["last_uptime"], zone),
            distance_m=convert.distance(row["distance_m"]),
            rx_dbm=rx,
            tx_dbm=tx,
            type=row["ont_model_type"],
            description=row["description"],
        )

    onus = _convert(
        command, output, rows, build, lambda row: (row["ont_id"], row["run_state"]), issues
    )
    _check_totals(command, output, len(rows), issues)
    return Listing(onus, issues)


def parse_onu_table(command: str, output: str) -> Listing[Onu]:
    """``display ont info <f> <s> <p> all`` -> ONUs with serial, state and description."""
    rows, issues = parse(command, output)

    def build(row: dict[str, str]) -> Onu:
        return Onu(
            port=convert.fsp(row["fsp"]),
            onu_id=int(row["ont_id"]),
            serial=_serial(command, output, row["serial_number"], issues),
            status=convert.onu_status(row["run_state"], control_flag=row["control_flag"]),
            description=row["description"],
        )

    onus = _convert(
        command, output, rows, build, lambda row: ("", row["ont_id"], row["serial_number"]), issues
    )
    _check_totals(command, output, len(rows), issues)
    return Listing(onus, issues)


def parse_onu_detail(command: str, output: str, zone: tzinfo = UTC) -> Listing[Onu]:
    """``display ont info <f> <s> <p> <id>`` (or ``by-sn``) -> that one ONU."""
    rows, issues = parse(command, output)

    def build(row: dict[str, str]) -> Onu:
        cause = convert.down_cause(row["last_down_cause"])
        return Onu(
            port=convert.fsp(row["fsp"]),
            onu_id=int(row["ont_id"]),
            serial=_serial(command, output, row["serial_number"], issues),
            status=convert.onu_status(row["run_state"], cause, row["control_flag"]),
            last_down_cause=cause,
            last_down_time=convert.olt_time(row["last_down_time"], zone),
            last_up_time=convert.olt_time(row["last_up_time"], zone),
            distance_m=convert.distance(row["distance_m"]),
            description=row["description"],
        )

    return Listing(
        _convert(command, output, rows, build, lambda row: ("", row["serial_number"]), issues),
        issues,
    )


def parse_optics(command: str, output: str) -> Listing[OnuOptics]:
    """``display ont optical-info <p> all`` (in ``interface gpon f/s``) -> optics per ONU id."""
    rows, issues = parse(command, output)

    def build(row: dict[str, str]) -> OnuOptics:
        return OnuOptics(
            onu_id=int(row["ont_id"]),
            rx_dbm=optical_dbm(row["rx_power"]),
            tx_dbm=optical_dbm(row["tx_power"]),
            olt_rx_dbm=optical_dbm(row["olt_rx_ont"]),
            temperature_c=_int(row["temperature"]),
            voltage_v=float(row["voltage"]) if row["voltage"] not in ("", "-") else None,
            bias_ma=_int(row["current"]),
            distance_m=convert.distance(row["distance"]),
        )

    return Listing(
        _convert(
            command, output, rows, build, lambda row: (row["ont_id"], row["rx_power"]), issues
        ),
        issues,
    )


def _int(text: str) -> int | None:
    return None if text.strip() in ("", "-") else int(text)


def with_optics(onus: Iterable[Onu], optics: Iterable[OnuOptics]) -> list[Onu]:
    """ONUs of one port with the Rx/Tx/OLT Rx that ``optical-info`` read for them."""
    by_id = {row.onu_id: row for row in optics}
    merged = []
    for onu in onus:
        row = by_id.get(onu.onu_id)
        if row is None:
            merged.append(onu)
            continue
        merged.append(
            replace(
                onu,
                rx_dbm=row.rx_dbm,
                tx_dbm=row.tx_dbm,
                olt_rx_dbm=row.olt_rx_dbm,
                distance_m=row.distance_m if row.distance_m is not None else onu.distance_m,
            )
        )
    return merged


def parse_autofind(command: str, output: str, zone: tzinfo = UTC) -> Listing[UnconfiguredOnu]:
    """``display ont autofind all`` -> ONUs waiting to be authorized."""
    rows, issues = parse(command, output)

    def build(row: dict[str, str]) -> UnconfiguredOnu:
        return UnconfiguredOnu(
            port=convert.fsp(row["fsp"]),
            serial=convert.serial(row["serial_number"]),
            equipment_id=row["ont_equipment_id"],
            vendor_id=row["vendor_id"],
            software_version=row["ont_software_version"],
            hardware_version=row["ont_version"],
            found_at=convert.olt_time(row["ont_autofind_time"], zone),
        )

    return Listing(
        _convert(command, output, rows, build, lambda row: ("", row["serial_number"]), issues),
        issues,
    )


def parse_ont_add(command: str, output: str) -> int | None:
    """The ONT id ``ont add`` assigned, when the firmware prints it."""
    rows, _ = parse(command, output, template_command="ont add")
    for row in rows:
        if row.get("ont_id", "").isdigit() and row.get("success") != "0":
            return int(row["ont_id"])
    return None


def parse_service_ports(command: str, output: str) -> Listing[ServicePort]:
    """``display service-port all`` (or of one port or ONT) -> service ports."""
    rows, issues = parse(command, output, template_command="display service-port all")

    def build(row: dict[str, str]) -> ServicePort:
        return ServicePort(
            index=int(row["index"]),
            vlan=int(row["vlan_id"]),
            port=convert.fsp(row["fsp"]),
            onu_id=int(row["ont_id"]),
            gemport=int(row["gem_index"]),
            user_vlan=row["vlan_access"],
            state=row["state"],
        )

    return Listing(
        _convert(command, output, rows, build, lambda row: (row["index"],), issues), issues
    )


def parse_profiles(command: str, output: str) -> Listing[Profile]:
    """``display ont-lineprofile gpon all`` -> the line profiles."""
    rows, issues = parse(command, output)

    def build(row: dict[str, str]) -> Profile:
        return Profile(int(row["profile_id"]), row["profile_name"], int(row["binding_times"]))

    return Listing(
        _convert(
            command,
            output,
            rows,
            build,
            lambda row: (row["profile_id"], row["profile_name"]),
            issues,
        ),
        issues,
    )


def parse_wan_info(command: str, output: str) -> Listing[WanInterface]:
    """``display ont wan-info <f/s> <p> <id>`` -> the ONT's WAN interfaces."""
    rows, issues = parse(command, output, template_command="display ont wan-info 0/1 0 0")

    def build(row: dict[str, str]) -> WanInterface:
        return WanInterface(
            index=int(row["index"]),
            name=row["name"],
            service_type=row["service_type"],
            connection_type=row["connection_type"],
            status=row["ipv4_connection_status"],
            access_type=row["ipv4_access_type"],
            ipv4_address=row["ipv4_address"],
            vlan=_int(row["manage_vlan"]),
            mac="" if set(row["mac_address"]) <= {"-"} else row["mac_address"],
        )

    return Listing(
        _convert(command, output, rows, build, lambda row: ("", row["name"]), issues), issues
    )


__all__ = [
    "OnuOptics",
    "Profile",
    "ServicePort",
    "WanInterface",
    "parse_autofind",
    "parse_boards",
    "parse_ont_add",
    "parse_onu_detail",
    "parse_onu_summary",
    "parse_onu_table",
    "parse_optics",
    "parse_profiles",
    "parse_service_ports",
    "parse_version",
    "parse_wan_info",
    "with_optics",
]
