"""The plugin through its entry points; ``rjchronos ai eval`` scores and registers its models."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest
from click.testing import Result

from rjchronos_analyze_baseline.commands import ai
from rjchronos_analyze_torch.analyzer import TorchAnalyzer
from rjchronos_analyze_torch.predictor import TorchPredictor
from rjchronos_sdk import Kernel
from rjchronos_sdk.models import ModelRegistry
from rjchronos_sdk.testing import write_spike_corpus

PLUGIN = "analyze-torch"


@pytest.fixture
def kernel(rjc_kernel_factory: Callable[..., Kernel]) -> Kernel:
    return rjc_kernel_factory(entrypoints=[PLUGIN])


def test_rjc_analyzers_declares_the_torch_analyzer(kernel: Kernel) -> None:
    record = kernel.host.records[PLUGIN]
    assert record.state == "loaded", record.error
    assert "rjc_analyzers" in set(record.hooks)
    assert kernel.catalog.analyzers["torch"].mode == "streaming"
    assert kernel.drivers.get("rjchronos.analyzers", "torch") is TorchAnalyzer


@pytest.fixture
def run(rjc_cli: Callable[..., Result]) -> Callable[..., Result]:
    return partial(rjc_cli, ai)


def test_eval_nab_scores_and_registers_the_torch_analyzer(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    write_spike_corpus(tmp_path / "nab", rows=1500, spike=1100)
    args = ("eval", "nab", "--data", str(tmp_path / "nab"), "--register")
    result = run(*args, "--analyzer", "torch", "--analyzer", "baseline")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.strip().splitlines()[-1])
    assert set(report["analyzers"]) == {"torch", "baseline"}
    torch_scores = report["analyzers"]["torch"]
    # The spike is found early in its window, and the noise raises no alarm.
    assert torch_scores["standard"]["score"] > 80
    card = ModelRegistry(tmp_path / "home" / "models").get("torch")
    assert card.version == torch_scores["model_version"] == 1
    assert card.seed == card.params["seed"] == 7 and card.params["window"] == 24
    assert card.metrics["nab_standard"] == torch_scores["standard"]["score"]
    assert card.trained_from and card.trained_from.startswith("2024-01-01T00:00:00")


def test_eval_prediction_reports_torch_beside_baseline_and_writes_its_card(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    result = run(
        "eval", "prediction", "--days", "30", "--pons", "8", "--train-scenarios", "1", "--register"
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.strip().splitlines()[-1])
    assert set(report["predictors"]) == {"baseline", "torch"}
    scores = report["predictors"]["torch"]["scores"]
    assert {"degradation@24h", "degradation@72h", "fiber_cut@24h"} <= set(scores)
    assert scores["degradation@24h"]["failures"] > 0
    registry = ModelRegistry(tmp_path / "home" / "models")
    card = registry.get("predictor-torch")
    assert card.version == report["predictors"]["torch"]["model_version"]
    assert card.analyzer == "torch" and card.seed == 7
    assert card.params["training_seeds"] == [1007]
    assert card.params["horizon_hours"] == 168.0
    assert card.trained_from == "1970-01-01T00:00:00+00:00"
    assert card.trained_to and card.trained_to.startswith("1970-01-30T23:45:00")
    assert card.metrics["degradation@24h_f1"] == scores["degradation@24h"]["f1"]
    restored = TorchPredictor.from_artefact(registry.read_artefact(card))
    assert 0.0 < restored.threshold < 1.0
    too_small = run("eval", "prediction", "--pons", "2", "--predictor", "torch")
    assert too_small.exit_code == 2 and "add PONs" in too_small.output
    baseline = registry.get("predictor-baseline")
    assert json.loads(registry.read_artefact(baseline))["rearm"] == 14 * 86400
