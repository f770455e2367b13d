"""The SQLite telemetry backend: the embedded default."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, cast, func, literal_column
from sqlalchemy.dialects.sqlite import insert

from rjchronos.telemetry.backends.sql import SqlTelemetryStore
from rjchronos.telemetry.store import Sample, unique_samples

#: Samples per executemany call.
BATCH = 5_000


class SqliteTelemetryStore(SqlTelemetryStore):
    """Samples in one table keyed by (entity, metric, time), inserted with executemany."""

    insert = staticmethod(insert)

    def write(self, samples: Iterable[Sample]) -> int:
        batch = unique_samples(samples)
        rows = [
            {
                "entity": s.entity,
                "metric": s.metric,
                "time": s.time,
                "value": float(s.value),
                "labels": dict(s.labels),
            }
            for s in batch
        ]
        if not rows:
            return 0
        statement = insert(self.table).on_conflict_do_nothing()
        written = 0
        with self.db.engine.begin() as connection:
            for start in range(0, len(rows), BATCH):
                written += connection.execute(statement, rows[start : start + BATCH]).rowcount
            self.catch_up(connection, batch)
        return written

    def bucket(self, seconds: int, column: Any = None) -> ColumnElement[Any]:
        # Times are stored as 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC; %s reads whole seconds.
        # Inlined (an int), so the GROUP BY expression is the select's own, not a new parameter.
        epoch = cast(func.strftime("%s", self.table.c.time if column is None else column), Integer)
        width: ColumnElement[int] = literal_column(str(int(seconds)), Integer)
        return (epoch // width) * width

    def stored_bucket(self, seconds: int, column: Any) -> ColumnElement[Any]:
        # The text form SQLAlchemy stores datetimes in on SQLite.
        return func.strftime("%Y-%m-%d %H:%M:%S.000000", self.bucket(seconds, column), "unixepoch")

    def bucket_time(self, value: Any) -> datetime:
        return datetime.fromtimestamp(int(value), UTC)
