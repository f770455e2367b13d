"""ZXAN/TITAN CLI values in the common model: the one place each spelling is read.

Every function raises :class:`ValueError` for text it does not know, so the
parser reports the row instead of guessing.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo

from rjchronos.drivers.olt_model import OnuStatus

#: ``Phase State`` values (C300/C320/C600) in the common status.
PHASES = {
    "working": OnuStatus.ONLINE,
    "los": OnuStatus.LOS,
    "dyinggasp": OnuStatus.DYING_GASP,
    "offline": OnuStatus.OFFLINE,
    "syncmib": OnuStatus.SYNCING,
    "logging": OnuStatus.SYNCING,
    "authfailed": OnuStatus.AUTH_FAILED,
    "unknown": OnuStatus.UNKNOWN,
}

#: ``Cause`` column of the up/down history in the common vocabulary.
CAUSES = {
    "los": "los",
    "losi": "los",
    "lofi": "lof",
    "dyinggasp": "dying_gasp",
    "offline": "offline",
    "authfailed": "auth_failed",
    "deactivate": "deactivated",
    "reboot": "reset",
}

_ONU = re.compile(r"(?:gpon[-_]onu[-_])?(?P<rack>\d+)/(?P<slot>\d+)/(?P<port>\d+):(?P<onu>\d+)")
_OLT = re.compile(r"(?:gpon[-_]olt[-_])?(?P<rack>\d+)/(?P<slot>\d+)/(?P<port>\d+)")


def phase(text: str) -> OnuStatus:
    """``working`` -> online, ``DyingGasp`` -> dying_gasp, ``syncMib`` -> syncing..."""
    key = text.strip().lower()
    if key not in PHASES:
        raise ValueError(f"unknown phase state {text!r}")
    return PHASES[key]


def cause(text: str) -> str | None:
    """A history ``Cause`` -> common cause; empty -> None."""
    key = text.strip().lower()
    if not key:
        return None
    if key not in CAUSES:
        raise ValueError(f"unknown down cause {text!r}")
    return CAUSES[key]


def onu_interface(text: str) -> tuple[str, int]:
    """``gpon-onu_1/2/1:5``, ``gpon_onu-1/2/1:5`` or ``1/2/1:5`` -> (``1/2/1``, 5)."""
    found = _ONU.fullmatch(text.strip())
    if not found:
        raise ValueError(f"{text!r} is not an ONU interface")
    return f"{found['rack']}/{found['slot']}/{found['port']}", int(found["onu"])


def olt_port(text: str) -> tuple[int, int, int]:
    """``gpon-olt_1/2/1``, ``gpon_olt-1/2/1`` or ``1/2/1`` -> (1, 2, 1)."""
    found = _OLT.fullmatch(text.strip())
    if not found:
        raise ValueError(f"{text!r} is not a PON port")
    return int(found["rack"]), int(found["slot"]), int(found["port"])


def dbm(text: str) -> float | None:
    """``-18.955(dbm)`` -> -18.955; ``N/A`` -> None."""
    value = text.strip()
    if value.upper() in {"N/A", "-", "--", ""}:
        return None
    found = re.fullmatch(r"(-?\d+(?:\.\d+)?)\s*\((?:dbm|dB)\)", value, re.IGNORECASE)
    if not found:
        raise ValueError(f"{text!r} is not a power reading")
    return float(found[1])


def distance(text: str) -> int | None:
    """``1235m`` -> 1235; ``N/A`` -> None."""
    value = text.strip()
    if value.upper() in {"N/A", "-", ""}:
        return None
    found = re.fullmatch(r"(\d+)\s*m", value)
    if not found:
        raise ValueError(f"{text!r} is not a distance")
    return int(found[1])


def olt_time(text: str, zone: tzinfo = UTC) -> datetime | None:
    """``2026-01-07 22:01:40`` in the OLT's zone; ``0000-00-00 00:00:00`` -> None."""
    value = text.strip()
    if not value or value.startswith("0000-00-00"):
        return None
    return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=zone)
