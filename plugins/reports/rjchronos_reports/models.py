"""The reports plugin's tables: generated reports (with their file) and schedules.

They live in a metadata of their own, created by the plugin's migration
history. A report keeps the KPIs it was rendered from, so its file and its
numbers can always be compared; the file itself is in the database, the one
store every API and worker process shares.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Column, Index, LargeBinary, Table
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from rjchronos.db.ids import new_id
from rjchronos.db.types import JsonDocument, UtcDateTime, utcnow


class ReportsModel(SQLModel, registry=registry()):
    """Base of the reports tables, with a metadata of their own."""


class Report(ReportsModel, table=True):
    """One report: ``pending`` until its job renders it, then ``done`` or ``failed``."""

    __tablename__ = "reports"
    __table_args__ = (Index("ix_reports_created", "created_at"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=26)
    format: str = Field(max_length=8)
    language: str = Field(max_length=8)
    period_start: datetime = Field(sa_type=UtcDateTime)
    period_end: datetime = Field(sa_type=UtcDateTime)
    status: str = Field(default="pending", max_length=16)
    error: str = Field(default="")
    schedule_id: str | None = Field(default=None, max_length=26)
    created_by: str = Field(default="", max_length=128)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    filename: str = Field(default="", max_length=200)
    content_type: str = Field(default="", max_length=100)
    size: int = 0
    content: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    kpis: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JsonDocument, nullable=False)
    )


class ReportSchedule(ReportsModel, table=True):
    """A report rendered every day, week or month and delivered on notification channels."""

    __tablename__ = "report_schedules"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=26)
    name: str = Field(max_length=120, unique=True)
    frequency: str = Field(max_length=16)
    formats: list[str] = Field(default_factory=list, sa_column=Column(JsonDocument, nullable=False))
    language: str = Field(default="pt-BR", max_length=8)
    timezone: str = Field(default="UTC", max_length=64)
    channel_ids: list[str] = Field(
        default_factory=list, sa_column=Column(JsonDocument, nullable=False)
    )
    recipient: str = Field(default="", max_length=512)
    enabled: bool = True
    next_run_at: datetime = Field(sa_type=UtcDateTime)
    last_run_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    created_by: str = Field(default="", max_length=128)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


REPORTS_METADATA = ReportsModel.metadata
reports = cast(Table, cast(Any, Report).__table__)
schedules = cast(Table, cast(Any, ReportSchedule).__table__)
