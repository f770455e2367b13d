"""When rules are evaluated: event rules on each device event, the others on a schedule."""

from __future__ import annotations

import logging
import time
import weakref
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select

from rjchronos.alerts import lifecycle, outages
from rjchronos.alerts.models import AlertRule, rules_table
from rjchronos.alerts.rules import clears_of, evaluate, in_scope
from rjchronos.db.types import utcnow
from rjchronos.events import DeviceEvent
from rjchronos.inventory.models import Device, devices

if TYPE_CHECKING:
    from sqlmodel import Session

    from rjchronos.kernel import Kernel

log = logging.getLogger(__name__)
JOB_TYPE = "alerts.evaluate"
#: Event types of this built-in's own making, never evaluated (no alert about alerts).
OWN_PREFIXES = ("alert.", "incident.")
DEVICE_BATCH = 500


#: Seconds a process keeps the enabled rules; changes through the API apply at once.
RULES_TTL = 5.0
_cache: weakref.WeakKeyDictionary[Any, tuple[float, list[AlertRule]]] = weakref.WeakKeyDictionary()


def enabled_rules(session: Session) -> list[AlertRule]:
    rows = session.execute(
        select(AlertRule).where(rules_table.c.enabled.is_(True)).order_by(rules_table.c.id)
    ).scalars()
    return list(rows)


def cached_rules(kernel: Kernel) -> list[AlertRule]:
    """The enabled rules, read at most every :data:`RULES_TTL` seconds per process."""
    cached = _cache.get(kernel)
    if cached is not None and time.monotonic() - cached[0] < RULES_TTL:
        return cached[1]
    with kernel.db.session() as session:
        rules = enabled_rules(session)
        session.expunge_all()
    _cache[kernel] = (time.monotonic(), rules)
    return rules


def forget_rules(kernel: Kernel) -> None:
    _cache.pop(kernel, None)


def may_concern(kernel: Kernel, event: DeviceEvent) -> bool:
    """Whether any enabled rule fires or clears on ``event``'s type (no query when cached)."""
    if event.type.startswith(OWN_PREFIXES) or event.device_id is None:
        return False
    for rule in cached_rules(kernel):
        for sub in _events_in(rule.document["condition"]):
            if event.type == sub["event"] or event.type in clears_of(sub):
                return True
    return False


def _events_in(condition: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    if condition["type"] == "event":
        yield condition
    elif condition["type"] == "compound":
        for sub in condition["conditions"]:
            yield from _events_in(sub)


def on_event(kernel: Kernel, event: DeviceEvent) -> int:
    """Evaluate the event rules ``event`` concerns; return how many alerts changed."""
    return on_events(kernel, [event])


def on_events(kernel: Kernel, events: Sequence[DeviceEvent]) -> int:
    """Evaluate the event rules of ``events``, in order; return how many alerts changed.

    Fired alerts are opened in bulk (:func:`lifecycle.open_alerts`); a clear
    first opens what fired before it, so the order of the events is kept.
    """
    events = [e for e in events if not e.type.startswith(OWN_PREFIXES) and e.device_id]
    if not events:
        return 0
    rules = cached_rules(kernel)
    work: list[tuple[AlertRule, str, Mapping[str, Any], Device, DeviceEvent]] = []
    with kernel.db.session() as session:
        ids = {event.device_id for event in events}
        found = {
            device.id: device
            for device in session.execute(
                select(Device).where(kernel.db.one_of(devices.c.id, ids))
            ).scalars()
        }
        for event in events:
            device = found.get(event.device_id or "")
            if device is None:
                continue
            for rule in rules:
                condition = rule.document["condition"]
                for sub in _events_in(condition):
                    if event.type in clears_of(sub):
                        work.append((rule, "clear", sub, device, event))
                    elif (
                        event.type == sub["event"]
                        and in_scope(session, rule.document.get("scope"), device)
                        and (
                            (condition is sub and sub.get("count", 1) == 1)  # this very event
                            or evaluate(kernel, session, condition, device, event.time).firing
                        )
                    ):
                        work.append((rule, "fire", sub, device, event))
        session.expunge_all()
    changed = 0
    pending: list[lifecycle.OpenRequest] = []
    for rule, action, sub, device, event in work:
        if action == "fire":
            pending.append(
                lifecycle.OpenRequest(
                    rule,
                    device,
                    title=f"{rule.name}: {device.name or device.serial or device.id}",
                    details={"event": event.type, "event_id": event.id, **dict(event.payload)},
                    event=sub["event"],
                    now=event.time,
                    incident_id=outages.incident_of(kernel, device.id, event.type),
                )
            )
            continue
        changed += lifecycle.open_many(kernel, pending)
        pending = []
        key = lifecycle.dedup_key(rule, device, sub["event"])
        if lifecycle.resolve_key(kernel, key, f"recovered: {event.type}"):
            changed += 1
    return changed + lifecycle.open_many(kernel, pending)


def _devices(session: Session, scope: Mapping[str, Any] | None) -> Iterator[Device]:
    """Candidate devices of a scope, in batches (the exact test is :func:`in_scope`)."""
    scope = scope or {"kind": "all"}
    statement = select(Device).order_by(devices.c.id)
    if scope.get("device_kind"):
        statement = statement.where(devices.c.kind == scope["device_kind"])
    if scope.get("kind") == "model":
        statement = statement.where(devices.c.model == scope["value"])
    elif scope.get("kind") == "olt":
        statement = statement.where(
            or_(devices.c.olt_id == scope["value"], devices.c.id == scope["value"])
        )
    last = ""
    while True:
        batch = list(
            session.execute(statement.where(devices.c.id > last).limit(DEVICE_BATCH)).scalars()
        )
        yield from batch
        if len(batch) < DEVICE_BATCH:
            return
        last = batch[-1].id


def evaluate_all(kernel: Kernel, now: datetime | None = None) -> dict[str, int]:
    """One pass over the rules that are not purely event-driven, then escalations."""
    now = now or utcnow()
    fired: list[tuple[AlertRule, Device, float | None]] = []
    cleared: list[tuple[AlertRule, Device]] = []
    with kernel.db.session() as session:
        for rule in enabled_rules(session):
            condition = rule.document["condition"]
            if condition["type"] == "event":
                continue
            scope = rule.document.get("scope")
            for device in _devices(session, scope):
                if not in_scope(session, scope, device):
                    continue
                verdict = evaluate(kernel, session, condition, device, now)
                if verdict.firing:
                    fired.append((rule, device, verdict.value))
                elif verdict.firing is False:
                    cleared.append((rule, device))
        session.expunge_all()
    resolved = 0
    for rule, device in cleared:
        if lifecycle.resolve_key(kernel, lifecycle.dedup_key(rule, device), "recovered"):
            resolved += 1
    for rule, device, value in fired:
        lifecycle.open_alert(
            kernel,
            rule,
            device,
            title=f"{rule.name}: {device.name or device.serial or device.id}",
            details={"value": value} if value is not None else {},
            now=now,
        )
    escalated = lifecycle.escalate_due(kernel, now)
    return {"firing": len(fired), "resolved": resolved, "escalated": escalated}
