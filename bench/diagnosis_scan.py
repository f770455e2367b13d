"""The ``ai.scan`` job's time per 1,000 series with the torch analyzer: from scratch, kept models.

1. creates a fresh PostgreSQL database, migrates it and loads ``--onus`` ONUs seen lately,
   each with a day and an hour of ``onu.rx_dbm`` and ``onu.olt_rx_dbm`` at 5 minutes (two
   series an ONU, the ones the ``analyzer_scores`` rule reads);
2. times ``actions.scan`` over those ONUs, each on one core:

   - **rules**: without any analyzer installed (the other rules' cost: the baseline);
   - **scratch**: the torch analyzer trained on each series' day at every scan (no model kept,
     ``analyzer_cache_series = 0``: how every scan ran before models were kept);
   - **kept, first scan**: the same with models kept (a cold cache: each series trained once);
   - **kept**: the next scans, 5 minutes apart: each kept model scores one new 5-minute mean.

   No time budget applies (``scan_expensive_seconds`` is very large): every series is scored.
   Each scan with torch is timed right after a scan of the rules alone over the same ONUs at
   the same time (``--chunk`` ONUs a pair for the long scans from scratch and first scans),
   so that both see the same load on a shared machine.

The last line is one JSON object with the seconds per 1,000 series and each figure's ratio to
the rules (median, lowest and highest of its pairs).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from _scratch import scratch_database
from sqlalchemy import insert

from rjchronos.ai import actions
from rjchronos.config import Settings
from rjchronos.db.ids import new_id
from rjchronos.db.migrate import upgrade
from rjchronos.inventory.models import devices
from rjchronos.kernel import Kernel
from rjchronos.telemetry.store import Sample
from rjchronos_analyze_torch.analyzer import TorchAnalyzer

STEP = timedelta(minutes=5)
METRICS = ("onu.rx_dbm", "onu.olt_rx_dbm")


def load(kernel: Kernel, onus: int, first: datetime, last: datetime) -> list[str]:
    """``onus`` ONUs with a sample of each metric every 5 minutes from ``first`` to ``last``."""
    rng = np.random.default_rng(7)
    ids = [new_id() for _ in range(onus)]
    now = datetime.now(UTC)
    with kernel.db.engine.begin() as connection:
        connection.execute(
            insert(devices),
            [{"id": i, "kind": "onu", "name": f"ONU {n}", "status": "online", "tags": [],
              "attributes": {}, "created_at": now, "updated_at": now, "last_seen": now,
              "firmware": ""} for n, i in enumerate(ids)],
        )  # fmt: skip
    steps = int((last - first) / STEP) + 1
    for device in ids:
        level = rng.uniform(-24.0, -18.0)
        samples = [
            Sample(device, metric, first + k * STEP, float(level + offset + rng.normal(0, 0.3)))
            for metric, offset in zip(METRICS, (0.0, 3.0), strict=True)
            for k in range(steps)
        ]
        kernel.telemetry.write(samples)
    return ids


def kernel_for(url: str, home: str, torch: bool, cache: int) -> Kernel:
    ai = {"analyzer_cache_series": cache, "scan_expensive_seconds": 1e9}
    return Kernel(
        Settings(home=home, database_url=url, broker_url="inline:", secret_key="",
                 plugins={"builtin.ai": ai}),
        entrypoints=["analyze-torch"] if torch else [],
    )  # fmt: skip


def timed(kernel: Kernel, ids: list[str], now: datetime) -> tuple[float, dict[str, Any]]:
    began = time.perf_counter()
    result = actions.scan(kernel, ids, now=now)
    return time.perf_counter() - began, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--onus", type=int, default=500, help="two series each")
    parser.add_argument("--repeat", type=int, default=3, help="scans with kept models (and rules)")
    parser.add_argument("--chunk", type=int, default=50, help="ONUs per timed scan from scratch")
    parser.add_argument("--cpu", type=int, default=0, help="the core to run on")
    options = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {options.cpu})
    step = STEP.total_seconds()
    # Scans at a minute past a 5-minute mark: each later scan has one more whole bucket.
    start = datetime.fromtimestamp(time.time() // step * step, tz=UTC) + timedelta(minutes=1)
    scans = [start + k * STEP for k in range(options.repeat + 1)]
    with scratch_database() as url, tempfile.TemporaryDirectory() as home:
        rules = kernel_for(url, home, torch=False, cache=0)
        upgrade(rules)
        ids = load(rules, options.onus, start - timedelta(days=1, hours=1), scans[-1])
        series = 2 * len(ids)
        scratch_kernel = kernel_for(url, home, torch=True, cache=0)
        kept_kernel = kernel_for(url, home, torch=True, cache=10 * series)
        # torch imported and its first model run before anything is timed.
        TorchAnalyzer().score_series("warm-up", "m", list(range(300)), [0.0] * 300)
        pairs: dict[str, list[tuple[float, float]]] = {"scratch": [], "kept_first": []}
        # Chunks of --chunk ONUs, each timed right after the rules on the same ONUs, so
        # that both see the same machine load; ratios are taken per pair.
        for offset in range(0, len(ids), options.chunk):
            chunk = ids[offset : offset + options.chunk]
            for name, kernel, at in (
                ("scratch", scratch_kernel, scans[1]),
                ("kept_first", kept_kernel, scans[0]),
            ):
                floor = timed(rules, chunk, at)[0]
                seconds, result = timed(kernel, chunk, at)
                assert result["analyzers"]["scored"] == 2 * len(chunk), result
                pairs[name].append((floor, seconds))
        pairs["kept"] = []
        for at in scans[1:]:
            floor = timed(rules, ids, at)[0]
            seconds, result = timed(kept_kernel, ids, at)
            assert result["analyzers"]["cached"] == series, result
            pairs["kept"].append((floor, seconds))
        for kernel in (rules, scratch_kernel, kept_kernel):
            kernel.db.dispose()

    per = 1000 / series
    # Scratch and first scans: the chunks add up to every ONU; kept scans: the median scan.
    figures = {
        "rules": statistics.median(f for f, _ in pairs["kept"]) * per,
        "scratch": sum(s for _, s in pairs["scratch"]) * per,
        "kept_first": sum(s for _, s in pairs["kept_first"]) * per,
        "kept": statistics.median(s for _, s in pairs["kept"]) * per,
    }
    ratios = {name: [s / f for f, s in found] for name, found in pairs.items()}
    ratio = {
        f"{name}_over_rules": {
            "median": round(statistics.median(found), 2),
            "min": round(min(found), 2),
            "max": round(max(found), 2),
        }
        for name, found in ratios.items()
    }
    scratch_over_kept = round(
        statistics.median(ratios["scratch"]) / statistics.median(ratios["kept"]), 1
    )
    print(
        f"ai.scan of {len(ids):,} ONUs ({series:,} series), PostgreSQL, one core, per 1,000 series:"
    )
    print(f"  rules only (no analyzer)       {figures['rules']:8.2f} s")
    for name, title in (("scratch", "torch from scratch            "),
                        ("kept_first", "torch, models kept: first scan"),
                        ("kept", "torch, models kept: next scans")):  # fmt: skip
        r = ratio[f"{name}_over_rules"]
        print(f"  {title} {figures[name]:8.2f} s   {r['median']:6.2f} x the rules "
              f"({r['min']}-{r['max']}, {len(ratios[name])} pairs)")  # fmt: skip
    print(f"  from scratch / kept (ratios to the rules): {scratch_over_kept} x")
    print(
        json.dumps(
            {
                "bench": "diagnosis_scan",
                "onus": len(ids),
                "series": series,
                "seconds_per_1000_series": {k: round(v, 3) for k, v in figures.items()},
                "ratio_to_rules": ratio,
                "scratch_over_kept": scratch_over_kept,
            }
        )
    )


if __name__ == "__main__":
    main()
