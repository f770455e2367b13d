"""Alert lifecycle: open (deduplicated, silenced, flapping), acknowledge, resolve, escalate.

Every transition is stored on the device's timeline (``alert.*`` events)
and in the audit log; notifications go through
:func:`rjchronos.notifications.service.notify` with one idempotency key per
alert, transition and channel, so nothing is sent twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from string import Template
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from sqlalchemy import String, bindparam, func, insert, literal_column, select, true
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import aliased

from rjchronos.alerts.models import UNRESOLVED, Alert, AlertRule, Silence, alerts, silences
from rjchronos.alerts.rules import in_scope
from rjchronos.db.ids import new_id
from rjchronos.db.types import utcnow
from rjchronos.inventory.models import Device
from rjchronos.notifications import service as notifications
from rjchronos.security.audit import AuditRecord

if TYPE_CHECKING:
    from sqlalchemy import Select
    from sqlmodel import Session

    from rjchronos.kernel import Kernel

log = logging.getLogger(__name__)
SYSTEM = "system:alerts"
#: ``status IN ('open', 'acknowledged')`` with the values in the SQL text, so that
#: PostgreSQL's plan for a prepared statement uses the partial index on them.
_UNRESOLVED_ROWS = alerts.c.status.in_([literal_column(f"'{status}'") for status in UNRESOLVED])


class TransitionError(ValueError):
    """A transition the alert's status does not allow (409)."""


def render(alert: Alert) -> dict[str, Any]:
    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": alert.id,
        "rule_id": alert.rule_id,
        "rule_name": alert.rule_name,
        "dedup_key": alert.dedup_key,
        "status": alert.status,
        "severity": alert.severity,
        "device_id": alert.device_id,
        "title": alert.title,
        "details": alert.details,
        "silenced": alert.silenced,
        "flapping": alert.flapping,
        "notified": alert.notified,
        "occurrences": alert.occurrences,
        "opened_at": iso(alert.opened_at),
        "last_seen_at": iso(alert.last_seen_at),
        "acknowledged_at": iso(alert.acknowledged_at),
        "acknowledged_by": alert.acknowledged_by,
        "escalated_at": iso(alert.escalated_at),
        "resolved_at": iso(alert.resolved_at),
        "resolved_by": alert.resolved_by,
    }


def dedup_key(rule: AlertRule, device: Device | None, event: str = "") -> str:
    template = rule.document.get("dedup_key") or "$rule:$device"
    return Template(template).safe_substitute(
        rule=rule.id, device=device.id if device else "-", event=event
    )[:255]


def unresolved(session: Session, key: str) -> Alert | None:
    return session.execute(
        select(Alert).where(alerts.c.dedup_key == key, _UNRESOLVED_ROWS).limit(1)
    ).scalar_one_or_none()


def unresolved_of(kernel: Kernel, keys: Iterable[str]) -> Select[Alert]:
    """The unresolved alerts of ``keys``: one query for a batch.

    On PostgreSQL each key is looked up on its own (a lateral join over the array
    of keys), so the plan is an index probe per key whatever the planner guesses of
    the array's selectivity: a plan that scans every open alert grows with the
    outage that opened them.
    """
    if not kernel.db.is_postgres:
        return select(Alert).where(alerts.c.dedup_key.in_(list(keys)), _UNRESOLVED_ROWS)
    wanted = (
        func.unnest(bindparam(None, list(keys), type_=ARRAY(String)))
        .table_valued("key")
        .render_derived("wanted")
    )
    found = (
        select(alerts)
        .where(alerts.c.dedup_key == wanted.c.key, _UNRESOLVED_ROWS)
        .limit(1)
        .lateral()
    )
    return select(aliased(Alert, found)).select_from(wanted).join(found, true())


def _silences(session: Session, start: datetime, end: datetime) -> list[Silence]:
    """The silences in force at some moment between ``start`` and ``end``."""
    return list(
        session.execute(
            select(Silence).where(silences.c.starts_at <= end, silences.c.ends_at > start)
        ).scalars()
    )


def _silenced(
    session: Session,
    active: Sequence[Silence],
    rule: AlertRule,
    device: Device | None,
    now: datetime,
) -> bool:
    return any(
        s.starts_at <= now < s.ends_at
        and s.rule_id in (None, rule.id)
        and in_scope(session, s.scope, device)
        for s in active
    )


def _flapping(session: Session, rule: AlertRule, key: str, now: datetime) -> bool:
    flapping = rule.document.get("flapping")
    if not flapping:
        return False
    since = now - timedelta(seconds=flapping["window_seconds"])
    opens = session.execute(
        select(func.count())
        .select_from(alerts)
        .where(alerts.c.dedup_key == key, alerts.c.opened_at >= since)
    ).scalar_one()
    return int(opens) + 1 >= int(flapping["max_opens"])


def _variables(
    alert: Alert | SimpleNamespace, device: Device | None, time: datetime
) -> dict[str, Any]:
    return {
        "title": alert.title,
        "severity": alert.severity.upper(),
        "device": (device.name or device.serial or device.id) if device else "-",
        "device_id": alert.device_id,
        "rule": alert.rule_name,
        "alert_id": alert.id,
        "time": time.isoformat(),
        "details": "\n".join(f"{k}: {v}" for k, v in sorted(alert.details.items())),
    }


def _notify(
    kernel: Kernel, alert: Alert, channels: list[str], template: str, vars: Mapping[str, Any]
) -> int:
    queued = notifications.notify_many(
        kernel,
        [
            notifications.Message(
                channel_id,
                template,
                vars,
                idempotency_key=f"alert:{alert.id}:{template}:{channel_id}",
                subject_ref=f"alert:{alert.id}",
            )
            for channel_id in channels
        ],
    )
    return sum(1 for delivery_id in queued if delivery_id)


def _payload(alert: Alert | SimpleNamespace) -> dict[str, Any]:
    return {"alert_id": alert.id, "rule": alert.rule_name, "severity": alert.severity}


def _record(
    kernel: Kernel, session: Session, alert: Alert, action: str, actor: str, **payload: Any
) -> None:
    """Put a transition on the device's timeline, in the transaction of the change."""
    kernel.events.emit(
        f"alert.{action}",
        alert.device_id,
        {**_payload(alert), **payload},
        actor=actor,
        session=session,
    )


def _audit(kernel: Kernel, alert: Alert, action: str, actor: str, **params: Any) -> None:
    """Audit a transition once it is committed (the audit log writes in its own transaction)."""
    kernel.audit.record(
        actor=actor, action=f"alert.{action}", target=f"alert:{alert.id}", params=params
    )


@dataclass(frozen=True)
class OpenRequest:
    """One alert to open (or one more occurrence of), as :func:`open_alert` takes it."""

    rule: AlertRule
    device: Device | None
    title: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)
    event: str = ""
    now: datetime = field(default_factory=utcnow)
    #: The open incident the device is part of: the alert is recorded under it and
    #: notifies no one (the incident told the operators already).
    incident_id: str | None = None

    @property
    def key(self) -> str:
        return dedup_key(self.rule, self.device, self.event)


def open_alert(
    kernel: Kernel,
    rule: AlertRule,
    device: Device | None,
    *,
    title: str = "",
    details: Mapping[str, Any] | None = None,
    event: str = "",
    now: datetime | None = None,
    incident_id: str | None = None,
) -> Alert:
    """Open an alert for ``rule`` on ``device``, or count one more occurrence of the open one."""
    request = OpenRequest(
        rule, device, title, details or {}, event, now or utcnow(), incident_id=incident_id
    )
    return open_alerts(kernel, [request])[0]


def open_alerts(kernel: Kernel, requests: Sequence[OpenRequest]) -> list[Alert]:
    """:func:`open_alert` for many, in order, in one transaction; the alert of each request.

    A burst of events (a thousand ONUs, one rule each) costs a handful of
    statements, not a handful per alert: open alerts, silences, timeline
    entries, audit entries and deliveries are read and written in bulk.
    """
    built: dict[int, Alert] = {}
    result: list[Alert] = []
    for alert in _open(kernel, requests):
        if isinstance(alert, SimpleNamespace):  # one object per alert opened
            alert = built.setdefault(id(alert), Alert(**vars(alert)))
        result.append(alert)
    return result


def open_many(kernel: Kernel, requests: Sequence[OpenRequest]) -> int:
    """:func:`open_alerts` for the evaluator: how many requests it handled, no objects built."""
    return len(_open(kernel, requests))


def _open(kernel: Kernel, requests: Sequence[OpenRequest]) -> list[Alert | SimpleNamespace]:
    """Open or count the alerts of ``requests``: the alert of each, new ones as plain rows.

    Building an ORM object per alert costs more than storing it, so alerts
    opened here are inserted as rows and handed on as namespaces of them.
    """
    if not requests:
        return []
    result: list[Alert | SimpleNamespace] = []
    opened: list[tuple[SimpleNamespace, OpenRequest, list[str]]] = []
    with kernel.db.session() as session:
        keys = {request.key for request in requests}
        current: dict[str, Alert | SimpleNamespace] = {
            alert.dedup_key: alert
            for alert in session.execute(unresolved_of(kernel, keys)).scalars()
        }
        active = _silences(session, min(r.now for r in requests), max(r.now for r in requests))
        rows: dict[str, dict[str, Any]] = {}
        for request in requests:
            key = request.key
            existing = current.get(key)
            if existing is not None:
                existing.occurrences += 1
                existing.last_seen_at = request.now
                result.append(existing)
                continue
            silenced = _silenced(session, active, request.rule, request.device, request.now)
            flapping = _flapping(session, request.rule, key, request.now)
            quiet = silenced or flapping or request.incident_id is not None
            channels = [] if quiet else list(request.rule.document.get("channels", []))
            incident = {"incident_id": request.incident_id} if request.incident_id else {}
            row = {
                "id": new_id(),
                "rule_id": request.rule.id,
                "rule_name": request.rule.name,
                "dedup_key": key,
                "status": "open",
                "severity": request.rule.document.get("severity", "major"),
                "device_id": request.device.id if request.device else None,
                "title": (request.title or request.rule.name)[:255],
                "details": {**request.details, **incident},
                "silenced": silenced,
                "flapping": flapping,
                "notified": bool(channels),
                "occurrences": 1,
                "opened_at": request.now,
                "last_seen_at": request.now,
                "acknowledged_at": None,
                "acknowledged_by": "",
                "escalated_at": None,
                "resolved_at": None,
                "resolved_by": "",
            }
            rows[key] = row
            # Not an ORM object: a burst inserts its rows in one statement below.
            alert = SimpleNamespace(**row)
            current[key] = alert
            opened.append((alert, request, channels))
            result.append(alert)
        session.flush()  # the occurrences of alerts already open
        if rows:
            for key, row in rows.items():  # repeats within the burst
                latest = current[key]
                row |= {"occurrences": latest.occurrences, "last_seen_at": latest.last_seen_at}
            session.connection().execute(insert(alerts), list(rows.values()))
        kernel.events.emit_many(
            [
                (
                    "alert.opened",
                    alert.device_id,
                    {**_payload(alert), "silenced": alert.silenced, "flapping": alert.flapping},
                )
                for alert, _, _ in opened
            ],
            SYSTEM,
            session=session,
        )
        session.commit()
        session.expunge_all()
    for alert, _, _ in opened:
        kernel.metrics.alerts.labels("opened", alert.severity).inc()
    # Deliveries first: they are what an operator waits for. The audit entries follow,
    # also when queueing the deliveries fails.
    try:
        notifications.notify_many(
            kernel,
            [
                notifications.Message(
                    channel_id,
                    "alert.opened",
                    _variables(alert, request.device, request.now),
                    idempotency_key=f"alert:{alert.id}:alert.opened:{channel_id}",
                    subject_ref=f"alert:{alert.id}",
                )
                for alert, request, channels in opened
                for channel_id in channels
            ],
        )
    finally:
        kernel.audit.record_many(
            [
                AuditRecord(
                    SYSTEM,
                    "alert.opened",
                    f"alert:{alert.id}",
                    {"silenced": alert.silenced, "flapping": alert.flapping},
                )
                for alert, _, _ in opened
            ]
        )
    return result


def acknowledge(kernel: Kernel, alert_id: str, actor: str) -> Alert:
    with kernel.db.session() as session:
        alert = session.get(Alert, alert_id)
        if alert is None:
            raise LookupError(alert_id)
        if alert.status != "open":
            raise TransitionError(f"alert {alert_id} is {alert.status}, not open")
        alert.status = "acknowledged"
        alert.acknowledged_at = utcnow()
        alert.acknowledged_by = actor
        _record(kernel, session, alert, "acknowledged", actor)
        session.commit()
        session.refresh(alert)
        session.expunge(alert)
    _audit(kernel, alert, "acknowledged", actor)
    kernel.metrics.alerts.labels("acknowledged", alert.severity).inc()
    return alert


def resolve(kernel: Kernel, alert_id: str, actor: str, reason: str = "") -> Alert:
    """Resolve an open or acknowledged alert; tell its channels when they heard of it."""
    now = utcnow()
    with kernel.db.session() as session:
        alert = session.get(Alert, alert_id)
        if alert is None:
            raise LookupError(alert_id)
        if alert.status not in UNRESOLVED:
            raise TransitionError(f"alert {alert_id} is already resolved")
        alert.status = "resolved"
        alert.resolved_at = now
        alert.resolved_by = actor
        _record(kernel, session, alert, "resolved", actor, reason=reason)
        session.commit()
        session.refresh(alert)
        session.expunge(alert)
        rule = session.get(AlertRule, alert.rule_id) if alert.rule_id else None
        device = session.get(Device, alert.device_id) if alert.device_id else None
    _audit(kernel, alert, "resolved", actor, reason=reason)
    kernel.metrics.alerts.labels("resolved", alert.severity).inc()
    if alert.notified and rule is not None:
        channels = list(rule.document.get("channels", []))
        _notify(kernel, alert, channels, "alert.resolved", _variables(alert, device, now))
    return alert


def resolve_key(kernel: Kernel, key: str, reason: str) -> Alert | None:
    """Auto-resolve the unresolved alert of ``key`` (recovery), if any."""
    with kernel.db.session() as session:
        current = unresolved(session, key)
    if current is None:
        return None
    try:
        return resolve(kernel, current.id, SYSTEM, reason)
    except TransitionError:
        return None  # resolved meanwhile by someone else


def escalate_due(kernel: Kernel, now: datetime | None = None) -> int:
    """Escalate open (unacknowledged) alerts past their rule's escalation delay."""
    now = now or utcnow()
    escalated = 0
    candidates: list[tuple[Alert, AlertRule]] = []
    with kernel.db.session() as session:
        # Only the alerts that are due, rule by rule: an outage leaves thousands of open
        # alerts, and this runs every minute in a process that also evaluates events.
        for rule in session.execute(select(AlertRule)).scalars():
            escalation = rule.document.get("escalation")
            if not escalation:
                continue
            due = now - timedelta(seconds=escalation["after_seconds"])
            candidates += [
                (alert, rule)
                for alert in session.execute(
                    select(Alert).where(
                        alerts.c.rule_id == rule.id,
                        alerts.c.status == "open",
                        alerts.c.escalated_at.is_(None),
                        alerts.c.silenced.is_(False),
                        alerts.c.flapping.is_(False),
                        alerts.c.opened_at <= due,
                    )
                ).scalars()
            ]
        session.expunge_all()
    for alert, rule in candidates:
        escalation = rule.document["escalation"]
        with kernel.db.session() as session:
            claimed = (
                session.connection()
                .execute(
                    alerts.update()
                    .where(alerts.c.id == alert.id, alerts.c.escalated_at.is_(None))
                    .values(escalated_at=now)
                )
                .rowcount
            )
            if not claimed:
                continue
            _record(kernel, session, alert, "escalated", SYSTEM, channels=escalation["channels"])
            session.commit()
            device = session.get(Device, alert.device_id) if alert.device_id else None
        _audit(kernel, alert, "escalated", SYSTEM, channels=escalation["channels"])
        kernel.metrics.alerts.labels("escalated", alert.severity).inc()
        variables = _variables(alert, device, alert.opened_at)
        _notify(kernel, alert, list(escalation["channels"]), "alert.escalated", variables)
        escalated += 1
    return escalated
