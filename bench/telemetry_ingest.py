"""Telemetry on PostgreSQL: samples/s written through the store against a raw COPY of the same
rows, and one ONU's 30 days at 5-minute resolution read from a large store, p99.

What it does, in one run:

1. creates a fresh PostgreSQL database and migrates it (day-partitioned
   ``telemetry_samples``), plus a plain table of the same columns and primary
   key for the baseline;
2. **ingest**: builds ``--samples`` samples (ONUs x minutes, one metric) in
   memory, then writes them in batches of ``--batch`` through
   ``kernel.telemetry.write`` (partitions created on demand, binary COPY,
   duplicate check) and, alternately batch by batch, copies the same rows with
   one binary ``COPY`` per batch into the plain table; prints samples/s of
   both and the ratio;
3. **read**: loads ``--rows`` samples of ``--interval`` seconds for 30 days
   (the background bulk) straight into the partitions with server-side
   ``INSERT ... SELECT`` over ``generate_series``, one day at a time (a bulk
   load, not the store's write path), runs the rollup job once, then reads
   ``--reads`` random ONUs' 30 days at 5 minutes through
   ``kernel.telemetry.series`` (from the 5-minute rollups) and, as the
   baseline, the same buckets computed from the raw samples by one SQL
   statement; prints p50 and p99 of both.

The last line is one JSON object with every figure. The database is dropped
at the end. PostgreSQL comes from ``RJC_BENCH_DATABASE_URL`` (else
``RJC_TEST_DATABASE_URL``, else ``postgresql://postgres@127.0.0.1:5432/postgres``).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from _scratch import scratch_database
from psycopg.types.json import Jsonb
from sqlalchemy.engine import make_url

from rjchronos.config import Settings
from rjchronos.db.migrate import upgrade
from rjchronos.kernel import Kernel
from rjchronos.telemetry import partitions
from rjchronos.telemetry.store import Sample

METRIC = "onu.rx_power_dbm"
COLUMNS = "entity, metric, time, value, labels"
PLAIN = (
    "CREATE TABLE plain_samples (entity varchar(128) NOT NULL, metric varchar(128) NOT NULL, "
    "time timestamptz NOT NULL, value double precision NOT NULL, labels jsonb NOT NULL, "
    "PRIMARY KEY (entity, metric, time))"
)
RAW_SERIES = (
    "SELECT date_bin(interval '300 seconds', time, timestamptz '1970-01-01 00:00:00+00') AS b, "
    "avg(value) FROM telemetry_samples WHERE entity = %s AND metric = %s "
    "AND time >= %s AND time < %s GROUP BY b ORDER BY b"
)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def ingest(kernel: Kernel, dsn: str, total: int, batch: int) -> dict[str, Any]:
    """The same batches through the store and by raw COPY, alternating; seconds of each."""
    onus = 10_000
    start = datetime(2024, 3, 1, tzinfo=UTC)
    rng = random.Random(5)
    samples = [
        Sample(
            f"ing-{i % onus:05d}",
            METRIC,
            start + timedelta(minutes=i // onus),
            rng.uniform(-28, -15),
        )
        for i in range(total)
    ]
    batches = [samples[i : i + batch] for i in range(0, total, batch)]
    empty = Jsonb({})
    rows = [[(s.entity, s.metric, s.time, s.value, empty) for s in b] for b in batches]
    store_s = raw_s = 0.0
    written = 0
    with psycopg.connect(dsn) as raw:
        raw.execute(PLAIN)
        raw.commit()
        for number, (chunk, chunk_rows) in enumerate(zip(batches, rows, strict=True)):
            order = ("store", "raw") if number % 2 == 0 else ("raw", "store")
            for which in order:
                began = time.perf_counter()
                if which == "store":
                    written += kernel.telemetry.write(chunk)
                    store_s += time.perf_counter() - began
                else:
                    with raw.cursor() as cursor:
                        sql = f"COPY plain_samples ({COLUMNS}) FROM STDIN (FORMAT BINARY)"
                        with cursor.copy(sql) as copy:
                            copy.set_types(["text", "text", "timestamptz", "float8", "jsonb"])
                            for row in chunk_rows:
                                copy.write_row(row)
                    raw.commit()
                    raw_s += time.perf_counter() - began
    assert written == total, (written, total)
    return {"store_s": store_s, "raw_s": raw_s}


def load_bulk(kernel: Kernel, dsn: str, total: int, interval: int, end: datetime) -> dict[str, Any]:
    """``total`` samples over the 30 days before ``end``, ``interval`` apart, per ONU."""
    per_onu = 30 * 86_400 // interval
    onus = max(1, total // per_onu)
    first = end - timedelta(days=30)
    days = partitions.days_between(first, end)
    began = time.perf_counter()
    with psycopg.connect(dsn) as connection, connection.cursor() as cursor:
        partitions.create(cursor, days)
        connection.commit()
        for day in days:
            low = max(first, datetime(day.year, day.month, day.day, tzinfo=UTC))
            high = min(end, datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1))
            if low >= high:
                continue
            cursor.execute(
                f"INSERT INTO telemetry_samples ({COLUMNS}) "
                "SELECT 'onu-' || lpad(e::text, 6, '0'), %s, t, -28 + 13 * random(), '{}'::jsonb "
                "FROM generate_series(%s::timestamptz, %s::timestamptz - interval '1 microsecond', "
                "make_interval(secs => %s)) AS t CROSS JOIN generate_series(1, %s) AS e",
                (METRIC, low, high, interval, onus),
            )
            connection.commit()
        cursor.execute("ANALYZE telemetry_samples")
        connection.commit()
        cursor.execute("SELECT count(*) FROM telemetry_samples WHERE entity LIKE 'onu-%%'")
        loaded = int(cursor.fetchone()[0])  # type: ignore[index]
    load_s = time.perf_counter() - began
    began = time.perf_counter()
    kernel.telemetry.maintain(end + timedelta(minutes=5))
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute("ANALYZE telemetry_rollups")
    return {
        "onus": onus,
        "rows": loaded,
        "load_s": load_s,
        "rollup_s": time.perf_counter() - began,
    }


def reads(kernel: Kernel, dsn: str, onus: int, count: int, end: datetime) -> dict[str, Any]:
    start = end - timedelta(days=30)
    rng = random.Random(11)
    picks = [f"onu-{rng.randrange(1, onus + 1):06d}" for _ in range(count)]
    store_ms: list[float] = []
    raw_ms: list[float] = []
    five = timedelta(minutes=5)
    with psycopg.connect(dsn, autocommit=True) as connection:
        for number, entity in enumerate(picks):
            for which in ("store", "raw") if number % 2 == 0 else ("raw", "store"):
                began = time.perf_counter()
                if which == "store":
                    points = kernel.telemetry.series(entity, METRIC, start, end, resolution=five)
                    store_ms.append((time.perf_counter() - began) * 1000)
                    store_points = len(points)
                else:
                    result = connection.execute(RAW_SERIES, (entity, METRIC, start, end)).fetchall()
                    raw_ms.append((time.perf_counter() - began) * 1000)
                    raw_points = len(result)
            assert store_points == raw_points, (entity, store_points, raw_points)
    return {
        "points": store_points,
        "store": {"p50_ms": statistics.median(store_ms), "p99_ms": percentile(store_ms, 0.99)},
        "raw_sql": {"p50_ms": statistics.median(raw_ms), "p99_ms": percentile(raw_ms, 0.99)},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=1_000_000, help="samples to ingest")
    parser.add_argument("--batch", type=int, default=50_000, help="samples per write")
    parser.add_argument("--rows", type=int, default=50_000_000, help="samples in the read store")
    parser.add_argument(
        "--interval", type=int, default=300, help="seconds between an ONU's samples"
    )
    parser.add_argument("--reads", type=int, default=200, help="timed series reads of each")
    options = parser.parse_args()

    with scratch_database() as scratch, tempfile.TemporaryDirectory(prefix="rjc-bench-") as home:
        server = make_url(scratch)
        url = server.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
        dsn = server.set(drivername="postgresql").render_as_string(hide_password=False)
        kernel: Kernel | None = None
        try:
            settings = Settings(home=Path(home), database_url=url, broker_url="inline:")
            kernel = Kernel(settings)
            upgrade(kernel)
            ingested = ingest(kernel, dsn, options.samples, options.batch)
            end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
            bulk = load_bulk(kernel, dsn, options.rows, options.interval, end)
            read = reads(kernel, dsn, bulk["onus"], options.reads, end)
        finally:
            if kernel is not None:
                kernel.db.dispose()

    store_rate = options.samples / ingested["store_s"]
    raw_rate = options.samples / ingested["raw_s"]
    ratio = store_rate / raw_rate
    print(
        f"ingest of {options.samples:,} samples in batches of {options.batch:,} (PostgreSQL):\n"
        f"  RJChronos store  {store_rate:12,.0f} samples/s\n"
        f"  raw COPY         {raw_rate:12,.0f} samples/s  (plain table, same primary key)\n"
        f"  ratio            {ratio:12.3f}  (targets: >= 0.8 of raw COPY, >= 200,000 samples/s)"
    )
    print(
        f"read store: {bulk['rows']:,} samples ({bulk['onus']:,} ONUs x 30 days every "
        f"{options.interval} s) loaded in {bulk['load_s']:.1f} s, rolled up in "
        f"{bulk['rollup_s']:.1f} s\n"
        f"one ONU's 30 days at 5 minutes ({read['points']:,} points, {options.reads} reads):\n"
        f"  RJChronos series  p50 {read['store']['p50_ms']:8.2f} ms   "
        f"p99 {read['store']['p99_ms']:8.2f} ms   (5-minute rollups)\n"
        f"  raw SQL           p50 {read['raw_sql']['p50_ms']:8.2f} ms   "
        f"p99 {read['raw_sql']['p99_ms']:8.2f} ms   (date_bin over the raw samples)"
    )
    figures = {
        "benchmark": "telemetry_ingest",
        "samples": options.samples,
        "batch": options.batch,
        "app": {
            "samples_per_s": round(store_rate),
            "read_p50_ms": round(read["store"]["p50_ms"], 3),
            "read_p99_ms": round(read["store"]["p99_ms"], 3),
        },
        "baseline": {
            "samples_per_s": round(raw_rate),
            "read_p50_ms": round(read["raw_sql"]["p50_ms"], 3),
            "read_p99_ms": round(read["raw_sql"]["p99_ms"], 3),
        },
        "ratio": {
            "ingest": round(ratio, 3),
            "read_p99": round(read["store"]["p99_ms"] / read["raw_sql"]["p99_ms"], 3),
        },
        "read_store": {
            **bulk,
            "load_s": round(bulk["load_s"], 1),
            "rollup_s": round(bulk["rollup_s"], 1),
        },
        "targets_met": {"ratio": ratio >= 0.8, "samples_per_s": store_rate >= 200_000},
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
