"""The ``baseline`` analyzer: robust statistics and change points, one sample at a time.

For each (entity, metric) it keeps, in plain Python floats so that a sample
costs a few microseconds:

- a rolling window kept sorted, whose median is the series' level, and an
  exponentially weighted mean absolute deviation from it (the MAD's scale);
- an EWMA of level and variance, with a longer memory than the window;
- an hour-of-week seasonal baseline (level and spread per hour of the week);
- a two-sided CUSUM of the robust residual, which fires on level shifts too
  small for a single-sample z-score;
- a recent mean absolute deviation (about 50 samples) beside the long one:
  their log ratio is a change of spread, as when a series turns noisy or flat;
- the novelty of the recent pattern: each value's bucket is its distance from
  the EWMA in units of 2 EWMA standard deviations, truncated to an integer,
  and a pair of consecutive buckets never seen before in the series is a
  surprise (a jump or shape it has not shown).

A sample's surprise is the largest of those z-scores (the CUSUM's scaled to
at most 4, the spread's 3 per unit of log ratio, a new pattern's 6). The
score is the Gaussian tail probability of the mean surprise of the last few
samples, on a log scale in [0, 1] so that a threshold can tell rare from very
rare. After an alarm the analyzer scores 0 for a while: one incident, one
alert.
"""

from __future__ import annotations

import math
from bisect import bisect_left, insort
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from rjchronos_sdk import Analyzer, DriverMatch

HOUR = 3600.0
WEEK_HOURS = 168
MAD_TO_SIGMA = 1.4826
#: The surprise of a CUSUM at its limit (then it restarts).
CUSUM_SURPRISE = 4.0


@dataclass(frozen=True)
class BaselineParams:
    """The analyzer's settings, the same for every series (tuned on NAB, see docs/ai.md)."""

    #: Samples in the rolling window whose median is the level.
    window: int = 256
    #: Samples scored None while a series is new.
    warmup: int = 32
    ewma_alpha: float = 0.001
    mad_alpha: float = 0.01
    seasonal_alpha: float = 0.1
    #: Samples an hour-of-week bucket needs before it counts.
    seasonal_min: int = 8
    #: CUSUM slack and decision limit, in robust standard deviations.
    cusum_drift: float = 0.5
    cusum_limit: float = 30.0
    #: Weight of the recent mean absolute deviation (the spread change); 0 turns it off.
    spread_alpha: float = 0.02
    #: Surprise per unit of |log(recent spread / long spread)|.
    spread_gain: float = 3.0
    #: Width of a pattern bucket, in EWMA standard deviations; 0 turns novelty off.
    bucket_width: float = 2.0
    #: Buckets either side of the EWMA; values beyond fall in the outermost.
    bucket_max: int = 8
    #: Consecutive buckets that make a pattern.
    context: int = 2
    #: Surprise of a pattern the series has never shown.
    novelty: float = 6.0
    #: Samples before a new pattern counts (at first every pattern is new).
    novelty_after: int = 128
    #: Samples whose mean surprise is scored.
    short: int = 3
    #: Score of an alarm, and samples scored 0 after one.
    alarm: float = 0.5
    quiet: int = 300


class _Series:
    """What the analyzer remembers of one series."""

    __slots__ = (
        "cooldown",
        "ew_mean",
        "ew_var",
        "mad",
        "ordered",
        "pattern",
        "patterns",
        "raw_recent",
        "raw_sum",
        "recent_mad",
        "s_high",
        "s_low",
        "seasonal",
        "seen",
        "window",
    )

    def __init__(self, value: float) -> None:
        self.window: deque[float] = deque([value])
        self.ordered = [value]
        self.mad = 0.0
        self.recent_mad = 0.0
        self.ew_mean = value
        self.ew_var = 0.0
        self.seasonal: dict[int, list[float]] = {}
        self.s_high = 0.0
        self.s_low = 0.0
        self.raw_recent: deque[float] = deque()
        self.raw_sum = 0.0
        self.seen = 1
        self.cooldown = 0
        self.patterns: set[int] = set()
        self.pattern = 0


class BaselineAnalyzer(Analyzer):
    """Median/MAD, EWMA, hour-of-week and CUSUM surprise, scored as a likelihood."""

    name = "baseline"
    # Analyzers are chosen by configuration, never by matching a device.
    match = DriverMatch()

    def __init__(self, params: BaselineParams | None = None, **overrides: Any) -> None:
        base = params or BaselineParams()
        self.params = BaselineParams(**{**asdict(base), **overrides})
        self._series: dict[tuple[str, str], _Series] = {}

    def train(
        self, entity: str, metric: str, timestamps: Sequence[float], values: Sequence[float]
    ) -> Mapping[str, Any]:
        """Warm the series' state on history, so streaming starts without a learning period."""
        self.score_series(entity, metric, timestamps, values)
        state = self._series.get((entity, metric))
        return {"samples": state.seen if state else 0, "params": asdict(self.params)}

    def score(self, entity: str, metric: str, timestamp: float, value: float) -> float | None:
        if not math.isfinite(value):
            # A missing reading (NaN, an offline device) says nothing: no score, state untouched.
            return None
        key = (entity, metric)
        state = self._series.get(key)
        if state is None:
            self._series[key] = _Series(value)
            return None
        return self._step(state, timestamp, value)

    def _step(self, s: _Series, timestamp: float, value: float) -> float | None:
        p = self.params
        ordered = s.ordered
        median = ordered[len(ordered) >> 1]
        floor = 1e-6 * (abs(median) + 1.0)
        scale = MAD_TO_SIGMA * s.mad + floor
        residual = (value - median) / scale
        surprise = abs(residual)
        ew_spread = math.sqrt(s.ew_var) + floor
        ew_z = abs(value - s.ew_mean) / ew_spread
        if ew_z > surprise:
            surprise = ew_z
        bucket_key = int(timestamp // HOUR) % WEEK_HOURS
        bucket = s.seasonal.get(bucket_key)
        if bucket is not None and bucket[2] >= p.seasonal_min:
            seasonal_z = abs(value - bucket[0]) / (MAD_TO_SIGMA * bucket[1] + floor)
            if seasonal_z > surprise:
                surprise = seasonal_z
        # CUSUM of the clipped robust residual: a shift the window has not absorbed yet.
        clipped = max(-4.0, min(4.0, residual))
        s.s_high = max(0.0, s.s_high + clipped - p.cusum_drift)
        s.s_low = max(0.0, s.s_low - clipped - p.cusum_drift)
        shift = max(s.s_high, s.s_low) / p.cusum_limit * CUSUM_SURPRISE
        if shift > CUSUM_SURPRISE:
            s.s_high = s.s_low = 0.0
        if shift > surprise:
            surprise = shift
        if p.spread_alpha and s.mad > floor and s.recent_mad > floor:
            spread = p.spread_gain * abs(math.log(s.recent_mad / s.mad))
            if spread > surprise:
                surprise = spread
        if p.bucket_width:
            novel = self._novel_pattern(s, value, ew_spread)
            if novel and s.seen > p.novelty_after and p.novelty > surprise:
                surprise = p.novelty
        self._learn(s, timestamp, value, median, bucket_key, bucket)
        return self._alarm_score(s, surprise)

    def _learn(
        self,
        s: _Series,
        timestamp: float,
        value: float,
        median: float,
        bucket_key: int,
        bucket: list[float] | None,
    ) -> None:
        p = self.params
        deviation = abs(value - median)
        s.mad += p.mad_alpha * (deviation - s.mad)
        s.recent_mad += p.spread_alpha * (deviation - s.recent_mad)
        # A running mean until 1/alpha samples: the first value does not weigh for long.
        alpha = max(p.ewma_alpha, 1.0 / (s.seen + 1))
        delta = value - s.ew_mean
        s.ew_mean += alpha * delta
        s.ew_var = (1.0 - alpha) * (s.ew_var + alpha * delta * delta)
        if bucket is None:
            s.seasonal[bucket_key] = [value, 0.0, 1.0]
        else:
            a = p.seasonal_alpha
            bucket[1] += a * (abs(value - bucket[0]) - bucket[1])
            bucket[0] += a * (value - bucket[0])
            bucket[2] += 1.0
        s.window.append(value)
        insort(s.ordered, value)
        if len(s.window) > p.window:
            old = s.window.popleft()
            del s.ordered[bisect_left(s.ordered, old)]
        s.seen += 1

    def _novel_pattern(self, s: _Series, value: float, ew_spread: float) -> bool:
        """Add ``value``'s bucket to the recent pattern; True when the series never showed it."""
        p = self.params
        # Clipped before int(): a huge distance over a tiny spread may be infinite.
        distance = (value - s.ew_mean) / (p.bucket_width * ew_spread)
        level = int(max(-p.bucket_max, min(p.bucket_max, distance))) + p.bucket_max
        span = 2 * p.bucket_max + 1
        # The last ``context`` buckets as the digits of one integer, base ``span``.
        s.pattern = (s.pattern * span + level) % span**p.context
        if s.seen <= p.context or s.pattern in s.patterns:
            return False
        s.patterns.add(s.pattern)
        return True

    def _alarm_score(self, s: _Series, surprise: float) -> float | None:
        p = self.params
        s.raw_recent.append(surprise)
        s.raw_sum += surprise
        if len(s.raw_recent) > p.short:
            s.raw_sum -= s.raw_recent.popleft()
        if s.seen <= p.warmup:
            return None
        if s.cooldown > 0:
            s.cooldown -= 1
            return 0.0
        recent = s.raw_sum / len(s.raw_recent)
        # -log10 of the Gaussian tail of the mean surprise, over 16: 0.5 at one in 10^8.
        tail = 0.5 * math.erfc(recent / math.sqrt(2.0))
        result = min(1.0, -math.log10(max(tail, 1e-300)) / 16.0)
        if result >= p.alarm:
            s.cooldown = p.quiet
        return result
