"""Built-in plugin: alert rules, alerts and their lifecycle, silences.

Event rules are evaluated on every device event (``rjc_device_events``);
telemetry, absence, anomaly and compound rules by the ``alerts.evaluate``
job, which also escalates alerts nobody acknowledged in time.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Sequence
from concurrent.futures import Future
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from rjchronos import hookimpl
from rjchronos.alerts import engine, lifecycle, links, outages, recovery
from rjchronos.alerts.evaluator import Evaluator, item_of
from rjchronos.alerts.models import Alert, AlertRule, Incident, Silence, silences
from rjchronos.alerts.rules import RULE_SCHEMA, SEVERITIES
from rjchronos.db.types import utcnow
from rjchronos.events import DeviceEvent, EventType
from rjchronos.http.pagination import PAGE_QUERY, paginate
from rjchronos.http.problems import Problem, not_found
from rjchronos.http.routing import ApiCall, ApiRoute
from rjchronos.jobs.spec import Schedule, TaskHandler
from rjchronos.security.permissions import Permission
from rjchronos.telemetry.params import parse_instant

if TYPE_CHECKING:
    from rjchronos.kernel import Kernel

log = logging.getLogger(__name__)
PLUGIN = "builtin.alerts"
READ = "alerts.read"
ACK = "alerts.ack"
RULES = "alerts.rules"
SILENCE = "alerts.silence"
MIGRATIONS = Path(__file__).resolve().parent.parent / "alerts" / "migrations" / "versions"

SETTINGS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "evaluate_seconds": {"type": "integer", "minimum": 10, "default": 60},
        **outages.SETTINGS_PROPERTIES,
        **links.SETTINGS_PROPERTIES,
    },
}
_ALERT_EVENT: dict[str, Any] = {
    "type": "object",
    "required": ["alert_id"],
    "properties": {"alert_id": {"type": "string"}, "rule": {"type": "string"}},
}
_INCIDENT: dict[str, Any] = {
    "type": "object",
    "required": ["incident_id"],
    "properties": {"incident_id": {"type": "string"}, "kind": {"type": "string"}},
}
INCIDENT_QUERY: dict[str, dict[str, Any]] = {
    **PAGE_QUERY,
    "status": {"enum": ["open", "resolved"]},
    "kind": {"enum": ["fiber", "power", "link"]},
}
ALERT_QUERY: dict[str, dict[str, Any]] = {
    **PAGE_QUERY,
    "status": {"enum": ["open", "acknowledged", "resolved"]},
    "severity": {"enum": SEVERITIES},
    "device": {"type": "string"},
    "rule": {"type": "string"},
}
TRANSITION_BODY: dict[str, Any] = {
    "type": "object",
    "properties": {"comment": {"type": "string", "maxLength": 2000}},
    "additionalProperties": False,
}
SILENCE_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["starts_at", "ends_at"],
    "additionalProperties": False,
    "properties": {
        "reason": {"type": "string", "maxLength": 500},
        "starts_at": {"type": "string"},
        "ends_at": {"type": "string"},
        "rule_id": {"type": ["string", "null"]},
        "scope": RULE_SCHEMA["properties"]["scope"],
    },
}


def _invalid(field: str, reason: str) -> Problem:
    return Problem(
        422,
        "Invalid body",
        f"body.{field}: {reason}",
        invalid_params=[{"name": f"body.{field}", "reason": reason}],
    )


# -- alerts --------------------------------------------------------------------------


def list_alerts(call: ApiCall) -> dict[str, Any]:
    statement = select(Alert)
    for param, column in (
        ("status", Alert.status),
        ("severity", Alert.severity),
        ("device", Alert.device_id),
        ("rule", Alert.rule_id),
    ):
        if call.query.get(param):
            statement = statement.where(column == call.query[param])
    with call.kernel.db.session() as session:
        return paginate(session, statement, Alert.id, call.query, lifecycle.render, descending=True)


def get_alert(call: ApiCall) -> dict[str, Any]:
    with call.kernel.db.session() as session:
        alert = session.get(Alert, call.path["id"])
        if alert is None:
            raise not_found("alert", call.path["id"])
        return lifecycle.render(alert)


def _transition(call: ApiCall, action: str) -> dict[str, Any]:
    actor = call.user.actor
    try:
        if action == "ack":
            alert = lifecycle.acknowledge(call.kernel, call.path["id"], actor)
        else:
            comment = (call.body or {}).get("comment", "")
            alert = lifecycle.resolve(call.kernel, call.path["id"], actor, comment)
    except LookupError:
        raise not_found("alert", call.path["id"]) from None
    except lifecycle.TransitionError as exc:
        raise Problem(409, "Conflict", str(exc)) from None
    return lifecycle.render(alert)


def ack_alert(call: ApiCall) -> dict[str, Any]:
    return _transition(call, "ack")


def resolve_alert(call: ApiCall) -> dict[str, Any]:
    return _transition(call, "resolve")


# -- rules ---------------------------------------------------------------------------


def _render_rule(rule: AlertRule) -> dict[str, Any]:
    return {
        "id": rule.id,
        **rule.document,
        "enabled": rule.enabled,
        "created_at": rule.created_at.isoformat(),
        "updated_at": rule.updated_at.isoformat(),
    }


def list_rules(call: ApiCall) -> dict[str, Any]:
    with call.kernel.db.session() as session:
        return paginate(session, select(AlertRule), AlertRule.id, call.query, _render_rule)


def get_rule(call: ApiCall) -> dict[str, Any]:
    with call.kernel.db.session() as session:
        rule = session.get(AlertRule, call.path["id"])
        if rule is None:
            raise not_found("alert rule", call.path["id"])
        return _render_rule(rule)


def rule_schema(call: ApiCall) -> dict[str, Any]:
    """The JSON Schema every rule document is checked against."""
    return RULE_SCHEMA


def _check_channels(call: ApiCall, document: dict[str, Any]) -> None:
    from rjchronos.notifications.models import NotificationChannel

    named = [("channels", c) for c in document.get("channels", [])] + [
        ("escalation.channels", c) for c in document.get("escalation", {}).get("channels", [])
    ]
    with call.kernel.db.session() as session:
        for index, (field, channel_id) in enumerate(named):
            if session.get(NotificationChannel, channel_id) is None:
                position = index if field == "channels" else index - len(document["channels"])
                raise _invalid(f"{field}.{position}", f"no notification channel {channel_id!r}")


def create_rule(call: ApiCall) -> dict[str, Any]:
    document = dict(call.body)
    document.setdefault("channels", [])
    _check_channels(call, document)
    rule = AlertRule(
        name=document["name"], enabled=document.pop("enabled", True), document=document
    )
    with call.kernel.db.session() as session:
        session.add(rule)
        try:
            session.commit()
        except IntegrityError:
            raise Problem(409, "Conflict", f"a rule named {document['name']!r} exists") from None
        session.refresh(rule)
        rendered = _render_rule(rule)
    engine.forget_rules(call.kernel)
    call.audit("alert_rule.create", f"alert_rule:{rule.id}", call.body)
    return rendered


def replace_rule(call: ApiCall) -> dict[str, Any]:
    document = dict(call.body)
    document.setdefault("channels", [])
    _check_channels(call, document)
    with call.kernel.db.session() as session:
        rule = session.get(AlertRule, call.path["id"])
        if rule is None:
            raise not_found("alert rule", call.path["id"])
        rule.name = document["name"]
        rule.enabled = document.pop("enabled", True)
        rule.document = document
        rule.updated_at = utcnow()
        try:
            session.commit()
        except IntegrityError:
            raise Problem(409, "Conflict", f"a rule named {document['name']!r} exists") from None
        session.refresh(rule)
        rendered = _render_rule(rule)
    engine.forget_rules(call.kernel)
    call.audit("alert_rule.update", f"alert_rule:{rule.id}", call.body)
    return rendered


def delete_rule(call: ApiCall) -> None:
    with call.kernel.db.session() as session:
        rule = session.get(AlertRule, call.path["id"])
        if rule is None:
            raise not_found("alert rule", call.path["id"])
        session.delete(rule)
        session.commit()
    engine.forget_rules(call.kernel)
    call.audit("alert_rule.delete", f"alert_rule:{call.path['id']}")


# -- silences ------------------------------------------------------------------------


def _render_silence(silence: Silence) -> dict[str, Any]:
    return {
        "id": silence.id,
        "reason": silence.reason,
        "starts_at": silence.starts_at.isoformat(),
        "ends_at": silence.ends_at.isoformat(),
        "rule_id": silence.rule_id,
        "scope": silence.scope,
        "created_by": silence.created_by,
        "created_at": silence.created_at.isoformat(),
    }


def list_silences(call: ApiCall) -> dict[str, Any]:
    statement = select(Silence)
    if call.query.get("active"):
        now = utcnow()
        statement = statement.where(silences.c.starts_at <= now, silences.c.ends_at > now)
    with call.kernel.db.session() as session:
        return paginate(
            session, statement, Silence.id, call.query, _render_silence, descending=True
        )


def create_silence(call: ApiCall) -> dict[str, Any]:
    body = call.body
    times: dict[str, datetime] = {}
    for key in ("starts_at", "ends_at"):
        try:
            times[key] = parse_instant(body[key])
        except ValueError as exc:
            raise _invalid(key, str(exc)) from None
    if times["ends_at"] <= times["starts_at"]:
        raise _invalid("ends_at", "must be after starts_at")
    silence = Silence(
        reason=body.get("reason", ""),
        rule_id=body.get("rule_id"),
        scope=body.get("scope") or {"kind": "all"},
        created_by=call.user.actor,
        starts_at=times["starts_at"],
        ends_at=times["ends_at"],
    )
    with call.kernel.db.session() as session:
        session.add(silence)
        session.commit()
        session.refresh(silence)
        rendered = _render_silence(silence)
    call.audit("alert_silence.create", f"alert_silence:{silence.id}", body)
    return rendered


def delete_silence(call: ApiCall) -> None:
    with call.kernel.db.session() as session:
        silence = session.get(Silence, call.path["id"])
        if silence is None:
            raise not_found("silence", call.path["id"])
        session.delete(silence)
        session.commit()
    call.audit("alert_silence.delete", f"alert_silence:{call.path['id']}")


# -- incidents -----------------------------------------------------------------------


def list_incidents(call: ApiCall) -> dict[str, Any]:
    statement = select(Incident)
    for param, column in (("status", Incident.status), ("kind", Incident.kind)):
        if call.query.get(param):
            statement = statement.where(column == call.query[param])
    with call.kernel.db.session() as session:
        return paginate(
            session, statement, Incident.id, call.query, outages.render, descending=True
        )


def list_main_links(call: ApiCall) -> dict[str, Any]:
    """The configured main links: ``down`` while their ``link`` incident is open, else ``up``."""
    configured = list(call.kernel.plugin_settings(PLUGIN).get("main_links", []))
    with call.kernel.db.session() as session:
        open_incidents = {
            incident.element_name: incident
            for incident in session.execute(
                select(Incident).where(Incident.status == "open", Incident.kind == "link")
            ).scalars()
        }
    items = []
    for link in configured:
        incident = open_incidents.get(link["name"])
        items.append(
            {
                "name": link["name"],
                "host": link["host"],
                "port": link["port"],
                "device_id": link.get("device_id"),
                "status": "down" if incident else "up",
                "incident_id": incident.id if incident else None,
                "down_since": incident.detected_at.isoformat() if incident else None,
            }
        )
    return {"items": items, "next_cursor": None}


def get_incident(call: ApiCall) -> dict[str, Any]:
    with call.kernel.db.session() as session:
        incident = session.get(Incident, call.path["id"])
        if incident is None:
            raise not_found("incident", call.path["id"])
        return outages.render(incident)


def resolve_incident(call: ApiCall) -> dict[str, Any]:
    try:
        incident = outages.resolve(call.kernel, call.path["id"], call.user.actor)
    except LookupError:
        raise not_found("incident", call.path["id"]) from None
    except ValueError as exc:
        raise Problem(409, "Conflict", str(exc)) from None
    return outages.render(incident)  # audited by outages.resolve, with the caller as actor


# -- hooks ---------------------------------------------------------------------------


@hookimpl
def rjc_settings_schema() -> dict[str, Any]:
    return SETTINGS_SCHEMA


@hookimpl
def rjc_migrations() -> str:
    return str(MIGRATIONS)


@hookimpl
def rjc_permissions() -> list[Permission]:
    return [
        Permission(READ, "See alerts, rules and silences", ("viewer", "operator", "admin")),
        Permission(ACK, "Acknowledge and resolve alerts", ("operator", "admin")),
        Permission(SILENCE, "Add and remove silences (maintenance windows)", ("operator", "admin")),
        Permission(RULES, "Add, change and remove alert rules", ("admin",)),
    ]


@hookimpl
def rjc_event_types() -> list[EventType]:
    return [
        EventType("alert.opened", "An alert opened", "warning", _ALERT_EVENT),
        EventType("alert.acknowledged", "An alert was acknowledged", payload_schema=_ALERT_EVENT),
        EventType("alert.resolved", "An alert was resolved", payload_schema=_ALERT_EVENT),
        EventType("alert.escalated", "An alert was escalated", "major", _ALERT_EVENT),
        EventType("incident.opened", "An incident opened on this element", "major", _INCIDENT),
        EventType("incident.widened", "An incident grew to this element", "major", _INCIDENT),
        EventType("incident.resolved", "An incident on this element recovered", "info", _INCIDENT),
    ]


#: One evaluation thread per kernel: events are evaluated in the order they arrive.
_evaluators: weakref.WeakKeyDictionary[Any, Evaluator] = weakref.WeakKeyDictionary()
_evaluators_guard = threading.Lock()


def _evaluator(kernel: Kernel) -> Evaluator:
    with _evaluators_guard:
        if kernel not in _evaluators:
            _evaluators[kernel] = Evaluator(kernel)
        return _evaluators[kernel]


@hookimpl
def rjc_shutdown(kernel: Kernel) -> None:
    # Evaluations already queued finish before the process goes.
    with _evaluators_guard:
        evaluator = _evaluators.pop(kernel, None)
    if evaluator is not None:
        evaluator.shutdown()


@hookimpl
def rjc_device_events(kernel: Kernel, events: Sequence[DeviceEvent]) -> Future[None] | None:
    # Called on the committing thread: the events some rule or the outage analysis
    # concerns go to the evaluator thread in one hand-off; the alerts' own never do.
    concerned = [item for item in map(partial(item_of, kernel), events) if item is not None]
    return _evaluator(kernel).submit(concerned) if concerned else None


def _evaluate(kernel: Kernel, params: Any) -> dict[str, int]:
    return {**engine.evaluate_all(kernel), **recovery.recover(kernel)}


@hookimpl
def rjc_task_handlers(kernel: Kernel) -> list[TaskHandler]:
    return [
        TaskHandler(engine.JOB_TYPE, _evaluate, max_attempts=1, timeout=300),
        TaskHandler(links.JOB_TYPE, links.probe_all, max_attempts=1, timeout=120),
    ]


@hookimpl
def rjc_schedules(kernel: Kernel) -> list[Schedule]:
    settings = kernel.plugin_settings(PLUGIN)
    every = timedelta(seconds=int(settings.get("evaluate_seconds", 60)))
    schedules = [Schedule(engine.JOB_TYPE, engine.JOB_TYPE, every, timedelta(seconds=5))]
    if settings.get("main_links"):
        probe = timedelta(seconds=int(settings.get("link_probe_seconds", 30)))
        schedules.append(Schedule(links.JOB_TYPE, links.JOB_TYPE, probe, timedelta(seconds=2)))
    return schedules


@hookimpl
def rjc_api_routes(kernel: Kernel) -> list[ApiRoute]:
    tags = ("alerts",)
    return [
        ApiRoute(
            "GET",
            "/alerts",
            list_alerts,
            permission=READ,
            tags=tags,
            summary="Alerts, newest first",
            query=ALERT_QUERY,
        ),
        ApiRoute("GET", "/alerts/{id}", get_alert, permission=READ, tags=tags, summary="One alert"),
        ApiRoute(
            "POST",
            "/alerts/{id}/ack",
            ack_alert,
            permission=ACK,
            tags=tags,
            summary="Acknowledge an open alert",
            body_schema=TRANSITION_BODY,
        ),
        ApiRoute(
            "POST",
            "/alerts/{id}/resolve",
            resolve_alert,
            permission=ACK,
            tags=tags,
            summary="Resolve an alert",
            body_schema=TRANSITION_BODY,
        ),
        ApiRoute(
            "GET",
            "/alert-rules",
            list_rules,
            permission=READ,
            tags=tags,
            summary="Alert rules",
            query=PAGE_QUERY,
        ),
        ApiRoute(
            "POST",
            "/alert-rules",
            create_rule,
            permission=RULES,
            tags=tags,
            status_code=201,
            summary="Add a rule (a JSON Schema-checked document)",
            body_schema=RULE_SCHEMA,
        ),
        ApiRoute(
            "GET",
            "/alert-rules/schema",
            rule_schema,
            permission=READ,
            tags=tags,
            summary="The JSON Schema of a rule document",
        ),
        ApiRoute(
            "GET", "/alert-rules/{id}", get_rule, permission=READ, tags=tags, summary="One rule"
        ),
        ApiRoute(
            "PUT",
            "/alert-rules/{id}",
            replace_rule,
            permission=RULES,
            tags=tags,
            summary="Replace a rule",
            body_schema=RULE_SCHEMA,
        ),
        ApiRoute(
            "DELETE",
            "/alert-rules/{id}",
            delete_rule,
            permission=RULES,
            tags=tags,
            status_code=204,
            summary="Remove a rule (its alerts stay)",
        ),
        ApiRoute(
            "GET",
            "/silences",
            list_silences,
            permission=READ,
            tags=tags,
            summary="Silences",
            query={**PAGE_QUERY, "active": {"type": "boolean"}},
        ),
        ApiRoute(
            "POST",
            "/silences",
            create_silence,
            permission=SILENCE,
            tags=tags,
            status_code=201,
            summary="Add a silence (maintenance window)",
            body_schema=SILENCE_BODY,
        ),
        ApiRoute(
            "DELETE",
            "/silences/{id}",
            delete_silence,
            permission=SILENCE,
            tags=tags,
            status_code=204,
            summary="Remove a silence",
        ),
        ApiRoute(
            "GET",
            "/incidents",
            list_incidents,
            permission=READ,
            tags=tags,
            summary="Incidents, newest first",
            query=INCIDENT_QUERY,
        ),
        ApiRoute(
            "GET",
            "/main-links",
            list_main_links,
            permission=READ,
            tags=tags,
            summary="Main links and whether each is up (no open link incident)",
        ),
        ApiRoute(
            "GET",
            "/incidents/{id}",
            get_incident,
            permission=READ,
            tags=tags,
            summary="One incident: element, devices, customers, times",
        ),
        ApiRoute(
            "POST",
            "/incidents/{id}/resolve",
            resolve_incident,
            permission=ACK,
            tags=tags,
            summary="Resolve an incident by hand",
            body_schema=TRANSITION_BODY,
        ),
    ]
