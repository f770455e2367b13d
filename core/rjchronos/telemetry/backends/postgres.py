"""The PostgreSQL telemetry backend: day partitions, binary COPY, partition-dropping retention.

``telemetry_samples`` is range-partitioned by UTC day (migration
``0002_telemetry_partitions``; a TimescaleDB hypertable of one-day chunks
when that extension is installed). A batch is written with one binary
``COPY`` straight into the table, after creating the partitions of its days
that are missing. When the batch repeats a stored sample the COPY fails on
the primary key, is rolled back to a savepoint, and the batch goes the slow
way: COPY into a temporary table, then ``INSERT ... ON CONFLICT DO NOTHING``,
so the first stored value is kept, as on every backend. Retention drops
whole partitions (or chunks) and deletes only from the one that straddles
the cutoff.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

import psycopg
from psycopg.types.json import Jsonb
from sqlalchemy import ColumnElement, func, literal_column, type_coerce
from sqlalchemy.dialects.postgresql import insert

from rjchronos.db.types import UtcDateTime
from rjchronos.telemetry import partitions
from rjchronos.telemetry.backends.sql import SqlTelemetryStore
from rjchronos.telemetry.store import Sample, unique_samples

#: Days ahead whose partitions ``maintain`` creates.
AHEAD_DAYS = 3
COLUMNS = "entity, metric, time, value, labels"
TYPES: Sequence[str] = ("text", "text", "timestamptz", "float8", "jsonb")
_STAGING = "telemetry_ingest"
_CREATE_STAGING = (
    f"CREATE TEMP TABLE IF NOT EXISTS {_STAGING} (entity text, metric text, "
    "time timestamptz, value double precision, labels jsonb) ON COMMIT DELETE ROWS"
)
_MOVE = (
    f"INSERT INTO telemetry_samples ({COLUMNS}) "
    f"SELECT {COLUMNS} FROM {_STAGING} ON CONFLICT DO NOTHING"
)
_EMPTY = Jsonb({})

Layout = Literal["partitioned", "hypertable", "plain"]


def _copy(cursor: Any, table: str, batch: list[Sample]) -> None:
    with cursor.copy(f"COPY {table} ({COLUMNS}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(TYPES)
        write = copy.write_row
        for s in batch:
            labels = Jsonb(dict(s.labels)) if s.labels else _EMPTY
            write((s.entity, s.metric, s.time, s.value, labels))


class PostgresTelemetryStore(SqlTelemetryStore):
    """Samples in day partitions keyed by (entity, metric, time), loaded with binary COPY."""

    insert = staticmethod(insert)
    roll_step = timedelta(days=1)  # a day partition per statement: its grouping stays in memory

    def __init__(self, db: Any) -> None:
        super().__init__(db)
        self._layout: Layout | None = None
        self._days: set[date] = set()  # partitions known to exist

    @property
    def layout(self) -> Layout:
        """How the samples table is laid out in this database."""
        if self._layout is None:
            with self.db.engine.connect() as connection:
                kind = connection.exec_driver_sql(
                    "SELECT relkind FROM pg_class WHERE oid = to_regclass('telemetry_samples')"
                ).scalar()
                hyper = connection.exec_driver_sql(
                    "SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'"
                ).first()
                if hyper is not None:
                    hyper = connection.exec_driver_sql(
                        "SELECT 1 FROM timescaledb_information.hypertables "
                        "WHERE hypertable_name = 'telemetry_samples'"
                    ).first()
            self._layout = "partitioned" if kind == "p" else "hypertable" if hyper else "plain"
        return self._layout

    def _ensure_days(self, cursor: Any, days: Iterable[date], *, fresh: bool = False) -> None:
        if self.layout != "partitioned":
            return
        wanted = set(days)
        if fresh:
            self._days.clear()
        if wanted <= self._days:
            return
        partitions.create(cursor, wanted)
        self._days |= wanted

    def write(self, samples: Iterable[Sample]) -> int:
        # Repeats within the batch fail the COPY like stored ones and go the slow way.
        batch = list(samples)
        if not batch:
            return 0
        times = [s.time for s in batch]
        oldest = min(times)
        days = partitions.days_between(oldest, max(times))
        with self.db.engine.begin() as connection:
            raw = connection.connection.driver_connection  # the psycopg connection
            assert raw is not None
            with raw.cursor() as cursor:
                self._ensure_days(cursor, days)
                written = self._write_batch(cursor, batch, days)
            self.catch_up(connection, batch, oldest)
        return written

    def _write_batch(self, cursor: Any, batch: list[Sample], days: list[date]) -> int:
        # A batch of one day goes straight into its partition, without routing each row.
        single = len(days) == 1 and self.layout == "partitioned"
        target = partitions.partition_name(days[0]) if single else "telemetry_samples"
        for attempt in (1, 2):
            cursor.execute("SAVEPOINT telemetry_copy")
            try:
                _copy(cursor, target, batch)
            except psycopg.errors.UniqueViolation:
                cursor.execute("ROLLBACK TO SAVEPOINT telemetry_copy")
                break
            except psycopg.errors.CheckViolation:  # a partition dropped behind our back
                cursor.execute("ROLLBACK TO SAVEPOINT telemetry_copy")
                if attempt == 2:
                    raise
                self._ensure_days(cursor, days, fresh=True)
                continue
            except psycopg.errors.UndefinedTable:  # the same, straight into the partition
                cursor.execute("ROLLBACK TO SAVEPOINT telemetry_copy")
                if attempt == 2:
                    raise
                self._ensure_days(cursor, days, fresh=True)
                continue
            cursor.execute("RELEASE SAVEPOINT telemetry_copy")
            return len(batch)
        cursor.execute(_CREATE_STAGING)
        _copy(cursor, _STAGING, unique_samples(batch))
        cursor.execute(_MOVE)
        written: int = cursor.rowcount
        return written

    def bucket(self, seconds: int, column: Any = None) -> ColumnElement[Any]:
        # Inlined (an int), so the GROUP BY expression is the select's own, not a new parameter.
        bucket = func.date_bin(
            literal_column(f"interval '{int(seconds)} seconds'"),
            self.table.c.time if column is None else column,
            literal_column("timestamptz '1970-01-01 00:00:00+00'"),
        )
        return type_coerce(bucket, UtcDateTime)

    def maintain(self, now: datetime) -> dict[str, object]:
        created: list[date] = []
        if self.layout == "partitioned":
            today = now.astimezone(UTC).date()
            with self.db.engine.begin() as connection:
                raw = connection.connection.driver_connection
                assert raw is not None
                with raw.cursor() as cursor:
                    wanted = [today + timedelta(days=n) for n in range(AHEAD_DAYS + 1)]
                    created = partitions.create(cursor, wanted)
                    self._days |= set(wanted)
        done = super().maintain(now)
        return {**done, "partitions_created": [partitions.partition_name(d) for d in created]}

    def delete_before(self, time: datetime) -> int:
        if time.tzinfo is None:
            raise ValueError("delete_before needs a timezone-aware time")
        if self.layout == "plain":
            return super().delete_before(time)
        deleted = 0
        with self.db.engine.begin() as connection:
            raw = connection.connection.driver_connection
            assert raw is not None
            with raw.cursor() as cursor:
                if self.layout == "partitioned":
                    deleted += self._drop_partitions(cursor, time)
                else:
                    deleted += self._drop_chunks(cursor, time)
                cursor.execute("DELETE FROM telemetry_samples WHERE time < %s", (time,))
                deleted += cursor.rowcount
        return deleted

    def _drop_partitions(self, cursor: Any, time: datetime) -> int:
        """Drop every day partition that ends at or before ``time``; the rows they held."""
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", (partitions.LOCK_KEY,))
        dropped = 0
        for day in sorted(partitions.existing(cursor)):
            if datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1) > time:
                continue
            name = partitions.partition_name(day)
            cursor.execute(f"SELECT count(*) FROM {name}")
            dropped += cursor.fetchone()[0]
            cursor.execute(f"DROP TABLE {name}")
            self._days.discard(day)
        return dropped

    def _drop_chunks(self, cursor: Any, time: datetime) -> int:  # pragma: no cover
        # TimescaleDB only; not installable on the machines this is tested on.
        cursor.execute("SELECT count(*) FROM telemetry_samples WHERE time < %s", (time,))
        before: int = cursor.fetchone()[0]
        cursor.execute("SELECT drop_chunks('telemetry_samples', older_than => %s)", (time,))
        cursor.execute("SELECT count(*) FROM telemetry_samples WHERE time < %s", (time,))
        return before - int(cursor.fetchone()[0])
