"""Rollups against raw averages, automatic resolutions, partitions made on demand and dropped
by retention, and the scheduled jobs, on the backend of the test's database."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text

from rjchronos.db.types import utcnow
from rjchronos.telemetry.models import TelemetryRollup, TelemetrySample
from rjchronos.telemetry.store import Sample, resolution_for

T0 = datetime(2024, 5, 1, 0, 0, tzinfo=UTC)
METRIC = "onu.rx_power_dbm"


def noisy(entity: str, hours: int, every: timedelta, seed: int = 1) -> list[Sample]:
    rng = random.Random(seed)
    count = int(timedelta(hours=hours) / every)
    return [Sample(entity, METRIC, T0 + i * every, rng.uniform(-28, -15)) for i in range(count)]


def partitions(kernel: Any) -> set[str]:
    with kernel.db.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'telemetry_samples'"
            )
        )
        return {name for (name,) in rows}


def rollup_rows(kernel: Any, width: int) -> dict[tuple[str, datetime], Any]:
    r = TelemetryRollup.__table__.c  # type: ignore[attr-defined]
    with kernel.db.engine.connect() as connection:
        rows = connection.execute(select(TelemetryRollup.__table__).where(r.width == width))  # type: ignore[attr-defined]
        return {(row.entity, row.bucket): row for row in rows}


def test_resolution_follows_the_range() -> None:
    assert resolution_for(T0, T0 + timedelta(hours=6)) is None
    assert resolution_for(T0, T0 + timedelta(hours=7)) == timedelta(minutes=5)
    assert resolution_for(T0, T0 + timedelta(days=7)) == timedelta(minutes=5)
    assert resolution_for(T0, T0 + timedelta(days=30)) == timedelta(hours=1)
    assert resolution_for(T0, T0 + timedelta(days=365)) == timedelta(days=1)


def test_rollups_match_the_raw_samples(rjc_kernel: Any) -> None:
    store = rjc_kernel.telemetry
    samples = noisy("onu-1", 3, timedelta(seconds=20)) + noisy("onu-2", 3, timedelta(minutes=1), 2)
    store.write(samples)
    before = {
        width: store.series("onu-1", METRIC, T0, T0 + timedelta(hours=3), resolution=width)
        for width in (timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1))
    }
    span = (T0 + timedelta(minutes=7), T0 + timedelta(hours=3))
    summaries = store.summaries(["onu-1", "onu-2"], METRIC, *span)
    store.maintain(T0 + timedelta(hours=2, minutes=31))  # rolls up to 02:30
    # Summaries now come from the 1-hour rollups (01:00-02:00) and raw samples around them.
    after = store.summaries(["onu-1", "onu-2"], METRIC, *span)
    for entity, summary in summaries.items():
        assert after[entity].count == summary.count
        assert after[entity].total == pytest.approx(summary.total)
        assert (after[entity].minimum, after[entity].maximum) == (summary.minimum, summary.maximum)
    assert summaries["onu-1"].count == 3 * 180 - 21

    five = rollup_rows(rjc_kernel, 300)
    hours = rollup_rows(rjc_kernel, 3600)
    assert len([k for k in five if k[0] == "onu-1"]) == 30  # 00:00 .. 02:25
    assert len([k for k in hours if k[0] == "onu-1"]) == 2  # 00:00 and 01:00, closed
    for entity in ("onu-1", "onu-2"):
        for (who, bucket), row in five.items():
            if who != entity:
                continue
            values = [
                s.value
                for s in samples
                if s.entity == entity and bucket <= s.time < bucket + timedelta(minutes=5)
            ]
            assert row.count == len(values)
            assert row.total == pytest.approx(sum(values))
            assert (row.minimum, row.maximum) == (min(values), max(values))
    hour = hours[("onu-2", T0 + timedelta(hours=1))]
    values = [s.value for s in samples if s.entity == "onu-2" and s.time.hour == 1]
    assert (hour.count, hour.minimum, hour.maximum) == (60, min(values), max(values))

    # Read through the rollups up to the mark and raw after it: the same buckets as before.
    for width, points in before.items():
        after = store.series("onu-1", METRIC, T0, T0 + timedelta(hours=3), resolution=width)
        assert [t for t, _ in after] == [t for t, _ in points]
        assert [v for _, v in after] == pytest.approx([v for _, v in points])


def test_series_reads_the_rollups_where_they_reach(rjc_kernel: Any) -> None:
    store = rjc_kernel.telemetry
    store.write([Sample("onu-1", METRIC, T0 + timedelta(minutes=m), -20.0) for m in range(120)])
    store.maintain(T0 + timedelta(hours=2, minutes=1))
    # Change a rollup behind the store's back: a series of the first hour must show it.
    with rjc_kernel.db.engine.begin() as connection:
        connection.execute(
            TelemetryRollup.__table__.update()  # type: ignore[attr-defined]
            .where(TelemetryRollup.__table__.c.width == 3600)  # type: ignore[attr-defined]
            .values(total=-600.0)
        )
    hourly = store.series(
        "onu-1", METRIC, T0, T0 + timedelta(hours=2), resolution=timedelta(hours=1)
    )
    assert hourly == [(T0, -10.0), (T0 + timedelta(hours=1), -10.0)]
    summary = store.summaries(["onu-1"], METRIC, T0, T0 + timedelta(hours=2))["onu-1"]
    assert (summary.count, summary.total) == (120, -1200.0)
    # 5-minute buckets come from the 5-minute rollups, untouched.
    assert {
        v
        for _, v in store.series(
            "onu-1", METRIC, T0, T0 + timedelta(hours=2), resolution=timedelta(minutes=5)
        )
    } == {-20.0}


def test_late_samples_update_rolled_up_buckets(rjc_kernel: Any) -> None:
    store = rjc_kernel.telemetry
    store.write(
        [Sample("onu-1", METRIC, T0 + timedelta(minutes=m), -20.0) for m in range(0, 60, 2)]
    )
    store.maintain(T0 + timedelta(hours=2))
    # A collector delivers the odd minutes late, long after the job rolled the hour up.
    store.write(
        [Sample("onu-1", METRIC, T0 + timedelta(minutes=m), -10.0) for m in range(1, 60, 2)]
    )
    row = rollup_rows(rjc_kernel, 3600)[("onu-1", T0)]
    assert (row.count, row.minimum, row.maximum) == (60, -20.0, -10.0)
    assert store.series(
        "onu-1", METRIC, T0, T0 + timedelta(hours=1), resolution=timedelta(hours=1)
    ) == [(T0, -15.0)]


def test_retention_keeps_the_rollups(rjc_kernel: Any) -> None:
    store = rjc_kernel.telemetry
    store.write(noisy("onu-1", 48, timedelta(minutes=10)))
    store.maintain(T0 + timedelta(days=3))
    assert store.delete_before(T0 + timedelta(days=1)) == 144
    assert store.series("onu-1", METRIC, T0, T0 + timedelta(days=1)) == []
    hourly = store.series(
        "onu-1", METRIC, T0, T0 + timedelta(days=1), resolution=timedelta(hours=1)
    )
    assert len(hourly) == 24
    assert (
        store.delete_rollups_before(T0 + timedelta(hours=12)) == 12 * 6 + 12
    )  # samples every 10 min: every other 5-min bucket
    assert (
        len(
            store.series("onu-1", METRIC, T0, T0 + timedelta(days=1), resolution=timedelta(hours=1))
        )
        == 12
    )


def test_partitions_on_demand_and_dropped_by_retention(rjc_kernel: Any, rjc_backend: str) -> None:
    """PostgreSQL makes and drops day partitions; SQLite, one table, gives the same answers."""
    store = rjc_kernel.telemetry
    on_postgresql = rjc_backend == "postgresql"
    if on_postgresql:
        assert store.layout == "partitioned"
        assert partitions(rjc_kernel) == set()
    # A batch over a day boundary creates both days; a sample far in the past, its own.
    assert store.write(noisy("onu-1", 30, timedelta(minutes=30))) == 60
    assert store.write([Sample("onu-1", METRIC, datetime(2023, 1, 1, 5, tzinfo=UTC), -1.0)]) == 1
    if on_postgresql:
        assert partitions(rjc_kernel) == {
            "telemetry_samples_p20230101",
            "telemetry_samples_p20240501",
            "telemetry_samples_p20240502",
        }
        # Another process dropped a partition this store believes in: the write recreates it.
        with rjc_kernel.db.engine.begin() as connection:
            connection.execute(text("DROP TABLE telemetry_samples_p20230101"))
    else:
        store.delete_before(datetime(2023, 1, 2, tzinfo=UTC))
    assert store.write([Sample("onu-1", METRIC, datetime(2023, 1, 1, 6, tzinfo=UTC), -2.0)]) == 1

    # Retention drops whole days and deletes only inside the day that straddles the cutoff.
    cutoff = T0 + timedelta(days=1, hours=3)
    assert store.delete_before(cutoff) == 1 + 48 + 6
    with rjc_kernel.db.engine.connect() as connection:
        left = connection.execute(select(func.min(TelemetrySample.time))).scalar()  # type: ignore[arg-type]
    assert left == cutoff
    assert store.delete_before(cutoff) == 0
    done = store.maintain(utcnow())
    if on_postgresql:
        assert partitions(rjc_kernel) == {"telemetry_samples_p20240502"} | {
            f"telemetry_samples_p{utcnow().date() + timedelta(days=n):%Y%m%d}" for n in range(4)
        }
        assert len(done["partitions_created"]) == 4  # today and the 3 days ahead


def test_duplicates_keep_the_first_value_on_the_copy_path(rjc_kernel: Any) -> None:
    store = rjc_kernel.telemetry
    first = [Sample("onu-1", METRIC, T0 + timedelta(minutes=m), -20.0) for m in range(10)]
    assert store.write(first) == 10
    again = [Sample("onu-1", METRIC, T0 + timedelta(minutes=m), -5.0) for m in range(5, 15)]
    assert store.write(again) == 5  # minutes 10..14 are new; 5..9 stay -20
    values = dict(store.series("onu-1", METRIC, T0, T0 + timedelta(minutes=15)))
    assert values[T0 + timedelta(minutes=9)] == -20.0
    assert values[T0 + timedelta(minutes=10)] == -5.0
    # A repeat inside a new batch only: the first of the two is kept.
    later = T0 + timedelta(hours=1)
    repeat = [Sample("onu-1", METRIC, later, -1.0), Sample("onu-1", METRIC, later, -2.0)]
    assert store.write(repeat) == 1
    assert store.series("onu-1", METRIC, later, later + timedelta(minutes=1)) == [(later, -1.0)]


def test_jobs_are_scheduled_and_apply_the_retention_settings(
    rjc_kernel_factory: Callable[..., Any],
) -> None:
    kernel = rjc_kernel_factory(telemetry_retention_days=2, telemetry_rollup_retention_days=10)
    now = utcnow().replace(microsecond=0)
    kernel.telemetry.write(
        [Sample("onu-1", METRIC, now - timedelta(days=d), float(d)) for d in (0, 1, 3, 5, 20)]
    )
    schedules = {s.job_type: s for batch in kernel.hook.rjc_schedules(kernel=kernel) for s in batch}
    assert schedules["telemetry.maintain"].every == timedelta(minutes=5)
    assert schedules["telemetry.retention"].every == timedelta(days=1)

    kernel.jobs.run_schedules(now=now)
    later = now + timedelta(days=1, hours=2)
    jobs = [kernel.jobs.get(i) for i in kernel.jobs.run_schedules(now=later)]
    done = {j.type: j for j in jobs if j is not None}
    assert done["telemetry.retention"].status == "done", done["telemetry.retention"].error
    # The job runs with the clock of the machine: samples older than 2 days from now go.
    assert done["telemetry.retention"].result["samples_deleted"] == 3
    left = kernel.telemetry.series("onu-1", METRIC, now - timedelta(days=30), now + timedelta(1))
    assert [v for _, v in left] == [1.0, 0.0]
