"""Alert lifecycle: open (deduplicated, silenced, flapping), acknowledge, resolve, escalate.

Every transition is stored on the device's timeline (``alert.*`` events)
and in the audit log; notifications go through
:func:`rjchronos.notifications.service.notify` with one idempotency key per
alert, transition and channel, so nothing is sent twice.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from string import Template
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select

from rjchronos.alerts.models import Alert, AlertRule, Silence, alerts, silences
from rjchronos.alerts.rules import in_scope
from rjchronos.db.types import utcnow
from rjchronos.inventory.models import Device
from rjchronos.notifications import service as notifications

if TYPE_CHECKING:
    from sqlmodel import Session

    from rjchronos.kernel import Kernel

log = logging.getLogger(__name__)
SYSTEM = "system:alerts"
UNRESOLVED = ("open", "acknowledged")


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
        select(Alert).where(alerts.c.dedup_key == key, alerts.c.status.in_(UNRESOLVED)).limit(1)
    ).scalar_one_or_none()


def _silenced(session: Session, rule: AlertRule, device: Device | None, now: datetime) -> bool:
    active = session.execute(
        select(Silence).where(
            silences.c.starts_at <= now,
            silences.c.ends_at > now,
            or_(silences.c.rule_id.is_(None), silences.c.rule_id == rule.id),
        )
    ).scalars()
    return any(in_scope(session, s.scope, device) for s in active)


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


def _variables(alert: Alert, device: Device | None, time: datetime) -> dict[str, Any]:
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
    sent = 0
    for channel_id in channels:
        if notifications.notify(
            kernel,
            channel_id,
            template,
            vars,
            idempotency_key=f"alert:{alert.id}:{template}:{channel_id}",
            subject_ref=f"alert:{alert.id}",
        ):
            sent += 1
    return sent


def _record(
    kernel: Kernel, session: Session, alert: Alert, action: str, actor: str, **payload: Any
) -> None:
    """Put a transition on the device's timeline, in the transaction of the change."""
    kernel.events.emit(
        f"alert.{action}",
        alert.device_id,
        {"alert_id": alert.id, "rule": alert.rule_name, "severity": alert.severity, **payload},
        actor=actor,
        session=session,
    )


def _audit(kernel: Kernel, alert: Alert, action: str, actor: str, **params: Any) -> None:
    """Audit a transition once it is committed (the audit log writes in its own transaction)."""
    kernel.audit.record(
        actor=actor, action=f"alert.{action}", target=f"alert:{alert.id}", params=params
    )


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
    """Open an alert for ``rule`` on ``device``, or count one more occurrence of the open one.

    :param incident_id: the open incident the device is part of: the alert is recorded
        under it and notifies no one (the incident told the operators already).
    """
    now = now or utcnow()
    key = dedup_key(rule, device, event)
    with kernel.db.session() as session:
        current = unresolved(session, key)
        if current is not None:
            current.occurrences += 1
            current.last_seen_at = now
            session.commit()
            session.refresh(current)
            session.expunge(current)
            return current
        silenced = _silenced(session, rule, device, now)
        flapping = _flapping(session, rule, key, now)
        quiet = silenced or flapping or incident_id is not None
        channels = [] if quiet else list(rule.document.get("channels", []))
        alert = Alert(
            notified=bool(channels),
            rule_id=rule.id,
            rule_name=rule.name,
            dedup_key=key,
            severity=rule.document.get("severity", "major"),
            device_id=device.id if device else None,
            title=(title or rule.name)[:255],
            details={**(details or {}), **({"incident_id": incident_id} if incident_id else {})},
            silenced=silenced,
            flapping=flapping,
            opened_at=now,
            last_seen_at=now,
        )
        session.add(alert)
        session.flush()
        _record(
            kernel,
            session,
            alert,
            "opened",
            SYSTEM,
            silenced=alert.silenced,
            flapping=alert.flapping,
        )
        session.commit()
        session.refresh(alert)
        session.expunge(alert)
    _audit(kernel, alert, "opened", SYSTEM, silenced=alert.silenced, flapping=alert.flapping)
    if channels:
        _notify(kernel, alert, channels, "alert.opened", _variables(alert, device, now))
    return alert


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
    with kernel.db.session() as session:
        candidates = list(
            session.execute(
                select(Alert, AlertRule)
                .join(AlertRule, AlertRule.id == Alert.rule_id)  # type: ignore[arg-type]
                .where(alerts.c.status == "open", alerts.c.escalated_at.is_(None))
            ).all()
        )
        session.expunge_all()
    for alert, rule in candidates:
        escalation = rule.document.get("escalation")
        if not escalation or alert.silenced or alert.flapping:
            continue
        if alert.opened_at + timedelta(seconds=escalation["after_seconds"]) > now:
            continue
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
        variables = _variables(alert, device, alert.opened_at)
        _notify(kernel, alert, list(escalation["channels"]), "alert.escalated", variables)
        escalated += 1
    return escalated
