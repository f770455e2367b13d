"""Rule documents: their JSON Schema, their scope and the evaluation of their conditions.

A condition's ``type`` picks its schema through ``if``/``then``, so an
error names the exact field (``body.condition.value``), not "no schema
matched". Conditions on telemetry read only the store's public API.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, func, select

from rjchronos.inventory.models import Device, DeviceEventRecord, Site
from rjchronos.inventory.topology import ancestor_ids

if TYPE_CHECKING:
    from sqlmodel import Session

    from rjchronos.kernel import Kernel

SEVERITIES = ["info", "warning", "minor", "major", "critical"]
OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}
#: Events that clear the alerts of event rules on these types, unless a rule names its own.
DEFAULT_CLEARS: dict[str, list[str]] = {
    "onu.los": ["onu.online"],
    "onu.dying_gasp": ["onu.online"],
    "onu.offline": ["onu.online"],
}
TELEMETRY_TYPES = ("threshold", "rate", "absence", "anomaly")
_EVENTS = cast(Table, cast(Any, DeviceEventRecord).__table__)

_METRIC = {"type": "string", "minLength": 1, "maxLength": 128}
_SECONDS = {"type": "integer", "minimum": 0, "maximum": 30 * 86400}
_CONDITIONS: dict[str, dict[str, Any]] = {
    "threshold": {
        "required": ["metric", "op", "value"],
        "properties": {
            "type": {},
            "metric": _METRIC,
            "op": {"enum": list(OPERATORS)},
            "value": {"type": "number"},
            "clear": {"type": "number", "description": "hysteresis: resolve only past this"},
            "for_seconds": {**_SECONDS, "description": "every sample over this long must fire"},
        },
    },
    "rate": {
        "required": ["metric", "op", "value", "window_seconds"],
        "properties": {
            "type": {},
            "metric": _METRIC,
            "op": {"enum": list(OPERATORS)},
            "value": {"type": "number", "description": "change over the window"},
            "window_seconds": {**_SECONDS, "minimum": 1},
        },
    },
    "absence": {
        "required": ["for_seconds"],
        "properties": {
            "type": {},
            "metric": {**_METRIC, "description": "without one: the device's last_seen"},
            "for_seconds": {**_SECONDS, "minimum": 1},
        },
    },
    "event": {
        "required": ["event"],
        "properties": {
            "type": {},
            "event": {"type": "string", "minLength": 1, "maxLength": 64},
            "count": {"type": "integer", "minimum": 1, "default": 1},
            "window_seconds": {**_SECONDS, "minimum": 1},
            "clear_events": {"type": "array", "items": {"type": "string"}, "maxItems": 10},
        },
    },
    "anomaly": {
        "required": ["value"],
        "properties": {
            "type": {},
            "metric": {**_METRIC, "default": "anomaly_score"},
            "value": {"type": "number", "minimum": 0, "maximum": 1},
            "for_seconds": _SECONDS,
        },
    },
}


def _condition_schema(depth: int) -> dict[str, Any]:
    kinds = [*_CONDITIONS, "compound"] if depth else list(_CONDITIONS)
    branches: list[dict[str, Any]] = [
        {
            "if": {"properties": {"type": {"const": name}}},
            "then": {**spec, "additionalProperties": False},
        }
        for name, spec in _CONDITIONS.items()
    ]
    if depth:
        branches.append(
            {
                "if": {"properties": {"type": {"const": "compound"}}},
                "then": {
                    "required": ["mode", "conditions"],
                    "additionalProperties": False,
                    "properties": {
                        "type": {},
                        "mode": {"enum": ["all", "any"]},
                        "conditions": {
                            "type": "array",
                            "minItems": 1,
                            "maxItems": 10,
                            "items": _condition_schema(depth - 1),
                        },
                    },
                },
            }
        )
    return {
        "type": "object",
        "required": ["type"],
        "properties": {"type": {"enum": kinds}},
        "allOf": branches,
    }


RULE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "condition"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 120},
        "description": {"type": "string", "maxLength": 2000},
        "enabled": {"type": "boolean", "default": True},
        "severity": {"enum": SEVERITIES, "default": "major"},
        "scope": {
            "type": "object",
            "additionalProperties": False,
            "required": ["kind"],
            "properties": {
                "kind": {"enum": ["all", "olt", "pon", "region", "model", "tag"]},
                "value": {"type": "string", "maxLength": 255},
                "device_kind": {"type": "string", "maxLength": 16},
            },
            "if": {"properties": {"kind": {"not": {"const": "all"}}}},
            "then": {"required": ["kind", "value"]},
        },
        "condition": _condition_schema(1),
        "dedup_key": {
            "type": "string",
            "maxLength": 200,
            "description": "template over $rule, $device, $event (default $rule:$device)",
        },
        "channels": {"type": "array", "items": {"type": "string"}, "maxItems": 20},
        "escalation": {
            "type": "object",
            "additionalProperties": False,
            "required": ["after_seconds", "channels"],
            "properties": {
                "after_seconds": {**_SECONDS, "minimum": 1},
                "channels": {"type": "array", "items": {"type": "string"}, "minItems": 1},
            },
        },
        "flapping": {
            "type": "object",
            "additionalProperties": False,
            "required": ["max_opens", "window_seconds"],
            "properties": {
                "max_opens": {"type": "integer", "minimum": 2},
                "window_seconds": {**_SECONDS, "minimum": 1},
            },
        },
    },
}


#: The rule the demo lab installs (and a starting point for operators): a CPE whose WAN
#: connection status reports a failing PPPoE session (``cpe.pppoe_error`` 1, see the ACS's
#: WAN error readings) opens a minor alert, resolved by its next reading of a session up.
PPPOE_ERRORS_RULE: dict[str, Any] = {
    "name": "PPPoE errors",
    "description": "A CPE reports its PPPoE session failing (cpe.pppoe_error = 1).",
    "severity": "minor",
    "scope": {"kind": "all", "device_kind": "cpe"},
    "condition": {"type": "threshold", "metric": "cpe.pppoe_error", "op": ">=", "value": 1},
    "dedup_key": "$rule:$device",
}


# -- scope -----------------------------------------------------------------------


def in_scope(session: Session, scope: Mapping[str, Any] | None, device: Device | None) -> bool:
    """Whether a rule (or silence) with ``scope`` covers ``device``."""
    scope = scope or {"kind": "all"}
    if device is None:
        return scope.get("kind", "all") == "all" and not scope.get("device_kind")
    if scope.get("device_kind") and device.kind != scope["device_kind"]:
        return False
    kind, value = scope.get("kind", "all"), scope.get("value")
    if kind == "all":
        return True
    if kind == "model":
        return device.model == value
    if kind == "tag":
        return value in (device.tags or [])
    if kind == "region":
        if device.site_id is None:
            return False
        site = session.get(Site, device.site_id)
        return site is not None and site.region == value
    if kind == "olt" and device.olt_id == value:
        return True
    return device.id == value or value in ancestor_ids(session, device.id)


# -- conditions ------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """``firing`` True or False, or None when the data cannot tell (keep the state)."""

    firing: bool | None
    value: float | None = None


def clears_of(condition: Mapping[str, Any]) -> list[str]:
    if "clear_events" in condition:
        return list(condition["clear_events"])
    return DEFAULT_CLEARS.get(condition.get("event", ""), [])


def count_events(
    session: Session, device_id: str, type: str, since: datetime, until: datetime
) -> int:
    table = _EVENTS
    return int(
        session.execute(
            select(func.count())
            .select_from(table)
            .where(
                table.c.device_id == device_id,
                table.c.type == type,
                table.c.time >= since,
                table.c.time <= until,
            )
        ).scalar_one()
    )


def evaluate(
    kernel: Kernel, session: Session, condition: Mapping[str, Any], device: Device, now: datetime
) -> Verdict:
    """Evaluate one condition for one device at ``now``."""
    kind = condition["type"]
    if kind == "compound":
        verdicts = [evaluate(kernel, session, c, device, now) for c in condition["conditions"]]
        states = [v.firing for v in verdicts]
        if condition["mode"] == "all":
            return Verdict(False if False in states else (None if None in states else True))
        return Verdict(True if True in states else (None if None in states else False))
    if kind == "event":
        window = timedelta(seconds=condition.get("window_seconds", 300))
        seen = count_events(session, device.id, condition["event"], now - window, now)
        return Verdict(seen >= condition.get("count", 1), seen)
    if kind == "absence":
        since = now - timedelta(seconds=condition["for_seconds"])
        if "metric" not in condition:
            return Verdict(device.last_seen is None or device.last_seen < since)
        points = kernel.telemetry.series(device.id, condition["metric"], since, now, limit=1)
        return Verdict(not points)
    if kind == "rate":
        since = now - timedelta(seconds=condition["window_seconds"])
        points = kernel.telemetry.series(device.id, condition["metric"], since, now)
        if len(points) < 2:
            return Verdict(None)
        change = points[-1][1] - points[0][1]
        return Verdict(OPERATORS[condition["op"]](change, condition["value"]), change)
    # threshold and anomaly: every sample of the last for_seconds beyond the value
    metric = condition.get("metric", "anomaly_score")
    op = OPERATORS[condition.get("op", ">=")]
    hold = timedelta(seconds=condition.get("for_seconds", 0))
    points = kernel.telemetry.series(
        device.id, metric, now - max(hold, timedelta(minutes=15)), now + timedelta(seconds=1)
    )
    if not points:
        return Verdict(None)
    latest = points[-1][1]
    recent = [value for time, value in points if time >= now - hold] or [latest]
    if all(op(value, condition["value"]) for value in recent) and (
        not hold or points[0][0] <= now - hold
    ):
        return Verdict(True, latest)
    clear = condition.get("clear", condition["value"])
    if not op(latest, clear):
        return Verdict(False, latest)
    return Verdict(None, latest)
