"""Built-in plugin: tickets (open, assigned, resolved), linked to customer, device and incident.

Every change is audited, put on the device's timeline when the ticket names
one, and handed to ``rjc_ticket_changed`` so a plugin can mirror tickets to
an external helpdesk or ERP. Tables live in ``builtin.alerts``' history.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlmodel import col, or_, select

from rjchronos import hookimpl
from rjchronos.alerts.models import Incident, Ticket
from rjchronos.customers.models import Customer
from rjchronos.db.types import utcnow
from rjchronos.events import EventType
from rjchronos.http.pagination import PAGE_QUERY, paginate
from rjchronos.http.problems import Problem, not_found
from rjchronos.http.routing import ApiCall, ApiRoute
from rjchronos.inventory.models import Device
from rjchronos.security.permissions import Permission

if TYPE_CHECKING:
    from rjchronos.kernel import Kernel

log = logging.getLogger(__name__)
READ = "tickets.read"
WRITE = "tickets.write"
CREATE_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["title"],
    "additionalProperties": False,
    "properties": {
        "title": {"type": "string", "minLength": 1, "maxLength": 255},
        "description": {"type": "string", "maxLength": 20000},
        "customer_id": {"type": "string"},
        "device_id": {"type": "string"},
        "incident_id": {"type": "string"},
        "assignee": {"type": "string", "maxLength": 120},
    },
}
ASSIGN_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["assignee"],
    "additionalProperties": False,
    "properties": {"assignee": {"type": "string", "minLength": 1, "maxLength": 120}},
}
RESOLVE_BODY: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"resolution": {"type": "string", "maxLength": 20000}},
}
_TICKET_EVENT: dict[str, Any] = {
    "type": "object",
    "required": ["ticket_id"],
    "properties": {"ticket_id": {"type": "string"}},
}


def render(ticket: Ticket) -> dict[str, Any]:
    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    resolved = ticket.resolved_at
    return {
        "id": ticket.id,
        "title": ticket.title,
        "description": ticket.description,
        "status": ticket.status,
        "customer_id": ticket.customer_id,
        "device_id": ticket.device_id,
        "incident_id": ticket.incident_id,
        "assignee": ticket.assignee,
        "resolution": ticket.resolution,
        "created_by": ticket.created_by,
        "created_at": iso(ticket.created_at),
        "assigned_at": iso(ticket.assigned_at),
        "resolved_at": iso(resolved),
        "time_to_resolve_seconds": (
            (resolved - ticket.created_at).total_seconds() if resolved else None
        ),
    }


def _changed(call: ApiCall, ticket: Ticket, change: str) -> dict[str, Any]:
    """Audit a committed change and hand it to the mirroring plugins."""
    view = render(ticket)
    call.audit(f"ticket.{change}", f"ticket:{ticket.id}", {"status": ticket.status})
    try:
        call.kernel.hook.rjc_ticket_changed(kernel=call.kernel, ticket=view, change=change)
    except Exception:  # a helpdesk that is down must not undo the change
        log.exception("rjc_ticket_changed failed for ticket %s (%s)", ticket.id, change)
    return view


def _timeline(call: ApiCall, session: Any, ticket: Ticket, change: str) -> None:
    if ticket.device_id:
        call.kernel.events.emit(
            f"ticket.{change}",
            ticket.device_id,
            {"ticket_id": ticket.id, "status": ticket.status},
            actor=call.user.actor,
            session=session,
        )


def list_tickets(call: ApiCall) -> dict[str, Any]:
    statement = select(Ticket)
    for param, column in (
        ("status", Ticket.status),
        ("customer", Ticket.customer_id),
        ("device", Ticket.device_id),
        ("incident", Ticket.incident_id),
    ):
        if call.query.get(param):
            statement = statement.where(column == call.query[param])
    with call.kernel.db.session() as session:
        return paginate(session, statement, Ticket.id, call.query, render, descending=True)


#: The longest evolution ``GET /tickets/evolution`` draws, in days.
MAX_EVOLUTION_DAYS = 90
EVOLUTION_QUERY: dict[str, Any] = {
    "days": {"type": "integer", "minimum": 1, "maximum": MAX_EVOLUTION_DAYS, "default": 14}
}


def ticket_evolution(call: ApiCall) -> dict[str, Any]:
    """Tickets opened and resolved in each of the last ``days`` 24-hour periods (the last one
    ends now), and how many were unresolved at the end of each."""
    days = int(call.query.get("days") or EVOLUTION_QUERY["days"]["default"])
    end = utcnow()
    start = end - timedelta(days=days)
    statement = select(Ticket.created_at, Ticket.resolved_at).where(
        col(Ticket.created_at) < end,
        or_(col(Ticket.resolved_at).is_(None), col(Ticket.resolved_at) >= start),
    )
    with call.kernel.db.session() as session:
        rows = [(created, done) for created, done in session.execute(statement)]
    points = []
    for index in range(days):
        low = start + timedelta(days=index)
        high = low + timedelta(days=1)
        points.append(
            {
                "start": low.isoformat(),
                "end": high.isoformat(),
                "opened": sum(low <= created < high for created, _ in rows),
                "resolved": sum(done is not None and low <= done < high for _, done in rows),
                "open": sum(
                    created < high and (done is None or done >= high) for created, done in rows
                ),
            }
        )
    return {
        "days": days,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "opened": sum(point["opened"] for point in points),
        "resolved": sum(point["resolved"] for point in points),
        "open_now": sum(done is None for _, done in rows),
        "points": points,
    }


def get_ticket(call: ApiCall) -> dict[str, Any]:
    with call.kernel.db.session() as session:
        ticket = session.get(Ticket, call.path["id"])
        if ticket is None:
            raise not_found("ticket", call.path["id"])
        return render(ticket)


def create_ticket(call: ApiCall) -> dict[str, Any]:
    body = dict(call.body)
    with call.kernel.db.session() as session:
        for field, model in (
            ("customer_id", Customer),
            ("device_id", Device),
            ("incident_id", Incident),
        ):
            if body.get(field) and session.get(model, body[field]) is None:
                raise Problem(
                    422,
                    "Invalid body",
                    f"body.{field}: no such {field[:-3]}",
                    invalid_params=[{"name": f"body.{field}", "reason": "does not exist"}],
                )
        ticket = Ticket(**body, created_by=call.user.actor)
        if ticket.assignee:
            ticket.status, ticket.assigned_at = "assigned", utcnow()
        session.add(ticket)
        session.flush()
        _timeline(call, session, ticket, "opened")
        session.commit()
        session.refresh(ticket)
    return _changed(call, ticket, "opened")


def _transition(call: ApiCall, change: str) -> dict[str, Any]:
    with call.kernel.db.session() as session:
        ticket = session.get(Ticket, call.path["id"])
        if ticket is None:
            raise not_found("ticket", call.path["id"])
        if ticket.status == "resolved":
            raise Problem(409, "Conflict", f"ticket {ticket.id} is resolved")
        if change == "assigned":
            ticket.status, ticket.assignee, ticket.assigned_at = (
                "assigned",
                call.body["assignee"],
                utcnow(),
            )
        else:
            ticket.status, ticket.resolved_at = "resolved", utcnow()
            ticket.resolution = (call.body or {}).get("resolution", "")
        _timeline(call, session, ticket, change)
        session.commit()
        session.refresh(ticket)
    return _changed(call, ticket, change)


def assign_ticket(call: ApiCall) -> dict[str, Any]:
    return _transition(call, "assigned")


def resolve_ticket(call: ApiCall) -> dict[str, Any]:
    return _transition(call, "resolved")


@hookimpl
def rjc_permissions() -> list[Permission]:
    return [
        Permission(READ, "See tickets", ("viewer", "operator", "admin")),
        Permission(WRITE, "Open, assign and resolve tickets", ("operator", "admin")),
    ]


@hookimpl
def rjc_event_types() -> list[EventType]:
    return [
        EventType("ticket.opened", "A ticket was opened", payload_schema=_TICKET_EVENT),
        EventType("ticket.assigned", "A ticket was assigned", payload_schema=_TICKET_EVENT),
        EventType("ticket.resolved", "A ticket was resolved", payload_schema=_TICKET_EVENT),
    ]


@hookimpl
def rjc_api_routes(kernel: Kernel) -> list[ApiRoute]:
    tags = ("tickets",)
    query = {
        **PAGE_QUERY,
        "status": {"enum": ["open", "assigned", "resolved"]},
        "customer": {"type": "string"},
        "device": {"type": "string"},
        "incident": {"type": "string"},
    }
    return [
        ApiRoute("GET", "/tickets", list_tickets, permission=READ, tags=tags,
                 summary="Tickets, newest first", query=query),
        ApiRoute("POST", "/tickets", create_ticket, permission=WRITE, tags=tags,
                 status_code=201, summary="Open a ticket", body_schema=CREATE_BODY),
        ApiRoute("GET", "/tickets/evolution", ticket_evolution, permission=READ, tags=tags,
                 summary="Tickets opened, resolved and open per day", query=EVOLUTION_QUERY),
        ApiRoute("GET", "/tickets/{id}", get_ticket, permission=READ, tags=tags,
                 summary="One ticket"),
        ApiRoute("POST", "/tickets/{id}/assign", assign_ticket, permission=WRITE, tags=tags,
                 summary="Assign a ticket", body_schema=ASSIGN_BODY),
        ApiRoute("POST", "/tickets/{id}/resolve", resolve_ticket, permission=WRITE, tags=tags,
                 summary="Resolve a ticket", body_schema=RESOLVE_BODY),
    ]  # fmt: skip
