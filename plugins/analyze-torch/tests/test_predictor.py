"""The torch failure predictor on generated ISP scenarios: better than chance, causal, seeded."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from rjchronos_analyze_torch.predictor import NotTrainedError, TorchPredictor
from rjchronos_sdk.prediction import HOUR, installed_predictors, score_alarms
from rjchronos_sdk.sim.telemetry import Scenario, ScenarioSpec, generate

#: A small network and few steps: trained in a few seconds.
SMALL: dict[str, Any] = {"hidden": 16, "steps": 150, "batch": 256, "device": "cpu"}


@pytest.fixture(scope="module")
def training() -> list[Scenario]:
    return [generate(ScenarioSpec(seed=101, days=30))]


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return generate(ScenarioSpec(seed=7, days=30))


@pytest.fixture(scope="module")
def trained(training: list[Scenario]) -> TorchPredictor:
    predictor = TorchPredictor(**SMALL)
    predictor.fit(training)
    return predictor


def degradations(scenario: Scenario) -> list[tuple[str, float]]:
    return [
        (scenario.entity(f.onus[0]), f.failure)
        for f in scenario.faults
        if f.kind == "degradation" and f.failure is not None
    ]


def test_it_is_installed_as_a_predictor() -> None:
    assert installed_predictors()["torch"] is TorchPredictor


def test_it_predicts_degradations_far_better_than_chance(
    trained: TorchPredictor, scenario: Scenario
) -> None:
    raised = trained.alarms(scenario.times, scenario.metrics, scenario.pon_of)
    alarms = [(scenario.entity(onu), moment) for onu, moment in raised]
    failures = degradations(scenario)
    at_24 = score_alarms(failures, alarms, 24 * HOUR)
    # Chance: an alarm on an ONU drawn at random is right about as often as ONUs fail.
    chance = len(failures) / scenario.onu_count
    assert at_24.failures == len(failures) > 0
    assert at_24.precision > 3 * chance
    assert at_24.recall >= 0.75 and at_24.precision >= 0.75
    assert score_alarms(failures, alarms, 72 * HOUR).recall <= at_24.recall
    probability = trained.probabilities(scenario.times, scenario.metrics, scenario.pon_of)
    decided = probability[~np.isnan(probability)]
    assert decided.size and decided.min() >= 0.0 and decided.max() <= 1.0


def test_alarms_use_no_later_samples(trained: TorchPredictor, scenario: Scenario) -> None:
    cut = len(scenario.times) // 2
    full = trained.alarms(scenario.times, scenario.metrics, scenario.pon_of)
    half = trained.alarms(
        scenario.times[:cut],
        {name: values[:, :cut] for name, values in scenario.metrics.items()},
        scenario.pon_of,
    )
    assert half == [a for a in full if a[1] < scenario.times[cut]]
    assert half


def test_the_seed_fixes_the_model(
    trained: TorchPredictor, training: list[Scenario], scenario: Scenario
) -> None:
    again = TorchPredictor(**SMALL)
    again.fit(training)
    args = (scenario.times, scenario.metrics, scenario.pon_of)
    np.testing.assert_array_equal(again.probabilities(*args), trained.probabilities(*args))
    other = TorchPredictor(**{**SMALL, "seed": 8})
    other.fit(training)
    assert not np.array_equal(other.probabilities(*args), trained.probabilities(*args), True)


def test_the_artefact_restores_the_model(trained: TorchPredictor, scenario: Scenario) -> None:
    restored = TorchPredictor.from_artefact(trained.artefact())
    args = (scenario.times, scenario.metrics, scenario.pon_of)
    assert restored.threshold == trained.threshold
    assert restored.alarms(*args) == trained.alarms(*args)


def test_it_must_be_trained_first(scenario: Scenario) -> None:
    with pytest.raises(NotTrainedError, match="call fit"):
        TorchPredictor().alarms(scenario.times, scenario.metrics, scenario.pon_of)
    with pytest.raises(ValueError, match="at least one labelled scenario"):
        TorchPredictor().fit([])
