"""SmartAX CLI values in the common model: the one place each spelling is read.

Every function raises :class:`ValueError` for text it does not know, so the
parser reports the row instead of guessing.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo

from rjchronos.drivers.olt_model import OnuStatus, optical_dbm
from rjchronos.serials import normalise_gpon_serial

#: Last down causes as SmartAX prints them (also cut short in narrow tables).
DOWN_CAUSES = {
    "los": "los",
    "losi/lobi": "los",
    "losi": "los",
    "lobi": "los",
    "lofi": "lof",
    "lof": "lof",
    "sfi": "signal_fail",
    "loami": "loam",
    "loam": "loam",
    "lcdgi": "lcdg",
    "dying-gasp": "dying_gasp",
    "dgi": "dying_gasp",
    "dying gasp": "dying_gasp",
    "deactivated": "deactivated",
    "deactive ont": "deactivated",
    "ont is reset by ont command": "reset",
    "ring": "ring",
    "ont is removed": "removed",
    "sufi": "start_up_failure",
    "tiwi": "transmission_interference",
}

_NONE = frozenset({"", "-"})


def down_cause(text: str) -> str | None:
    """``LOSi/LOBi`` -> ``los``; ``dying-gasp`` -> ``dying_gasp``; ``-`` -> None."""
    key = " ".join(text.split()).lower()
    if key in _NONE:
        return None
    if key in DOWN_CAUSES:
        return DOWN_CAUSES[key]
    # Summary tables cut long causes at the column's edge ("ONT is reset by ONT comma").
    for spelling, cause in DOWN_CAUSES.items():
        if len(key) >= 12 and spelling.startswith(key):
            return cause
    raise ValueError(f"unknown last down cause {text!r}")


def onu_status(run_state: str, cause: str | None = None, control_flag: str = "active") -> OnuStatus:
    """Run state (and, when offline, the last down cause) -> the common status."""
    state = run_state.strip().lower()
    if control_flag.strip().lower() == "deactive":
        return OnuStatus.OFFLINE
    if state == "online":
        return OnuStatus.ONLINE
    if state == "offline":
        return {"los": OnuStatus.LOS, "dying_gasp": OnuStatus.DYING_GASP}.get(
            cause or "", OnuStatus.OFFLINE
        )
    if state in _NONE:
        return OnuStatus.UNKNOWN
    raise ValueError(f"unknown run state {run_state!r}")


_ISO = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})\s+(\d{1,2}):(\d{2}):(\d{2})(?:([+-]\d{2}):(\d{2}))?"
)
_SLASHED = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})\s+(\d{1,2}):(\d{2}):(\d{2})")


def olt_time(text: str, zone: tzinfo = UTC) -> datetime | None:
    """``2023-01-05 08:56:12+08:00``, ``2000-01-01 00:00:00``, ``1/1/2000 00:00:00`` or ``-``.

    Times without an offset are in ``zone`` (the OLT's clock). Slashed dates
    are month first unless the first number is above 12.
    """
    text = text.strip()
    if text in _NONE:
        return None
    if found := _ISO.fullmatch(text):
        year, month, day, hour, minute, second = (int(v) for v in found.groups()[:6])
        if found[7]:
            sign = -1 if found[7].startswith("-") else 1
            offset = sign * (abs(int(found[7])) * 60 + int(found[8]))
            zone = timezone(timedelta(minutes=offset))
        return datetime(year, month, day, hour, minute, second, tzinfo=zone)
    if found := _SLASHED.fullmatch(text):
        first, second_, year, hour, minute, second = (int(v) for v in found.groups())
        month, day = (second_, first) if first > 12 else (first, second_)
        return datetime(year, month, day, hour, minute, second, tzinfo=zone)
    raise ValueError(f"unknown time {text!r}")


_PARENTHESISED = re.compile(r"\(([^)]+)\)")


def serial(text: str) -> str:
    """``4857544311E70E9A``, ``HWTC-11E70E9A`` or ``48575443... (HWTC-11E70E9A)`` -> canonical."""
    if found := _PARENTHESISED.search(text):
        text = found[1]
    return normalise_gpon_serial(text)


def distance(text: str) -> int | None:
    """Metres, or None for ``-``."""
    return None if text.strip() in _NONE else int(text)


def optics_pair(text: str) -> tuple[float | None, float | None]:
    """``-22.84/2.12`` or ``-/-`` -> (Rx, Tx) in dBm."""
    rx, _, tx = text.strip().partition("/")
    return optical_dbm(rx), optical_dbm(tx)


def fsp(text: str) -> str:
    """``0/ 1/0`` or ``0/1 /0`` -> ``0/1/0``."""
    parts = [part.strip() for part in text.split("/")]
    if len(parts) != 3 or not all(part.isdigit() for part in parts):
        raise ValueError(f"{text!r} is not frame/slot/port")
    return "/".join(str(int(part)) for part in parts)
