"""Tables of durable jobs and of the schedules that enqueue them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Index, Text, text
from sqlmodel import Field, SQLModel

from rjchronos.db.ids import new_id
from rjchronos.db.types import JsonDocument, UtcDateTime, utcnow


class JobStatus(StrEnum):
    """Where a job is in its life.

    ``pending`` waits for its ``run_at`` (no trigger sent yet); ``queued`` has a
    trigger on the broker; ``running`` is claimed by a worker under a lease;
    the other four are final.
    """

    PENDING = "pending"
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


UNFINISHED: tuple[str, ...] = (JobStatus.PENDING, JobStatus.QUEUED, JobStatus.RUNNING)
FINISHED: tuple[str, ...] = (
    JobStatus.DONE,
    JobStatus.FAILED,
    JobStatus.CANCELLED,
    JobStatus.EXPIRED,
)
_UNFINISHED_SQL = text("status IN ('pending', 'queued', 'running')")


class Job(SQLModel, table=True):
    """One unit of work outside the request; the broker message only carries its id."""

    __tablename__ = "jobs"
    __table_args__ = (
        # A dedup key names at most one unfinished job; a finished one frees it.
        Index(
            "uq_jobs_open_dedup_key",
            "dedup_key",
            unique=True,
            postgresql_where=_UNFINISHED_SQL,
            sqlite_where=_UNFINISHED_SQL,
        ),
        # The reconciler only ever scans unfinished jobs.
        Index(
            "ix_jobs_open_status_run_at",
            "status",
            "run_at",
            postgresql_where=_UNFINISHED_SQL,
            sqlite_where=_UNFINISHED_SQL,
        ),
        # The API lists newest first, filtered by one of these.
        Index("ix_jobs_type_id", "type", "id"),
        Index("ix_jobs_status_id", "status", "id"),
        Index("ix_jobs_device_id_id", "device_id", "id"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=26)
    type: str = Field(max_length=200)
    params: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JsonDocument, nullable=False)
    )
    status: str = Field(default=JobStatus.PENDING, max_length=16)
    queue: str = Field(default="default", max_length=100)
    attempts: int = 0
    max_attempts: int = 3
    device_id: str | None = Field(default=None, max_length=64)
    dedup_key: str | None = Field(default=None, max_length=300)
    run_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    expires_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    #: When the last trigger was sent; the reconciler re-sends old ones.
    triggered_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    lease_until: datetime | None = Field(default=None, sa_type=UtcDateTime)
    worker: str | None = Field(default=None, max_length=200)
    result: Any | None = Field(default=None, sa_column=Column(JsonDocument, nullable=True))
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)

    def as_dict(self) -> dict[str, Any]:
        """The job as the API shows it."""
        data = self.model_dump()
        return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in data.items()}


class ScheduleState(SQLModel, table=True):
    """When a schedule (or a collector, for one device) runs next.

    The definitions live in the plugins (``rjc_schedules``, ``rjc_collectors``);
    this row only holds the timing and the lease that lets many processes
    enqueue each due run once.
    """

    __tablename__ = "schedules"
    __table_args__ = (
        Index("ix_schedules_next_run_at", "next_run_at"),
        Index("ix_schedules_kind_name_device", "kind", "name", "device_id"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=26)
    #: ``schedule:<name>`` or ``collector:<name>:<device id>``; also the dedup key of its jobs.
    key: str = Field(max_length=300, unique=True)
    kind: str = Field(max_length=16)
    name: str = Field(max_length=200)
    job_type: str = Field(max_length=200)
    device_id: str | None = Field(default=None, max_length=64)
    #: The run's time on the schedule's grid, before jitter.
    nominal_at: datetime = Field(sa_type=UtcDateTime)
    next_run_at: datetime = Field(sa_type=UtcDateTime)
    lease_until: datetime | None = Field(default=None, sa_type=UtcDateTime)
    lease_owner: str | None = Field(default=None, max_length=64)
    last_run_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    last_job_id: str | None = Field(default=None, max_length=26)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)

    def as_dict(self) -> dict[str, Any]:
        data = self.model_dump(exclude={"lease_owner"})
        return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in data.items()}
