"""REST route of remote diagnostics: ``POST /api/v1/devices/{id}/diagnostics``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from rjchronos.http.problems import Problem
from rjchronos.http.routing import ApiCall, ApiRoute
from rjchronos_acs_tr069 import PLUGIN, api, names, tasks
from rjchronos_acs_tr069.diagnostics import DIAGNOSTICS_SCHEMA, OBJECTS, parameter_values
from rjchronos_acs_tr069.models import CpeTask, parameters

if TYPE_CHECKING:
    from rjchronos.kernel import Kernel

DIAGNOSTICS_WRITE = "acs.diagnostics.write"
DEFAULT_DIAGNOSTICS_TTL = 3600.0


class NoDataModel(LookupError):
    """The CPE has not reported its data model yet: no diagnostics object to write."""


def queue_diagnostics(
    kernel: Kernel,
    device_id: str,
    body: dict[str, Any],
    *,
    actor: str,
    ttl: float | None = None,
    extra: dict[str, Any] | None = None,
) -> CpeTask:
    """Queue a TR-143 test (``body`` as the API takes it) for the CPE's next session.

    ``extra`` goes into the task's parameters (what asked for the test);
    ``ttl`` defaults to ``diagnostics_ttl_seconds``.
    """
    with kernel.db.session() as session:
        any_path = session.execute(
            select(parameters.c.path).where(parameters.c.device_id == device_id).limit(1)
        ).scalar()
    root = names.root_of([any_path]) if any_path else None
    if root is None:
        raise NoDataModel(f"CPE {device_id} has not reported its data model yet")
    obj = OBJECTS[body["type"]][names.ROOTS.index(root)]
    params = {
        "kind": body["type"],
        "object": obj,
        "values": parameter_values(body["type"], obj, body),
        **(extra or {}),
    }
    if ttl is None:
        # Results matter only while fresh: a diagnostic never reported expires sooner than a task.
        settings = kernel.plugin_settings(PLUGIN)
        ttl = float(settings.get("diagnostics_ttl_seconds", DEFAULT_DIAGNOSTICS_TTL))
    return tasks.create_task(
        kernel, device_id, {"type": "diagnostics", **params}, actor=actor, ttl=ttl
    )


def _create(call: ApiCall) -> dict[str, Any]:
    with call.kernel.db.session() as session:
        api.visible_cpe(call, session, DIAGNOSTICS_WRITE)
    try:
        task = queue_diagnostics(call.kernel, call.path["id"], call.body, actor=call.user.actor)
    except NoDataModel:
        raise Problem(
            409, "Diagnostics refused", "the CPE has not reported its data model yet"
        ) from None
    call.audit("acs.diagnostics.create", f"device:{task.device_id}", {"task": task.id, **call.body})
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
