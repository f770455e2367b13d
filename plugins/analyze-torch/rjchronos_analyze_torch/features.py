"""Per-ONU features for failure prediction, each computed from the samples up to its own.

Input: the telemetry of :mod:`rjchronos_sdk.sim.telemetry` (``metrics[name][onu, step]``
at a fixed step). Output: ``features[onu, step, k]``, NaN-free (a change that
cannot be computed yet is 0), with :data:`NAMES` naming the ``k``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

DAY = 86400.0
HOUR = 3600.0

FloatArray = npt.NDArray[np.float64]

RX_LAGS_DAYS = (1, 2, 3, 5, 7)
NAMES = (
    *(f"rx_day_change_{d}d" for d in RX_LAGS_DAYS),
    "rx_6h_vs_yesterday",
    "rx_6h_change_6h",
    "rx_6h_change_12h",
    "rx_3d_change_vs_pon",
    "olt_rx_change_1d",
    "olt_rx_change_3d",
    "olt_rx_change_7d",
    "onu_tx_change_1d",
    "onu_tx_change_7d",
    "offline_share_1d",
    "reboots_1d",
    "wifi_retrans_6h_vs_week",
    "wifi_rssi_6h_vs_week",
)


def causal_mean(values: FloatArray, width: int, coverage: float = 0.9) -> FloatArray:
    """Mean of the last ``width`` samples of each row, ignoring NaN; NaN below ``coverage``."""
    present = ~np.isnan(values)
    filled = np.where(present, values, 0.0)
    zero = np.zeros((values.shape[0], 1))
    total = np.concatenate((zero, np.cumsum(filled, axis=1)), axis=1)
    count = np.concatenate((zero, np.cumsum(present, axis=1)), axis=1)
    start = np.maximum(np.arange(1, values.shape[1] + 1) - width, 0)
    end = np.arange(1, values.shape[1] + 1)
    sums = total[:, end] - total[:, start]
    counts = count[:, end] - count[:, start]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts >= coverage * width, sums / np.maximum(counts, 1), np.nan)


def lagged(values: FloatArray, lag: int) -> FloatArray:
    """``values`` ``lag`` steps earlier (NaN before the start)."""
    earlier = np.full(values.shape, np.nan)
    if lag < values.shape[1]:
        earlier[:, lag:] = values[:, : values.shape[1] - lag]
    return earlier


def features(
    times: FloatArray, metrics: Mapping[str, FloatArray], pon_of: npt.NDArray[np.int64]
) -> FloatArray:
    """``features[onu, step, k]`` from the telemetry up to each step."""
    step = float(times[1] - times[0])
    per_day = max(1, round(DAY / step))
    per_6h = max(1, round(6 * HOUR / step))
    rx = metrics["onu_rx_dbm"]
    rx_day = causal_mean(rx, per_day)
    rx_6h = causal_mean(rx, per_6h)
    columns = [rx_day - lagged(rx_day, d * per_day) for d in RX_LAGS_DAYS]
    columns.append(rx_6h - lagged(rx_day, per_day))
    columns.append(rx_6h - lagged(rx_6h, per_6h))
    columns.append(rx_6h - lagged(rx_6h, 2 * per_6h))
    change_3d = rx_day - lagged(rx_day, 3 * per_day)
    pon_median = np.zeros_like(change_3d)
    for pon in np.unique(pon_of):
        members = pon_of == pon
        block = change_3d[members]
        has_any = ~np.all(np.isnan(block), axis=0)
        median = np.zeros(block.shape[1])
        if has_any.any():
            median[has_any] = np.nanmedian(block[:, has_any], axis=0)
        pon_median[members] = median
    columns.append(change_3d - pon_median)
    for name, lags in (("olt_rx_dbm", (1, 3, 7)), ("onu_tx_dbm", (1, 7))):
        daily = causal_mean(metrics[name], per_day)
        columns.extend(daily - lagged(daily, d * per_day) for d in lags)
    online = np.nan_to_num(metrics["online"], nan=0.0)
    columns.append(1.0 - causal_mean(online, per_day, coverage=0.0))
    reboots = np.nan_to_num(metrics["reboots"], nan=0.0)
    columns.append(causal_mean(reboots, per_day, coverage=0.0) * per_day)
    for name in ("wifi_retrans_pct", "wifi_rssi_dbm"):
        recent = causal_mean(metrics[name], per_6h, coverage=0.5)
        week = causal_mean(metrics[name], 7 * per_day, coverage=0.5)
        columns.append(recent - lagged(week, per_6h))
    stacked = np.stack(columns, axis=-1)
    return np.nan_to_num(stacked, nan=0.0, posinf=0.0, neginf=0.0)
