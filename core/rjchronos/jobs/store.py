"""Job rows and their transitions, each one a compare-and-set in the database.

Every change is an ``UPDATE ... WHERE`` that names the state it expects, so
two processes (or two deliveries of one message) can race and only one
wins: the loser sees zero rows changed and does nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from rjchronos.db import Database
from rjchronos.jobs.models import FINISHED, UNFINISHED, Job, JobStatus

log = logging.getLogger("rjchronos.jobs")


class JobStore:
    """The ``jobs`` table of one database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, job_id: str) -> Job | None:
        with self.db.session() as session:
            return session.get(Job, job_id)

    def insert(self, job: Job) -> str | None:
        """Store ``job``, or return the id of the unfinished job holding its dedup key."""
        for _ in range(3):
            if job.dedup_key:
                existing = self.open_job_with_key(job.dedup_key)
                if existing:
                    return existing
            try:
                with self.db.session() as session:
                    session.add(job)
                return None
            except IntegrityError:
                if not job.dedup_key:
                    raise
                # Another process inserted the same key between our check and insert.
        raise RuntimeError(f"could not store job {job.type} with dedup key {job.dedup_key!r}")

    def insert_many(self, jobs: Sequence[Job]) -> list[str | None]:
        """:meth:`insert` for many jobs in one transaction; ``None`` for each one stored."""
        keys = {job.dedup_key for job in jobs if job.dedup_key}
        held: dict[str, str] = {}
        if keys:
            with self.db.session() as session:
                statement = select(Job.dedup_key, Job.id).where(
                    self.db.one_of(col(Job.dedup_key), keys), col(Job.status).in_(UNFINISHED)
                )
                held = {key: job_id for key, job_id in session.exec(statement).all() if key}
        result: list[str | None] = []
        fresh: list[Job] = []
        for job in jobs:
            holder = held.get(job.dedup_key) if job.dedup_key else None
            result.append(holder)
            if holder is None:
                fresh.append(job)
                if job.dedup_key:
                    held[job.dedup_key] = job.id
        try:
            with self.db.session() as session:
                session.add_all(fresh)
        except IntegrityError:
            # Another process took one of the keys meanwhile: settle them one by one.
            return [self.insert(job) for job in jobs]
        return result

    def open_job_with_key(self, dedup_key: str) -> str | None:
        with self.db.session() as session:
            statement = select(Job.id).where(
                Job.dedup_key == dedup_key, col(Job.status).in_(UNFINISHED)
            )
            return session.exec(statement).first()

    def change(
        self,
        job_id: str,
        expect: Sequence[str],
        where: Sequence[ColumnElement[bool]] = (),
        **values: Any,
    ) -> bool:
        """Set ``values`` on the job if its status is one of ``expect`` (and ``where`` holds)."""
        statement = (
            update(Job)
            .where(col(Job.id) == job_id, col(Job.status).in_(expect), *where)
            .values(**values)
        )
        with self.db.engine.begin() as connection:
            return connection.execute(statement).rowcount == 1

    def claim(
        self, job_id: str, worker: str, now: datetime, lease_until: datetime, not_before: datetime
    ) -> Job | None:
        """Take the job for one attempt, or ``None`` if someone else has it or it is not due."""
        statement = (
            update(Job)
            .where(
                col(Job.id) == job_id,
                col(Job.status).in_((JobStatus.QUEUED, JobStatus.PENDING)),
                or_(col(Job.run_at).is_(None), col(Job.run_at) <= not_before),
                or_(col(Job.expires_at).is_(None), col(Job.expires_at) > now),
            )
            .values(
                status=JobStatus.RUNNING,
                attempts=Job.attempts + 1,
                started_at=now,
                lease_until=lease_until,
                worker=worker,
            )
            .returning(Job)
            .execution_options(synchronize_session=False)
        )
        with self.db.session() as session:
            return session.execute(statement).scalar_one_or_none()

    def find(self, *conditions: ColumnElement[bool], limit: int = 500) -> list[Job]:
        """Jobs matching ``conditions``, oldest first, at most ``limit``."""
        with self.db.session() as session:
            statement = select(Job).where(*conditions).order_by(col(Job.id)).limit(limit)
            return list(session.exec(statement).all())

    def purge_finished(self, before: datetime, batch: int = 10_000) -> int:
        """Delete finished jobs that finished before ``before``, in batches; return how many."""
        deleted = 0
        while True:
            chosen = (
                select(Job.id)
                .where(col(Job.status).in_(FINISHED), col(Job.finished_at) < before)
                .limit(batch)
            )
            with self.db.engine.begin() as connection:
                count = connection.execute(delete(Job).where(col(Job.id).in_(chosen))).rowcount
            deleted += count
            if count < batch:
                return deleted
