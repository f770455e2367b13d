"""The plain PostgreSQL telemetry backend: one table, batches loaded with COPY.

Batches are copied into a temporary table and moved into
``telemetry_samples`` with ``INSERT ... ON CONFLICT DO NOTHING``, which is
how duplicates are dropped (COPY alone cannot skip them). A time-partitioned
backend can replace this class in ``rjchronos.telemetry.store.BACKENDS``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, func, literal_column, type_coerce

from rjchronos.db.types import UtcDateTime
from rjchronos.telemetry.backends.sql import SqlTelemetryStore
from rjchronos.telemetry.store import Sample, unique_samples

_STAGING = "telemetry_ingest"
_CREATE_STAGING = (
    f"CREATE TEMP TABLE IF NOT EXISTS {_STAGING} (entity text, metric text, "
    "time timestamptz, value double precision, labels jsonb) ON COMMIT DELETE ROWS"
)
_MOVE = (
    "INSERT INTO telemetry_samples (entity, metric, time, value, labels) "
    f"SELECT entity, metric, time, value, labels FROM {_STAGING} ON CONFLICT DO NOTHING"
)


class PostgresTelemetryStore(SqlTelemetryStore):
    """Samples in one plain table keyed by (entity, metric, time)."""

    def write(self, samples: Iterable[Sample]) -> int:
        batch = unique_samples(samples)
        if not batch:
            return 0
        with self.db.engine.begin() as connection:
            raw = connection.connection.driver_connection  # the psycopg connection
            assert raw is not None
            with raw.cursor() as cursor:
                cursor.execute(_CREATE_STAGING)
                columns = "entity, metric, time, value, labels"
                with cursor.copy(f"COPY {_STAGING} ({columns}) FROM STDIN") as copy:
                    for s in batch:
                        copy.write_row(
                            (s.entity, s.metric, s.time, float(s.value), json.dumps(dict(s.labels)))
                        )
                cursor.execute(_MOVE)
                written: int = cursor.rowcount
        return written

    def bucket(self, seconds: int) -> ColumnElement[Any]:
        # Inlined (an int), so the GROUP BY expression is the select's own, not a new parameter.
        bucket = func.date_bin(
            literal_column(f"interval '{int(seconds)} seconds'"),
            self.table.c.time,
            literal_column("timestamptz '1970-01-01 00:00:00+00'"),
        )
        return type_coerce(bucket, UtcDateTime)
