"""The ``torch`` analyzer: the forecast error of a small network trained on the series' past.

Per (entity, metric), once ``warmup`` samples are in, a two-layer perceptron
learns to forecast the next sample from the ``window`` before it, on the last
``history`` samples (normalised by their median and MAD). It is trained again,
from where it was, every ``retrain_every`` samples: each sample is always
forecast by a model trained on earlier samples only, so there is no look-ahead.

A sample's surprise is its forecast error over the typical error (an
exponentially weighted mean of absolute errors); the score is the Gaussian tail
of the mean surprise of the last few samples on a log scale in [0, 1], as the
baseline analyzer does, and the series scores 0 for a while after an alarm.

torch is imported when the first model is trained, never before. Scores are the
same for the same samples and seed; the model runs on the GPU when one is
present (``device="auto"``), on the CPU otherwise.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from rjchronos_analyze_torch._torch import device, generator, torch
from rjchronos_sdk import Analyzer, DriverMatch

MAD_TO_SIGMA = 1.4826
#: Mean absolute error to standard deviation, for Gaussian errors.
MAE_TO_SIGMA = math.sqrt(math.pi / 2)

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class TorchParams:
    """The analyzer's settings, the same for every series."""

    #: Samples a forecast looks back on.
    window: int = 24
    hidden: int = 32
    #: Samples scored None while a series is new; the first model is trained on them.
    warmup: int = 256
    #: Most recent samples a model is trained on.
    history: int = 2048
    retrain_every: int = 256
    #: Optimiser steps of the first training, and of each later one.
    first_steps: int = 80
    steps: int = 20
    batch: int = 128
    learning_rate: float = 0.01
    #: Weight of a new error in the typical error.
    error_alpha: float = 0.001
    #: CUSUM of the forecast errors (slack and limit in typical errors; 0: none), for a
    #: drift the forecast follows sample by sample.
    cusum_drift: float = 0.5
    cusum_limit: float = 10.0
    #: Samples whose mean surprise is scored.
    short: int = 3
    #: Score of an alarm, and samples scored 0 after one.
    alarm: float = 0.5
    quiet: int = 300
    seed: int = 7
    #: "auto" (the GPU when present), "cpu" or "cuda".
    device: str = "auto"


class _Series:
    """What the analyzer keeps of one series."""

    def __init__(self) -> None:
        self.history: deque[float] = deque()
        self.seen = 0
        self.since_training = 0
        self.weights: list[Any] | None = None
        self.optimiser: Any = None
        self.generator: Any = None
        self.center = 0.0
        self.scale = 1.0
        self.typical_error = 1.0
        self.recent: deque[float] = deque()
        self.recent_sum = 0.0
        self.cooldown = 0
        self.s_high = 0.0
        self.s_low = 0.0


class TorchAnalyzer(Analyzer):
    """Forecast error of a per-series perceptron, retrained on the past as the series goes."""

    name = "torch"
    match = DriverMatch()

    def __init__(self, params: TorchParams | None = None, **overrides: Any) -> None:
        base = params or TorchParams()
        self.params = TorchParams(**{**asdict(base), **overrides})
        if self.params.window < 1 or self.params.warmup <= self.params.window:
            raise ValueError("warmup must be larger than window, and window at least 1")
        self._series: dict[tuple[str, str], _Series] = {}
        self._device: str | None = None

    # -- the contract --------------------------------------------------------------

    def score(self, entity: str, metric: str, timestamp: float, value: float) -> float | None:
        return self.score_series(entity, metric, [timestamp], [value])[0]

    def score_series(
        self, entity: str, metric: str, timestamps: Sequence[float], values: Sequence[float]
    ) -> list[float | None]:
        """Scores of each sample in turn, forecasting a run of samples in one batch.

        Between two trainings the model does not change, so the forecasts of
        the samples up to the next training are computed together, each from
        the samples before it.
        """
        if len(timestamps) != len(values):
            raise ValueError("timestamps and values differ in length")
        data = np.asarray(values, dtype=np.float64)
        finite = np.flatnonzero(np.isfinite(data))
        scores: list[float | None] = [None] * len(data)
        state = self._series.setdefault((entity, metric), _Series())
        position = 0
        while position < len(finite):
            if state.weights is None:
                take = min(self.params.warmup - state.seen, len(finite) - position)
            else:
                take = min(self.params.retrain_every - state.since_training, len(finite) - position)
            chunk = data[finite[position : position + take]]
            if state.weights is not None:
                for offset, result in enumerate(self._score_chunk(state, chunk)):
                    scores[int(finite[position + offset])] = result
            self._remember(state, chunk)
            position += take
        return scores

    def train(
        self, entity: str, metric: str, timestamps: Sequence[float], values: Sequence[float]
    ) -> Mapping[str, Any]:
        """Learn the series' past, so streaming starts with a trained model."""
        self.score_series(entity, metric, timestamps, values)
        state = self._series.get((entity, metric))
        return {
            "samples": state.seen if state else 0,
            "trained": bool(state and state.weights is not None),
            "params": asdict(self.params),
        }

    # -- the model -----------------------------------------------------------------

    def _on(self) -> str:
        if self._device is None:
            self._device = device(self.params.device)
        return self._device

    def _remember(self, state: _Series, chunk: FloatArray) -> None:
        p = self.params
        state.history.extend(float(v) for v in chunk)
        while len(state.history) > p.history:
            state.history.popleft()
        state.seen += len(chunk)
        state.since_training += len(chunk)
        due = state.since_training >= p.retrain_every if state.weights is not None else True
        if state.seen >= p.warmup and due:
            self._fit(state)

    def _windows(self, state: _Series, series: FloatArray) -> tuple[Any, Any]:
        """Normalised inputs (each ``window`` samples) and targets (the sample after)."""
        t = torch()
        normal = np.clip((series - state.center) / state.scale, -20.0, 20.0)
        w = self.params.window
        inputs = np.lib.stride_tricks.sliding_window_view(normal[:-1], w)
        on = self._on()
        return (
            t.tensor(inputs, dtype=t.float32, device=on),
            t.tensor(normal[w:], dtype=t.float32, device=on),
        )

    def _forward(self, weights: list[Any], inputs: Any) -> Any:
        t = torch()
        w1, b1, w2, b2 = weights
        # A skip connection from the last sample: the network learns the change from it.
        return inputs[:, -1] + (t.tanh(inputs @ w1 + b1) @ w2 + b2).squeeze(-1)

    def _fit(self, state: _Series) -> None:
        t = torch()
        p = self.params
        on = self._on()
        series = np.fromiter(state.history, dtype=np.float64)
        center = float(np.median(series))
        mad = float(np.median(np.abs(series - center)))
        floor = 1e-6 * (abs(center) + 1.0)
        state.center, state.scale = center, max(MAD_TO_SIGMA * mad, float(np.std(series)), floor)
        if state.weights is None:
            state.generator = generator(p.seed, on)
            g = state.generator
            state.weights = [
                (t.randn(p.window, p.hidden, generator=g, device=on) / math.sqrt(p.window)),
                t.zeros(p.hidden, device=on),
                (t.randn(p.hidden, 1, generator=g, device=on) * 0.01),
                t.zeros(1, device=on),
            ]
            for weight in state.weights:
                weight.requires_grad_(True)
            state.optimiser = t.optim.Adam(state.weights, lr=p.learning_rate)
            steps = p.first_steps
        else:
            steps = p.steps
        inputs, targets = self._windows(state, series)
        for _ in range(steps):
            pick = t.randint(
                0, len(targets), (min(p.batch, len(targets)),), generator=state.generator, device=on
            )
            loss = t.nn.functional.smooth_l1_loss(
                self._forward(state.weights, inputs[pick]), targets[pick]
            )
            state.optimiser.zero_grad()
            loss.backward()
            state.optimiser.step()
        with t.no_grad():
            errors = (self._forward(state.weights, inputs) - targets).abs()
            fitted = float(errors[-p.retrain_every :].mean())
        if state.since_training >= state.seen:
            # The first training: start the typical error at what the model makes in-sample.
            state.typical_error = max(fitted, 1e-3)
        state.since_training = 0

    def _score_chunk(self, state: _Series, chunk: FloatArray) -> list[float | None]:
        t = torch()
        p = self.params
        past = np.fromiter(state.history, dtype=np.float64)[-p.window :]
        inputs, targets = self._windows(state, np.concatenate((past, chunk)))
        with t.no_grad():
            residuals = targets - self._forward(state.weights or [], inputs)
        results: list[float | None] = []
        for residual in residuals.cpu().tolist():
            error = abs(residual)
            sigma = MAE_TO_SIGMA * max(state.typical_error, 1e-3)
            surprise = error / sigma
            if p.cusum_limit > 0:
                clipped = max(-4.0, min(4.0, residual / sigma))
                state.s_high = max(0.0, state.s_high + clipped - p.cusum_drift)
                state.s_low = max(0.0, state.s_low - clipped - p.cusum_drift)
                shift = max(state.s_high, state.s_low) / p.cusum_limit * 4.0
                if shift > 4.0:
                    state.s_high = state.s_low = 0.0
                surprise = max(surprise, shift)
            state.typical_error += p.error_alpha * (min(error, 10.0) - state.typical_error)
            results.append(self._alarm_score(state, surprise))
        return results

    def _alarm_score(self, state: _Series, surprise: float) -> float:
        p = self.params
        state.recent.append(surprise)
        state.recent_sum += surprise
        if len(state.recent) > p.short:
            state.recent_sum -= state.recent.popleft()
        if state.cooldown > 0:
            state.cooldown -= 1
            return 0.0
        mean = state.recent_sum / len(state.recent)
        tail = 0.5 * math.erfc(mean / math.sqrt(2.0))
        result = min(1.0, -math.log10(max(tail, 1e-300)) / 16.0)
        if result >= p.alarm:
            state.cooldown = p.quiet
        return result
