"""Alert evaluation during an outage: time per event with many alerts already open.

1. creates a fresh PostgreSQL database and migrates it, with one event rule and one
   ``webhook`` channel (nothing is sent: no worker runs);
2. baseline: evaluates ``--events`` device events (each on its own device, so each
   opens an alert and queues a delivery) in batches of ``--batch``, as the evaluator
   thread takes them during a burst, with no other alert open;
3. the same again on a second set of devices once ``--open-alerts`` other alerts are
   open, as in a large outage that goes on;
4. prints the CPU and wall time per event of both and the ratio of their wall times.

An outage is when alerts pile up and when evaluation must stay fast, so the ratio
should stay near 1: a batch's work should grow with the batch, not with the number
of open alerts. The last line is one JSON object with both sets of figures.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from _scratch import scratch_database
from alert_latency import EVENT, BenchEvents, add_devices, open_alerts, prepare
from sqlalchemy import insert

from rjchronos.alerts.engine import on_events
from rjchronos.config import Settings
from rjchronos.db.types import utcnow
from rjchronos.events import DeviceEvent
from rjchronos.inventory.models import DeviceEventRecord
from rjchronos.kernel import Kernel

TARGET_RATIO = 1.5


def stored_events(kernel: Kernel, count: int) -> list[DeviceEvent]:
    """``count`` events on new devices, stored as the bus would have stored them."""
    ids = add_devices(kernel, count)
    table = DeviceEventRecord.__table__  # type: ignore[attr-defined]
    now = utcnow()
    with kernel.db.engine.begin() as connection:
        event_ids = connection.execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True),
            [
                {"type": EVENT, "device_id": device_id, "time": now, "payload": {}, "actor": None}
                for device_id in ids
            ],
        ).scalars()
        return [
            DeviceEvent(event_id, EVENT, device_id, now, {}, None)
            for event_id, device_id in zip(event_ids, ids, strict=True)
        ]


def evaluate(kernel: Kernel, events: list[DeviceEvent], batch: int) -> dict[str, Any]:
    on_events(kernel, events[:batch])  # warm-up: statements prepared, rules cached
    measured = events[batch:]
    cpu, wall = time.thread_time(), time.perf_counter()
    for start in range(0, len(measured), batch):
        on_events(kernel, measured[start : start + batch])
    cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
    return {
        "events": len(measured),
        "cpu_ms_per_event": round(cpu * 1000 / len(measured), 3),
        "wall_ms_per_event": round(wall * 1000 / len(measured), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=6000, help="events per phase")
    parser.add_argument("--batch", type=int, default=150, help="events per evaluation")
    parser.add_argument("--open-alerts", type=int, default=50_000, help="open before phase 2")
    options = parser.parse_args()

    with scratch_database() as url, tempfile.TemporaryDirectory() as home:
        kernel = Kernel(
            Settings(home=Path(home), database_url=url, broker_url=""),
            plugins={"bench": BenchEvents()},
        )
        try:
            prepare(kernel, "http://127.0.0.1:9/")  # never posted to: no worker runs
            quiet = evaluate(kernel, stored_events(kernel, options.events), options.batch)
            open_alerts(kernel, options.open_alerts)
            outage = evaluate(kernel, stored_events(kernel, options.events), options.batch)
        finally:
            kernel.db.dispose()

    ratio = round(outage["wall_ms_per_event"] / quiet["wall_ms_per_event"], 2)
    print(f"alert evaluation, batches of {options.batch} events (PostgreSQL):")
    for label, row in (("no alert open", quiet), (f"{options.open_alerts:,} open", outage)):
        print(
            f"  {label:<16} {row['wall_ms_per_event']} ms per event"
            f"   ({row['cpu_ms_per_event']} ms of it CPU, {row['events']:,} events)"
        )
    print(f"  ratio      {ratio}   target: at most {TARGET_RATIO}")
    print(
        json.dumps(
            {
                "benchmark": "alert_evaluator",
                "batch": options.batch,
                "open_alerts": options.open_alerts,
                "app": outage,
                "baseline": quiet,
                "ratio": ratio,
                "target_ratio_met": ratio <= TARGET_RATIO,
            }
        )
    )


if __name__ == "__main__":
    main()
