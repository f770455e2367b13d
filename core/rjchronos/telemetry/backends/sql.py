"""What the SQL backends share: reading series, listing metrics, retention."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Table, delete, func, select

from rjchronos.telemetry.models import TelemetrySample
from rjchronos.telemetry.store import Point, TelemetryStore, check_range

if TYPE_CHECKING:
    from rjchronos.db import Database


class SqlTelemetryStore(TelemetryStore):
    """A store on the ``telemetry_samples`` table; backends add ``write`` and bucketing."""

    table: Table = TelemetrySample.__table__  # type: ignore[attr-defined]

    def __init__(self, db: Database) -> None:
        self.db = db

    @abstractmethod
    def bucket(self, seconds: int) -> ColumnElement[Any]:
        """The SQL expression of a sample's bucket start, ``seconds`` wide from the epoch."""

    def bucket_time(self, value: datetime) -> datetime:
        """The bucket start as read back from the database."""
        return value

    def series(
        self,
        entity: str,
        metric: str,
        start: datetime,
        end: datetime,
        *,
        resolution: timedelta | None = None,
        limit: int | None = None,
    ) -> list[Point]:
        check_range(start, end, resolution)
        c = self.table.c
        where = (c.entity == entity, c.metric == metric, c.time >= start, c.time < end)
        if resolution is None:
            statement = select(c.time, c.value).where(*where).order_by(c.time)
        else:
            bucket = self.bucket(int(resolution.total_seconds())).label("bucket")
            statement = (
                select(bucket, func.avg(c.value)).where(*where).group_by(bucket).order_by(bucket)
            )
        if limit is not None:
            statement = statement.limit(limit)
        with self.db.engine.connect() as connection:
            rows = connection.execute(statement).all()
        if resolution is None:
            return [(row[0], float(row[1])) for row in rows]
        return [(self.bucket_time(row[0]), float(row[1])) for row in rows]

    def averages(
        self, entities: Iterable[str], metric: str, start: datetime, end: datetime
    ) -> dict[str, float]:
        check_range(start, end, None)
        c = self.table.c
        wanted = sorted(set(entities))
        found: dict[str, float] = {}
        with self.db.engine.connect() as connection:
            for offset in range(0, len(wanted), 1000):  # bounded IN lists
                chunk = wanted[offset : offset + 1000]
                statement = (
                    select(c.entity, func.avg(c.value))
                    .where(c.entity.in_(chunk), c.metric == metric, c.time >= start, c.time < end)
                    .group_by(c.entity)
                )
                found.update(
                    (entity, float(mean)) for entity, mean in connection.execute(statement)
                )
        return found

    def metrics(self, entity: str) -> list[str]:
        c = self.table.c
        statement = select(c.metric).where(c.entity == entity).distinct().order_by(c.metric)
        with self.db.engine.connect() as connection:
            return list(connection.execute(statement).scalars())

    def delete_before(self, time: datetime) -> int:
        if time.tzinfo is None:
            raise ValueError("delete_before needs a timezone-aware time")
        with self.db.engine.begin() as connection:
            return connection.execute(delete(self.table).where(self.table.c.time < time)).rowcount
