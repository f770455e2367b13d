"""Checking values written to a parameter, and values that drift by themselves."""

from __future__ import annotations

import base64
import binascii
import math
import zlib
from datetime import datetime

from rjchronos_sdk.sim.cpe.datamodel import ParamDef
from rjchronos_sdk.sim.cpe.soap import CwmpFault

_INTEGER_BOUNDS = {
    "unsignedInt": (0, 2**32 - 1),
    "int": (-(2**31), 2**31 - 1),
    "unsignedLong": (0, 2**64 - 1),
    "long": (-(2**63), 2**63 - 1),
}


def check_value(definition: ParamDef, value: str, sent_type: str | None) -> str:
    """Return ``value`` in canonical form or raise the 9006/9007 fault it deserves."""
    if sent_type is not None and sent_type != definition.type:
        raise CwmpFault(9006, f"expected xsd:{definition.type}, got xsd:{sent_type}")
    kind = definition.type
    if kind == "boolean":
        lowered = value.strip().lower()
        if lowered in ("true", "1"):
            return "true"
        if lowered in ("false", "0"):
            return "false"
        raise CwmpFault(9007, "not a boolean")
    if kind in _INTEGER_BOUNDS:
        try:
            number = int(value.strip())
        except ValueError:
            raise CwmpFault(9007, "not an integer") from None
        low, high = _INTEGER_BOUNDS[kind]
        low = definition.minimum if definition.minimum is not None else low
        high = definition.maximum if definition.maximum is not None else high
        if not low <= number <= high:
            raise CwmpFault(9007, f"out of range {low}..{high}")
        return str(number)
    if kind == "dateTime":
        try:
            datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise CwmpFault(9007, "not a dateTime") from None
        return value.strip()
    if kind == "base64":
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise CwmpFault(9007, "not base64") from None
        return value
    if kind == "hexBinary":
        try:
            bytes.fromhex(value)
        except ValueError:
            raise CwmpFault(9007, "not hexBinary") from None
        return value
    if kind == "decimal":
        try:
            float(value)
        except ValueError:
            raise CwmpFault(9007, "not a decimal") from None
        return value
    if definition.max_length is not None and len(value) > definition.max_length:
        raise CwmpFault(9007, f"longer than {definition.max_length}")
    if definition.writable_values and value not in definition.writable_values:
        raise CwmpFault(9007, f"not one of {', '.join(definition.writable_values)}")
    return value


def noise(key: str, moment: float, period: float = 60.0) -> float:
    """A repeatable value in [-1, 1] that wanders smoothly with time."""
    phase = (zlib.crc32(key.encode()) % 1000) / 1000 * 2 * math.pi
    slow = math.sin(moment / period + phase)
    fast = math.sin(moment / (period / 7) + 2 * phase)
    return max(-1.0, min(1.0, 0.7 * slow + 0.3 * fast))


def rate(key: str, low: int, high: int) -> int:
    """A steady per-key rate in [low, high] (bytes or packets per second of uptime)."""
    return low + zlib.crc32(key.encode()) % (high - low + 1)
