"""The torch analyzer in the ``ai.scan`` job: expensive, so within a budget; its models kept."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import numpy as np
import pytest

from rjchronos.ai import actions
from rjchronos.ai.scoring import SeriesCache
from rjchronos.db.types import utcnow
from rjchronos.inventory.models import Device
from rjchronos.telemetry.store import Sample
from rjchronos_analyze_torch.analyzer import TorchAnalyzer
from rjchronos_analyze_torch.plugin import PLUGIN
from rjchronos_sdk import Kernel

STEP = 300.0
DAY = 288


def test_a_kept_model_scores_as_one_analyzer_given_the_whole_series() -> None:
    rng = np.random.default_rng(11)
    values = (-21.0 + rng.normal(0, 0.3, 340)).tolist()
    values[332:] = [v - 4.0 for v in values[332:]]
    times = [i * STEP for i in range(len(values))]
    cache = SeriesCache(10)
    kept: dict[float, float | None] = {}
    # Three scans, each over the last day, an hour and then two and a half hours apart.
    for end in (DAY, DAY + 12, len(values)):
        window = slice(end - DAY, end)
        since = times[end - 12]
        scores, hit = cache.scores(
            "torch", TorchAnalyzer, "onu-1", "onu.rx_dbm", times[window], values[window], since
        )
        assert hit == (end != DAY)
        assert min(scores) == since
        kept.update(scores)
    whole = TorchAnalyzer().score_series("onu-1", "onu.rx_dbm", times, values)
    expected = {t: s for t, s in zip(times, whole, strict=True) if t in kept}
    assert len(expected) == 36
    assert kept == pytest.approx(expected, abs=1e-6)
    # The fall of 4 dB is an alarm in both.
    assert max(s or 0.0 for s in kept.values()) >= 0.5


def _onu(kernel: Kernel, name: str) -> str:
    with kernel.db.session() as session:
        onu = Device(kind="onu", name=name, status="online", last_seen=utcnow())
        session.add(onu)
        session.commit()
        onu_id = onu.id
    rng = np.random.default_rng(len(name))
    now = utcnow()
    kernel.telemetry.write(
        [
            Sample(
                onu_id, "onu.rx_dbm", now - i * timedelta(seconds=STEP), -21.0 + rng.normal(0, 0.3)
            )
            for i in range(1, DAY + 1)
        ]
    )
    return onu_id


def test_with_no_budget_a_scan_trains_one_series_and_the_next_scans_the_others(
    rjc_kernel_factory: Callable[..., Kernel],
) -> None:
    kernel = rjc_kernel_factory(
        entrypoints=[PLUGIN], plugin_settings={"builtin.ai": {"scan_expensive_seconds": 0}}
    )
    assert kernel.catalog.analyzers["torch"].expensive
    for n in range(3):
        _onu(kernel, f"ONU-{n}")
    results = [actions.scan(kernel)["analyzers"] for _ in range(4)]
    # One ONU's series trained a scan (onu.rx_dbm: the other has no sample); two ONUs wait,
    # their two series each left unread.
    assert [r["scored"] for r in results[:3]] == [1, 1, 1]
    assert [r["skipped"] for r in results[:3]] == [4, 4, 4]
    assert [r["deferred_devices"] for r in results[:3]] == [2, 2, 2]
    # Every ONU has a model now: the fourth scan goes on with the first one's.
    assert (results[3]["scored"], results[3]["cached"]) == (0, 1)
