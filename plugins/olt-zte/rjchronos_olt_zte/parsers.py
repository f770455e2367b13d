"""ZXAN command outputs -> the common model.

Each parser walks the output line by line: a line is a heading, a rule, a
footer, a row it reads, or an issue with the raw text. Nothing is skipped
without being recognised.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, tzinfo
from typing import TypeVar

from rjchronos.drivers.olt_model import (
    Board,
    Listing,
    Onu,
    ParseIssue,
    UnconfiguredOnu,
)
from rjchronos.serials import canonical_serial, normalise_gpon_serial
from rjchronos_olt_zte import convert

T = TypeVar("T")

_RULE = re.compile(r"^\s*-{5,}\s*$")
_NO_INFORMATION = re.compile(r"No related information to show", re.IGNORECASE)
_ONU_NUMBER = re.compile(r"^\s*ONU Number:\s*(?P<online>\d+)/(?P<total>\d+)\s*$")


@dataclass(frozen=True)
class Attenuation:
    """``show pon power attenuation <onu>``: both directions of one ONU's link."""

    olt_rx_dbm: float | None
    onu_tx_dbm: float | None
    upstream_db: float | None
    olt_tx_dbm: float | None
    onu_rx_dbm: float | None
    downstream_db: float | None


@dataclass(frozen=True)
class OnuRx:
    """One row of ``show pon power onu-rx <port>``."""

    port: str
    onu_id: int
    rx_dbm: float | None


def _lines(output: str) -> list[str]:
    return [line.rstrip() for line in output.replace("\r", "").split("\n")]


def _walk(
    command: str,
    output: str,
    heading: re.Pattern[str],
    read: Callable[[str], T | None],
) -> tuple[list[T], list[ParseIssue]]:
    """Read every row line; headings, rules, blanks and footers (``read`` -> None) pass."""
    items: list[T] = []
    issues: list[ParseIssue] = []
    for line in _lines(output):
        if not line.strip() or _RULE.match(line) or heading.match(line):
            continue
        try:
            item = read(line)
        except ValueError as exc:
            issues.append(ParseIssue(command, line.strip(), str(exc)))
            continue
        if item is not None:
            items.append(item)
    return items, issues


_STATE_HEADING = re.compile(r"^\s*OnuIndex\s+Admin\s+State", re.IGNORECASE)


def parse_onu_state(command: str, output: str) -> Listing[Onu]:
    """``show gpon onu state [port]``: the C320 V2 (``Channel``), V1 (``O7 State``) and
    C600 (``Speed mode``) layouts."""
    header = next((line for line in _lines(output) if _STATE_HEADING.match(line)), "")
    if not header:
        return Listing((), [ParseIssue(command, output.strip()[:200], "no ONU state table")])
    has_o7 = "o7 state" in header.lower()
    phase_column = 4 if has_o7 else 3
    counted: dict[str, int] = {}

    def read(line: str) -> Onu | None:
        if footer := _ONU_NUMBER.match(line):
            counted.update(online=int(footer["online"]), total=int(footer["total"]))
            return None
        fields = line.split()
        if len(fields) not in (phase_column + 1, phase_column + 2):
            raise ValueError(f"expected {phase_column + 1} or {phase_column + 2} columns")
        port, onu_id = convert.onu_interface(fields[0])
        return Onu(port=port, onu_id=onu_id, serial="", status=convert.phase(fields[phase_column]))

    onus, issues = _walk(command, output, _STATE_HEADING, read)
    if counted and counted["total"] != len(onus) + len(issues):
        issues.append(
            ParseIssue(
                command,
                f"ONU Number: {counted['online']}/{counted['total']}",
                f"the OLT lists {counted['total']} ONUs, {len(onus) + len(issues)} rows were seen",
            )
        )
    return Listing(onus, issues)


_UNCFG_HEADING = re.compile(r"^\s*OnuIndex\s+Sn\s+State", re.IGNORECASE)


def parse_uncfg(command: str, output: str) -> Listing[UnconfiguredOnu]:
    """``show gpon onu uncfg [port]``; "No related information to show" is an empty list."""
    if _NO_INFORMATION.search(output):
        return Listing()

    def read(line: str) -> UnconfiguredOnu:
        fields = line.split()
        if len(fields) != 3:
            raise ValueError("expected OnuIndex, Sn and State")
        port, _ = convert.onu_interface(fields[0])
        return UnconfiguredOnu(port=port, serial=normalise_gpon_serial(fields[1]))

    return Listing(*_walk(command, output, _UNCFG_HEADING, read))


_ATTENUATION_HEADING = re.compile(r"^\s*OLT\s+ONU\s+Attenuation\s*$")
_POWER = r"(-?\d+(?:\.\d+)?\(dbm\)|N/A)"
_ATTENUATION_ROW = re.compile(
    rf"^\s*(?P<way>up|down)\s+(?:Rx|Tx)\s*:\s*{_POWER}\s+(?:Tx|Rx)\s*:\s*{_POWER}"
    r"\s+(?P<db>-?\d+(?:\.\d+)?\(dB\)|N/A)\s*$",
    re.IGNORECASE,
)


def parse_attenuation(command: str, output: str) -> Listing[Attenuation]:
    """``show pon power attenuation <onu>``: one item (none if both rows are missing)."""
    seen: dict[str, tuple[float | None, float | None, float | None]] = {}

    def read(line: str) -> None:
        found = _ATTENUATION_ROW.match(line)
        if not found:
            raise ValueError("not an up or down power row")
        seen[found["way"].lower()] = (
            convert.dbm(found[2]),
            convert.dbm(found[3]),
            convert.dbm(found["db"]),
        )

    _, issues = _walk(command, output, _ATTENUATION_HEADING, read)
    if not seen:
        return Listing((), issues)
    olt_rx, onu_tx, up_db = seen.get("up", (None, None, None))
    olt_tx, onu_rx, down_db = seen.get("down", (None, None, None))
    return Listing([Attenuation(olt_rx, onu_tx, up_db, olt_tx, onu_rx, down_db)], issues)


_ONU_RX_HEADING = re.compile(r"^\s*Onu\s+Rx power\s*$", re.IGNORECASE)


def parse_onu_rx(command: str, output: str) -> Listing[OnuRx]:
    """``show pon power onu-rx <port>``: ONU Rx per ONU, ``N/A`` when offline."""

    def read(line: str) -> OnuRx:
        fields = line.split()
        if len(fields) != 2:
            raise ValueError("expected Onu and Rx power")
        port, onu_id = convert.onu_interface(fields[0])
        return OnuRx(port, onu_id, convert.dbm(fields[1]))

    return Listing(*_walk(command, output, _ONU_RX_HEADING, read))


def with_rx(onus: Listing[Onu], readings: Listing[OnuRx]) -> Listing[Onu]:
    """ONUs with the Rx that ``onu-rx`` read for them; issues of both kept."""
    by_onu = {(row.port, row.onu_id): row.rx_dbm for row in readings}
    merged = [replace(onu, rx_dbm=by_onu.get((onu.port, onu.onu_id), onu.rx_dbm)) for onu in onus]
    return Listing(merged, [*onus.issues, *readings.issues])


_HISTORY_HEADING = re.compile(r"^\s*Authpass Time\s+OfflineTime\s+Cause\s*$")
_HISTORY_ROW = re.compile(
    r"^\s*\d+\s+(?P<up>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})"
    r"\s+(?P<down>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})(?:\s+(?P<cause>\S+))?\s*$"
)
_FIELD = re.compile(r"^\s*(?P<key>[A-Za-z0-9+ ]+?):\s*(?P<value>.*?)\s*$")


def parse_detail(command: str, output: str, zone: tzinfo = UTC) -> Listing[Onu]:
    """``show gpon onu detail-info <onu>``: the ONU with distance and last down cause/time."""
    fields: dict[str, str] = {}
    history: list[tuple[str, str, str]] = []
    issues: list[ParseIssue] = []
    for line in _lines(output):
        if not line.strip() or _RULE.match(line) or _HISTORY_HEADING.match(line):
            continue
        if found := _HISTORY_ROW.match(line):
            history.append((found["up"], found["down"], found["cause"] or ""))
        elif found := _FIELD.match(line):
            fields[found["key"].strip().lower()] = found["value"]
        else:
            issues.append(ParseIssue(command, line.strip(), "not a field or a history row"))
    try:
        port, onu_id = convert.onu_interface(fields.get("onu interface", ""))
        downs: list[tuple[datetime, str]] = []
        for _, down, cause in history:
            when = convert.olt_time(down, zone)
            if when is not None and cause.strip():
                downs.append((when, cause))
        last_down, last_cause = max(downs) if downs else (None, "")
        ups = [convert.olt_time(up, zone) for up, _, _ in history]
        onu = Onu(
            port=port,
            onu_id=onu_id,
            serial=canonical_serial(fields.get("serial number", "")),
            status=convert.phase(fields.get("phase state", "")),
            last_down_cause=convert.cause(last_cause),
            last_down_time=last_down,
            last_up_time=max((up for up in ups if up is not None), default=None),
            distance_m=convert.distance(fields.get("onu distance", "")),
            type=fields.get("type", ""),
            name=fields.get("name", ""),
            description=fields.get("description", ""),
        )
    except ValueError as exc:
        return Listing((), [*issues, ParseIssue(command, output.strip()[:500], str(exc))])
    return Listing([onu], issues)


_CARD_HEADING = re.compile(r"^\s*Rack\s+Shelf\s+Slot\s+CfgType", re.IGNORECASE)


def parse_cards(command: str, output: str) -> Listing[Board]:
    """``show card``: every configured slot, with the card in it (if any) and its status."""

    def read(line: str) -> Board:
        fields = line.split()
        if len(fields) < 5 or not all(part.isdigit() for part in fields[:3]):
            raise ValueError("expected Rack Shelf Slot CfgType ... Status")
        real = fields[4] if len(fields) >= 8 else ""
        return Board(
            slot=int(fields[2]),
            frame=int(fields[1]),
            name=real or fields[3],
            status=fields[-1],
            subtype=fields[3],
            online=bool(real) and fields[-1].upper() in {"INSERVICE", "STANDBY"},
        )

    return Listing(*_walk(command, output, _CARD_HEADING, read))


_SEARCH_HEADING = re.compile(r"^\s*SearchResult\s*$", re.IGNORECASE)


def parse_by_sn(command: str, output: str) -> Listing[tuple[str, int]]:
    """``show gpon onu by sn <SN>``: the (port, ONU id) that holds the serial, if any."""
    if _NO_INFORMATION.search(output):
        return Listing()
    return Listing(*_walk(command, output, _SEARCH_HEADING, convert.onu_interface))


_ONU_LINE = re.compile(r"^\s*onu\s+(?P<id>\d+)\s+type\s+(?P<type>\S+)\s+sn\s+(?P<sn>\S+)\s*$")
_INTERFACE_LINE = re.compile(r"^\s*interface\s+(?P<port>gpon[-_]olt[-_]\S+)\s*$")


def parse_olt_running_config(command: str, output: str) -> Listing[Onu]:
    """``show running-config interface gpon-olt_1/s/p``: each ONU's id, type and serial.

    Only the ``onu ... type ... sn ...`` lines are read; a line that starts
    with ``onu`` but does not read is reported.
    """
    port = ""
    onus: list[Onu] = []
    issues: list[ParseIssue] = []
    for line in _lines(output):
        if found := _INTERFACE_LINE.match(line):
            port = "/".join(str(part) for part in convert.olt_port(found["port"]))
        elif line.strip().startswith("onu "):
            found = _ONU_LINE.match(line)
            if not found or not port:
                issues.append(ParseIssue(command, line.strip(), "not an onu type sn line"))
                continue
            try:
                serial = normalise_gpon_serial(found["sn"])
            except ValueError as exc:
                issues.append(ParseIssue(command, line.strip(), str(exc)))
                continue
            onus.append(Onu(port=port, onu_id=int(found["id"]), serial=serial, type=found["type"]))
    return Listing(onus, issues)


def with_identity(states: Listing[Onu], configured: Listing[Onu]) -> Listing[Onu]:
    """State rows with the serial and type the running configuration gives each ONU."""
    by_onu = {(onu.port, onu.onu_id): onu for onu in configured}
    merged = []
    for onu in states:
        known = by_onu.get((onu.port, onu.onu_id))
        merged.append(replace(onu, serial=known.serial, type=known.type) if known else onu)
    return Listing(merged, [*states.issues, *configured.issues])
