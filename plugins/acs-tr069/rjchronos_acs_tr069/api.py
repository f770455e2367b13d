"""REST routes of the ACS: a device's stored parameters and its task queue."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from rjchronos.http.problems import Problem
from rjchronos.http.routing import ApiCall, ApiRoute
from rjchronos.inventory import queries
from rjchronos.inventory.models import Device
from rjchronos.kernel import Kernel
from rjchronos_acs_tr069 import PLUGIN, connreq, firmware, names, tasks
from rjchronos_acs_tr069.driver import Tr069Driver
from rjchronos_acs_tr069.models import CpeParameter, CpeTask, parameters, task_rows

PARAMETERS_READ = "acs.parameters.read"
TASKS_READ = "acs.tasks.read"
TASKS_WRITE = "acs.tasks.write"
DEFAULT_TASK_TTL = 7 * 24 * 3600
WAIT_POLL_SECONDS = 0.1
#: The `?wait=N` query parameter of routes that queue a task.
WAIT = {"type": "integer", "minimum": 0, "maximum": 60, "default": 0}


def visible_cpe(call: ApiCall, session: Any, permission: str) -> None:
    """404 unless the device exists, is a CPE and lies in the caller's scopes."""
    scopes = call.user.scopes(permission) or [None]
    if not queries.device_visible(session, call.path["id"], scopes):
        raise Problem(404, "Not found", f"no device with id {call.path['id']!r}")


def list_parameters(call: ApiCall) -> dict[str, Any]:
    """The stored parameter tree of a CPE, optionally under a prefix."""
    prefix = call.query.get("prefix") or ""
    with call.kernel.db.session() as session:
        visible_cpe(call, session, PARAMETERS_READ)
        statement = (
            select(CpeParameter)
            .where(parameters.c.device_id == call.path["id"])
            .order_by(parameters.c.path)
        )
        if prefix:
            statement = statement.where(parameters.c.path.startswith(prefix))
        rows = session.execute(statement.limit(call.query["limit"] + 1)).scalars().all()
    limit = call.query["limit"]
    return {
        "items": [
            {
                "path": row.path,
                "value": row.value,
                "type": row.type,
                "writable": row.writable,
                "read_at": row.read_at.isoformat(),
            }
            for row in rows[:limit]
        ],
        "truncated": len(rows) > limit,
    }


def stored_values(session: Any, device_id: str) -> dict[str, str | None]:
    """A CPE's whole stored parameter tree, path to value."""
    rows = session.execute(
        select(parameters.c.path, parameters.c.value).where(parameters.c.device_id == device_id)
    )
    return {path: value for path, value in rows}


def device_summary(call: ApiCall) -> dict[str, Any]:
    """The CPE in canonical names (TR-098 and TR-181 alike) and its links."""
    with call.kernel.db.session() as session:
        visible_cpe(call, session, PARAMETERS_READ)
        device = session.get(Device, call.path["id"])
        assert device is not None
        values = stored_values(session, device.id)
        onu = None
        if device.parent_id:
            parent = session.get(Device, device.parent_id)
            onu = parent.id if parent is not None and parent.kind == "onu" else None
        return {
            "id": device.id,
            "identity": device.identity,
            "serial": device.serial,
            "mac": device.mac,
            "status": device.status,
            "last_seen": device.last_seen.isoformat() if device.last_seen else None,
            "customer_id": device.customer_id,
            "onu_id": onu,
            **names.read(values),
        }


def _queue(call: ApiCall) -> dict[str, Any]:
    with call.kernel.db.session() as session:
        visible_cpe(call, session, TASKS_WRITE)
    body = call.body
    if body["type"] == "cancel_transfer" and not tasks.transfer_task(
        call.kernel, call.path["id"], body["task"]
    ):
        raise Problem(
            422,
            "Invalid task",
            "cancel_transfer names a download or upload task of this device",
            invalid_params=[{"name": "body.task", "reason": "no such transfer task"}],
        )
    if body["type"] == "download" and "file" in body:
        body = firmware.resolve_download(call.kernel, call.path["id"], body)
    ttl = float(call.kernel.plugin_settings(PLUGIN).get("task_ttl_seconds", DEFAULT_TASK_TTL))
    task = tasks.create_task(call.kernel, call.path["id"], body, actor=call.user.actor, ttl=ttl)
    call.audit("acs.tasks.create", f"device:{task.device_id}", {"task": task.id, **body})
    return tasks.render(task)


def _current(call: ApiCall, task_id: str) -> dict[str, Any]:
    with call.kernel.db.session() as session:
        task = session.get(CpeTask, task_id)
        assert task is not None
        return tasks.render(task)


async def create_task(call: ApiCall) -> dict[str, Any]:
    """Queue a task; it runs at the CPE's next session.

    Downloads and uploads stay ``running`` after the CPE accepts them until
    its TransferComplete (CommandKey: the task id) finishes them.

    With ``?wait=N`` the ACS also sends a connection request and waits up to
    N seconds for the task to finish; ``connection_request`` then says
    ``accepted``, ``failed`` or ``unavailable`` (no URL reported, or no
    credentials configured).
    """
    task = await run_in_threadpool(_queue, call)
    return await wait_for(call, task)


async def wait_for(call: ApiCall, task: dict[str, Any]) -> dict[str, Any]:
    """With ``?wait=N``: send a connection request and wait up to N s for ``task`` to finish."""
    wait = call.query.get("wait", 0)
    if not wait:
        return task
    request = await run_in_threadpool(connreq.for_device, call.kernel, task["device_id"])
    accepted = request is not None and await Tr069Driver().request_connection(request.as_device())
    outcome = "accepted" if accepted else ("failed" if request else "unavailable")
    if accepted and request is not None and request.udp_address:
        outcome = "sent_udp"
    deadline = time.monotonic() + wait
    while accepted and task["status"] in ("pending", "running") and time.monotonic() < deadline:
        await asyncio.sleep(WAIT_POLL_SECONDS)
        task = await run_in_threadpool(_current, call, task["id"])
    return {**task, "connection_request": outcome}


def list_tasks(call: ApiCall) -> dict[str, Any]:
    """A CPE's tasks, newest first."""
    with call.kernel.db.session() as session:
        visible_cpe(call, session, TASKS_READ)
        rows = session.execute(
            select(CpeTask)
            .where(task_rows.c.device_id == call.path["id"])
            .order_by(task_rows.c.id.desc())
            .limit(call.query["limit"])
        ).scalars()
        return {"items": [tasks.render(task) for task in rows]}


_LIMIT = {"type": "integer", "minimum": 1, "maximum": 10000, "default": 1000}


def routes(kernel: Kernel) -> list[ApiRoute]:
    tags = ("acs",)
    return [
        ApiRoute(
            "GET",
            "/devices/{id}/parameters",
            list_parameters,
            PARAMETERS_READ,
            summary="The CPE's stored parameters (value, type, writability, time read)",
            tags=tags,
            query={"prefix": {"type": "string", "maxLength": 256}, "limit": _LIMIT},
        ),
        ApiRoute(
            "GET",
            "/devices/{id}/summary",
            device_summary,
            PARAMETERS_READ,
            summary="The CPE in canonical names: WAN, PPPoE, Wi-Fi per radio, optics, load, links",
            tags=tags,
        ),
        ApiRoute(
            "POST",
            "/devices/{id}/tasks",
            create_task,
            TASKS_WRITE,
            summary="Queue a task for the CPE's next session",
            tags=tags,
            body_schema=tasks.TASK_SCHEMA,
            query={"wait": WAIT},
            status_code=201,
        ),
        ApiRoute(
            "GET",
            "/devices/{id}/tasks",
            list_tasks,
            TASKS_READ,
            summary="The CPE's tasks, newest first",
            tags=tags,
            query={"limit": {**_LIMIT, "default": 100}},
        ),
    ]
