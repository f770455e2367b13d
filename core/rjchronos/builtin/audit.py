"""Built-in plugin: the audit log's REST routes and ``rjchronos audit``."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlmodel import col, select

from rjchronos import hookimpl
from rjchronos.http.pagination import PAGE_QUERY, paginate
from rjchronos.http.problems import Problem
from rjchronos.http.routing import ApiCall, ApiRoute
from rjchronos.security.audit import entry_view
from rjchronos.security.models import AuditEntry
from rjchronos.security.permissions import Permission

if TYPE_CHECKING:
    import click

    from rjchronos.kernel import Kernel

TAGS = ("audit",)
QUERY: dict[str, dict[str, Any]] = {
    **PAGE_QUERY,
    "actor": {"type": "string", "description": "exactly this actor, e.g. user:alice"},
    "action": {
        "type": "string",
        "description": "this action, or every action under a prefix ending in '.'",
    },
    "target": {"type": "string", "description": "exactly this target, e.g. user:12"},
    "since": {
        "type": "string",
        "format": "date-time",
        "description": "at or after this time (ISO 8601)",
    },
    "until": {
        "type": "string",
        "format": "date-time",
        "description": "before this time (ISO 8601)",
    },
}


@hookimpl
def rjc_permissions() -> list[Permission]:
    return [Permission("audit.read", "Read and verify the audit log", ("admin",))]


def _time(call: ApiCall, name: str) -> datetime | None:
    raw = call.query.get(name)
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        reason = "use an ISO 8601 time with a zone, e.g. 2025-01-31T12:00:00Z"
        raise Problem(
            422,
            "Invalid query",
            f"query.{name}: {reason}",
            invalid_params=[{"name": f"query.{name}", "reason": reason}],
        )
    return moment


def list_entries(call: ApiCall) -> dict[str, Any]:
    since, until = _time(call, "since"), _time(call, "until")
    statement = select(AuditEntry)
    if call.query.get("actor"):
        statement = statement.where(AuditEntry.actor == call.query["actor"])
    action = call.query.get("action")
    if action and action.endswith("."):
        statement = statement.where(col(AuditEntry.action).startswith(action, autoescape=True))
    elif action:
        statement = statement.where(AuditEntry.action == action)
    if call.query.get("target"):
        statement = statement.where(AuditEntry.target == call.query["target"])
    if since:
        statement = statement.where(AuditEntry.time >= since)
    if until:
        statement = statement.where(AuditEntry.time < until)
    with call.kernel.db.session() as session:
        return paginate(
            session, statement, col(AuditEntry.seq), call.query, entry_view, descending=True
        )


def verify(call: ApiCall) -> dict[str, Any]:
    report = call.kernel.audit.check()
    return {
        "ok": report.ok,
        "rows": report.rows,
        "last_seq": report.last_seq,
        "last_hash": report.last_hash,
        "problems": [{"seq": p.seq, "problem": p.problem} for p in report.problems],
    }


@hookimpl
def rjc_api_routes(kernel: Kernel) -> list[ApiRoute]:
    return [
        ApiRoute(
            "GET",
            "/audit",
            list_entries,
            permission="audit.read",
            query=QUERY,
            tags=TAGS,
            summary="Audit entries, newest first, filtered by actor, action, target and time",
        ),
        ApiRoute(
            "GET",
            "/audit/verify",
            verify,
            permission="audit.read",
            tags=TAGS,
            summary="Walk the hash chain and name the rows that were edited or deleted",
        ),
    ]


@hookimpl
def rjc_cli_commands() -> list[click.Command]:
    from rjchronos.security.commands import audit

    return [audit]
