"""What the SQL backends share: series (from rollups where they reach), summaries, rollups,
listing metrics, retention.

Rollups (5 minutes and 1 hour: count, sum, minimum, maximum) are kept by
the ``telemetry.maintain`` job, which every 5 minutes rolls up the buckets
that closed since its last run, re-rolling a margin of :data:`REROLL` for
writes that were still in flight, and records how far the rollups are
complete (``telemetry_rollup_marks``). A write carrying samples older than
that mark re-rolls their buckets for its entities at once, in its own
transaction. A series reads rollups up to the mark and raw samples after it,
so its buckets are the same whether rollups exist or not.
"""

from __future__ import annotations

import math
from abc import abstractmethod
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Table,
    delete,
    func,
    literal,
    select,
)

from rjchronos.telemetry.models import TelemetryRollup, TelemetryRollupMark, TelemetrySample
from rjchronos.telemetry.store import (
    ROLLUP_WIDTHS,
    Point,
    Sample,
    Summary,
    TelemetryStore,
    TooManySamples,
    check_range,
)

if TYPE_CHECKING:
    from rjchronos.db import Database

#: How long after a bucket closes the job waits before rolling it up.
LATENESS = timedelta(minutes=1)
#: How much before the mark each run re-rolls (writes in flight when the mark moved).
REROLL = timedelta(minutes=15)
#: Entities per ``IN`` list.
CHUNK = 1000

samples_table: Table = TelemetrySample.__table__  # type: ignore[attr-defined]
rollups_table: Table = TelemetryRollup.__table__  # type: ignore[attr-defined]
marks_table: Table = TelemetryRollupMark.__table__  # type: ignore[attr-defined]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def floor_time(value: datetime, seconds: int) -> datetime:
    """``value`` rounded down to a multiple of ``seconds`` from the epoch."""
    return EPOCH + timedelta(seconds=(int((value - EPOCH).total_seconds()) // seconds) * seconds)


def ceil_time(value: datetime, seconds: int) -> datetime:
    floored = floor_time(value, seconds)
    return floored if floored == value else floored + timedelta(seconds=seconds)


class SqlTelemetryStore(TelemetryStore):
    """A store on the ``telemetry_samples`` table; backends add ``write`` and bucketing."""

    table: Table = samples_table
    #: Roll up long ranges this much at a time (``None``: in one statement).
    roll_step: timedelta | None = None
    #: The dialect's ``insert`` (with ``on_conflict_do_update``).
    insert: Callable[[Table], Any]

    def __init__(self, db: Database) -> None:
        self.db = db

    @abstractmethod
    def bucket(self, seconds: int, column: Any = None) -> ColumnElement[Any]:
        """The SQL expression of a time's bucket start, ``seconds`` wide from the epoch
        (``column`` defaults to the samples' ``time``)."""

    def stored_bucket(self, seconds: int, column: Any) -> ColumnElement[Any]:
        """:meth:`bucket` as the rollups' ``bucket`` column stores it."""
        return self.bucket(seconds, column)

    def bucket_time(self, value: Any) -> datetime:
        """The bucket start as read back from the database."""
        return value

    # -- series -------------------------------------------------------------

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
        if resolution is None:
            return self._raw(entity, metric, start, end, limit)
        seconds = int(resolution.total_seconds())
        with self.db.engine.connect() as connection:
            pieces = [
                self._buckets(connection, entity, metric, low, high, seconds, width)
                for low, high, width in self._plan(connection, start, end, seconds)
            ]
        if len(pieces) == 1:  # in bucket order already
            points = [(bucket, float(total) / int(count)) for bucket, total, count in pieces[0]]
        else:  # a bucket may straddle two pieces
            sums: dict[datetime, float] = {}
            counts: dict[datetime, int] = {}
            for piece in pieces:
                for bucket, total, count in piece:
                    sums[bucket] = sums.get(bucket, 0.0) + float(total)
                    counts[bucket] = counts.get(bucket, 0) + int(count)
            points = [(bucket, sums[bucket] / counts[bucket]) for bucket in sorted(sums)]
        return points[:limit] if limit is not None else points

    def _raw(
        self, entity: str, metric: str, start: datetime, end: datetime, limit: int | None
    ) -> list[Point]:
        c = self.table.c
        statement = (
            select(c.time, c.value)
            .where(c.entity == entity, c.metric == metric, c.time >= start, c.time < end)
            .order_by(c.time)
        )
        if limit is not None:
            statement = statement.limit(limit)
        with self.db.engine.connect() as connection:
            return [(row[0], float(row[1])) for row in connection.execute(statement)]

    def _plan(
        self, connection: Connection, start: datetime, end: datetime, seconds: int
    ) -> list[tuple[datetime, datetime, int | None]]:
        """Pieces of ``[start, end)`` and where each is read: a rollup width, or raw (None)."""
        widths = [w for w in sorted(ROLLUP_WIDTHS, reverse=True) if seconds % w == 0]
        marks = self._marks(connection)
        for width in widths:
            if width not in marks:
                continue
            low = ceil_time(start, width)
            high = min(floor_time(end, width), marks[width])
            if low >= high:
                continue
            pieces: list[tuple[datetime, datetime, int | None]] = [(low, high, width)]
            if start < low:
                pieces.append((start, low, None))
            if high < end:
                pieces.append((high, end, None))
            return pieces
        return [(start, end, None)]

    def _buckets(
        self,
        connection: Connection,
        entity: str,
        metric: str,
        low: datetime,
        high: datetime,
        seconds: int,
        width: int | None,
    ) -> list[Any]:
        """``(bucket start, sum, count)`` of ``seconds`` wide buckets, from raw or a rollup,
        in bucket order."""
        if width is None:
            c = self.table.c
            bucket = self.bucket(seconds).label("bucket")
            statement = (
                select(bucket, func.sum(c.value), func.count(c.value))
                .where(c.entity == entity, c.metric == metric, c.time >= low, c.time < high)
                .group_by(bucket)
                .order_by(bucket)
            )
        elif seconds == width:
            r = rollups_table.c
            statement = (
                select(r.bucket, r.total, r.count)
                .where(
                    r.entity == entity,
                    r.metric == metric,
                    r.width == width,
                    r.bucket >= low,
                    r.bucket < high,
                )
                .order_by(r.bucket)
            )
            return list(connection.execute(statement).all())  # already times
        else:
            r = rollups_table.c
            bucket = self.bucket(seconds, r.bucket).label("bucket")
            statement = (
                select(bucket, func.sum(r.total), func.sum(r.count))
                .where(
                    r.entity == entity,
                    r.metric == metric,
                    r.width == width,
                    r.bucket >= low,
                    r.bucket < high,
                )
                .group_by(bucket)
                .order_by(bucket)
            )
        return [(self.bucket_time(b), t, n) for b, t, n in connection.execute(statement)]

    # -- summaries ------------------------------------------------------------

    def summaries(
        self, entities: Iterable[str], metric: str, start: datetime, end: datetime
    ) -> dict[str, Summary]:
        """Per entity, from the 1-hour rollups where they reach and raw samples elsewhere."""
        check_range(start, end, None)
        wanted = sorted(set(entities))
        found: dict[str, Summary] = {}
        with self.db.engine.connect() as connection:
            pieces = self._plan(connection, start, end, max(ROLLUP_WIDTHS))
            for offset in range(0, len(wanted), CHUNK):  # bounded IN lists
                chunk = wanted[offset : offset + CHUNK]
                for low, high, width in pieces:
                    for entity, count, total, least, most in connection.execute(
                        self._summary_statement(chunk, metric, low, high, width)
                    ):
                        summary = Summary(int(count), float(total), float(least), float(most))
                        found[entity] = found[entity] + summary if entity in found else summary
        return found

    def _summary_statement(
        self, chunk: list[str], metric: str, low: datetime, high: datetime, width: int | None
    ) -> Any:
        if width is None:
            c = self.table.c
            return (
                select(
                    c.entity,
                    func.count(c.value),
                    func.sum(c.value),
                    func.min(c.value),
                    func.max(c.value),
                )
                .where(c.entity.in_(chunk), c.metric == metric, c.time >= low, c.time < high)
                .group_by(c.entity)
            )
        r = rollups_table.c
        return (
            select(
                r.entity,
                func.sum(r.count),
                func.sum(r.total),
                func.min(r.minimum),
                func.max(r.maximum),
            )
            .where(
                r.entity.in_(chunk),
                r.metric == metric,
                r.width == width,
                r.bucket >= low,
                r.bucket < high,
            )
            .group_by(r.entity)
        )

    def values(
        self,
        entities: Iterable[str],
        metric: str,
        start: datetime,
        end: datetime,
        *,
        limit: int = 1_000_000,
    ) -> dict[str, list[float]]:
        check_range(start, end, None)
        wanted = sorted(set(entities))
        c = self.table.c
        found: dict[str, list[float]] = {}
        read = 0
        with self.db.engine.connect() as connection:
            for offset in range(0, len(wanted), CHUNK):  # bounded IN lists
                chunk = wanted[offset : offset + CHUNK]
                statement = (
                    select(c.entity, c.value)
                    .where(c.entity.in_(chunk), c.metric == metric, c.time >= start, c.time < end)
                    .limit(limit + 1 - read)
                )
                for entity, value in connection.execute(statement):
                    found.setdefault(entity, []).append(float(value))
                    read += 1
                if read > limit:
                    raise TooManySamples(f"more than {limit} samples of {metric} in range")
        return found

    def averages(
        self, entities: Iterable[str], metric: str, start: datetime, end: datetime
    ) -> dict[str, float]:
        return {e: s.mean for e, s in self.summaries(entities, metric, start, end).items()}

    def metrics(self, entity: str) -> list[str]:
        c = self.table.c
        statement = select(c.metric).where(c.entity == entity).distinct().order_by(c.metric)
        with self.db.engine.connect() as connection:
            return list(connection.execute(statement).scalars())

    # -- rollups --------------------------------------------------------------

    def _marks(self, connection: Connection) -> dict[int, datetime]:
        rows = connection.execute(select(marks_table.c.width, marks_table.c.until))
        return {int(width): until for width, until in rows}

    def _set_mark(self, connection: Connection, width: int, until: datetime) -> None:
        statement = self.insert(marks_table).values(width=width, until=until)
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=[marks_table.c.width], set_={"until": statement.excluded.until}
            )
        )

    def _roll(
        self,
        connection: Connection,
        width: int,
        low: datetime,
        high: datetime,
        entities: list[str] | None,
    ) -> None:
        """Recompute the ``width`` rollups of ``[low, high)`` (aligned), replacing what was there.

        5-minute rollups come from the samples, 1-hour ones from the 5-minute rollups.
        """
        if low >= high:
            return
        step = self.roll_step
        if step is not None and high - low > step:  # one partition's worth at a time
            for window in range(math.ceil((high - low) / step)):
                window_low = low + window * step
                self._roll(connection, width, window_low, min(high, window_low + step), entities)
            return
        finest = min(ROLLUP_WIDTHS)
        if width == finest:
            c = self.table.c
            source_time = c.time
            values = [func.count(c.value), func.sum(c.value), func.min(c.value), func.max(c.value)]
            where = [c.time >= low, c.time < high]
            entity, metric = c.entity, c.metric
        else:
            r = rollups_table.c
            source_time = r.bucket
            values = [
                func.sum(r.count),
                func.sum(r.total),
                func.min(r.minimum),
                func.max(r.maximum),
            ]
            where = [r.width == finest, r.bucket >= low, r.bucket < high]
            entity, metric = r.entity, r.metric
        bucket = self.stored_bucket(width, source_time).label("bucket")
        for chunk in [None] if entities is None else _chunks(entities):
            condition = where if chunk is None else [*where, entity.in_(chunk)]
            rows = (
                select(entity, metric, literal(width), bucket, *values)
                .where(*condition)
                .group_by(entity, metric, bucket)
                # In key order: a series' rows land together and the key index grows at its end.
                .order_by(entity, metric, bucket)
            )
            statement = self.insert(rollups_table).from_select(
                ["entity", "metric", "width", "bucket", "count", "total", "minimum", "maximum"],
                rows,
            )
            connection.execute(
                statement.on_conflict_do_update(
                    index_elements=["entity", "metric", "width", "bucket"],
                    set_={
                        name: statement.excluded[name]
                        for name in ("count", "total", "minimum", "maximum")
                    },
                )
            )

    def _roll_range(
        self,
        connection: Connection,
        start: datetime,
        end: datetime,
        entities: list[str] | None,
    ) -> None:
        coarsest = max(ROLLUP_WIDTHS)
        low, high = floor_time(start, coarsest), ceil_time(end, coarsest)
        for width in sorted(ROLLUP_WIDTHS):
            self._roll(connection, width, low, high, entities)

    def roll_up(
        self, start: datetime, end: datetime, entities: Iterable[str] | None = None
    ) -> None:
        check_range(start, end, None)
        with self.db.engine.begin() as connection:
            self._roll_range(connection, start, end, None if entities is None else sorted(entities))

    def catch_up(
        self, connection: Connection, batch: list[Sample], oldest: datetime | None = None
    ) -> None:
        """Re-roll, in the write's transaction, the buckets of samples older than the mark."""
        mark = self._marks(connection).get(min(ROLLUP_WIDTHS))
        if mark is None or (oldest is not None and oldest >= mark):
            return
        late = [s for s in batch if s.time < mark]
        if late:
            oldest = min(s.time for s in late)
            self._roll_range(connection, oldest, mark, sorted({s.entity for s in late}))

    def maintain(self, now: datetime) -> dict[str, object]:
        finest, coarsest = min(ROLLUP_WIDTHS), max(ROLLUP_WIDTHS)
        until = floor_time(now - LATENESS, finest)
        with self.db.engine.begin() as connection:
            mark = self._marks(connection).get(finest)
            if mark is not None:
                low = floor_time(mark - REROLL, coarsest)
            else:
                oldest = connection.execute(select(func.min(self.table.c.time))).scalar()
                low = floor_time(oldest, coarsest) if oldest is not None else until
            self._roll(connection, finest, low, until, None)
            hour = floor_time(until, coarsest)
            self._roll(connection, coarsest, low, hour, None)
            self._set_mark(connection, finest, until)
            self._set_mark(connection, coarsest, hour)
        return {"rolled_from": low.isoformat(), "rolled_until": until.isoformat()}

    def delete_rollups_before(self, time: datetime) -> int:
        if time.tzinfo is None:
            raise ValueError("delete_rollups_before needs a timezone-aware time")
        with self.db.engine.begin() as connection:
            statement = delete(rollups_table).where(rollups_table.c.bucket < time)
            return connection.execute(statement).rowcount

    # -- retention --------------------------------------------------------------

    def delete_before(self, time: datetime) -> int:
        if time.tzinfo is None:
            raise ValueError("delete_before needs a timezone-aware time")
        with self.db.engine.begin() as connection:
            return connection.execute(delete(self.table).where(self.table.c.time < time)).rowcount


def _chunks(entities: list[str]) -> list[list[str]]:
    return [entities[i : i + CHUNK] for i in range(0, len(entities), CHUNK)] or [[]]
