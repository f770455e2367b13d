"""Built-in plugin: diagnosis (likely causes with evidence) and actions under policies.

Routes: a device's and an incident's diagnosis, the actions (approve, reject,
roll back) and their success rate. Jobs: ``ai.scan`` (diagnose the devices
seen lately and record their suggestions), ``ai.execute`` and ``ai.verify``.
Declares the built-in diagnosis rules and the ``ticket.open`` executor.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlmodel import select

from rjchronos import hookimpl
from rjchronos.ai import actions, diagnosis
from rjchronos.ai import policy as policies
from rjchronos.ai.contracts import ActionError, ActionExecutor, Applied, DiagnosisRule, texts
from rjchronos.ai.models import STATUSES, AiAction
from rjchronos.ai.policy import POLICY_SCHEMA
from rjchronos.ai.rules import BUILTIN_RULES
from rjchronos.events import EventType
from rjchronos.http.pagination import PAGE_QUERY, paginate
from rjchronos.http.problems import Problem, not_found
from rjchronos.http.routing import ApiCall, ApiRoute
from rjchronos.inventory import queries
from rjchronos.jobs.spec import Schedule, TaskHandler
from rjchronos.security.permissions import Permission
from rjchronos.telemetry.params import parse_instant
from rjchronos.ui import MenuItem, Panel

if TYPE_CHECKING:
    from rjchronos.kernel import Kernel

log = logging.getLogger(__name__)
PLUGIN = actions.PLUGIN
READ = "ai.read"
ACT = "ai.actions.approve"
MANAGE = "ai.policies.manage"
SCAN_JOB = "ai.scan"
MIGRATIONS = Path(__file__).resolve().parent.parent / "ai" / "migrations" / "versions"

SETTINGS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "scan_seconds": {"type": "integer", "minimum": 10, "default": 300},
        "scan_lookback_seconds": {"type": "integer", "minimum": 60, "default": 900},
        "scan_max_devices": {"type": "integer", "minimum": 1, "default": 5000},
        "scan_expensive_seconds": {"type": "number", "minimum": 0, "default": 120},
        "analyzer_cache_series": {"type": "integer", "minimum": 0, "default": 5000},
        "suggest_min_score": {"type": "number", "minimum": 0, "maximum": 1, "default": 0.5},
        "verify_after_seconds": {"type": "number", "minimum": 0, "default": 600},
        "verify_window_seconds": {"type": "number", "exclusiveMinimum": 0, "default": 3600},
        "verify_attempts": {"type": "integer", "minimum": 1, "default": 3},
        "cooldown_seconds": {"type": "number", "minimum": 0, "default": 86400},
        "policies": {"type": "object", "additionalProperties": POLICY_SCHEMA, "default": {}},
    },
}
ACTION_QUERY: dict[str, dict[str, Any]] = {
    **PAGE_QUERY,
    "status": {"enum": list(STATUSES)},
    "kind": {"type": "string", "maxLength": 64},
    "device": {"type": "string", "maxLength": 26},
}
REASON_BODY: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"reason": {"type": "string", "maxLength": 500}},
}
_ACTION_EVENT: dict[str, Any] = {
    "type": "object",
    "required": ["action_id", "kind"],
    "properties": {
        "action_id": {"type": "string"},
        "kind": {"type": "string"},
        "cause": {"type": "string"},
    },
}


# -- diagnosis -----------------------------------------------------------------------


def _visible(call: ApiCall, device_id: str) -> None:
    scopes = call.user.scopes(READ) or [None]
    with call.kernel.db.session() as session:
        if not queries.device_visible(session, device_id, scopes):
            raise not_found("device", device_id)


def device_diagnosis(call: ApiCall) -> dict[str, Any]:
    _visible(call, call.path["id"])
    try:
        return diagnosis.diagnose_device(call.kernel, call.path["id"])
    except LookupError:
        raise not_found("device", call.path["id"]) from None


def incident_diagnosis(call: ApiCall) -> dict[str, Any]:
    try:
        found = diagnosis.diagnose_incident(call.kernel, call.path["id"])
    except LookupError:
        raise not_found("incident", call.path["id"]) from None
    scopes = call.user.scopes(READ) or [None]
    with call.kernel.db.session() as session:
        found["devices"] = [
            d for d in found["devices"] if queries.device_visible(session, d["device_id"], scopes)
        ]
    return found


# -- actions ---------------------------------------------------------------------------


def _action_visible(call: ApiCall, action: AiAction, permission: str) -> None:
    if action.device_id is None:
        return
    scopes = call.user.scopes(permission) or [None]
    with call.kernel.db.session() as session:
        if not queries.device_visible(session, action.device_id, scopes):
            raise not_found("action", action.id)


def list_actions(call: ApiCall) -> dict[str, Any]:
    statement = select(AiAction)
    for param, column in (
        ("status", AiAction.status),
        ("kind", AiAction.kind),
        ("device", AiAction.device_id),
    ):
        if call.query.get(param):
            statement = statement.where(column == call.query[param])
    condition = queries.scope_condition(call.user.scopes(READ) or [None])
    if condition is not None:
        from rjchronos.inventory.models import devices

        visible = select(devices.c.id).where(condition)
        statement = statement.where(AiAction.device_id.in_(visible))  # type: ignore[union-attr]
    with call.kernel.db.session() as session:
        return paginate(
            session, statement, AiAction.id, call.query, actions.render, descending=True
        )


def _found(call: ApiCall, permission: str = READ) -> AiAction:
    with call.kernel.db.session() as session:
        action = session.get(AiAction, call.path["id"])
        if action is None:
            raise not_found("action", call.path["id"])
        session.expunge(action)
    _action_visible(call, action, permission)
    return action


def get_action(call: ApiCall) -> dict[str, Any]:
    return actions.render(_found(call))


def approve_action(call: ApiCall) -> dict[str, Any]:
    _found(call, ACT)
    try:
        return actions.render(actions.approve(call.kernel, call.path["id"], call.user.actor))
    except actions.ActionStateError as exc:
        raise Problem(409, "Conflict", str(exc)) from None


def reject_action(call: ApiCall) -> dict[str, Any]:
    _found(call, ACT)
    reason = (call.body or {}).get("reason", "")
    try:
        return actions.render(actions.reject(call.kernel, call.path["id"], call.user.actor, reason))
    except actions.ActionStateError as exc:
        raise Problem(409, "Conflict", str(exc)) from None


def rollback_action(call: ApiCall) -> dict[str, Any]:
    _found(call, ACT)
    try:
        return actions.render(actions.rollback(call.kernel, call.path["id"], call.user.actor))
    except actions.ActionStateError as exc:
        raise Problem(409, "Conflict", str(exc)) from None
    except ActionError as exc:
        raise Problem(502, "Rollback failed", str(exc)) from None


def action_stats(call: ApiCall) -> dict[str, Any]:
    since = None
    if call.query.get("since"):
        try:
            since = parse_instant(call.query["since"])
        except ValueError as exc:
            raise Problem(
                422,
                "Invalid query",
                f"since: {exc}",
                invalid_params=[{"name": "since", "reason": str(exc)}],
            ) from None
    return actions.stats(call.kernel, since)


# -- policies --------------------------------------------------------------------------


def list_policies(call: ApiCall) -> dict[str, Any]:
    """Every kind with a policy or an executor: its policy and where it comes from."""
    configured = dict(call.kernel.plugin_settings(PLUGIN).get("policies") or {})
    stored = policies.stored_policies(call.kernel)
    kinds = sorted(set(configured) | set(stored) | set(actions.executors(call.kernel)))
    items = []
    for kind in kinds:
        if kind in stored:
            item = policies.describe(kind, stored[kind].policy, "api")
            item.update(
                updated_by=stored[kind].updated_by,
                updated_at=stored[kind].updated_at.isoformat(),
            )
        else:
            source = "settings" if kind in configured else "default"
            item = policies.describe(kind, configured.get(kind), source)
        items.append(item)
    return {"items": items, "schema": POLICY_SCHEMA}


def put_policy(call: ApiCall) -> dict[str, Any]:
    """Set a kind's policy; it takes precedence over the settings' from now on."""
    kind = call.path["kind"]
    try:
        before, after = policies.set_policy(call.kernel, kind, call.body, call.user.actor)
    except ValueError as exc:
        raise Problem(
            422,
            "Invalid action kind",
            str(exc),
            invalid_params=[{"name": "kind", "reason": str(exc)}],
        ) from None
    call.audit(
        "ai.policy.update",
        f"ai_policy:{kind}",
        {"before": before["policy"], "after": after["policy"]},
    )
    return after


# -- the ticket executor ---------------------------------------------------------------


async def open_ticket(kernel: Kernel, device_id: str, params: Mapping[str, Any]) -> Applied:
    """Open a ticket about the device (title and description from the diagnosis)."""
    from rjchronos.alerts.models import Ticket
    from rjchronos.builtin.tickets import render as render_ticket

    title = str(params.get("title") or "Diagnosis")[:255]
    with kernel.db.session() as session:
        ticket = Ticket(
            title=title,
            description=str(params.get("description", "")),
            device_id=device_id or None,
            created_by=actions.SYSTEM,
        )
        session.add(ticket)
        session.flush()
        if device_id:
            kernel.events.emit(
                "ticket.opened",
                device_id,
                {"ticket_id": ticket.id, "status": ticket.status},
                actor=actions.SYSTEM,
                session=session,
            )
        session.commit()
        session.refresh(ticket)
        view = render_ticket(ticket)
    kernel.audit.record(actor=actions.SYSTEM, action="ticket.opened", target=f"ticket:{view['id']}")
    try:
        kernel.hook.rjc_ticket_changed(kernel=kernel, ticket=view, change="opened")
    except Exception:
        log.exception("rjc_ticket_changed failed for ticket %s", view["id"])
    if not view["id"]:
        raise ActionError("the ticket was not stored")
    return Applied(details={"ticket_id": view["id"]})


# -- jobs ------------------------------------------------------------------------------


def _scan(kernel: Kernel, params: Any) -> dict[str, Any]:
    return actions.scan(kernel, params.get("device_ids"))


def _execute(kernel: Kernel, params: Any) -> dict[str, Any]:
    return actions.execute(kernel, params["action_id"])


def _verify(kernel: Kernel, params: Any) -> dict[str, Any]:
    return actions.verify(kernel, params["action_id"], int(params.get("attempt", 1)))


# -- hooks -----------------------------------------------------------------------------


@hookimpl
def rjc_settings_schema() -> dict[str, Any]:
    return SETTINGS_SCHEMA


@hookimpl
def rjc_migrations() -> str:
    return str(MIGRATIONS)


@hookimpl
def rjc_permissions() -> list[Permission]:
    return [
        Permission(
            READ,
            "See diagnoses, suggested actions and their success",
            ("viewer", "operator", "admin"),
            scopable=True,
        ),
        Permission(
            ACT,
            "Approve, reject and roll back suggested actions",
            ("operator", "admin"),
            scopable=True,
        ),
        Permission(MANAGE, "Change the policies that decide how actions run", ("admin",)),
    ]


@hookimpl
def rjc_event_types() -> list[EventType]:
    return [
        EventType(
            "ai.action.executed", "An automatic action was executed", payload_schema=_ACTION_EVENT
        ),
        EventType(
            "ai.action.rolled_back", "An automatic action was rolled back", "minor", _ACTION_EVENT
        ),
    ]


@hookimpl
def rjc_diagnosis_rules(kernel: Kernel) -> list[DiagnosisRule]:
    return list(BUILTIN_RULES)


@hookimpl
def rjc_action_executors(kernel: Kernel) -> list[ActionExecutor]:
    return [ActionExecutor("ticket.open", texts("Open a ticket", "Abrir chamado"), open_ticket)]


@hookimpl
def rjc_task_handlers(kernel: Kernel) -> list[TaskHandler]:
    return [
        TaskHandler(SCAN_JOB, _scan, max_attempts=1, timeout=600),
        TaskHandler(actions.EXECUTE_JOB, _execute, max_attempts=1, timeout=300),
        TaskHandler(actions.VERIFY_JOB, _verify, max_attempts=2, timeout=300),
    ]


@hookimpl
def rjc_schedules(kernel: Kernel) -> list[Schedule]:
    every = timedelta(seconds=int(kernel.plugin_settings(PLUGIN).get("scan_seconds", 300)))
    return [Schedule(SCAN_JOB, SCAN_JOB, every, timedelta(seconds=10))]


@hookimpl
def rjc_menu_items(kernel: Kernel) -> list[MenuItem]:
    return [MenuItem("reports", "AI insights", "/ai", READ, {"pt-BR": "Análises de IA"}, 40)]


@hookimpl
def rjc_ui_panels(kernel: Kernel) -> list[Panel]:
    return [
        Panel(
            "core.ai.actions",
            "/ai",
            "AI insights: suggested actions",
            "table",
            READ,
            api="/ai/actions",
            titles={"pt-BR": "Análises de IA: ações sugeridas"},
            options={
                "columns": [
                    "created_at",
                    "kind",
                    "cause",
                    "status",
                    "outcome",
                    "device_id",
                    "evidence",
                ]
            },
        ),
        Panel(
            "core.ai.insights",
            "dashboard.insights",
            "AI insights",
            "table",
            READ,
            api="/ai/actions",
            titles={"pt-BR": "Análises de IA"},
            options={"columns": ["created_at", "cause", "kind", "status", "evidence"]},
        ),
        Panel(
            "core.ai.stats",
            "/ai",
            "AI actions: success",
            "stat",
            READ,
            api="/ai/actions/stats",
            titles={"pt-BR": "Ações de IA: sucesso"},
            options={"field": "total.success_rate"},
        ),
        Panel(
            "core.device.diagnosis",
            "device.tab",
            "Diagnosis",
            "table",
            READ,
            api="/devices/{id}/diagnosis",
            titles={"pt-BR": "Diagnóstico"},
            options={"columns": ["score", "cause", "evidence", "actions"]},
        ),
    ]


@hookimpl
def rjc_api_routes(kernel: Kernel) -> list[ApiRoute]:
    tags = ("ai",)
    return [
        ApiRoute(
            "GET",
            "/devices/{id}/diagnosis",
            device_diagnosis,
            permission=READ,
            tags=tags,
            summary="A device's likely causes, ranked, with evidence in en and pt-BR",
        ),
        ApiRoute(
            "GET",
            "/incidents/{id}/diagnosis",
            incident_diagnosis,
            permission=READ,
            tags=tags,
            summary="An incident's likely causes, ranked, and its devices' diagnoses",
        ),
        ApiRoute(
            "GET",
            "/ai/actions",
            list_actions,
            permission=READ,
            tags=tags,
            summary="Suggested and executed actions, newest first",
            query=ACTION_QUERY,
        ),
        ApiRoute(
            "GET",
            "/ai/actions/stats",
            action_stats,
            permission=READ,
            tags=tags,
            summary="Success rate of applied suggestions, per kind",
            query={"since": {"type": "string", "maxLength": 40}},
        ),
        ApiRoute(
            "GET", "/ai/actions/{id}", get_action, permission=READ, tags=tags, summary="One action"
        ),
        ApiRoute(
            "POST",
            "/ai/actions/{id}/approve",
            approve_action,
            permission=ACT,
            tags=tags,
            summary="Approve a suggestion: it is executed now",
            body_schema=REASON_BODY,
        ),
        ApiRoute(
            "POST",
            "/ai/actions/{id}/reject",
            reject_action,
            permission=ACT,
            tags=tags,
            summary="Turn a suggestion down",
            body_schema=REASON_BODY,
        ),
        ApiRoute(
            "GET",
            "/ai/policies",
            list_policies,
            permission=READ,
            tags=tags,
            summary="The policy of each action kind (suggest, approve or auto) and its source",
        ),
        ApiRoute(
            "PUT",
            "/ai/policies/{kind}",
            put_policy,
            permission=MANAGE,
            tags=tags,
            summary="Set an action kind's policy (it takes precedence over the settings')",
            body_schema=POLICY_SCHEMA,
        ),
        ApiRoute(
            "POST",
            "/ai/actions/{id}/rollback",
            rollback_action,
            permission=ACT,
            tags=tags,
            summary="Restore what an executed action changed",
            body_schema=REASON_BODY,
        ),
    ]
