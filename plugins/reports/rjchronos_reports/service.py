"""Reports as durable jobs: render, store, and deliver on notification channels.

A report is a row first (``pending``) and a ``reports.generate`` job second;
the job renders it once (a re-run finds it ``done``). A schedule is due when
its ``next_run_at`` has passed: the ``reports.dispatch`` job moves it to the
next boundary with a compare-and-set and enqueues ``reports.run_schedule``
for the period that just ended, keyed by schedule and period so a run is
never doubled.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from rjchronos.db.types import utcnow
from rjchronos.drivers.contracts import Attachment
from rjchronos.notifications import service as notifications
from rjchronos.notifications.models import NotificationChannel
from rjchronos_reports import kpis as kpi_module
from rjchronos_reports.models import Report, ReportSchedule, reports, schedules
from rjchronos_reports.periods import next_boundary, period_ending

if TYPE_CHECKING:
    from rjchronos.kernel import Kernel

log = logging.getLogger(__name__)

GENERATE = "reports.generate"
RUN_SCHEDULE = "reports.run_schedule"
DISPATCH = "reports.dispatch"
#: Format -> (media type, renderer module). The renderers are imported when first used:
#: matplotlib and reportlab would add over a second to every process start otherwise.
FORMATS = {
    "pdf": ("application/pdf", "rjchronos_reports.render_pdf"),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "rjchronos_reports.render_xlsx",
    ),
}


def render_report(report: Report) -> dict[str, Any]:
    """A report as the API shows it (without its file and KPIs)."""
    return {
        "id": report.id,
        "format": report.format,
        "language": report.language,
        "from": report.period_start.isoformat(),
        "to": report.period_end.isoformat(),
        "status": report.status,
        "error": report.error,
        "schedule_id": report.schedule_id,
        "created_by": report.created_by,
        "created_at": report.created_at.isoformat(),
        "finished_at": report.finished_at.isoformat() if report.finished_at else None,
        "filename": report.filename,
        "size": report.size,
        "download": f"/api/v1/reports/{report.id}/download",
    }


def request_report(
    kernel: Kernel,
    fmt: str,
    language: str,
    start: datetime,
    end: datetime,
    *,
    created_by: str,
    schedule_id: str | None = None,
    enqueue: bool = True,
) -> str:
    """Record a report and (unless told not to) enqueue its rendering; return its id."""
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
    with kernel.db.session() as session:
        report = Report(
            format=fmt,
            language=language,
            period_start=start,
            period_end=end,
            created_by=created_by,
            schedule_id=schedule_id,
        )
        session.add(report)
        session.commit()
        report_id = report.id
    if enqueue:
        kernel.jobs.enqueue(GENERATE, {"report": report_id}, dedup_key=f"report:{report_id}")
    return report_id


def generate(kernel: Kernel, params: Mapping[str, Any]) -> dict[str, Any]:
    """The ``reports.generate`` job: compute the KPIs, render the file, store both."""
    report_id = str(params["report"])
    with kernel.db.session() as session:
        report = session.get(Report, report_id)
        if report is None:
            return {"status": "missing"}
        if report.status == "done":
            return {"status": "done", "rendered": False}
        session.expunge(report)
    try:
        content, snapshot = _render(kernel, report)
    except Exception as exc:
        log.exception("report %s failed", report_id)
        _set(kernel, report_id, status="failed", error=f"{type(exc).__name__}: {exc}",
             finished_at=utcnow())  # fmt: skip
        raise
    content_type = FORMATS[report.format][0]
    day = report.period_start.date().isoformat()
    _set(
        kernel,
        report_id,
        status="done",
        error="",
        content=content,
        size=len(content),
        content_type=content_type,
        filename=f"rjchronos-report-{day}-{report.id}.{report.format}",
        kpis=snapshot,
        finished_at=utcnow(),
    )
    return {"status": "done", "size": len(content)}


def _render(kernel: Kernel, report: Report) -> tuple[bytes, dict[str, Any]]:
    snapshot = kpi_module.compute(kernel, report.period_start, report.period_end)
    renderer = importlib.import_module(FORMATS[report.format][1])
    return renderer.render(snapshot, report.language, utcnow()), snapshot


def _set(kernel: Kernel, report_id: str, **values: Any) -> None:
    with kernel.db.engine.begin() as connection:
        connection.execute(update(reports).where(reports.c.id == report_id).values(**values))


# -- schedules -------------------------------------------------------------------


def first_run(frequency: str, timezone: str) -> datetime:
    return next_boundary(frequency, timezone, utcnow())


def run_now(kernel: Kernel, schedule: ReportSchedule) -> str:
    """Enqueue the schedule's run for the last whole period; return the job's id.

    The job is keyed like the scheduled run of that period, so a run in
    progress is found; a finished one is run again, which finds that period's
    reports and deliveries already made and adds none.
    """
    current_start = period_ending(
        schedule.frequency,
        schedule.timezone,
        next_boundary(schedule.frequency, schedule.timezone, utcnow()),
    )[0]
    return kernel.jobs.enqueue(
        RUN_SCHEDULE,
        {"schedule": schedule.id, "period_end": current_start.isoformat()},
        dedup_key=f"report-schedule:{schedule.id}:{current_start.isoformat()}",
    )


def dispatch(kernel: Kernel, params: Mapping[str, Any]) -> dict[str, Any]:
    """The ``reports.dispatch`` job: start every enabled schedule whose run is due."""
    now = utcnow()
    started = []
    with kernel.db.engine.connect() as connection:
        due = connection.execute(
            select(schedules.c.id, schedules.c.frequency, schedules.c.timezone,
                   schedules.c.next_run_at)
            .where(schedules.c.enabled.is_(True), schedules.c.next_run_at <= now)
            .order_by(schedules.c.next_run_at)
        ).all()  # fmt: skip
    for schedule_id, frequency, timezone, run_at in due:
        following = next_boundary(frequency, timezone, max(run_at, now))
        with kernel.db.engine.begin() as connection:
            taken = connection.execute(
                update(schedules)
                .where(schedules.c.id == schedule_id, schedules.c.next_run_at == run_at)
                .values(next_run_at=following, last_run_at=now)
            ).rowcount
        if not taken:
            continue  # another process took this run
        kernel.jobs.enqueue(
            RUN_SCHEDULE,
            {"schedule": schedule_id, "period_end": run_at.isoformat()},
            dedup_key=f"report-schedule:{schedule_id}:{run_at.isoformat()}",
        )
        started.append(schedule_id)
    return {"started": started}


def run_schedule(kernel: Kernel, params: Mapping[str, Any]) -> dict[str, Any]:
    """The ``reports.run_schedule`` job: render each format of the period, then deliver."""
    schedule_id = str(params["schedule"])
    end = datetime.fromisoformat(str(params["period_end"]))
    with kernel.db.session() as session:
        schedule = session.get(ReportSchedule, schedule_id)
        if schedule is None:
            return {"status": "missing"}
        session.expunge(schedule)
    start, end = period_ending(schedule.frequency, schedule.timezone, end)
    report_ids = []
    with kernel.db.session() as session:
        existing = {
            r.format: r.id
            for r in session.execute(
                select(Report).where(
                    reports.c.schedule_id == schedule_id, reports.c.period_end == end
                )
            ).scalars()
        }
    for fmt in schedule.formats:
        report_id = existing.get(fmt) or request_report(
            kernel, fmt, schedule.language, start, end,
            created_by=f"schedule:{schedule.name}", schedule_id=schedule_id, enqueue=False,
        )  # fmt: skip
        # Rendered within this job, so delivery below sees every file (a re-run skips done ones).
        generate(kernel, {"report": report_id})
        report_ids.append(report_id)
    deliveries = deliver(kernel, schedule, report_ids)
    return {"reports": report_ids, "deliveries": deliveries}


def deliver(kernel: Kernel, schedule: ReportSchedule, report_ids: list[str]) -> list[str | None]:
    """Send the reports on each of the schedule's channels: attached where the type allows."""
    with kernel.db.session() as session:
        done = [r for i in report_ids if (r := session.get(Report, i)) and r.status == "done"]
        channels = [session.get(NotificationChannel, c) for c in schedule.channel_ids]
        session.expunge_all()
    if not done:
        return []
    first = done[0]
    period = f"{first.period_start.date().isoformat()} — {first.period_end.date().isoformat()}"
    sent: list[str | None] = []
    for channel in channels:
        if channel is None:
            sent.append(None)
            continue
        attach = notifications.accepts_attachments(kernel, channel.type)
        links = "\n".join(f"{r.format.upper()}: /api/v1/reports/{r.id}/download" for r in done)
        sent.append(
            notifications.notify(
                kernel,
                channel.id,
                "report.ready",
                {"report": schedule.name, "period": period, "delivery": "" if attach else links},
                idempotency_key=f"report:{schedule.id}:{first.period_end.isoformat()}:{channel.id}",
                recipient=schedule.recipient or None,
                language=schedule.language,
                subject_ref=f"report-schedule:{schedule.id}",
                attachments=[_attachment(kernel, r.id) for r in done] if attach else (),
            )
        )
    return sent


def _attachment(kernel: Kernel, report_id: str) -> Attachment:
    with kernel.db.session() as session:
        report = session.get(Report, report_id)
        assert report is not None and report.content is not None
        return Attachment(report.filename, report.content_type, report.content)
