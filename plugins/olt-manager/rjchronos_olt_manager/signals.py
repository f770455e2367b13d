"""The optical signal matrix of an OLT: every ONU's optics per PON port, bucketed and diagnosed.

Buckets follow what operators use (ONU Rx: good >= -25 dBm, warning down to
-27, critical below; configurable). A port whose median Rx is below the good
threshold points to the feeder or the splitter; one ONU far below healthy
neighbours points to its drop cable or connector. Degradation compares the
latest Rx with its mean over a day 7 and 30 days ago.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any


@dataclass(frozen=True)
class Thresholds:
    """Where the buckets and the diagnoses start (dBm and dB)."""

    good_dbm: float = -25.0
    critical_dbm: float = -27.0
    outlier_db: float = 3.0
    degradation_db: float = 2.0

    def bucket(self, rx_dbm: float | None) -> str:
        if rx_dbm is None:
            return "no_reading"
        if rx_dbm >= self.good_dbm:
            return "good"
        return "warning" if rx_dbm >= self.critical_dbm else "critical"


@dataclass(frozen=True)
class OnuOptics:
    """What the matrix knows of one ONU."""

    id: str
    name: str
    serial: str
    port: str
    status: str
    rx_dbm: float | None
    tx_dbm: float | None
    olt_rx_dbm: float | None


#: The windows degradation compares against: a day ending this long ago.
BASELINES = {"7d": timedelta(days=7), "30d": timedelta(days=30)}


def baseline_windows(now: datetime) -> dict[str, tuple[datetime, datetime]]:
    return {name: (now - age - timedelta(days=1), now - age) for name, age in BASELINES.items()}


def build_matrix(
    onus: Iterable[OnuOptics],
    baselines: Mapping[str, Mapping[str, float]],
    thresholds: Thresholds,
) -> list[dict[str, Any]]:
    """The matrix, one entry per port in port order.

    :param baselines: per window name (``7d``, ``30d``), each ONU's mean Rx then.
    """
    by_port: dict[str, list[OnuOptics]] = {}
    for onu in onus:
        by_port.setdefault(onu.port, []).append(onu)
    return [
        _port(port, sorted(members, key=lambda o: o.name), baselines, thresholds)
        for port, members in sorted(by_port.items(), key=lambda item: _port_key(item[0]))
    ]


def _port(
    port: str,
    onus: Sequence[OnuOptics],
    baselines: Mapping[str, Mapping[str, float]],
    thresholds: Thresholds,
) -> dict[str, Any]:
    readings = [o.rx_dbm for o in onus if o.rx_dbm is not None]
    median = statistics.median(readings) if readings else None
    port_low = median is not None and median < thresholds.good_dbm
    rows = []
    counts = dict.fromkeys(("good", "warning", "critical", "no_reading"), 0)
    for onu in onus:
        bucket = thresholds.bucket(onu.rx_dbm)
        counts[bucket] += 1
        outlier = (
            not port_low
            and median is not None
            and onu.rx_dbm is not None
            and onu.rx_dbm < median - thresholds.outlier_db
        )
        changes = {
            f"rx_change_{name}_db": (
                round(onu.rx_dbm - then[onu.id], 2)
                if onu.rx_dbm is not None and onu.id in then
                else None
            )
            for name, then in baselines.items()
        }
        degrading = any(
            change is not None and change <= -thresholds.degradation_db
            for change in changes.values()
        )
        rows.append(
            {
                "id": onu.id,
                "name": onu.name,
                "serial": onu.serial,
                "status": onu.status,
                "rx_dbm": onu.rx_dbm,
                "tx_dbm": onu.tx_dbm,
                "olt_rx_dbm": onu.olt_rx_dbm,
                "bucket": bucket,
                "outlier": outlier,
                "degrading": degrading,
                **changes,
            }
        )
    if port_low:
        diagnosis = "port_low: the feeder fiber or the splitter"
    elif any(row["outlier"] for row in rows):
        diagnosis = "outliers: the drop cable or connector of the ONUs flagged"
    else:
        diagnosis = "ok"
    return {
        "port": port,
        "median_rx_dbm": round(median, 2) if median is not None else None,
        "counts": counts,
        "diagnosis": diagnosis,
        "onus": rows,
    }


def _port_key(port: str) -> tuple[int, ...] | tuple[str]:
    parts = port.split("/")
    return tuple(int(p) for p in parts) if all(p.isdigit() for p in parts) else (port,)
