"""The telemetry store contract, on the backend of the test's database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlmodel import col, select

from rjchronos.telemetry.backends.postgres import PostgresTelemetryStore
from rjchronos.telemetry.backends.sqlite import SqliteTelemetryStore
from rjchronos.telemetry.models import TelemetrySample
from rjchronos.telemetry.store import Sample

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def minute(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def ramp(entity: str = "dev-1", metric: str = "onu.rx_power_dbm", count: int = 60) -> list[Sample]:
    """One sample a minute, value = minute number."""
    return [Sample(entity, metric, minute(i), float(i), {"port": "1/1/1"}) for i in range(count)]


def test_backend_follows_the_database(rjc_kernel: Any, rjc_backend: str) -> None:
    expected = {"sqlite": SqliteTelemetryStore, "postgresql": PostgresTelemetryStore}[rjc_backend]
    assert type(rjc_kernel.telemetry) is expected


def test_round_trip_over_a_half_open_range(rjc_kernel: Any) -> None:
    store = rjc_kernel.telemetry
    assert store.write(ramp()) == 60
    assert store.write(ramp("dev-2")) == 60

    points = store.series("dev-1", "onu.rx_power_dbm", minute(10), minute(15))
    assert points == [(minute(i), float(i)) for i in range(10, 15)]  # start in, end out
    assert all(t.tzinfo is not None and t.utcoffset() == timedelta(0) for t, _ in points)
    assert store.series("dev-1", "onu.rx_power_dbm", minute(10), minute(10.5)) == [
        (minute(10), 10.0)
    ]
    assert store.series("dev-1", "onu.rx_power_dbm", minute(100), minute(200)) == []
    assert store.series("dev-1", "other.metric", minute(0), minute(60)) == []
    assert len(store.series("dev-1", "onu.rx_power_dbm", minute(0), minute(60), limit=7)) == 7

    brasilia = timezone(timedelta(hours=-3))
    local = store.series(
        "dev-1",
        "onu.rx_power_dbm",
        minute(10).astimezone(brasilia),
        minute(12).astimezone(brasilia),
    )
    assert local == [(minute(10), 10.0), (minute(11), 11.0)]


def test_microsecond_times_survive(rjc_kernel: Any) -> None:
    moment = T0 + timedelta(microseconds=123456)
    rjc_kernel.telemetry.write([Sample("dev-1", "m", moment, 1.5)])
    assert rjc_kernel.telemetry.series("dev-1", "m", T0, minute(1)) == [(moment, 1.5)]


def test_resolution_averages_into_epoch_aligned_buckets(rjc_kernel: Any) -> None:
    store = rjc_kernel.telemetry
    store.write(ramp())
    five = store.series(
        "dev-1", "onu.rx_power_dbm", minute(0), minute(60), resolution=timedelta(minutes=5)
    )
    assert five == [(minute(5 * b), 5 * b + 2.0) for b in range(12)]

    # A range starting mid-bucket: buckets keep their epoch alignment, samples outside are left out.
    partial = store.series(
        "dev-1", "onu.rx_power_dbm", minute(3), minute(12), resolution=timedelta(minutes=5)
    )
    assert partial == [(minute(0), 3.5), (minute(5), 7.0), (minute(10), 10.5)]

    hourly = store.series(
        "dev-1", "onu.rx_power_dbm", minute(-600), minute(600), resolution=timedelta(hours=1)
    )
    assert hourly == [(minute(0), 29.5)]  # empty buckets are left out

    # A sample on a bucket's first instant belongs to that bucket, not the previous one.
    store.write([Sample("dev-3", "m", minute(2), 1.0), Sample("dev-3", "m", minute(1.999), 3.0)])
    assert store.series("dev-3", "m", minute(0), minute(4), resolution=timedelta(minutes=2)) == [
        (minute(0), 3.0),
        (minute(2), 1.0),
    ]


def test_duplicates_keep_the_first_value(rjc_kernel: Any) -> None:
    store = rjc_kernel.telemetry
    assert store.write([Sample("dev-1", "m", minute(0), 1.0, {"try": "1"})]) == 1
    again = [
        Sample("dev-1", "m", minute(0), 99.0, {"try": "2"}),  # already stored
        Sample("dev-1", "m", minute(1), 2.0),
        Sample("dev-1", "m", minute(1), 77.0),  # repeated within the batch
    ]
    assert store.write(again) == 1
    assert store.series("dev-1", "m", minute(0), minute(5)) == [(minute(0), 1.0), (minute(1), 2.0)]
    assert store.write([]) == 0
    with rjc_kernel.db.session() as session:
        rows = session.exec(select(TelemetrySample).order_by(col(TelemetrySample.time))).all()
    assert [(r.value, r.labels) for r in rows] == [(1.0, {"try": "1"}), (2.0, {})]


def test_metrics_and_retention(rjc_kernel: Any) -> None:
    store = rjc_kernel.telemetry
    store.write(
        ramp(metric="b.metric", count=10) + ramp(metric="a.metric", count=10) + ramp("dev-2")
    )
    assert store.metrics("dev-1") == ["a.metric", "b.metric"]
    assert store.metrics("nobody") == []
    assert store.delete_before(minute(5)) == 5 + 5 + 5
    assert store.series("dev-1", "a.metric", minute(0), minute(60))[0] == (minute(5), 5.0)
    assert len(store.series("dev-2", "onu.rx_power_dbm", minute(0), minute(60))) == 55


def test_large_batches(rjc_kernel: Any) -> None:
    samples = [
        Sample(f"dev-{i % 50}", "m", T0 + timedelta(seconds=i // 50), float(i))
        for i in range(12_000)
    ]
    assert rjc_kernel.telemetry.write(iter(samples)) == 12_000
    assert len(rjc_kernel.telemetry.series("dev-7", "m", T0, minute(60))) == 240


def test_bad_input_is_refused(rjc_kernel: Any) -> None:
    store = rjc_kernel.telemetry
    naive = datetime(2024, 5, 1, 12, 0)
    with pytest.raises(ValueError, match="time zone"):
        Sample("dev-1", "m", naive, 1.0)
    with pytest.raises(ValueError, match="finite"):
        Sample("dev-1", "m", T0, float("nan"))
    with pytest.raises(ValueError, match="entity"):
        Sample("", "m", T0, 1.0)
    with pytest.raises(ValueError, match="timezone-aware"):
        store.series("dev-1", "m", naive, T0)
    with pytest.raises(ValueError, match="after"):
        store.series("dev-1", "m", T0, T0)
    with pytest.raises(ValueError, match="whole number of seconds"):
        store.series("dev-1", "m", T0, minute(1), resolution=timedelta(milliseconds=1500))
    with pytest.raises(ValueError, match="timezone-aware"):
        store.delete_before(naive)


def test_averages_of_many_entities_in_one_read(rjc_kernel: Any) -> None:
    store = rjc_kernel.telemetry
    store.write(ramp("dev-1") + ramp("dev-2") + ramp("dev-3", "other.metric"))
    means = store.averages(["dev-1", "dev-2", "dev-3", "ghost"], "onu.rx_power_dbm", T0, minute(10))
    assert means == {"dev-1": 4.5, "dev-2": 4.5}  # minutes 0..9; no samples, no entry
    assert store.averages([], "onu.rx_power_dbm", T0, minute(10)) == {}
    with pytest.raises(ValueError, match="timezone-aware"):
        store.averages(["dev-1"], "onu.rx_power_dbm", T0.replace(tzinfo=None), minute(1))
