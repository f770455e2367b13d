"""Rx-trend failure prediction on a generated ISP scenario; ``rjchronos ai eval prediction``."""

from __future__ import annotations

import json

import numpy as np
from click.testing import CliRunner

from rjchronos_analyze_baseline.commands import ai
from rjchronos_analyze_baseline.prediction import (
    BaselinePredictor,
    RxTrendPredictor,
    causal_mean,
)
from rjchronos_sdk.prediction import HOUR, installed_predictors, score_alarms
from rjchronos_sdk.sim.telemetry import ScenarioSpec, generate


def test_causal_mean_ignores_gaps_and_needs_coverage() -> None:
    values = np.array([[1.0, 3.0, np.nan, 5.0, 7.0]])
    means = causal_mean(values, 2, coverage=0.5)
    np.testing.assert_allclose(means, [[1.0, 2.0, 3.0, 5.0, 6.0]])
    strict = causal_mean(values, 2, coverage=1.0)
    np.testing.assert_allclose(strict, [[np.nan, 2.0, np.nan, np.nan, 6.0]])


def test_degradations_are_predicted_a_day_ahead() -> None:
    scenario = generate(ScenarioSpec(seed=7))
    raised = RxTrendPredictor().alarms(scenario.times, scenario.metrics["onu_rx_dbm"])
    alarms = [(scenario.entity(onu), moment) for onu, moment in raised]
    failures = [
        (scenario.entity(f.onus[0]), f.failure)
        for f in scenario.faults
        if f.kind == "degradation" and f.failure is not None
    ]
    at_24 = score_alarms(failures, alarms, 24 * HOUR)
    assert at_24.failures == 24
    assert at_24.recall >= 0.9 and at_24.precision >= 0.8
    # Three days ahead is harder: a 3-day degradation has no trend yet.
    at_72 = score_alarms(failures, alarms, 72 * HOUR)
    assert at_72.recall <= at_24.recall


def test_alarms_use_no_later_samples() -> None:
    scenario = generate(ScenarioSpec(seed=3))
    rx = scenario.metrics["onu_rx_dbm"]
    cut = len(scenario.times) // 2
    predictor = RxTrendPredictor()
    full = predictor.alarms(scenario.times, rx)
    half = predictor.alarms(scenario.times[:cut], rx[:, :cut])
    assert half == [a for a in full if a[1] < scenario.times[cut]]
    assert half


def test_the_baseline_predictor_is_an_entry_point() -> None:
    scenario = generate(ScenarioSpec(seed=7, days=30))
    predictor = installed_predictors()["baseline"]()
    assert isinstance(predictor, BaselinePredictor)
    assert predictor.fit([]) == {}
    expected = RxTrendPredictor().alarms(scenario.times, scenario.metrics["onu_rx_dbm"])
    assert predictor.alarms(scenario.times, scenario.metrics, scenario.pon_of) == expected
    assert json.loads(predictor.artefact())["rearm"] == 14 * 86400


def test_eval_prediction_command() -> None:
    args = ["eval", "prediction", "--days", "30", "--pons", "8", "--predictor", "baseline"]
    result = CliRunner().invoke(ai, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.strip().splitlines()[-1])
    assert report["seed"] == 7 and report["onus"] == 128
    assert list(report["predictors"]) == ["baseline"]
    scores = report["predictors"]["baseline"]["scores"]
    assert set(scores) >= {"degradation@24h", "degradation@72h"}
    assert scores["degradation@24h"]["failures"] > 0
    unknown = CliRunner().invoke(ai, [*args[:-1], "nosuch"])
    assert unknown.exit_code == 2 and "no predictor nosuch" in unknown.output
    refused = CliRunner().invoke(ai, ["eval", "prediction", "--days", "5"])
    assert refused.exit_code == 2 and "at least 20 days" in refused.output
