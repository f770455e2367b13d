"""Failure-prediction scoring at a lead time, on hand-made alarms."""

from __future__ import annotations

import json
from importlib.metadata import EntryPoint
from typing import Any

import numpy as np
import pytest

from rjchronos_sdk.prediction import (
    DAY,
    HOUR,
    PREDICTORS,
    Predictor,
    installed_predictors,
    score_alarms,
)

FAILURES = [("a", 10 * DAY), ("b", 10 * DAY), ("c", 20 * DAY)]


def test_early_enough_late_and_false_alarms() -> None:
    alarms = [
        ("a", 8 * DAY),  # 48 h ahead: right at 24 h, too late at 72 h
        ("b", 5 * DAY),  # 5 days ahead: right at both
        ("d", 3 * DAY),  # d never fails: wrong
    ]
    at_24 = score_alarms(FAILURES, alarms, 24 * HOUR)
    assert (at_24.failures, at_24.caught, at_24.alarms, at_24.right_alarms) == (3, 2, 3, 2)
    assert at_24.recall == pytest.approx(2 / 3)
    assert at_24.precision == pytest.approx(2 / 3)
    assert at_24.f1 == pytest.approx(2 / 3)
    at_72 = score_alarms(FAILURES, alarms, 72 * HOUR)
    assert (at_72.caught, at_72.right_alarms) == (1, 1)


def test_an_alarm_too_early_means_nothing() -> None:
    alarms = [("c", 2 * DAY)]  # 18 days ahead, beyond the 14-day longest warning
    score = score_alarms(FAILURES, alarms, 24 * HOUR)
    assert score.caught == 0 and score.right_alarms == 0
    assert score_alarms(FAILURES, alarms, 24 * HOUR, longest_warning=20 * DAY).caught == 1


def test_no_alarm_no_failure() -> None:
    score = score_alarms([], [], 24 * HOUR)
    assert (score.precision, score.recall, score.f1) == (0.0, 0.0, 0.0)
    assert score.as_dict()["lead_hours"] == 24.0


class Threshold(Predictor):
    """Alarms on the first sample of an ONU's Rx below -26 dBm."""

    name = "threshold"
    params = {"limit": -26.0}

    def alarms(self, times: Any, metrics: Any, pon_of: Any) -> list[tuple[int, float]]:
        found = []
        for onu, row in enumerate(metrics["onu_rx_dbm"]):
            below = np.flatnonzero(row < self.params["limit"])
            if below.size:
                found.append((onu, float(times[below[0]])))
        return found


def test_a_predictor_needs_only_alarms() -> None:
    predictor = Threshold()
    assert predictor.fit([]) == {}
    assert json.loads(predictor.artefact()) == {"limit": -26.0}
    times = np.arange(4) * 900.0
    rx = np.array([[-20.0, -21.0, -27.0, -28.0], [-20.0] * 4])
    raised = predictor.alarms(times, {"onu_rx_dbm": rx}, np.zeros(2, dtype=np.int64))
    assert raised == [(0, 1800.0)]
    with pytest.raises(TypeError):
        Predictor()  # type: ignore[abstract]


def test_installed_predictors_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    import rjchronos_sdk.prediction as prediction

    good = EntryPoint("threshold", f"{__name__}:Threshold", PREDICTORS)
    bad = EntryPoint("bad", "builtins:dict", PREDICTORS)
    monkeypatch.setattr(prediction, "entry_points", lambda group: [good])
    assert installed_predictors() == {"threshold": Threshold}
    monkeypatch.setattr(prediction, "entry_points", lambda group: [good, bad])
    with pytest.raises(TypeError, match="predictor bad .* is not a Predictor subclass"):
        installed_predictors()
