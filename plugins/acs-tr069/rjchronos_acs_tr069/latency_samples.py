"""Telemetry from the IPPing diagnostics the latency sampler queued.

A sampled task carries ``sample`` in its parameters (the neighbourhood and
region the CPE was drawn for, and the host pinged). When the CPE reports the
test complete, its results become samples of the CPE: round trips in
milliseconds (TR-181's microsecond ``...Detailed`` fields when present) and
the share of repetitions lost. A test that ends in an error state writes
nothing: the fault is on the task.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rjchronos.db.types import utcnow
from rjchronos.telemetry.store import Sample

AVG = "cpe.ping_avg_ms"
MIN = "cpe.ping_min_ms"
MAX = "cpe.ping_max_ms"
LOSS = "cpe.ping_loss_pct"
#: Metric -> (IPPing field in ms, its microsecond ``Detailed`` twin).
_ROUND_TRIPS = {
    AVG: ("AverageResponseTime", "AverageResponseTimeDetailed"),
    MIN: ("MinimumResponseTime", "MinimumResponseTimeDetailed"),
    MAX: ("MaximumResponseTime", "MaximumResponseTimeDetailed"),
}


def samples(device_id: str, params: Mapping[str, Any], results: Mapping[str, Any]) -> list[Sample]:
    """The samples of a sampled IPPing's ``results``; none for other diagnostics."""
    sample = params.get("sample")
    if not isinstance(sample, Mapping) or params.get("kind") != "ping":
        return []
    if results.get("DiagnosticsState") != "Complete":
        return []
    success, failure = _number(results.get("SuccessCount")), _number(results.get("FailureCount"))
    if success is None or failure is None or success + failure <= 0:
        return []
    labels = {k: str(v) for k, v in sample.items() if v}
    now = utcnow()
    found = [Sample(device_id, LOSS, now, 100.0 * failure / (success + failure), labels)]
    if success > 0:
        for metric, (millis, micros) in _ROUND_TRIPS.items():
            detailed = _number(results.get(micros))
            value = detailed / 1000 if detailed else _number(results.get(millis))
            if value is not None:
                found.append(Sample(device_id, metric, now, value, labels))
    return found


def _number(text: Any) -> float | None:
    try:
        return float(text) if text not in (None, "") else None
    except (TypeError, ValueError):
        return None
