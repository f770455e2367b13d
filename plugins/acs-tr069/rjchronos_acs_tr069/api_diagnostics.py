"""REST route of remote diagnostics: ``POST /api/v1/devices/{id}/diagnostics``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from rjchronos.http.problems import Problem
from rjchronos.http.routing import ApiCall, ApiRoute
from rjchronos_acs_tr069 import PLUGIN, api, names, tasks
from rjchronos_acs_tr069.diagnostics import DIAGNOSTICS_SCHEMA, OBJECTS, parameter_values
from rjchronos_acs_tr069.models import parameters

DIAGNOSTICS_WRITE = "acs.diagnostics.write"
DEFAULT_DIAGNOSTICS_TTL = 3600.0


def _create(call: ApiCall) -> dict[str, Any]:
    body = call.body
    with call.kernel.db.session() as session:
        api.visible_cpe(call, session, DIAGNOSTICS_WRITE)
        any_path = session.execute(
            select(parameters.c.path).where(parameters.c.device_id == call.path["id"]).limit(1)
        ).scalar()
    root = names.root_of([any_path]) if any_path else None
    if root is None:
        raise Problem(409, "Diagnostics refused", "the CPE has not reported its data model yet")
    obj = OBJECTS[body["type"]][names.ROOTS.index(root)]
    params = {
        "kind": body["type"],
        "object": obj,
        "values": parameter_values(body["type"], obj, body),
    }
    settings = call.kernel.plugin_settings(PLUGIN)
    # Results matter only while fresh: a diagnostic never reported expires sooner than a task.
    ttl = float(settings.get("diagnostics_ttl_seconds", DEFAULT_DIAGNOSTICS_TTL))
    task = tasks.create_task(
        call.kernel,
        call.path["id"],
        {"type": "diagnostics", **params},
        actor=call.user.actor,
        ttl=ttl,
    )
    call.audit("acs.diagnostics.create", f"device:{task.device_id}", {"task": task.id, **body})
    return tasks.render(task)


async def create_diagnostics(call: ApiCall) -> dict[str, Any]:
    """Run a TR-143 test on the CPE; ``?wait=N`` waits for its results."""
    task = await run_in_threadpool(_create, call)
    return await api.wait_for(call, task)


def routes() -> list[ApiRoute]:
    return [
        ApiRoute(
            "POST",
            "/devices/{id}/diagnostics",
            create_diagnostics,
            DIAGNOSTICS_WRITE,
            summary="Run IPPing, TraceRoute, Download or Upload diagnostics on the CPE",
            tags=("acs",),
            body_schema=DIAGNOSTICS_SCHEMA,
            query={"wait": api.WAIT},
            status_code=201,
        )
    ]
