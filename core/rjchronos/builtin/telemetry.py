"""Built-in plugin: the telemetry API (read series, aggregates by topology, write samples),
and the telemetry jobs (rollups and partitions ahead every 5 minutes, retention daily).

Points are ``[time, value]`` pairs, times ISO-8601 in UTC. Without a
resolution the store picks one from the range (raw up to 6 hours, then
5-minute, 1-hour, 1-day buckets); ``raw`` asks for the samples; a width
(seconds or an ISO-8601 duration such as ``PT5M``) gives the average of each
bucket. Reads are limited to the devices in the caller's ``telemetry.read``
scopes: a device outside them answers 404, as if absent.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from rjchronos import hookimpl
from rjchronos.db.types import utcnow
from rjchronos.http.problems import Problem, not_found
from rjchronos.http.routing import ApiCall, ApiRoute
from rjchronos.inventory.models import DEVICE_KINDS, devices
from rjchronos.inventory.queries import scope_condition, unrestricted
from rjchronos.jobs.spec import Schedule, TaskHandler
from rjchronos.security.permissions import Permission
from rjchronos.telemetry import aggregates
from rjchronos.telemetry.params import parse_instant, parse_resolution
from rjchronos.telemetry.store import MAX_NAME, Point, Sample, TooManySamples, resolution_for

if TYPE_CHECKING:
    from rjchronos.kernel import Kernel

#: Points one series may return.
MAX_POINTS = 10_000
#: Samples one write may carry.
MAX_SAMPLES = 10_000
DEFAULT_RANGE = timedelta(hours=24)

_NAME = {"type": "string", "minLength": 1, "maxLength": MAX_NAME}
_TIME = {"type": "string", "description": "ISO-8601 with zone, such as 2024-05-01T12:00:00Z"}
_RESOLUTION = {
    "type": ["string", "integer", "null"],
    "description": "bucket width: seconds or an ISO-8601 duration such as PT5M; "
    "'raw' for the samples; absent or 'auto' to choose from the range",
}
QUERY_BODY: dict[str, Any] = {
    "type": "object",
    "properties": {
        "entities": {
            "type": "array",
            "items": _NAME,
            "minItems": 1,
            "maxItems": 100,
            "uniqueItems": True,
            "description": "entity (device) ids",
        },
        "metric": _NAME,
        "start": {**_TIME, "description": "range start, included (default: end minus 24 h)"},
        "end": {**_TIME, "description": "range end, excluded (default: now)"},
        "resolution": _RESOLUTION,
    },
    "required": ["entities", "metric"],
    "additionalProperties": False,
}
WRITE_BODY: dict[str, Any] = {
    "type": "object",
    "properties": {
        "samples": {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_SAMPLES,
            "items": {
                "type": "object",
                "properties": {
                    "entity": _NAME,
                    "metric": _NAME,
                    "time": _TIME,
                    "value": {"type": "number"},
                    "labels": {
                        "type": "object",
                        "maxProperties": 32,
                        "additionalProperties": {"type": "string", "maxLength": 256},
                    },
                },
                "required": ["entity", "metric", "time", "value"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["samples"],
    "additionalProperties": False,
}
SERIES_QUERY: dict[str, dict[str, Any]] = {
    "metric": {**_NAME, "description": "metric name (required)"},
    "start": {**_TIME, "description": "range start, included (default: end minus 24 h)"},
    "end": {**_TIME, "description": "range end, excluded (default: now)"},
    "resolution": {"type": "string", "description": _RESOLUTION["description"]},
}
AGGREGATE_QUERY: dict[str, dict[str, Any]] = {
    "group_by": {
        "type": "string",
        "enum": list(aggregates.GROUPINGS),
        "description": "olt, pon, region, neighbourhood, model, or firmware "
        "(device shares; no metric)",
    },
    "metric": {**_NAME, "description": "metric to aggregate (required but for firmware)"},
    "kind": {
        "type": "string",
        "enum": list(DEVICE_KINDS),
        "description": "kind of device aggregated (default onu)",
    },
    "start": SERIES_QUERY["start"],
    "end": SERIES_QUERY["end"],
    "percentiles": {
        "type": "string",
        "description": "comma-separated percentiles of the raw samples per group, "
        "such as 50,95 (answered as p50, p95)",
    },
}
#: Percentiles one aggregate may ask for, and the raw samples it may read for them.
MAX_PERCENTILES = 5
MAX_PERCENTILE_SAMPLES = 1_000_000


READ = "telemetry.read"
MAINTAIN_JOB = "telemetry.maintain"
RETENTION_JOB = "telemetry.retention"


@hookimpl
def rjc_task_handlers(kernel: Kernel) -> list[TaskHandler]:
    return [
        TaskHandler(MAINTAIN_JOB, run_maintain, max_attempts=3, timeout=1800),
        TaskHandler(RETENTION_JOB, run_retention, max_attempts=3, timeout=3600),
    ]


@hookimpl
def rjc_schedules(kernel: Kernel) -> list[Schedule]:
    return [
        Schedule(
            MAINTAIN_JOB, MAINTAIN_JOB, every=timedelta(minutes=5), jitter=timedelta(minutes=1)
        ),
        Schedule(RETENTION_JOB, RETENTION_JOB, every=timedelta(days=1), jitter=timedelta(hours=1)),
    ]


def run_maintain(kernel: Kernel, params: Any) -> dict[str, Any]:
    """Job handler: roll up the closed buckets, create the partitions of the days ahead."""
    return dict(kernel.telemetry.maintain(utcnow()))


def run_retention(kernel: Kernel, params: Any) -> dict[str, Any]:
    """Job handler: drop samples older than ``telemetry_retention_days`` and rollups older
    than ``telemetry_rollup_retention_days``."""
    now = utcnow()
    settings = kernel.settings
    samples = kernel.telemetry.delete_before(
        now - timedelta(days=settings.telemetry_retention_days)
    )
    rollups = kernel.telemetry.delete_rollups_before(
        now - timedelta(days=settings.telemetry_rollup_retention_days)
    )
    return {"samples_deleted": samples, "rollups_deleted": rollups}


@hookimpl
def rjc_permissions() -> list[Permission]:
    return [
        Permission(
            READ,
            "Read telemetry series and aggregates (of the devices in scope)",
            ("admin", "operator", "viewer"),
            True,
        ),
        Permission("telemetry.write", "Write telemetry samples (integrations)", ("admin",)),
    ]


def _invalid(name: str, reason: str, title: str = "Invalid query") -> Problem:
    return Problem(
        422, title, f"{name}: {reason}", invalid_params=[{"name": name, "reason": reason}]
    )


def _range(values: dict[str, Any], prefix: str) -> tuple[datetime, datetime, timedelta | None]:
    """Start, end and resolution from request values, each error naming its parameter."""
    title = "Invalid query" if prefix == "query" else "Invalid body"
    parsed: dict[str, datetime] = {}
    for key in ("start", "end"):
        if values.get(key) is not None:
            try:
                parsed[key] = parse_instant(values[key])
            except ValueError as exc:
                raise _invalid(f"{prefix}.{key}", str(exc), title) from None
    end = parsed.get("end") or utcnow()
    start = parsed.get("start") or end - DEFAULT_RANGE
    if end <= start:
        raise _invalid(f"{prefix}.end", "must be after start", title)
    resolution = None
    if str(values.get("resolution") or "auto").lower() == "auto":
        resolution = resolution_for(start, end)
    elif str(values["resolution"]).lower() != "raw":
        try:
            resolution = parse_resolution(values["resolution"])
        except ValueError as exc:
            raise _invalid(f"{prefix}.resolution", str(exc), title) from None
        if (end - start) / resolution > MAX_POINTS:
            raise _invalid(
                f"{prefix}.resolution",
                f"the range holds more than {MAX_POINTS} buckets of this width",
                title,
            )
    return start, end, resolution


def _points(
    call: ApiCall,
    entity: str,
    metric: str,
    start: datetime,
    end: datetime,
    resolution: timedelta | None,
    name: str,
    title: str,
) -> list[list[Any]]:
    points: list[Point] = call.kernel.telemetry.series(
        entity,
        metric,
        start,
        end,
        resolution=resolution,
        limit=MAX_POINTS + 1,
    )
    if len(points) > MAX_POINTS:
        raise _invalid(
            name,
            f"more than {MAX_POINTS} samples of {entity} in range; "
            "give a resolution or a shorter range",
            title,
        )
    return [[time.isoformat(), value] for time, value in points]


def _visible(call: ApiCall, device_ids: list[str]) -> set[str]:
    """Which of ``device_ids`` are devices in the caller's ``telemetry.read`` scopes."""
    statement = select(devices.c.id).where(devices.c.id.in_(device_ids))
    condition = scope_condition(call.user.scopes(READ))
    if condition is not None:
        statement = statement.where(condition)
    with call.kernel.db.session() as session:
        return set(session.execute(statement).scalars())


def _device_exists(call: ApiCall, device_id: str) -> bool:
    return device_id in _visible(call, [device_id])


def device_series(call: ApiCall) -> dict[str, Any]:
    device_id = call.path["id"]
    metric = call.query.get("metric")
    if not metric:
        raise _invalid("query.metric", "required: the metric to read")
    start, end, resolution = _range(call.query, "query")
    if not _device_exists(call, device_id):
        raise not_found("device", device_id)
    points = _points(
        call, device_id, metric, start, end, resolution, "query.resolution", "Invalid query"
    )
    return {
        "entity": device_id,
        "metric": metric,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "resolution_seconds": int(resolution.total_seconds()) if resolution else None,
        "points": points,
    }


def device_metrics(call: ApiCall) -> dict[str, Any]:
    device_id = call.path["id"]
    if not _device_exists(call, device_id):
        raise not_found("device", device_id)
    return {"entity": device_id, "metrics": call.kernel.telemetry.metrics(device_id)}


def query_series(call: ApiCall) -> dict[str, Any]:
    body = call.body
    start, end, resolution = _range(body, "body")
    if not unrestricted(call.user.scopes(READ)):
        # A scoped caller reads devices in scope only; anything else is as if absent.
        visible = _visible(call, body["entities"])
        for index, entity in enumerate(body["entities"]):
            if entity not in visible:
                raise Problem(
                    404,
                    "Not found",
                    f"body.entities.{index}: no device {entity}",
                    invalid_params=[{"name": f"body.entities.{index}", "reason": "not found"}],
                )
    series = [
        {
            "entity": entity,
            "points": _points(
                call,
                entity,
                body["metric"],
                start,
                end,
                resolution,
                f"body.entities.{index}",
                "Invalid body",
            ),
        }
        for index, entity in enumerate(body["entities"])
    ]
    return {
        "metric": body["metric"],
        "start": start.isoformat(),
        "end": end.isoformat(),
        "resolution_seconds": int(resolution.total_seconds()) if resolution else None,
        "series": series,
    }


def _percentiles(text: str | None) -> tuple[float, ...]:
    """``50,95`` -> ``(50.0, 95.0)``; each between 0 and 100, at most :data:`MAX_PERCENTILES`."""
    if not text:
        return ()
    found: list[float] = []
    for part in text.split(","):
        try:
            value = float(part)
        except ValueError:
            raise _invalid("query.percentiles", f"{part.strip()!r} is not a number") from None
        if not 0 <= value <= 100:
            raise _invalid("query.percentiles", f"{value:g} is not between 0 and 100")
        if value not in found:
            found.append(value)
    if len(found) > MAX_PERCENTILES:
        raise _invalid("query.percentiles", f"at most {MAX_PERCENTILES} percentiles")
    return tuple(found)


def query_aggregates(call: ApiCall) -> dict[str, Any]:
    query = call.query
    group_by = query.get("group_by")
    if not group_by:
        raise _invalid("query.group_by", f"required: one of {', '.join(aggregates.GROUPINGS)}")
    metric = query.get("metric")
    if group_by != "firmware" and not metric:
        raise _invalid("query.metric", "required: the metric to aggregate")
    start, end, _ = _range({**query, "resolution": "raw"}, "query")
    percentiles = _percentiles(query.get("percentiles"))
    kind = query.get("kind") or "onu"
    with call.kernel.db.session() as session:
        members = aggregates.members(session, group_by, kind, call.user.scopes(READ))
    answer: dict[str, Any] = {"group_by": group_by, "kind": kind, "devices": len(members)}
    if group_by == "firmware":
        return {**answer, "groups": aggregates.shares(members)}
    try:
        groups = aggregates.metric_groups(
            call.kernel.telemetry,
            members,
            str(metric),
            start,
            end,
            percentiles,
            sample_limit=MAX_PERCENTILE_SAMPLES,
        )
    except TooManySamples as exc:
        raise _invalid("query.percentiles", f"{exc}; give a shorter range") from None
    return {
        **answer,
        "metric": metric,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "groups": groups,
    }


def write_samples(call: ApiCall) -> dict[str, Any]:
    samples: list[Sample] = []
    problems: list[dict[str, str]] = []
    for index, item in enumerate(call.body["samples"]):
        try:
            time = parse_instant(item["time"])
        except ValueError as exc:
            problems.append({"name": f"body.samples.{index}.time", "reason": str(exc)})
            continue
        try:
            samples.append(
                Sample(
                    item["entity"],
                    item["metric"],
                    time,
                    float(item["value"]),
                    item.get("labels", {}),
                )
            )
        except (ValueError, OverflowError) as exc:
            problems.append({"name": f"body.samples.{index}.value", "reason": str(exc)})
    if problems:
        raise Problem(
            422,
            "Invalid body",
            "; ".join(f"{p['name']}: {p['reason']}" for p in problems[:5]),
            invalid_params=problems,
        )
    written = call.kernel.telemetry.write(samples)
    call.audit(
        "telemetry.write",
        "telemetry",
        {
            "samples": len(samples),
            "written": written,
            "entities": len({s.entity for s in samples}),
        },
    )
    return {"received": len(samples), "written": written, "duplicates": len(samples) - written}


@hookimpl
def rjc_api_routes(kernel: Kernel) -> list[ApiRoute]:
    tags = ("telemetry",)
    return [
        ApiRoute(
            "GET",
            "/devices/{id}/telemetry",
            device_series,
            permission="telemetry.read",
            tags=tags,
            summary="A device's series of one metric",
            query=SERIES_QUERY,
        ),
        ApiRoute(
            "GET",
            "/devices/{id}/telemetry/metrics",
            device_metrics,
            permission="telemetry.read",
            tags=tags,
            summary="The metrics a device has",
        ),
        ApiRoute(
            "POST",
            "/telemetry/query",
            query_series,
            permission="telemetry.read",
            tags=tags,
            summary="Series of one metric for several entities",
            body_schema=QUERY_BODY,
        ),
        ApiRoute(
            "GET",
            "/telemetry/query",
            query_aggregates,
            permission="telemetry.read",
            tags=tags,
            summary="A metric's count, sum, mean, minimum, maximum and percentiles, or device "
            "shares per firmware, grouped by OLT, PON, region, neighbourhood or model",
            query=AGGREGATE_QUERY,
        ),
        ApiRoute(
            "POST",
            "/telemetry",
            write_samples,
            permission="telemetry.write",
            tags=tags,
            summary="Write samples (integrations); duplicates are dropped",
            body_schema=WRITE_BODY,
            max_body=4 << 20,
        ),
    ]
