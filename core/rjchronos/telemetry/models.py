"""Telemetry tables: raw samples, their 5-minute and 1-hour rollups, and how far rollups reach.

On PostgreSQL ``telemetry_samples`` is range-partitioned by day on ``time``
(migration ``0002_telemetry_partitions``): the partitions are created by the
store as samples arrive and dropped by retention; they are not models.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, Integer
from sqlmodel import Field, SQLModel

from rjchronos.db.types import JsonDocument, UtcDateTime


class TelemetrySample(SQLModel, table=True):
    """A measured value of ``metric`` on ``entity`` (usually a device id) at ``time``.

    The primary key orders rows by entity, metric and time, which is the
    order series are read in (the btree of series lookups). On SQLite the
    table has no rowid: the key is the table, and an index on ``time`` serves
    the rollup job. On PostgreSQL a BRIN index on ``time`` serves range scans
    across entities (retention, rollups) at a few pages per partition.
    """

    __tablename__ = "telemetry_samples"
    __table_args__ = (
        Index("ix_telemetry_samples_time_brin", "time", postgresql_using="brin").ddl_if(
            dialect="postgresql"
        ),
        # SQLite: a plain index, so the rollup job's time range is no table scan.
        Index("ix_telemetry_samples_time", "time").ddl_if(dialect="sqlite"),
        {"sqlite_with_rowid": False},
    )

    entity: str = Field(primary_key=True, max_length=128)
    metric: str = Field(primary_key=True, max_length=128)
    time: datetime = Field(sa_column=Column(UtcDateTime, primary_key=True))
    value: float
    labels: dict[str, Any] = Field(default_factory=dict, sa_type=JsonDocument, nullable=False)


class TelemetryRollup(SQLModel, table=True):
    """Count, sum, minimum and maximum of one metric on one entity over one bucket.

    ``width`` is the bucket width in seconds (300 or 3600); ``bucket`` its
    start, aligned to the Unix epoch. The mean is ``total / count``.
    """

    __tablename__ = "telemetry_rollups"
    __table_args__ = (
        Index("ix_telemetry_rollups_bucket", "width", "bucket"),
        {"sqlite_with_rowid": False},
    )

    entity: str = Field(primary_key=True, max_length=128)
    metric: str = Field(primary_key=True, max_length=128)
    width: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    bucket: datetime = Field(sa_column=Column(UtcDateTime, primary_key=True))
    count: int
    total: float
    minimum: float
    maximum: float


class TelemetryRollupMark(SQLModel, table=True):
    """Rollups of ``width`` are complete for every bucket that ends at or before ``until``."""

    __tablename__ = "telemetry_rollup_marks"

    width: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    until: datetime = Field(sa_type=UtcDateTime)
