"""The reconciler: nothing recorded in ``jobs`` is lost when a message or a worker is.

Each pass, in every process that runs the maintenance loop:

1. unfinished jobs past ``expires_at`` that never started are marked expired;
2. pending jobs that are due (or due within the delay horizon) are triggered;
3. queued jobs whose trigger is older than the grace period, and due, get a
   new trigger (the old one may have died with a broker or a process);
4. running jobs whose lease has run out (their worker died) are queued for
   another attempt, or failed when they have none left.

Every step is a compare-and-set, so passes in many processes at once send
each trigger once; a stray duplicate is harmless because workers claim jobs.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import or_
from sqlmodel import col

from rjchronos.jobs.models import Job, JobStatus
from rjchronos.jobs.queue import DELAY_HORIZON, log

if TYPE_CHECKING:
    from rjchronos.jobs.queue import JobQueue


def reconcile(queue: JobQueue, now: datetime, grace: float) -> dict[str, int]:
    """One pass; returns how many jobs each step moved."""
    store = queue.store
    counts = {"expired": 0, "dispatched": 0, "resent": 0, "recovered": 0, "failed": 0}

    for job in store.find(
        col(Job.status).in_((JobStatus.PENDING, JobStatus.QUEUED)),
        col(Job.expires_at) <= now,
    ):
        counts["expired"] += queue._expire(job, now)

    horizon = now if queue.kind == "inline" else now + DELAY_HORIZON
    for job in store.find(
        col(Job.status) == JobStatus.PENDING,
        or_(col(Job.run_at).is_(None), col(Job.run_at) <= horizon),
    ):
        counts["dispatched"] += queue._dispatch(job, now)

    cutoff = now - timedelta(seconds=grace)
    stale = or_(col(Job.triggered_at).is_(None), col(Job.triggered_at) <= cutoff)
    for job in store.find(
        col(Job.status) == JobStatus.QUEUED,
        stale,
        or_(col(Job.run_at).is_(None), col(Job.run_at) <= cutoff),
    ):
        if store.change(job.id, (JobStatus.QUEUED,), (stale,), triggered_at=now):
            log.info(
                "job %s (%s): queued since %s, trigger re-sent",
                job.id,
                job.type,
                job.triggered_at.isoformat() if job.triggered_at else "?",
            )
            queue._trigger(job.id, job.type, job.queue)
            counts["resent"] += 1

    for job in store.find(col(Job.status) == JobStatus.RUNNING, col(Job.lease_until) < now):
        lost = f"worker {job.worker} lost: its lease ran out during attempt {job.attempts}"
        same_attempt = (col(Job.lease_until) < now, col(Job.attempts) == job.attempts)
        if job.attempts >= job.max_attempts:
            if store.change(
                job.id,
                (JobStatus.RUNNING,),
                same_attempt,
                status=JobStatus.FAILED,
                error=lost,
                finished_at=now,
                lease_until=None,
            ):
                queue._moved(job, JobStatus.FAILED, lost)
                counts["failed"] += 1
        elif store.change(
            job.id,
            (JobStatus.RUNNING,),
            same_attempt,
            status=JobStatus.QUEUED,
            error=lost,
            triggered_at=now,
            lease_until=None,
            run_at=now,
        ):
            queue._moved(job, JobStatus.QUEUED, lost)
            queue._trigger(job.id, job.type, job.queue)
            counts["recovered"] += 1

    moved = {k: v for k, v in counts.items() if v}
    if moved:
        log.info("reconciler: %s", ", ".join(f"{v} {k}" for k, v in moved.items()))
    return counts
