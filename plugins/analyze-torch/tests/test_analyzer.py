"""The torch analyzer on synthetic series: warm-up, range, a detection, no look-ahead, seeds."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import numpy as np

from rjchronos_analyze_torch.analyzer import TorchAnalyzer

STEP = 300.0
#: A small model, so that each test trains in well under a second.
SMALL: dict[str, Any] = {
    "window": 8,
    "hidden": 8,
    "warmup": 64,
    "history": 256,
    "retrain_every": 64,
    "first_steps": 30,
    "steps": 5,
    "device": "cpu",
}


def small(**overrides: Any) -> TorchAnalyzer:
    return TorchAnalyzer(**{**SMALL, **overrides})


def seasonal(n: int, seed: int = 1) -> list[float]:
    noise = np.random.default_rng(seed).normal(0, 0.2, n)
    return list(10 + np.sin(np.arange(n) / 10) + noise)


def times(n: int) -> list[float]:
    return [i * STEP for i in range(n)]


def test_learns_first_then_scores_in_unit_range() -> None:
    scores = small().score_series("e", "m", times(600), seasonal(600))
    assert all(s is None for s in scores[:64])
    rest = scores[64:]
    assert all(s is not None and 0.0 <= s <= 1.0 for s in rest)
    assert max(s or 0.0 for s in rest) < 0.5


def test_a_burst_raises_an_alarm_that_noise_does_not() -> None:
    values = seasonal(900)
    values[700:703] = [v + 4.0 for v in values[700:703]]
    scores = [s or 0.0 for s in small().score_series("e", "m", times(900), values)]
    assert max(scores[:700]) < 0.5
    alarms = [i for i, s in enumerate(scores) if s >= 0.5]
    # One incident, one alarm: the series is then quiet for a while.
    assert len(alarms) == 1 and 700 <= alarms[0] <= 703


def test_scores_do_not_depend_on_later_samples() -> None:
    values = seasonal(500, seed=3)
    full = small().score_series("e", "m", times(500), values)
    prefix = small().score_series("e", "m", times(300), values[:300])
    assert prefix == full[:300]
    streamed = small()
    one_by_one = [streamed.score("e", "m", t, v) for t, v in zip(times(500), values, strict=True)]
    assert [s is None for s in one_by_one] == [s is None for s in full]
    # The same model and inputs; a batched forecast may round differently in the last bits.
    assert np.allclose([s or 0.0 for s in one_by_one], [s or 0.0 for s in full], atol=1e-5)


def test_the_seed_fixes_the_scores() -> None:
    values = seasonal(400, seed=4)
    first = small(seed=11).score_series("e", "m", times(400), values)
    again = small(seed=11).score_series("e", "m", times(400), values)
    other = small(seed=12).score_series("e", "m", times(400), values)
    assert first == again
    assert first != other


def test_missing_readings_are_skipped_and_series_are_independent() -> None:
    values = seasonal(300, seed=5)
    plain = small().score_series("e", "m", times(300), values)
    gaps = small()
    with_gaps = gaps.score_series("e", "m", [*times(300), 1e9], [*values, float("nan")])
    assert with_gaps == [*plain, None]
    learned = gaps.train("other", "m", times(100), values[:100])
    assert learned["samples"] == 100 and learned["trained"]
    assert gaps.score("other", "m", 100 * STEP, values[100]) is not None
    assert gaps.score("new", "m", 0.0, 1.0) is None


def test_importing_the_plugin_does_not_import_torch() -> None:
    code = (
        "import sys\n"
        "import rjchronos_analyze_torch.plugin, rjchronos_analyze_torch.analyzer\n"
        "import rjchronos_analyze_torch.predictor, rjchronos_analyze_torch.features\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
        "from rjchronos_analyze_torch.analyzer import TorchAnalyzer\n"
        "TorchAnalyzer().score('e', 'm', 0.0, 1.0)\n"
        "assert 'torch' not in sys.modules, 'torch was imported before a model was trained'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
