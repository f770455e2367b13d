"""Samples per second scored inline by the ``baseline`` analyzer, against a trivial scorer.

A fleet sends one sample per metric per minute: ``--onus`` ONUs times
``--metrics`` metrics, for ``--minutes`` minutes, in arrival order (every
series at minute 1, then at minute 2...). Both scorers get the same samples
through the same loop on one core:

- the analyzer: ``BaselineAnalyzer.score(entity, metric, timestamp, value)``
  (median/MAD window, EWMA, hour-of-week baseline, CUSUM, per series);
- the baseline: a Python function that keeps each series' last value in a
  dict and returns the absolute change, the least a streaming scorer does.

100,000 ONUs sending 10 metrics a minute make about 16,700 samples/s: the
target. The last line is one JSON object with both figures and their ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable

import numpy as np

from rjchronos_analyze_baseline.analyzer import BaselineAnalyzer

TARGET = 100_000 * 10 / 60


def samples(
    onus: int, metrics: int, minutes: int, seed: int
) -> list[tuple[str, str, float, float]]:
    rng = np.random.default_rng(seed)
    entities = [f"onu-{i}" for i in range(onus)]
    names = [f"metric-{j}" for j in range(metrics)]
    values = rng.normal(-21.0, 0.3, (minutes, onus, metrics)).tolist()
    return [
        (entity, name, minute * 60.0, values[minute][i][j])
        for minute in range(minutes)
        for i, entity in enumerate(entities)
        for j, name in enumerate(names)
    ]


def last_change() -> Callable[[str, str, float, float], float | None]:
    last: dict[tuple[str, str], float] = {}

    def score(entity: str, metric: str, timestamp: float, value: float) -> float | None:
        key = (entity, metric)
        previous = last.get(key)
        last[key] = value
        return None if previous is None else abs(value - previous)

    return score


def rate(score: Callable[[str, str, float, float], float | None], batch: list) -> float:
    started = time.perf_counter()
    for entity, metric, timestamp, value in batch:
        score(entity, metric, timestamp, value)
    return len(batch) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--onus", type=int, default=300)
    parser.add_argument("--metrics", type=int, default=10)
    parser.add_argument("--minutes", type=int, default=400)
    parser.add_argument(
        "--warmup", type=int, default=300, help="minutes not timed (fills the 256-sample windows)"
    )
    parser.add_argument("--cpu", type=int, default=0, help="the core to run on")
    parser.add_argument("--seed", type=int, default=7)
    options = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {options.cpu})
    batch = samples(options.onus, options.metrics, options.minutes, options.seed)
    # Past the warm-up every series has a full window: the steady cost per sample.
    warmup = min(options.warmup, options.minutes - 1) * options.onus * options.metrics
    analyzer, baseline = BaselineAnalyzer(), last_change()
    rate(analyzer.score, batch[:warmup])
    rate(baseline, batch[:warmup])
    measured = batch[warmup:]
    analyzer_rate = rate(analyzer.score, measured)
    baseline_rate = rate(baseline, measured)
    ratio = round(baseline_rate / analyzer_rate, 2)
    print(
        f"{len(measured):,} samples of {options.onus:,} ONUs x {options.metrics} metrics, "
        f"one core (cpu {options.cpu}):"
    )
    print(f"  baseline analyzer  {analyzer_rate:12,.0f} samples/s")
    print(f"  last-change loop   {baseline_rate:12,.0f} samples/s")
    print(f"  ratio              {ratio:12.2f} x slower than the trivial loop")
    print(f"  target             {TARGET:12,.0f} samples/s (100,000 ONUs x 10 metrics a minute)")
    print(
        json.dumps(
            {
                "benchmark": "analyzer_throughput",
                "samples": len(measured),
                "series": options.onus * options.metrics,
                "analyzer_samples_per_s": round(analyzer_rate),
                "baseline_samples_per_s": round(baseline_rate),
                "ratio": ratio,
                "target_samples_per_s": round(TARGET),
                "meets_target": analyzer_rate >= TARGET,
            }
        )
    )


if __name__ == "__main__":
    main()
