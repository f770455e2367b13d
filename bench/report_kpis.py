"""KPIs of a month: ``GET /api/v1/reports/kpis``'s computation over a large network.

1. creates a fresh PostgreSQL database and migrates it (core and the reports plugin);
2. loads ``--onus`` ONUs under one OLT (``--pons`` PON ports), each of its own customer on a
   plan with an SLA target, ``--outages`` outages per ONU over 30 days (each a pair of
   ``device.status_changed`` rows) and a daily Rx sample per ONU;
3. times ``kpis.compute`` over the 30 days (best of ``--repeat``);
4. baseline, in the same run: the bare read of the same status rows (device, time, payload of
   every ``device.status_changed`` in the period), the floor of any computation from the timeline.

The last line is one JSON object with both figures and their ratio.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from _scratch import scratch_database
from sqlalchemy import insert, select

from rjchronos.config import Settings
from rjchronos.customers.models import Customer, Plan
from rjchronos.db.ids import new_id
from rjchronos.db.migrate import upgrade
from rjchronos.inventory.models import device_events, devices
from rjchronos.kernel import Kernel
from rjchronos.telemetry.store import Sample
from rjchronos_reports import kpis

DAYS = 30


def load(kernel: Kernel, options: dict[str, Any], start: datetime) -> int:
    """The network and its month; returns the number of status rows."""
    rng = random.Random(7)
    created = start - timedelta(days=1)
    olt = new_id()
    pons = [new_id() for _ in range(options["pons"])]
    plan = new_id()
    onus = [new_id() for _ in range(options["onus"])]
    customers = [new_id() for _ in onus]
    # One set of keys for every row: an executemany insert takes its columns from the first.
    common = {"tags": [], "attributes": {}, "created_at": created, "updated_at": created,
              "parent_id": None, "customer_id": None, "firmware": ""}  # fmt: skip
    with kernel.db.engine.begin() as connection:
        connection.execute(
            insert(Plan.__table__),  # type: ignore[attr-defined]
            [{"id": plan, "name": "Fibra 300", "download_mbps": 300, "upload_mbps": 150,
              "sla_availability_percent": 99.5, "created_at": created, "updated_at": created}],
        )  # fmt: skip
        connection.execute(
            insert(Customer.__table__),  # type: ignore[attr-defined]
            [{"id": c, "name": f"Cliente {i:06d}", "name_key": f"cliente {i:06d}",
              "contacts": {}, "plan_id": plan, "status": "active", "created_at": created,
              "updated_at": created} for i, c in enumerate(customers)],
        )  # fmt: skip
        rows = [{**common, "id": olt, "kind": "olt", "name": "OLT-1", "status": "online",
                 "olt_id": olt}]  # fmt: skip
        rows += [{**common, "id": p, "kind": "pon", "name": f"OLT-1 0/1/{i}", "status": "online",
                  "parent_id": olt, "olt_id": olt} for i, p in enumerate(pons)]  # fmt: skip
        rows += [{**common, "id": o, "kind": "onu", "name": f"ONU {i}", "status": "online",
                  "parent_id": pons[i % len(pons)], "olt_id": olt, "customer_id": customers[i],
                  "firmware": rng.choice(["V5R019C10S125", "V5R020C00S080"])}
                 for i, o in enumerate(onus)]  # fmt: skip
        for offset in range(0, len(rows), 5000):
            connection.execute(insert(devices), rows[offset : offset + 5000])
        events = []
        for onu in onus:
            for _ in range(options["outages"]):
                down = start + timedelta(seconds=rng.uniform(0, DAYS * 86400 - 7200))
                up = down + timedelta(seconds=rng.uniform(60, 7200))
                events.append({"type": "device.status_changed", "device_id": onu, "time": down,
                               "payload": {"from": "online", "to": "los"}})  # fmt: skip
                events.append({"type": "device.status_changed", "device_id": onu, "time": up,
                               "payload": {"from": "los", "to": "online"}})  # fmt: skip
        events.sort(key=lambda e: e["time"])
        for offset in range(0, len(events), 10000):
            connection.execute(insert(device_events), events[offset : offset + 10000])
    samples = [
        Sample(onu, "onu.rx_dbm", start + timedelta(days=day, hours=12), rng.gauss(-21, 2.5))
        for onu in onus
        for day in range(DAYS)
    ]
    for offset in range(0, len(samples), 50000):
        kernel.telemetry.write(samples[offset : offset + 50000])
    return len(events)


def bare_read(kernel: Kernel, start: datetime, end: datetime) -> int:
    e = device_events.c
    with kernel.db.engine.connect() as connection:
        rows = connection.execute(
            select(e.device_id, e.time, e.payload)
            .where(e.type == "device.status_changed", e.time >= start, e.time < end)
            .order_by(e.time, e.id)
        ).all()
    return len(rows)


def best(repeat: int, run: Any) -> tuple[float, Any]:
    timings, result = [], None
    for _ in range(repeat):
        began = time.perf_counter()
        result = run()
        timings.append(time.perf_counter() - began)
    return min(timings), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--onus", type=int, default=10000)
    parser.add_argument("--pons", type=int, default=64)
    parser.add_argument("--outages", type=int, default=3, help="outages per ONU in the month")
    parser.add_argument("--repeat", type=int, default=3)
    options: dict[str, Any] = vars(parser.parse_args())

    end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start = end - timedelta(days=DAYS)
    with scratch_database() as url, tempfile.TemporaryDirectory() as home:
        kernel = Kernel(
            Settings(home=home, database_url=url, broker_url="inline:", secret_key=""),
            entrypoints=["reports"],
        )
        upgrade(kernel)
        rows = load(kernel, options, start)
        baseline, read = best(options["repeat"], lambda: bare_read(kernel, start, end))
        seconds, found = best(options["repeat"], lambda: kpis.compute(kernel, start, end))
        kernel.db.dispose()

    assert read == rows
    assert len(found["availability"]["customers"]) == options["onus"]
    ratio = round(seconds / baseline, 2) if baseline else None
    print(
        f"KPIs of {DAYS} days, {options['onus']:,} ONUs and customers, {rows:,} status rows, "
        f"{options['onus'] * DAYS:,} Rx samples (PostgreSQL, best of {options['repeat']}):"
    )
    print(f"  kpis.compute        {seconds:.3f} s")
    print(f"  bare status read    {baseline:.3f} s")
    print(f"  ratio               {ratio}")
    print(f"  network availability {found['availability']['network']['availability_percent']} %,"
          f" {found['sla']['breached']:,} SLA breaches")  # fmt: skip
    print(
        json.dumps(
            {
                "bench": "report_kpis",
                "onus": options["onus"],
                "status_rows": rows,
                "kpis_seconds": round(seconds, 3),
                "baseline_seconds": round(baseline, 3),
                "ratio": ratio,
            }
        )
    )


if __name__ == "__main__":
    main()
