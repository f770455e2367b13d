"""Failure prediction from the trend of an ONU's Rx power.

A dirty connector or a bend makes Rx fall over days before the link is
lost. The predictor follows each ONU's causal one-day mean of Rx (which
cancels the daily temperature cycle and most of the noise) and raises an
alarm when that mean has fallen more than a limit over the last one, three
or seven days. After an alarm the ONU is quiet until ``rearm`` has passed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from rjchronos_sdk.prediction import Predictor

DAY = 86400.0

FloatArray = npt.NDArray[np.float64]


def causal_mean(values: FloatArray, width: int, coverage: float = 0.9) -> FloatArray:
    """Mean of the last ``width`` samples of each row, ignoring NaN.

    NaN where fewer than ``coverage`` of them are numbers: a day with a gap
    would lose part of the temperature cycle and look like a fall.
    """
    present = ~np.isnan(values)
    filled = np.where(present, values, 0.0)
    zero = np.zeros((values.shape[0], 1))
    total = np.concatenate((zero, np.cumsum(filled, axis=1)), axis=1)
    count = np.concatenate((zero, np.cumsum(present, axis=1)), axis=1)
    sums = total[:, width:] - total[:, :-width]
    counts = count[:, width:] - count[:, :-width]
    head_sums, head_counts = total[:, 1:width], count[:, 1:width]
    sums = np.concatenate((head_sums, sums), axis=1)
    counts = np.concatenate((head_counts, counts), axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts >= coverage * width, sums / np.maximum(counts, 1), np.nan)


@dataclass(frozen=True)
class RxTrendPredictor:
    """Alarms on ONUs whose daily mean Rx has been falling.

    :param falls: (days, dB): alarm when the daily mean is this much lower
        than it was that many days ago.
    :param rearm: seconds before the same ONU may alarm again.
    """

    falls: tuple[tuple[float, float], ...] = ((1.0, 0.4), (3.0, 0.5), (7.0, 0.6))
    rearm: float = 14 * DAY

    def falling(self, times: FloatArray, rx: FloatArray) -> npt.NDArray[np.bool_]:
        """Per ONU and sample: is Rx falling, from the samples up to that one."""
        step = float(times[1] - times[0])
        per_day = round(DAY / step)
        daily = causal_mean(rx, per_day)
        falling = np.zeros(rx.shape, dtype=bool)
        for days, limit in self.falls:
            lag = round(days * per_day)
            earlier = np.full(rx.shape, np.nan)
            earlier[:, lag:] = daily[:, :-lag]
            with np.errstate(invalid="ignore"):
                falling |= (earlier - daily) >= limit
        return falling & ~np.isnan(rx)

    def alarms(self, times: FloatArray, rx: FloatArray) -> list[tuple[int, float]]:
        """(ONU index, time) of each alarm, in time order per ONU."""
        found: list[tuple[int, float]] = []
        falling = self.falling(times, rx)
        for onu in np.flatnonzero(falling.any(axis=1)):
            last = -np.inf
            for index in np.flatnonzero(falling[onu]):
                if times[index] - last >= self.rearm:
                    last = float(times[index])
                    found.append((int(onu), last))
        return found


class BaselinePredictor(Predictor):
    """The ``baseline`` predictor (``rjchronos.predictors``): Rx trends on ONU Rx."""

    name = "baseline"

    def __init__(self, trend: RxTrendPredictor | None = None) -> None:
        self.trend = trend or RxTrendPredictor()
        self.params: dict[str, Any] = asdict(self.trend)

    def alarms(
        self,
        times: FloatArray,
        metrics: Mapping[str, FloatArray],
        pon_of: npt.NDArray[np.int64],
    ) -> list[tuple[int, float]]:
        return self.trend.alarms(times, metrics["onu_rx_dbm"])
