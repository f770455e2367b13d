"""Policies per action kind: suggest only, execute after approval, or execute automatically
within limits (rate, scope, maintenance window).

Policies are settings of the ``builtin.ai`` plugin (``[plugins."builtin.ai".policies.<kind>]``),
or set through the API (``PUT /ai/policies/{kind}``, kept in ``ai_policies``), which takes
precedence for its kind; a kind without one is ``suggest``: nothing runs on its own unless an
operator says so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlmodel import select

from rjchronos.ai.context import DiagnosedDevice
from rjchronos.ai.models import AiPolicy
from rjchronos.db.types import utcnow

if TYPE_CHECKING:
    from rjchronos.kernel import Kernel

PLUGIN = "builtin.ai"
#: An action kind: ``wifi.change_channel``, ``cpe.reboot``...
KIND = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")

MODES = ("suggest", "approve", "auto")
_HHMM = {"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d$"}
_NAMES = {"type": "array", "items": {"type": "string", "minLength": 1}, "maxItems": 1000}

POLICY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "mode": {"enum": list(MODES), "default": "suggest"},
        "max_per_hour": {"type": "integer", "minimum": 0, "default": 10},
        "scope": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"tags": _NAMES, "olts": _NAMES, "models": _NAMES},
        },
        "window": {
            "type": "object",
            "additionalProperties": False,
            "required": ["start", "end"],
            "properties": {
                "start": _HHMM,
                "end": _HHMM,
                "days": {
                    "type": "array",
                    "items": {"type": "integer", "minimum": 0, "maximum": 6},
                    "minItems": 1,
                },
            },
        },
        "rollback_on_worse": {"type": "boolean", "default": True},
    },
}


@dataclass(frozen=True)
class Policy:
    """How one kind of action may run (see :data:`POLICY_SCHEMA`)."""

    mode: str = "suggest"
    max_per_hour: int = 10
    scope: Mapping[str, list[str]] = field(default_factory=dict)
    window: Mapping[str, Any] | None = None
    rollback_on_worse: bool = True

    @classmethod
    def of(cls, document: Mapping[str, Any] | None) -> Policy:
        document = document or {}
        return cls(
            mode=document.get("mode", "suggest"),
            max_per_hour=int(document.get("max_per_hour", 10)),
            scope=dict(document.get("scope") or {}),
            window=document.get("window"),
            rollback_on_worse=bool(document.get("rollback_on_worse", True)),
        )

    def in_scope(self, device: DiagnosedDevice) -> bool:
        """Whether the device matches every part of the scope that is set."""
        tags, olts, models = (self.scope.get(k) for k in ("tags", "olts", "models"))
        if tags and not set(tags) & set(device.tags):
            return False
        if olts and device.olt_id not in olts:
            return False
        return not models or device.model in models or f"{device.vendor} {device.model}" in models

    def next_window(self, now: datetime) -> datetime | None:
        """``None`` inside the maintenance window (or without one), else when it next opens."""
        if not self.window:
            return None
        start, end = (time.fromisoformat(self.window[k]) for k in ("start", "end"))
        days = set(self.window.get("days") or range(7))
        clock = now.timetz().replace(tzinfo=None)
        opened_today = start <= clock < end if start < end else clock >= start or clock < end
        # A window past midnight belongs to the day it opened.
        opened_on = now if start < end or clock >= start else now - timedelta(days=1)
        if opened_today and opened_on.weekday() in days:
            return None
        for ahead in range(8):
            day = (now + timedelta(days=ahead)).date()
            moment = datetime.combine(day, start, tzinfo=now.tzinfo)
            if moment > now and day.weekday() in days:
                return moment
        return None


def policy_for(settings: Mapping[str, Any], kind: str) -> Policy:
    """The policy of ``kind`` in the plugin's settings (``suggest`` when none is set)."""
    return Policy.of((settings.get("policies") or {}).get(kind))


def stored_policies(kernel: Kernel) -> dict[str, AiPolicy]:
    """The policies set through the API, by kind."""
    with kernel.db.session() as session:
        found = session.exec(select(AiPolicy)).all()
        for row in found:
            session.expunge(row)
    return {row.kind: row for row in found}


def policy_of(kernel: Kernel, kind: str) -> Policy:
    """The policy of ``kind``: the API's if one was set, else the settings' (else ``suggest``)."""
    with kernel.db.session() as session:
        row = session.get(AiPolicy, kind)
        if row is not None:
            return Policy.of(row.policy)
    return policy_for(kernel.plugin_settings(PLUGIN), kind)


def describe(kind: str, document: Mapping[str, Any] | None, source: str) -> dict[str, Any]:
    """A policy as the API shows it: every field with its default, and where it comes from."""
    return {"kind": kind, "source": source, "policy": asdict(Policy.of(document))}


def set_policy(
    kernel: Kernel, kind: str, document: Mapping[str, Any], actor: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Store ``document`` (valid against :data:`POLICY_SCHEMA`) as ``kind``'s policy.

    :return: the policy before and after, as :func:`describe` shows them.
    """
    if not KIND.match(kind):
        raise ValueError(
            f"action kind {kind!r}: lower-case letters, digits, '.', '_' and '-', at most 64"
        )
    before = policy_of(kernel, kind)
    with kernel.db.session() as session:
        row = session.get(AiPolicy, kind) or AiPolicy(kind=kind)
        row.policy = dict(document)
        row.updated_by = actor[:120]
        row.updated_at = utcnow()
        session.add(row)
        session.commit()
    after = describe(kind, document, "api")
    after.update(updated_by=actor[:120])
    return {"kind": kind, "policy": asdict(before)}, after
