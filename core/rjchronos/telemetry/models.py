"""The telemetry table: one row per sample, keyed by entity, metric and time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from rjchronos.db.types import JsonDocument, UtcDateTime


class TelemetrySample(SQLModel, table=True):
    """A measured value of ``metric`` on ``entity`` (usually a device id) at ``time``.

    The primary key orders rows by entity, metric and time, which is the
    order series are read in. On SQLite the table has no rowid: the key is
    the table.
    """

    __tablename__ = "telemetry_samples"
    __table_args__ = {"sqlite_with_rowid": False}

    entity: str = Field(primary_key=True, max_length=128)
    metric: str = Field(primary_key=True, max_length=128)
    time: datetime = Field(sa_column=Column(UtcDateTime, primary_key=True))
    value: float
    labels: dict[str, Any] = Field(default_factory=dict, sa_type=JsonDocument, nullable=False)
