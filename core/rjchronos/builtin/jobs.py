"""Built-in plugin: durable jobs, their worker in the serving process, and their API."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlmodel import col, select

from rjchronos import hookimpl
from rjchronos.db.types import utcnow
from rjchronos.http.pagination import PAGE_QUERY, paginate
from rjchronos.http.problems import Problem, not_found
from rjchronos.http.routing import ApiCall, ApiRoute
from rjchronos.jobs.errors import JobNotFound, JobStateConflict
from rjchronos.jobs.models import Job, JobStatus, ScheduleState
from rjchronos.jobs.queue import JobSettings
from rjchronos.jobs.spec import Schedule, TaskHandler
from rjchronos.security.permissions import Permission

if TYPE_CHECKING:
    from rjchronos.kernel import Kernel

_DEFAULTS = JobSettings()


@hookimpl
def rjc_settings_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "tick_seconds": {
                "type": "number",
                "exclusiveMinimum": 0,
                "default": _DEFAULTS.tick_seconds,
                "description": "How often each process reconciles jobs and runs due schedules.",
            },
            "grace_seconds": {
                "type": "number",
                "minimum": 0,
                "default": _DEFAULTS.grace_seconds,
                "description": "A queued job whose trigger is older than this gets a new one "
                "(a message the broker lost).",
            },
            "embedded_threads": {
                "type": "integer",
                "minimum": 1,
                "default": _DEFAULTS.embedded_threads,
                "description": "Worker threads of the in-process broker.",
            },
            "queue_prefix": {
                "type": "string",
                "pattern": "^([a-zA-Z_][a-zA-Z0-9._-]*)?$",
                "default": _DEFAULTS.queue_prefix,
                "description": "Prefix of every broker queue name (sites sharing a broker).",
            },
            "retry_base_seconds": {
                "type": "number",
                "minimum": 0,
                "default": _DEFAULTS.retry_base_seconds,
                "description": "First retry delay; it doubles with each attempt.",
            },
            "keep_finished_days": {
                "type": "number",
                "minimum": 0,
                "default": _DEFAULTS.keep_finished_days,
                "description": "Finished jobs older than this are deleted by the daily jobs.purge.",
            },
            "retry_max_seconds": {
                "type": "number",
                "minimum": 0,
                "default": _DEFAULTS.retry_max_seconds,
                "description": "Longest retry delay.",
            },
        },
    }


@hookimpl
def rjc_permissions() -> list[Permission]:
    return [
        Permission("jobs.read", "List jobs and schedules", ("admin", "operator", "viewer")),
        Permission("jobs.write", "Cancel and retry jobs", ("admin", "operator")),
    ]


def purge_finished(kernel: Kernel, params: Mapping[str, Any]) -> dict[str, int]:
    """Delete finished jobs older than ``older_than_days`` (the setting by default)."""
    days = float(params.get("older_than_days", kernel.jobs.config.keep_finished_days))
    return {"deleted": kernel.jobs.store.purge_finished(utcnow() - timedelta(days=days))}


@hookimpl
def rjc_task_handlers(kernel: Kernel) -> list[TaskHandler]:
    return [TaskHandler("jobs.purge", purge_finished, max_attempts=2, queue="maintenance")]


@hookimpl
def rjc_schedules(kernel: Kernel) -> list[Schedule]:
    return [
        Schedule("jobs.purge", "jobs.purge", every=timedelta(days=1), jitter=timedelta(hours=1))
    ]


@hookimpl
def rjc_configure(kernel: Kernel) -> None:
    # Two handlers for one type, or a schedule declared twice, stop start-up here.
    _ = kernel.jobs.handlers, kernel.jobs.scheduler.plans


@hookimpl
def rjc_startup(kernel: Kernel) -> None:
    if kernel.settings.role == "all":
        kernel.jobs.start_in_process()


@hookimpl
async def rjc_shutdown(kernel: Kernel) -> None:
    # Waits for running attempts (bounded); keep the event loop free meanwhile.
    await asyncio.to_thread(kernel.jobs.stop)


JOB_QUERY: dict[str, dict[str, Any]] = {
    **PAGE_QUERY,
    "type": {"type": "string", "description": "Only jobs of this type"},
    "status": {
        "type": "string",
        "enum": [s.value for s in JobStatus],
        "description": "Only jobs in this state",
    },
    "device": {"type": "string", "description": "Only jobs for this device id"},
}

JOB_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "type": {"type": "string"},
        "status": {"type": "string", "enum": [s.value for s in JobStatus]},
        "params": {"type": "object"},
        "queue": {"type": "string"},
        "attempts": {"type": "integer"},
        "max_attempts": {"type": "integer"},
        "device_id": {"type": ["string", "null"]},
        "dedup_key": {"type": ["string", "null"]},
        "run_at": {"type": ["string", "null"], "format": "date-time"},
        "expires_at": {"type": ["string", "null"], "format": "date-time"},
        "triggered_at": {"type": ["string", "null"], "format": "date-time"},
        "started_at": {"type": ["string", "null"], "format": "date-time"},
        "lease_until": {"type": ["string", "null"], "format": "date-time"},
        "worker": {"type": ["string", "null"]},
        "finished_at": {"type": ["string", "null"], "format": "date-time"},
        "result": {},
        "error": {"type": ["string", "null"]},
        "created_at": {"type": "string", "format": "date-time"},
    },
}


def list_jobs(call: ApiCall) -> dict[str, Any]:
    statement = select(Job)
    if call.query.get("type"):
        statement = statement.where(Job.type == call.query["type"])
    if call.query.get("status"):
        statement = statement.where(Job.status == call.query["status"])
    if call.query.get("device"):
        statement = statement.where(Job.device_id == call.query["device"])
    with call.kernel.db.session() as session:
        return paginate(session, statement, col(Job.id), call.query, Job.as_dict, descending=True)


def get_job(call: ApiCall) -> dict[str, Any]:
    job = call.kernel.jobs.get(call.path["job_id"])
    if job is None:
        raise not_found("job", call.path["job_id"])
    return job.as_dict()


def cancel_job(call: ApiCall) -> dict[str, Any]:
    job_id = call.path["job_id"]
    try:
        job = call.kernel.jobs.cancel(job_id)
    except JobNotFound:
        raise not_found("job", job_id) from None
    except JobStateConflict as exc:
        raise Problem(409, "Conflict", str(exc)) from None
    call.audit("jobs.cancel", f"job:{job_id}", {"type": job.type})
    return job.as_dict()


def retry_job(call: ApiCall) -> dict[str, Any]:
    job_id = call.path["job_id"]
    try:
        job = call.kernel.jobs.retry(job_id)
    except JobNotFound:
        raise not_found("job", job_id) from None
    except JobStateConflict as exc:
        raise Problem(409, "Conflict", str(exc)) from None
    call.audit("jobs.retry", f"job:{job_id}", {"type": job.type})
    return job.as_dict()


SCHEDULE_QUERY: dict[str, dict[str, Any]] = {
    **PAGE_QUERY,
    "kind": {
        "type": "string",
        "enum": ["schedule", "collector"],
        "description": "Schedules or collectors",
    },
    "name": {"type": "string", "description": "Only this schedule or collector"},
    "device": {"type": "string", "description": "Only this device's collector runs"},
}


def list_schedules(call: ApiCall) -> dict[str, Any]:
    scheduler = call.kernel.jobs.scheduler
    statement = select(ScheduleState)
    for name, column in (
        ("kind", ScheduleState.kind),
        ("name", ScheduleState.name),
        ("device", ScheduleState.device_id),
    ):
        if call.query.get(name):
            statement = statement.where(column == call.query[name])

    def render(row: ScheduleState) -> dict[str, Any]:
        plan = scheduler.plan_of(row)
        return {
            **row.as_dict(),
            "every_seconds": plan.every.total_seconds() if plan else None,
            "jitter_seconds": plan.jitter.total_seconds() if plan else None,
            "declared": plan is not None,
        }

    with call.kernel.db.session() as session:
        return paginate(session, statement, col(ScheduleState.id), call.query, render)


_PAGE = {
    "type": "object",
    "properties": {"items": {"type": "array"}, "next_cursor": {"type": ["string", "null"]}},
}


@hookimpl
def rjc_api_routes(kernel: Kernel) -> list[ApiRoute]:
    tags = ("jobs",)
    return [
        ApiRoute(
            "GET",
            "/jobs",
            list_jobs,
            permission="jobs.read",
            query=JOB_QUERY,
            tags=tags,
            summary="Jobs, newest first",
            response_schema=_PAGE,
        ),
        ApiRoute(
            "GET",
            "/jobs/{job_id}",
            get_job,
            permission="jobs.read",
            tags=tags,
            summary="One job: state, attempts, result or error",
            response_schema=JOB_SCHEMA,
        ),
        ApiRoute(
            "POST",
            "/jobs/{job_id}/cancel",
            cancel_job,
            permission="jobs.write",
            tags=tags,
            summary="Cancel an unfinished job",
            response_schema=JOB_SCHEMA,
        ),
        ApiRoute(
            "POST",
            "/jobs/{job_id}/retry",
            retry_job,
            permission="jobs.write",
            tags=tags,
            summary="Run a failed or expired job again",
            response_schema=JOB_SCHEMA,
        ),
        ApiRoute(
            "GET",
            "/schedules",
            list_schedules,
            permission="jobs.read",
            query=SCHEDULE_QUERY,
            tags=tags,
            summary="Schedules and collector runs: when each runs next",
            response_schema=_PAGE,
        ),
    ]
