"""The one model every OLT driver speaks, whatever the vendor prints.

Drivers turn their vendor's CLI text and SNMP values into these classes; the
collectors, the API and the signal matrix read nothing else. Every value an
OLT can print as "no reading" (``-``, ``N/A``, 2147483647, ...) becomes None
here, and a row a parser could not read becomes a :class:`ParseIssue` that
travels with the result instead of disappearing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Generic, Literal, Protocol, TypeVar, overload

from rjchronos.serials import normalise_gpon_serial

T = TypeVar("T")


class OnuStatus(StrEnum):
    """Where an ONU is in its life on the PON."""

    ONLINE = "online"
    LOS = "los"
    DYING_GASP = "dying_gasp"
    OFFLINE = "offline"
    AUTH_FAILED = "auth_failed"
    SYNCING = "syncing"
    UNKNOWN = "unknown"


#: Values OLTs print or return for "no optical reading".
NO_READING_NUMBERS = frozenset({2147483647, -2147483648, 65535, 65535000})
NO_READING_TEXTS = frozenset({"", "-", "--", "N/A", "NA", "NONE", "INVALID"})


def optical_dbm(value: str | float | None) -> float | None:
    """A power reading in dBm, or None for an OLT's "no reading" sentinels.

    Accepts numbers and text such as ``-21.307``, ``-21.307(dbm)``, ``N/A``
    or ``-``. Raises :class:`ValueError` for text that is neither.
    """
    if value is None:
        return None
    if isinstance(value, int | float):
        return None if value in NO_READING_NUMBERS else float(value)
    text = value.strip()
    if text.upper() in NO_READING_TEXTS:
        return None
    number = float(re.sub(r"\s*\(?dbm\)?$", "", text, flags=re.IGNORECASE))
    return None if number in NO_READING_NUMBERS else number


@dataclass(frozen=True)
class ParseIssue:
    """A line a parser could not read, kept verbatim with the reason."""

    command: str
    raw: str
    reason: str


class Listing(Sequence[T], Generic[T]):
    """What a read returns: the items it understood and the issues it met."""

    def __init__(self, items: Sequence[T] = (), issues: Sequence[ParseIssue] = ()) -> None:
        self.items: tuple[T, ...] = tuple(items)
        self.issues: tuple[ParseIssue, ...] = tuple(issues)

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[T]: ...
    def __getitem__(self, index: int | slice) -> T | Sequence[T]:
        return self.items[index]

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __repr__(self) -> str:
        return f"Listing({len(self.items)} items, {len(self.issues)} issues)"


@dataclass(frozen=True)
class Board:
    """A card in an OLT slot."""

    slot: int
    name: str
    status: str
    frame: int = 0
    subtype: str = ""
    online: bool | None = None


@dataclass(frozen=True)
class PonPort:
    """A PON port of an OLT, addressed ``frame/slot/port``."""

    frame: int
    slot: int
    port: int
    admin_up: bool | None = None
    oper_up: bool | None = None
    onu_count: int | None = None
    online_count: int | None = None
    tx_dbm: float | None = None
    rx_dbm: float | None = None

    @property
    def name(self) -> str:
        return f"{self.frame}/{self.slot}/{self.port}"


@dataclass(frozen=True)
class Inventory:
    """Boards and PON ports of one OLT."""

    boards: tuple[Board, ...] = ()
    pon_ports: tuple[PonPort, ...] = ()
    issues: tuple[ParseIssue, ...] = ()


@dataclass(frozen=True)
class Onu:
    """An authorized ONU as the OLT sees it."""

    port: str
    onu_id: int
    serial: str
    status: OnuStatus = OnuStatus.UNKNOWN
    last_down_cause: str | None = None
    last_down_time: datetime | None = None
    last_up_time: datetime | None = None
    distance_m: int | None = None
    rx_dbm: float | None = None
    tx_dbm: float | None = None
    olt_rx_dbm: float | None = None
    type: str = ""
    name: str = ""
    description: str = ""


@dataclass(frozen=True)
class UnconfiguredOnu:
    """An ONU the OLT has found on a port but not authorized."""

    port: str
    serial: str
    equipment_id: str = ""
    vendor_id: str = ""
    software_version: str = ""
    hardware_version: str = ""
    found_at: datetime | None = None


class InvalidRequest(ValueError):
    """A write request that cannot be sent; ``field`` names the culprit."""

    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(f"{field_name}: {reason}")
        self.field = field_name
        self.reason = reason


def _check_vlan(name: str, value: int | None) -> None:
    if value is not None and not 1 <= value <= 4094:
        raise InvalidRequest(name, f"VLAN {value} is outside 1-4094")


@dataclass(frozen=True)
class AuthorizeRequest:
    """What authorizing one ONU needs; validated on construction.

    ``vlan`` None means the port's default VLAN (the driver's
    ``default_vlan``). ``svlan`` with ``cvlan`` asks for a QinQ service
    (tag transform ``translate-and-add``). ``acs_profile`` names a TR-069
    profile stored on the OLT, for OLTs that push ACS settings by profile.
    """

    port: str
    serial: str
    onu_id: int | None = None
    onu_type: str = ""
    line_profile: str = ""
    service_profile: str = ""
    mode: Literal["routing", "bridging"] = "routing"
    vlan: int | None = None
    cvlan: int | None = None
    svlan: int | None = None
    tag_transform: Literal["translate", "translate-and-add", "transparent"] = "translate"
    upload_profile: str = ""
    download_profile: str = ""
    wan_mode: Literal["pppoe", "dhcp", "none"] = "none"
    pppoe_username: str = ""
    pppoe_password: str = ""
    acs_url: str = ""
    acs_username: str = ""
    acs_password: str = ""
    acs_profile: str = ""
    name: str = ""
    description: str = ""

    def __post_init__(self) -> None:
        if not re.fullmatch(r"\d+/\d+/\d+", self.port):
            raise InvalidRequest("port", f"{self.port!r} is not frame/slot/port")
        try:
            object.__setattr__(self, "serial", normalise_gpon_serial(self.serial))
        except ValueError as exc:
            raise InvalidRequest("serial", str(exc)) from exc
        if self.onu_id is not None and not 0 <= self.onu_id <= 255:
            raise InvalidRequest("onu_id", f"{self.onu_id} is outside 0-255")
        if not (self.onu_type or (self.line_profile and self.service_profile)):
            raise InvalidRequest("onu_type", "give an ONU type or a line and a service profile")
        if self.mode not in ("routing", "bridging"):
            raise InvalidRequest("mode", f"{self.mode!r} is not routing or bridging")
        for name in ("vlan", "cvlan", "svlan"):
            _check_vlan(name, getattr(self, name))
        if self.svlan is not None and self.cvlan is None:
            raise InvalidRequest("cvlan", "an S-VLAN needs the C-VLAN it carries")
        if self.wan_mode == "pppoe" and not (self.pppoe_username and self.pppoe_password):
            raise InvalidRequest("pppoe_username", "PPPoE needs a username and a password")
        if self.wan_mode not in ("pppoe", "dhcp", "none"):
            raise InvalidRequest("wan_mode", f"{self.wan_mode!r} is not pppoe, dhcp or none")
        if self.acs_url and not re.match(r"https?://", self.acs_url):
            raise InvalidRequest("acs_url", f"{self.acs_url!r} is not an http(s) URL")
        if any('"' in text for text in (self.name, self.description)):
            raise InvalidRequest("description", "double quotes cannot be sent to the OLT")

    @property
    def frame_slot_port(self) -> tuple[int, int, int]:
        frame, slot, port = (int(part) for part in self.port.split("/"))
        return frame, slot, port


_PASSWORD = re.compile(r"(password\s+)\S+", re.IGNORECASE)


@dataclass(frozen=True)
class CliStep:
    """One command and the CLI mode it runs in.

    ``mode`` is the path of commands that enter it from privileged exec:
    ``()``, ``("config",)``, ``("config", "interface gpon 0/1")``.
    ``secret`` marks a step whose text holds a password.
    """

    mode: tuple[str, ...]
    command: str
    secret: bool = False
    #: How a secret step is shown when its password is not introduced by ``password``.
    masked: str = ""

    @property
    def shown(self) -> str:
        """The command as logs and audit records may show it: passwords masked."""
        if not self.secret:
            return self.command
        if self.masked:
            return self.masked
        return _PASSWORD.sub(r"\1********", self.command)

    def __repr__(self) -> str:
        return f"CliStep({self.mode!r}, {self.shown!r}, secret={self.secret})"


_FILE_NAME = re.compile(r"[\w.\-/]{1,128}")
_HOST = re.compile(r"[\w.\-:]{1,255}")
_CREDENTIAL = re.compile(r"[^\s\"']{1,64}")


@dataclass(frozen=True)
class FirmwareUpgrade:
    """Load a firmware file onto ONUs through the OLT (OMCI), from a file server the OLT reaches.

    ``targets`` are ``(port, onu_id)`` pairs. Values go into CLI lines, so
    each is checked against a strict pattern: no spaces or quotes.
    """

    file: str
    server: str
    targets: tuple[tuple[str, int], ...]
    protocol: Literal["ftp", "tftp", "sftp"] = "ftp"
    username: str = ""
    password: str = ""
    activate: Literal["immediate", "next-startup"] = "immediate"

    def __post_init__(self) -> None:
        if not _FILE_NAME.fullmatch(self.file):
            raise InvalidRequest("file", "letters, digits, '.', '-', '_' and '/' only")
        if not _HOST.fullmatch(self.server):
            raise InvalidRequest("server", f"{self.server!r} is not a host name or address")
        if self.protocol not in ("ftp", "tftp", "sftp"):
            raise InvalidRequest("protocol", f"{self.protocol!r} is not ftp, tftp or sftp")
        if self.protocol != "tftp" and not (
            _CREDENTIAL.fullmatch(self.username) and _CREDENTIAL.fullmatch(self.password)
        ):
            raise InvalidRequest("username", f"{self.protocol} needs a username and a password")
        if self.activate not in ("immediate", "next-startup"):
            raise InvalidRequest("activate", f"{self.activate!r} is not immediate or next-startup")
        if not self.targets:
            raise InvalidRequest("targets", "no ONU to upgrade")
        for port, onu_id in self.targets:
            if not re.fullmatch(r"\d+/\d+/\d+", port) or onu_id < 0:
                raise InvalidRequest("targets", f"{port}:{onu_id} is not frame/slot/port and id")


@dataclass(frozen=True)
class WriteResult:
    """What a write did: every step applied, the first that failed and why.

    ``outputs`` holds what the OLT printed for each applied step.
    """

    applied: tuple[CliStep, ...] = ()
    failed: CliStep | None = None
    error: str = ""
    not_run: tuple[CliStep, ...] = field(default=())
    outputs: tuple[str, ...] = field(default=(), repr=False)

    @property
    def ok(self) -> bool:
        return self.failed is None


class OltCommandError(RuntimeError):
    """The OLT refused a read command; carries the command and the OLT's text."""

    def __init__(self, host: str, command: str, error: str) -> None:
        super().__init__(f"OLT {host} refused {command!r}: {error}")
        self.command = command
        self.error = error


class OltConnectionError(ConnectionError):
    """An OLT could not be reached or logged into, or stopped answering.

    ``host`` names the OLT (``address:port``); ``problem`` says what went wrong.
    """

    def __init__(self, host: str, problem: str) -> None:
        super().__init__(f"OLT {host}: {problem}")
        self.host = host
        self.problem = problem


class CliSession(Protocol):
    """A privileged CLI session on one OLT (the transport lives in the driver's plugin)."""

    async def send(self, line: str) -> str:
        """Send one line, wait for the prompt, return what the OLT printed."""


def _transitions(
    current: tuple[str, ...], wanted: tuple[str, ...], leave: str
) -> list[tuple[str, tuple[str, ...]]]:
    """Each line that moves a CLI from ``current`` towards ``wanted``, with the mode it reaches."""
    shared = 0
    while shared < min(len(current), len(wanted)) and current[shared] == wanted[shared]:
        shared += 1
    moves = [(leave, current[:depth]) for depth in range(len(current) - 1, shared - 1, -1)]
    return moves + [(wanted[depth], wanted[: depth + 1]) for depth in range(shared, len(wanted))]


def mode_changes(current: tuple[str, ...], wanted: tuple[str, ...], leave: str) -> list[str]:
    """The lines that move a CLI from mode ``current`` to mode ``wanted``."""
    return [line for line, _ in _transitions(current, wanted, leave)]


def script(steps: Sequence[CliStep], leave: str) -> list[str]:
    """The lines an operator would type for ``steps``, ending back in privileged exec."""
    lines: list[str] = []
    mode: tuple[str, ...] = ()
    for step in steps:
        lines += mode_changes(mode, step.mode, leave)
        lines.append(step.command)
        mode = step.mode
    return lines + mode_changes(mode, (), leave)


async def read(
    session: CliSession,
    mode: tuple[str, ...],
    command: str,
    *,
    leave: str,
    error: re.Pattern[str],
    host: str = "?",
) -> str:
    """Run one read ``command`` in ``mode`` and return its output.

    Raises :class:`OltCommandError` when the OLT refuses the command or the mode.
    """
    result = await apply_steps(session, [CliStep(mode, command)], leave=leave, error=error)
    if not result.ok:
        raise OltCommandError(host, command, result.error)
    return result.outputs[-1]


async def apply_steps(
    session: CliSession,
    steps: Sequence[CliStep],
    *,
    leave: str,
    error: re.Pattern[str],
) -> WriteResult:
    """Run ``steps`` in order and stop at the first output that matches ``error``.

    A failed mode change fails the step it leads to. The session is left in
    privileged exec whatever happened, so the next write starts clean.
    """
    applied: list[CliStep] = []
    outputs: list[str] = []
    mode: tuple[str, ...] = ()
    try:
        for index, step in enumerate(steps):
            lines = [*_transitions(mode, step.mode, leave), (step.command, step.mode)]
            for line, reached in lines:
                output = await session.send(line)
                if found := error.search(output):
                    text = output[found.start() :].strip()
                    rest = tuple(steps[index + 1 :])
                    return WriteResult(tuple(applied), step, text, rest, tuple(outputs))
                mode = reached
            applied.append(step)
            outputs.append(output)
        return WriteResult(tuple(applied), outputs=tuple(outputs))
    finally:
        for line in mode_changes(mode, (), leave):
            await session.send(line)
