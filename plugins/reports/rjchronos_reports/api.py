"""The REST API of reports: KPIs, reports on demand and their files, schedules."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import defer
from sqlmodel import col, select
from starlette.responses import JSONResponse, Response

from rjchronos.db.types import utcnow
from rjchronos.http.pagination import PAGE_QUERY, paginate
from rjchronos.http.problems import Problem
from rjchronos.http.routing import ApiCall, ApiRoute
from rjchronos.notifications.models import NotificationChannel
from rjchronos.telemetry.params import parse_instant
from rjchronos_reports import kpis, service
from rjchronos_reports.labels import LANGUAGES
from rjchronos_reports.models import Report, ReportSchedule
from rjchronos_reports.periods import FREQUENCIES, zone
from rjchronos_reports.sections import minutes

READ = "reports.read"
MANAGE = "reports.manage"
#: The longest period one report covers.
MAX_PERIOD = timedelta(days=400)

_INSTANT = {"type": "string", "description": "ISO-8601 time with a zone"}
_PERIOD_QUERY = {"from": _INSTANT, "to": _INSTANT}
_KPI_QUERY: dict[str, dict[str, Any]] = {
    **_PERIOD_QUERY,
    "sections": {
        "type": "array",
        "items": {"enum": list(kpis.SECTIONS)},
        "description": "comma-separated: only these parts (the others are not computed)",
    },
}

REPORT_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["format", "from", "to"],
    "additionalProperties": False,
    "properties": {
        "format": {"enum": list(service.FORMATS)},
        "from": _INSTANT,
        "to": _INSTANT,
        "language": {"enum": list(LANGUAGES), "default": "pt-BR"},
    },
}

SCHEDULE_PROPERTIES: dict[str, Any] = {
    "name": {"type": "string", "minLength": 1, "maxLength": 120},
    "frequency": {"enum": list(FREQUENCIES)},
    "formats": {
        "type": "array",
        "items": {"enum": list(service.FORMATS)},
        "minItems": 1,
        "uniqueItems": True,
    },
    "language": {"enum": list(LANGUAGES)},
    "timezone": {"type": "string", "minLength": 1, "maxLength": 64},
    "channel_ids": {"type": "array", "items": {"type": "string"}, "maxItems": 20},
    "recipient": {"type": "string", "maxLength": 512},
    "enabled": {"type": "boolean"},
}
SCHEDULE_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["name", "frequency"],
    "additionalProperties": False,
    "properties": SCHEDULE_PROPERTIES,
}
SCHEDULE_PATCH: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "properties": SCHEDULE_PROPERTIES,
}


def _invalid(name: str, reason: str, status: int = 422) -> Problem:
    title = "Invalid query" if name.startswith("query.") else "Invalid body"
    invalid = [{"name": name, "reason": reason}]
    return Problem(status, title, f"{name}: {reason}", invalid_params=invalid)


def _period(values: dict[str, Any], where: str) -> tuple[datetime, datetime]:
    """``from`` and ``to`` of a query or body; the last 24 hours when a query gives neither."""
    now = utcnow()
    found: dict[str, datetime] = {}
    for key in ("from", "to"):
        if values.get(key) is None:
            continue
        try:
            found[key] = parse_instant(str(values[key]))
        except ValueError as exc:
            raise _invalid(f"{where}.{key}", str(exc)) from None
    end = found.get("to", now)
    start = found.get("from", end - timedelta(days=1))
    if end <= start:
        raise _invalid(f"{where}.to", "must be after from")
    if end - start > MAX_PERIOD:
        raise _invalid(f"{where}.from", f"a period covers at most {MAX_PERIOD.days} days")
    return start, end


def get_kpis(call: ApiCall) -> dict[str, Any]:
    start, end = _period(call.query, "query")
    sections = call.query.get("sections") or None
    unknown = sorted(set(sections or ()) - set(kpis.SECTIONS))
    if unknown:
        raise _invalid("query.sections", f"unknown: {', '.join(unknown)}")
    return kpis.compute(call.kernel, start, end, sections)


def kpi_table(call: ApiCall) -> dict[str, Any]:
    """The headline KPIs as rows (the web UI's Reports table)."""
    start, end = _period(call.query, "query")
    found = kpis.compute(call.kernel, start, end)
    rows = [
        ("network_availability_percent", found["availability"]["network"]["availability_percent"]),
        ("customers_with_sla_target", found["sla"]["customers_with_target"]),
        ("sla_breaches", found["sla"]["breached"]),
        ("incidents", found["incidents"]["total"]),
        ("mttr_minutes", minutes(found["incidents"]["mttr_seconds"])),
        ("reboots", found["reboots"]["total"]),
        ("onus_signal_critical", found["signal"]["critical"]),
        ("ai_suggestions_applied", (found["ai_suggestions"] or {}).get("applied")),
        ("ai_success_rate_percent", (found["ai_suggestions"] or {}).get("success_rate_percent")),
    ]
    return {"items": [{"kpi": k, "value": v} for k, v in rows], "next_cursor": None}


def create_report(call: ApiCall) -> JSONResponse:
    start, end = _period(call.body, "body")
    language = call.body.get("language", "pt-BR")
    report_id = service.request_report(
        call.kernel, call.body["format"], language, start, end, created_by=call.user.actor
    )
    call.audit("reports.create", f"report:{report_id}", {**call.body, "language": language})
    return JSONResponse(_report(call, report_id), status_code=202)


def _report(call: ApiCall, report_id: str) -> dict[str, Any]:
    with call.kernel.db.session() as session:
        report = session.get(Report, report_id)
        if report is None:
            raise Problem(404, "Not found", f"no report {report_id!r}")
        return service.render_report(report)


def list_reports(call: ApiCall) -> dict[str, Any]:
    # A page of reports never loads their files nor their KPIs.
    statement = select(Report).options(defer(Report.content), defer(Report.kpis))  # type: ignore[arg-type]
    with call.kernel.db.session() as session:
        return paginate(
            session, statement, col(Report.id), call.query, service.render_report, descending=True
        )


def get_report(call: ApiCall) -> dict[str, Any]:
    return _report(call, call.path["id"])


def download(call: ApiCall) -> Response:
    report_id = call.path["id"]
    with call.kernel.db.session() as session:
        report = session.get(Report, report_id)
        if report is None:
            raise Problem(404, "Not found", f"no report {report_id!r}")
        if report.status != "done" or report.content is None:
            detail = f"report {report_id} is {report.status}"
            raise Problem(409, "Not ready", detail + (f": {report.error}" if report.error else ""))
        content, content_type, filename = report.content, report.content_type, report.filename
    call.audit("reports.download", f"report:{report_id}")
    return Response(
        content,
        media_type=content_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# -- schedules -------------------------------------------------------------------


def render_schedule(schedule: ReportSchedule) -> dict[str, Any]:
    return {
        "id": schedule.id,
        "name": schedule.name,
        "frequency": schedule.frequency,
        "formats": list(schedule.formats),
        "language": schedule.language,
        "timezone": schedule.timezone,
        "channel_ids": list(schedule.channel_ids),
        "recipient": schedule.recipient,
        "enabled": schedule.enabled,
        "next_run_at": schedule.next_run_at.isoformat(),
        "last_run_at": schedule.last_run_at.isoformat() if schedule.last_run_at else None,
        "created_by": schedule.created_by,
        "created_at": schedule.created_at.isoformat(),
        "updated_at": schedule.updated_at.isoformat(),
    }


def _check_schedule(call: ApiCall, values: dict[str, Any], session: Any) -> None:
    if "timezone" in values:
        try:
            zone(values["timezone"])
        except ValueError as exc:
            raise _invalid("body.timezone", str(exc)) from None
    for index, channel_id in enumerate(values.get("channel_ids", [])):
        if session.get(NotificationChannel, channel_id) is None:
            raise _invalid(f"body.channel_ids.{index}", f"no notification channel {channel_id!r}")
    name = values.get("name")
    if name is not None:
        other = session.execute(
            select(ReportSchedule).where(col(ReportSchedule.name) == name)
        ).scalar_one_or_none()
        if other is not None and other.id != call.path.get("id"):
            raise _invalid("body.name", f"a schedule named {name!r} exists", 409)


def list_schedules(call: ApiCall) -> dict[str, Any]:
    with call.kernel.db.session() as session:
        found = session.execute(select(ReportSchedule).order_by(col(ReportSchedule.name)))
        return {"items": [render_schedule(s) for s in found.scalars()], "next_cursor": None}


def create_schedule(call: ApiCall) -> JSONResponse:
    values = {"formats": ["pdf", "xlsx"], "language": "pt-BR", "timezone": "UTC", **call.body}
    with call.kernel.db.session() as session:
        _check_schedule(call, values, session)
        schedule = ReportSchedule(
            **values,
            next_run_at=service.first_run(values["frequency"], values["timezone"]),
            created_by=call.user.actor,
        )
        session.add(schedule)
        session.commit()
        body = render_schedule(schedule)
    call.audit("reports.schedule_create", f"report-schedule:{body['id']}", call.body)
    return JSONResponse(body, status_code=201)


def _schedule(session: Any, schedule_id: str) -> ReportSchedule:
    schedule = session.get(ReportSchedule, schedule_id)
    if schedule is None:
        raise Problem(404, "Not found", f"no report schedule {schedule_id!r}")
    return schedule


def get_schedule(call: ApiCall) -> dict[str, Any]:
    with call.kernel.db.session() as session:
        return render_schedule(_schedule(session, call.path["id"]))


def update_schedule(call: ApiCall) -> dict[str, Any]:
    with call.kernel.db.session() as session:
        schedule = _schedule(session, call.path["id"])
        _check_schedule(call, call.body, session)
        for key, value in call.body.items():
            setattr(schedule, key, value)
        if {"frequency", "timezone"} & set(call.body):
            schedule.next_run_at = service.first_run(schedule.frequency, schedule.timezone)
        schedule.updated_at = utcnow()
        session.add(schedule)
        session.commit()
        body = render_schedule(schedule)
    call.audit("reports.schedule_update", f"report-schedule:{body['id']}", call.body)
    return body


def delete_schedule(call: ApiCall) -> None:
    with call.kernel.db.session() as session:
        schedule = _schedule(session, call.path["id"])
        session.delete(schedule)
        session.commit()
    call.audit("reports.schedule_delete", f"report-schedule:{call.path['id']}")


def run_schedule(call: ApiCall) -> JSONResponse:
    """Render and deliver the last whole period of a schedule now."""
    with call.kernel.db.session() as session:
        schedule = _schedule(session, call.path["id"])
        session.expunge(schedule)
    job_id = service.run_now(call.kernel, schedule)
    call.audit("reports.schedule_run", f"report-schedule:{schedule.id}", {"job": job_id})
    return JSONResponse({"job": job_id}, status_code=202)


def routes() -> list[ApiRoute]:
    tags = ("reports",)
    one = "/reports/{id}"
    return [
        ApiRoute("GET", "/reports/kpis", get_kpis, permission=READ, query=_KPI_QUERY,
                 summary="Every KPI of a period", tags=tags),
        ApiRoute("GET", "/reports/kpi-table", kpi_table, permission=READ, query=_PERIOD_QUERY,
                 summary="The headline KPIs as table rows", tags=tags),
        ApiRoute("GET", "/reports", list_reports, permission=READ, query=PAGE_QUERY,
                 summary="Reports, newest first", tags=tags),
        ApiRoute("POST", "/reports", create_report, permission=MANAGE, body_schema=REPORT_BODY,
                 status_code=202, summary="Render a report (PDF or XLSX)", tags=tags),
        ApiRoute("GET", one, get_report, permission=READ, summary="A report's state", tags=tags),
        ApiRoute("GET", one + "/download", download, permission=READ,
                 summary="A report's file", tags=tags),
        ApiRoute("GET", "/report-schedules", list_schedules, permission=READ,
                 summary="Report schedules", tags=tags),
        ApiRoute("POST", "/report-schedules", create_schedule, permission=MANAGE,
                 body_schema=SCHEDULE_BODY, status_code=201, summary="Schedule a report",
                 tags=tags),
        ApiRoute("GET", "/report-schedules/{id}", get_schedule, permission=READ,
                 summary="A report schedule", tags=tags),
        ApiRoute("PATCH", "/report-schedules/{id}", update_schedule, permission=MANAGE,
                 body_schema=SCHEDULE_PATCH, summary="Change a report schedule", tags=tags),
        ApiRoute("DELETE", "/report-schedules/{id}", delete_schedule, permission=MANAGE,
                 status_code=204, summary="Remove a report schedule", tags=tags),
        ApiRoute("POST", "/report-schedules/{id}/run", run_schedule, permission=MANAGE,
                 status_code=202,
                 summary="Render and deliver a schedule's last whole period now", tags=tags),
    ]  # fmt: skip
