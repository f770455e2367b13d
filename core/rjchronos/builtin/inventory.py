"""Built-in plugin: devices, sites, topology, the device timeline and live events (SSE).

Reads are filtered by the caller's ``devices.read`` scopes (a device out of
scope answers 404, as if absent); changes need ``devices.write`` where the
device is now and where it would be (403 otherwise). Every change is audited.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from rjchronos import hookimpl
from rjchronos.events import DeviceEvent, EventType
from rjchronos.events_bus import Missed
from rjchronos.http.pagination import PAGE_QUERY, paginate, paginate_sorted
from rjchronos.http.problems import Problem, forbidden
from rjchronos.http.routing import ApiCall, ApiRoute
from rjchronos.inventory import queries, service, topology
from rjchronos.inventory.errors import Conflict, InvalidField, NotFound
from rjchronos.inventory.models import (
    DEVICE_KINDS,
    DEVICE_STATUSES,
    DeviceEventRecord,
    device_events,
    devices,
    sites,
)
from rjchronos.security.permissions import Permission
from rjchronos.telemetry.params import parse_instant

if TYPE_CHECKING:
    from rjchronos.kernel import Kernel

PLUGIN = "builtin.inventory"
READ, WRITE = "devices.read", "devices.write"
MAX_TOPOLOGY_DEPTH = 16
#: Timeline rows read per query when a stream resumes from ``Last-Event-ID``.
RESUME_PAGE = 500


# -- declarations ------------------------------------------------------------


@hookimpl
def rjc_settings_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "listener_timeout_seconds": {"type": "number", "exclusiveMinimum": 0, "default": 10},
            "subscriber_queue_size": {"type": "integer", "minimum": 1, "default": 1000},
            "stream_keepalive_seconds": {"type": "number", "exclusiveMinimum": 0, "default": 15},
        },
        "additionalProperties": False,
    }


@hookimpl
def rjc_permissions() -> list[Permission]:
    return [
        Permission(
            READ, "See devices, topology and timelines", ("viewer", "operator", "admin"), True
        ),
        Permission(WRITE, "Add, change and remove devices", ("operator", "admin"), True),
        Permission("sites.read", "See sites", ("viewer", "operator", "admin")),
        Permission("sites.write", "Add, change and remove sites", ("operator", "admin")),
        Permission(
            "events.read",
            "Follow live device events (of the devices in scope)",
            ("viewer", "operator", "admin"),
            scopable=True,
        ),
    ]


_FROM_TO = {
    "type": "object",
    "properties": {"from": {"type": ["string", "null"]}, "to": {"type": ["string", "null"]}},
    "required": ["from", "to"],
}


@hookimpl
def rjc_event_types() -> list[EventType]:
    return [
        EventType("device.created", "A device was added to inventory"),
        EventType(
            "device.updated",
            "Fields of a device changed",
            payload_schema={"type": "object", "required": ["fields"]},
        ),
        EventType("device.deleted", "A device was removed from inventory", "warning"),
        EventType("device.status_changed", "A device's status changed", payload_schema=_FROM_TO),
        EventType(
            "device.parent_changed", "A device moved in the topology", payload_schema=_FROM_TO
        ),
        EventType(
            "device.customer_changed",
            "A device was linked to another customer",
            payload_schema=_FROM_TO,
        ),
    ]


@hookimpl
async def rjc_startup(kernel: Kernel) -> None:
    # Listeners of events emitted on worker threads run on this loop.
    kernel.events.bind_loop(asyncio.get_running_loop())


@hookimpl
async def rjc_shutdown(kernel: Kernel) -> None:
    await kernel.events.drain(timeout=kernel.events.listener_timeout)
    kernel.events.bind_loop(None)


# -- helpers -----------------------------------------------------------------


@contextmanager
def _answering() -> Iterator[None]:
    """Turn the service's errors into problems naming the body field."""
    try:
        yield
    except NotFound as exc:
        raise Problem(404, "Not found", str(exc)) from None
    except InvalidField as exc:
        name = f"body.{exc.field}"
        raise Problem(
            422,
            "Invalid body",
            f"{name}: {exc.reason}",
            invalid_params=[{"name": name, "reason": exc.reason}],
        ) from None
    except Conflict as exc:
        name = exc.field if exc.field == "site" else f"body.{exc.field}"
        problem = Problem(
            409,
            "Conflict",
            f"{name}: {exc.reason}",
            invalid_params=[{"name": name, "reason": exc.reason}],
        )
        if exc.existing_id:
            problem.extra["existing_id"] = exc.existing_id  # what the change clashed with
        raise problem from None


def _invalid_query(name: str, reason: str) -> Problem:
    return Problem(
        422,
        "Invalid query",
        f"query.{name}: {reason}",
        invalid_params=[{"name": f"query.{name}", "reason": reason}],
    )


def _check_choices(query: Mapping[str, Any], name: str, choices: Sequence[str]) -> None:
    for value in query.get(name) or ():
        if value not in choices:
            raise _invalid_query(name, f"{value!r} is not one of {', '.join(choices)}")


@contextmanager
def _reading(kernel: Kernel) -> Iterator[Session]:
    """A session for reads only, in autocommit: no BEGIN and COMMIT round trips."""
    with kernel.db.engine.connect() as connection:
        reader = connection.execution_options(isolation_level="AUTOCOMMIT")
        with Session(bind=reader) as session:
            yield session


def _render(row: Any) -> dict[str, Any]:
    return queries.jsonable(row._asdict())


def _page(
    session: Session,
    statement: Any,
    key: Any,
    query: Mapping[str, Any],
    *,
    descending: bool = False,
) -> dict[str, Any]:
    """One page of a column select (``paginate`` runs any select; it is typed for ORM ones)."""
    return paginate(session, statement, key, dict(query), _render, descending=descending)


def _device_row(session: Session, device_id: str, scopes: queries.Scopes) -> dict[str, Any]:
    statement = select(*queries.DETAIL_COLUMNS).where(devices.c.id == device_id)
    condition = queries.scope_condition(scopes)
    if condition is not None:
        statement = statement.where(condition)
    row = session.execute(statement).mappings().first()
    if row is None:
        raise Problem(404, "Not found", f"no device with id {device_id!r}")
    return queries.jsonable(row)


def _require_visible(session: Session, device_id: str, scopes: queries.Scopes) -> None:
    if not queries.device_visible(session, device_id, scopes):
        raise Problem(404, "Not found", f"no device with id {device_id!r}")


def _require_writable(call: ApiCall, session: Session, device_id: str) -> None:
    """404 when the device does not exist, 403 when it is outside the caller's write scopes."""
    _require_visible(session, device_id, (None,))
    if not queries.device_visible(session, device_id, call.user.scopes(WRITE)):
        raise forbidden(WRITE)


def _require_written_in_scope(call: ApiCall, session: Session, device_id: str) -> None:
    """403, undoing the change, when it put the device outside the caller's write scopes."""
    if not queries.device_visible(session, device_id, call.user.scopes(WRITE)):
        raise forbidden(WRITE)


# -- devices -------------------------------------------------------------------

_TEXT = {"type": "string", "maxLength": 255}
_SHORT = {"type": "string", "maxLength": 64}
_NULLABLE_ID = {"type": ["string", "null"], "maxLength": 26}
DEVICE_PROPERTIES: dict[str, Any] = {
    "kind": {"enum": list(DEVICE_KINDS)},
    "name": _TEXT,
    "vendor": _SHORT,
    "model": _SHORT,
    "serial": {
        "type": ["string", "null"],
        "maxLength": 64,
        "description": "any spelling; GPON serials are stored as HWTC11E70E9A",
    },
    "mac": {"type": ["string", "null"], "maxLength": 32, "description": "any common spelling"},
    "firmware": {"type": "string", "maxLength": 128},
    "hardware_version": _SHORT,
    "identity": {
        "type": ["string", "null"],
        "maxLength": 255,
        "description": "protocol identity, e.g. CWMP OUI-ProductClass-SerialNumber",
    },
    "management_address": _TEXT,
    "status": {"enum": list(DEVICE_STATUSES)},
    "last_seen": {"type": ["string", "null"], "description": "ISO 8601 with a time zone"},
    "tags": {
        "type": "array",
        "maxItems": 64,
        "items": {"type": "string", "minLength": 1, "maxLength": 64},
    },
    "attributes": {"type": "object"},
    "parent_id": _NULLABLE_ID,
    "site_id": _NULLABLE_ID,
    "customer_id": _NULLABLE_ID,
}
DEVICE_CREATE = {
    "type": "object",
    "properties": DEVICE_PROPERTIES,
    "required": ["kind"],
    "additionalProperties": False,
}
DEVICE_UPDATE = {
    "type": "object",
    "properties": {k: v for k, v in DEVICE_PROPERTIES.items() if k != "kind"},
    "minProperties": 1,
    "additionalProperties": False,
}
_STRING = {"type": "string", "minLength": 1, "maxLength": 255}
#: Columns ``GET /devices`` sorts by (text columns: a missing value sorts as empty).
DEVICE_SORTS = ("name", "serial", "status", "vendor", "model", "firmware")
DEVICE_LIST_QUERY: dict[str, dict[str, Any]] = {
    **PAGE_QUERY,
    "kind": {
        "type": "array",
        "items": {"enum": list(DEVICE_KINDS)},
        "description": "comma-separated",
    },
    "status": {
        "type": "array",
        "items": {"enum": list(DEVICE_STATUSES)},
        "description": "comma-separated",
    },
    "serial": {**_STRING, "description": "any spelling of the serial"},
    "mac": {**_STRING, "description": "any spelling of the MAC"},
    "identity": _STRING,
    "vendor": _STRING,
    "model": _STRING,
    "tag": {
        "type": "array",
        "items": {"type": "string"},
        "description": "devices carrying every tag",
    },
    "sort": {
        "enum": [f"{way}{field}" for field in DEVICE_SORTS for way in ("", "-")],
        "description": "order by this column (`-` first: descending), then by id",
    },
    "parent": _STRING,
    "olt": _STRING,
    "customer": _STRING,
    "site": _STRING,
    "region": _STRING,
    "q": {**_STRING, "description": "prefix of the name (any case) or of the serial"},
}


def list_devices(call: ApiCall) -> dict[str, Any]:
    _check_choices(call.query, "kind", DEVICE_KINDS)
    _check_choices(call.query, "status", DEVICE_STATUSES)
    kernel = call.kernel
    try:
        statement = queries.device_query(call.query, call.user.scopes(READ), kernel.db.dialect)
    except ValueError as exc:
        name = "mac" if "MAC" in str(exc) else "serial"
        raise _invalid_query(name, str(exc)) from None
    with _reading(kernel) as session:
        sort = call.query.get("sort")
        if not sort:
            return _page(session, statement, devices.c.id, call.query)
        column = devices.c[sort.lstrip("-")]
        return paginate_sorted(
            session,
            statement,
            column,
            devices.c.id,
            dict(call.query),
            _render,
            descending=sort.startswith("-"),
        )


def get_device(call: ApiCall) -> dict[str, Any]:
    with _reading(call.kernel) as session:
        return _device_row(session, call.path["id"], call.user.scopes(READ))


def create_device(call: ApiCall) -> dict[str, Any]:
    with call.kernel.db.session() as session, _answering():
        device = service.create_device(
            call.kernel, call.body, actor=call.user.actor, session=session
        )
        _require_written_in_scope(call, session, device.id)
        answer = _device_row(session, device.id, (None,))
    call.audit("devices.create", f"device:{device.id}", call.body)
    return answer


def update_device(call: ApiCall) -> dict[str, Any]:
    device_id = call.path["id"]
    with call.kernel.db.session() as session, _answering():
        _require_writable(call, session, device_id)
        service.update_device(
            call.kernel, device_id, call.body, actor=call.user.actor, session=session
        )
        _require_written_in_scope(call, session, device_id)
        answer = _device_row(session, device_id, (None,))
    call.audit("devices.update", f"device:{device_id}", call.body)
    return answer


def delete_device(call: ApiCall) -> None:
    device_id = call.path["id"]
    with call.kernel.db.session() as session, _answering():
        _require_writable(call, session, device_id)
        device = service.delete_device(
            call.kernel, device_id, actor=call.user.actor, session=session
        )
        params = {"kind": device.kind, "serial": device.serial}
    call.audit("devices.delete", f"device:{device_id}", params)


def list_device_events(call: ApiCall) -> dict[str, Any]:
    device_id = call.path["id"]
    types = call.query.get("type")
    with _reading(call.kernel) as session:
        _require_visible(session, device_id, call.user.scopes(READ))
        statement = select(*device_events.columns).where(device_events.c.device_id == device_id)
        if types:
            statement = statement.where(device_events.c.type.in_(types))
        return _page(session, statement, device_events.c.id, call.query, descending=True)


EVENT_HISTORY_QUERY: dict[str, dict[str, Any]] = {
    **PAGE_QUERY,
    "type": {"type": "array", "items": {"type": "string"}, "description": "only these event types"},
    "device": {"type": "string", "description": "only this device's events"},
    "since": {"type": "string", "description": "ISO 8601: events at or after this time"},
    "until": {"type": "string", "description": "ISO 8601: events before this time"},
}


def _instant_query(call: ApiCall, name: str) -> datetime | None:
    if not call.query.get(name):
        return None
    try:
        return parse_instant(str(call.query[name]))
    except ValueError as exc:
        raise _invalid_query(name, str(exc)) from None


def list_events(call: ApiCall) -> dict[str, Any]:
    """Every device's events, newest first (the monitoring history); scoped callers see only
    their devices' events."""
    e = device_events.c
    statement = select(*device_events.columns)
    if call.query.get("type"):
        statement = statement.where(e.type.in_(call.query["type"]))
    if call.query.get("device"):
        statement = statement.where(e.device_id == call.query["device"])
    since, until = _instant_query(call, "since"), _instant_query(call, "until")
    if since is not None:
        statement = statement.where(e.time >= since)
    if until is not None:
        statement = statement.where(e.time < until)
    condition = queries.scope_condition(call.user.scopes("events.read"))
    if condition is not None:
        statement = statement.join(devices, devices.c.id == e.device_id).where(condition)
    with _reading(call.kernel) as session:
        return _page(session, statement, e.id, call.query, descending=True)


# -- topology ----------------------------------------------------------------


def _node(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in ("parent_id", "depth")} | {"children": []}


def get_topology(call: ApiCall) -> dict[str, Any]:
    root_id, depth = call.path["id"], call.query["depth"]
    scopes = call.user.scopes(READ)
    with _reading(call.kernel) as session:
        _require_visible(session, root_id, scopes)
        rows = topology.subtree_rows(session, root_id, max_depth=depth + 1, scopes=scopes)
        path_ids = topology.ancestor_ids(session, root_id)
        path = queries.device_query({}, scopes, "", (devices.c.id, devices.c.kind, devices.c.name))
        above = {
            row["id"]: dict(row)
            for row in session.execute(path.where(devices.c.id.in_(path_ids))).mappings()
        }
    truncated = any(row["depth"] > depth for row in rows)
    nodes: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row["depth"] > depth:
            continue
        node = nodes[row["id"]] = _node(row)
        parent = nodes.get(row["parent_id"]) if row["depth"] else None
        if parent is not None:
            parent["children"].append(node)
        elif row["depth"]:  # its parent is out of the caller's scope: so is this branch
            del nodes[row["id"]]
    return {
        "root": nodes[root_id],
        "count": len(nodes),
        "depth": depth,
        "truncated": truncated,
        "path": [above[i] for i in reversed(path_ids) if i in above],
    }


def get_affected(call: ApiCall) -> dict[str, Any]:
    device_id = call.path["id"]
    scopes = call.user.scopes(READ)
    with _reading(call.kernel) as session:
        _require_visible(session, device_id, scopes)
        result = topology.affected(session, device_id, scopes=scopes)
    return {
        "device_id": result.device_id,
        "devices": {
            "count": result.devices,
            "by_kind": result.by_kind,
            "by_status": result.by_status,
        },
        "customers": {"count": len(result.customer_ids), "ids": result.customer_ids},
    }


# -- sites -------------------------------------------------------------------

SITE_PROPERTIES: dict[str, Any] = {
    "name": {"type": "string", "minLength": 1, "maxLength": 200},
    "address": {"type": "string", "maxLength": 300},
    "neighbourhood": {"type": "string", "maxLength": 120},
    "city": {"type": "string", "maxLength": 120},
    "state": {"type": "string", "maxLength": 60},
    "region": {"type": "string", "maxLength": 120},
    "latitude": {"type": ["number", "null"], "minimum": -90, "maximum": 90},
    "longitude": {"type": ["number", "null"], "minimum": -180, "maximum": 180},
}
SITE_CREATE = {
    "type": "object",
    "properties": SITE_PROPERTIES,
    "required": ["name"],
    "additionalProperties": False,
}
SITE_UPDATE = {
    "type": "object",
    "properties": SITE_PROPERTIES,
    "minProperties": 1,
    "additionalProperties": False,
}
SITE_LIST_QUERY: dict[str, dict[str, Any]] = {
    **PAGE_QUERY,
    "region": _STRING,
    "city": _STRING,
    "q": {**_STRING, "description": "prefix of the name, any case"},
}
_SITE_COLUMNS = tuple(sites.columns)


def _site_row(session: Session, site_id: str) -> dict[str, Any]:
    row = session.execute(select(*_SITE_COLUMNS).where(sites.c.id == site_id)).mappings().first()
    if row is None:
        raise Problem(404, "Not found", f"no site with id {site_id!r}")
    return queries.jsonable(row)


def list_sites(call: ApiCall) -> dict[str, Any]:
    statement = select(*_SITE_COLUMNS)
    if call.query.get("region"):
        statement = statement.where(sites.c.region == call.query["region"])
    if call.query.get("city"):
        statement = statement.where(sites.c.city == call.query["city"])
    if call.query.get("q"):
        prefix = call.query["q"].lower()
        statement = statement.where(func.lower(sites.c.name).startswith(prefix, autoescape=True))
    with _reading(call.kernel) as session:
        return _page(session, statement, sites.c.id, call.query)


def get_site(call: ApiCall) -> dict[str, Any]:
    with _reading(call.kernel) as session:
        return _site_row(session, call.path["id"])


def create_site(call: ApiCall) -> dict[str, Any]:
    with call.kernel.db.session() as session, _answering():
        site_id = service.create_site(call.kernel, call.body, session=session).id
    call.audit("sites.create", f"site:{site_id}", call.body)
    with _reading(call.kernel) as session:
        return _site_row(session, site_id)


def update_site(call: ApiCall) -> dict[str, Any]:
    site_id = call.path["id"]
    with call.kernel.db.session() as session, _answering():
        service.update_site(call.kernel, site_id, call.body, session=session)
    call.audit("sites.update", f"site:{site_id}", call.body)
    with _reading(call.kernel) as session:
        return _site_row(session, site_id)


def delete_site(call: ApiCall) -> None:
    site_id = call.path["id"]
    with call.kernel.db.session() as session, _answering():
        service.delete_site(call.kernel, site_id, session=session)
    call.audit("sites.delete", f"site:{site_id}")


# -- live events ---------------------------------------------------------------

STREAM_QUERY: dict[str, dict[str, Any]] = {
    "type": {"type": "array", "items": {"type": "string"}, "description": "only these event types"},
    "device": {"type": "array", "items": {"type": "string"}, "description": "only these devices"},
    "last_event_id": {
        "type": "integer",
        "minimum": 0,
        "description": "resume after this event (the Last-Event-ID header wins)",
    },
}


def _sse(event: DeviceEvent) -> str:
    data = {
        "id": event.id,
        "type": event.type,
        "device_id": event.device_id,
        "time": event.time.isoformat(),
        "payload": dict(event.payload),
        "actor": event.actor,
    }
    return f"id: {event.id}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def _timeline_after(
    kernel: Kernel, after: int, types: Sequence[str] | None, devices: Sequence[str] | None
) -> list[DeviceEvent]:
    statement = select(DeviceEventRecord).where(device_events.c.id > after)
    if types:
        statement = statement.where(device_events.c.type.in_(types))
    if devices:
        statement = statement.where(device_events.c.device_id.in_(devices))
    statement = statement.order_by(device_events.c.id).limit(RESUME_PAGE)
    with _reading(kernel) as session:
        return [DeviceEvent.of_row(r) for r in session.execute(statement).scalars()]


def _last_event_id(call: ApiCall) -> int | None:
    header = call.request.headers.get("last-event-id")
    if header is None:
        return call.query.get("last_event_id")
    if not header.strip().isdigit():
        raise Problem(
            422,
            "Invalid header",
            "Last-Event-ID: not an event id this stream sent",
            invalid_params=[{"name": "header.Last-Event-ID", "reason": "not an event id"}],
        )
    return int(header)


class _ScopeFilter:
    """Which events a scoped caller may see: those of devices within their ``events.read`` scopes.

    Visibility is looked up once per device and remembered for the stream's life (bounded).
    """

    LIMIT = 10_000

    def __init__(self, kernel: Kernel, scopes: queries.Scopes) -> None:
        self.kernel = kernel
        self.scopes = scopes
        self.seen: dict[str, bool] = {}

    async def allows(self, event: DeviceEvent) -> bool:
        if queries.unrestricted(self.scopes):
            return True
        if event.device_id is None:
            return False
        if event.device_id not in self.seen:
            if len(self.seen) >= self.LIMIT:
                self.seen.clear()
            self.seen[event.device_id] = await run_in_threadpool(self._visible, event.device_id)
        return self.seen[event.device_id]

    def _visible(self, device_id: str) -> bool:
        with _reading(self.kernel) as session:
            return queries.device_visible(session, device_id, self.scopes)


async def event_stream(call: ApiCall) -> StreamingResponse:
    kernel = call.kernel
    bus = kernel.events
    in_scope = _ScopeFilter(kernel, call.user.scopes("events.read"))
    types = call.query.get("type")
    for name in types or ():
        if name not in bus.types:
            raise _invalid_query("type", f"{name!r} is not a declared event type")
    devices = call.query.get("device")
    resume_after = _last_event_id(call)

    async def stream() -> AsyncIterator[str]:
        # Subscribe before reading the timeline, so nothing falls between the two.
        subscription = bus.subscribe(types=types, device_ids=devices)
        # Ids sent while catching up, to skip the live copies of the same events.
        sent: deque[int] = deque(maxlen=subscription.maxsize + RESUME_PAGE)
        try:
            yield "retry: 3000\n\n"
            after = resume_after
            while after is not None:
                page = await run_in_threadpool(_timeline_after, kernel, after, types, devices)
                for event in page:
                    sent.append(event.id)
                    if await in_scope.allows(event):
                        yield _sse(event)
                after = page[-1].id if len(page) == RESUME_PAGE else None
            caught_up = set(sent)
            while True:
                item = await subscription.get(timeout=bus.keepalive)
                if item is None:
                    yield ": keep-alive\n\n"
                elif isinstance(item, Missed):
                    yield f"event: missed\ndata: {json.dumps({'missed': item.count})}\n\n"
                elif item.id not in caught_up and await in_scope.allows(item):
                    yield _sse(item)
        finally:
            subscription.close()

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


# -- routes --------------------------------------------------------------------


@hookimpl
def rjc_api_routes(kernel: Kernel) -> list[ApiRoute]:
    devices, sites, topo = ("devices",), ("sites",), ("topology",)
    return [
        ApiRoute(
            "GET",
            "/devices",
            list_devices,
            READ,
            query=DEVICE_LIST_QUERY,
            tags=devices,
            summary="List devices of every kind, filtered, a page at a time",
        ),
        ApiRoute(
            "POST",
            "/devices",
            create_device,
            WRITE,
            body_schema=DEVICE_CREATE,
            status_code=201,
            tags=devices,
            summary="Add a device",
        ),
        ApiRoute("GET", "/devices/{id}", get_device, READ, tags=devices, summary="One device"),
        ApiRoute(
            "PATCH",
            "/devices/{id}",
            update_device,
            WRITE,
            body_schema=DEVICE_UPDATE,
            tags=devices,
            summary="Change a device's fields or links",
        ),
        ApiRoute(
            "DELETE",
            "/devices/{id}",
            delete_device,
            WRITE,
            status_code=204,
            tags=devices,
            summary="Remove a device; its children move up to its parent",
        ),
        ApiRoute(
            "GET",
            "/devices/{id}/events",
            list_device_events,
            READ,
            tags=devices,
            query={**PAGE_QUERY, "type": {"type": "array", "items": {"type": "string"}}},
            summary="A device's event timeline, newest first",
        ),
        ApiRoute(
            "GET",
            "/events",
            list_events,
            "events.read",
            tags=("events",),
            query=EVENT_HISTORY_QUERY,
            summary="Device events of every device, newest first (the history)",
        ),
        ApiRoute(
            "GET",
            "/topology/{id}",
            get_topology,
            READ,
            tags=topo,
            query={
                "depth": {
                    "type": "integer",
                    "minimum": 0,
                    "maximum": MAX_TOPOLOGY_DEPTH,
                    "default": 6,
                }
            },
            summary="The subtree below a device, to a depth",
        ),
        ApiRoute(
            "GET",
            "/topology/{id}/affected",
            get_affected,
            READ,
            tags=topo,
            summary="Who fails with a device: devices below it per kind, customers linked",
        ),
        ApiRoute(
            "GET",
            "/sites",
            list_sites,
            "sites.read",
            query=SITE_LIST_QUERY,
            tags=sites,
            summary="List sites",
        ),
        ApiRoute(
            "POST",
            "/sites",
            create_site,
            "sites.write",
            body_schema=SITE_CREATE,
            status_code=201,
            tags=sites,
            summary="Add a site",
        ),
        ApiRoute("GET", "/sites/{id}", get_site, "sites.read", tags=sites, summary="One site"),
        ApiRoute(
            "PATCH",
            "/sites/{id}",
            update_site,
            "sites.write",
            body_schema=SITE_UPDATE,
            tags=sites,
            summary="Change a site",
        ),
        ApiRoute(
            "DELETE",
            "/sites/{id}",
            delete_site,
            "sites.write",
            status_code=204,
            tags=sites,
            summary="Remove a site that no device uses",
        ),
        ApiRoute(
            "GET",
            "/events/stream",
            event_stream,
            "events.read",
            query=STREAM_QUERY,
            tags=("events",),
            summary="Live device events (Server-Sent Events; resumes from Last-Event-ID)",
        ),
    ]
