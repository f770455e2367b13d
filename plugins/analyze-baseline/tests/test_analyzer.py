"""The baseline analyzer on synthetic series: warm-up, spikes, level shifts, no look-ahead."""

from __future__ import annotations

import math

import numpy as np

from rjchronos_analyze_baseline.analyzer import BaselineAnalyzer, BaselineParams

STEP = 300.0


def noisy(n: int, seed: int = 1, level: float = 10.0) -> list[float]:
    return list(level + np.random.default_rng(seed).normal(0, 1, n))


def stream(
    analyzer: BaselineAnalyzer, values: list[float], entity: str = "e"
) -> list[float | None]:
    return [analyzer.score(entity, "m", i * STEP, v) for i, v in enumerate(values)]


def test_learns_first_then_scores_in_unit_range() -> None:
    scores = stream(BaselineAnalyzer(), noisy(500))
    warmup = BaselineParams().warmup
    assert all(s is None for s in scores[:warmup])
    rest = [s for s in scores[warmup:] if s is not None]
    assert len(rest) == 500 - warmup
    assert all(0.0 <= s <= 1.0 for s in rest)


def test_a_burst_raises_one_alarm_that_noise_does_not() -> None:
    values = noisy(1000)
    values[800:803] = [v + 10.0 for v in values[800:803]]
    scores = [s or 0.0 for s in stream(BaselineAnalyzer(), values)]
    alarm = BaselineParams().alarm
    assert max(scores[:800]) < alarm
    alarms = [i for i, s in enumerate(scores) if s >= alarm]
    # One incident, one alarm: the analyzer then stays quiet for a while.
    assert len(alarms) == 1 and 800 <= alarms[0] <= 804


def test_a_small_level_shift_raises_the_score() -> None:
    # +1.5 sigma for good: no single sample is extreme, the CUSUM adds them up.
    values = noisy(1200)
    shifted = values[:900] + [v + 1.5 for v in values[900:]]
    plain = [s or 0.0 for s in stream(BaselineAnalyzer(), values)]
    scores = [s or 0.0 for s in stream(BaselineAnalyzer(), shifted)]
    assert max(scores[900:960]) > 2 * max(plain[900:960])
    without_cusum = BaselineAnalyzer(cusum_limit=1e9)
    assert max(scores[900:960]) > max(s or 0.0 for s in stream(without_cusum, shifted)[900:960])


def test_scores_do_not_depend_on_later_samples() -> None:
    values = noisy(600, seed=3)
    full = stream(BaselineAnalyzer(), values)
    prefix = stream(BaselineAnalyzer(), values[:400])
    assert prefix == full[:400]
    batch = BaselineAnalyzer().score_series("e", "m", [i * STEP for i in range(600)], values)
    assert batch == full


def test_series_are_independent_and_training_warms_them() -> None:
    analyzer = BaselineAnalyzer()
    values = noisy(300)
    times = [i * STEP for i in range(300)]
    learned = analyzer.train("onu-1", "rx", times, values)
    assert learned["samples"] == 300
    assert analyzer.score("onu-1", "rx", 300 * STEP, 10.0) is not None
    assert analyzer.score("onu-2", "rx", 300 * STEP, 10.0) is None


def test_missing_readings_are_skipped_without_harm() -> None:
    values = noisy(400, seed=4)
    times = [i * STEP for i in range(400)]
    plain = BaselineAnalyzer().score_series("e", "m", times, values)
    gaps = BaselineAnalyzer()
    before = gaps.score_series("e", "m", times[:200], values[:200])
    assert gaps.score("e", "m", times[200] - 1, float("nan")) is None
    assert gaps.score("e", "m", times[200] - 1, float("inf")) is None
    after = gaps.score_series("e", "m", times[200:], values[200:])
    assert before + after == plain


def test_a_change_of_spread_raises_the_score() -> None:
    # The level stays and the noise falls tenfold: no sample is far from the median.
    values = noisy(1200)
    calmer = values[:900] + [10.0 + 0.1 * (v - 10.0) for v in values[900:]]
    scores = [s or 0.0 for s in stream(BaselineAnalyzer(), calmer)]
    without = [s or 0.0 for s in stream(BaselineAnalyzer(spread_alpha=0.0), calmer)]
    assert max(scores[900:]) > 1.2 * max(without[900:])


def test_a_pattern_never_seen_raises_the_score() -> None:
    # A sine of amplitude 3, then three samples at 9: a jump the series never made.
    rng = np.random.default_rng(2)
    sine = [3 * math.sin(i * 2 * math.pi / 50) + rng.normal(0, 0.05) for i in range(1000)]
    jump = sine[:800] + [9.0] * 3 + sine[803:]
    scores = [s or 0.0 for s in stream(BaselineAnalyzer(), jump)]
    without = [s or 0.0 for s in stream(BaselineAnalyzer(bucket_width=0.0), jump)]
    assert max(scores[798:812]) > max(without[798:812]) + 0.05


def test_a_flat_series_then_an_enormous_value_scores_an_alarm() -> None:
    # The spread is tiny and the distance huge: their ratio overflows to infinity.
    scores = stream(BaselineAnalyzer(), [1.0] * 300 + [1e303])
    assert scores[-1] == 1.0
