"""The plugin through its entry points, and ``rjchronos ai eval nab`` on a NAB-layout corpus."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest
from click.testing import Result

from rjchronos_analyze_baseline.analyzer import BaselineAnalyzer
from rjchronos_analyze_baseline.commands import ai
from rjchronos_sdk import Kernel
from rjchronos_sdk.testing import write_spike_corpus

PLUGIN = "analyze-baseline"


@pytest.fixture
def kernel(rjc_kernel_factory: Callable[..., Kernel]) -> Kernel:
    return rjc_kernel_factory(entrypoints=[PLUGIN])


def test_loads_with_its_analyzer_and_command(kernel: Kernel) -> None:
    record = kernel.host.records[PLUGIN]
    assert record.state == "loaded", record.error
    assert {"rjc_analyzers", "rjc_cli_commands"} <= set(record.hooks)
    assert kernel.catalog.analyzers["baseline"].mode == "streaming"
    assert kernel.drivers.get("rjchronos.analyzers", "baseline") is BaselineAnalyzer


@pytest.fixture
def run(rjc_cli: Callable[..., Result]) -> Callable[..., Result]:
    return partial(rjc_cli, ai)


def test_eval_nab_prints_each_analyzer_and_json_last(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    write_spike_corpus(tmp_path / "nab")
    result = run("eval", "nab", "--data", str(tmp_path / "nab"), "--analyzer", "baseline")
    assert result.exit_code == 0, result.output
    assert "baseline" in result.output and "reward_low_FN_rate" in result.output
    report = json.loads(result.output.strip().splitlines()[-1])
    assert report["files"] == 2
    scores = report["analyzers"]["baseline"]
    assert set(scores) == {"standard", "reward_low_FP_rate", "reward_low_FN_rate"}
    # One early detection of the spike and no false alarm on the noise: near-perfect.
    assert scores["standard"]["score"] > 80


def test_eval_nab_scores_one_half_of_the_files(run: Callable[..., Result], tmp_path: Path) -> None:
    write_spike_corpus(tmp_path / "nab")
    halves = {}
    for half in ("even", "odd"):
        result = run("eval", "nab", "--data", str(tmp_path / "nab"), "--half", half)
        assert result.exit_code == 0, result.output
        assert f"1 files, {half} half" in result.output
        halves[half] = json.loads(result.output.strip().splitlines()[-1])
    # Files in name order: flat.csv (no window, nothing to score) then spiky.csv.
    assert halves["even"]["half"] == "even" and halves["even"]["files"] == 1
    assert halves["even"]["analyzers"]["baseline"]["standard"]["score"] == 0.0
    assert halves["odd"]["analyzers"]["baseline"]["standard"]["score"] > 80
    wrong = run("eval", "nab", "--data", str(tmp_path / "nab"), "--half", "first")
    assert wrong.exit_code == 2


def test_eval_nab_names_what_is_wrong(run: Callable[..., Result], tmp_path: Path) -> None:
    write_spike_corpus(tmp_path / "nab")
    unknown = run("eval", "nab", "--data", str(tmp_path / "nab"), "--analyzer", "nope")
    assert unknown.exit_code == 2
    assert "no analyzer nope; installed:" in unknown.output and "baseline" in unknown.output
    (tmp_path / "nab" / "data" / "synthetic" / "flat.csv").unlink()
    missing = run("eval", "nab", "--data", str(tmp_path / "nab"))
    assert missing.exit_code == 1
    assert "synthetic/flat.csv is labelled but" in missing.output


def test_registered_scores_become_model_versions(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    write_spike_corpus(tmp_path / "nab")
    for _ in range(2):
        result = run("eval", "nab", "--data", str(tmp_path / "nab"), "--register")
        assert result.exit_code == 0, result.output
    report = json.loads(result.output.strip().splitlines()[-1])
    assert report["analyzers"]["baseline"]["model_version"] == 2
    listed = run("models", "list", "baseline")
    assert listed.exit_code == 0, listed.output
    versions = json.loads(listed.output.strip().splitlines()[-1])["models"]
    assert [v["version"] for v in versions] == [1, 2]
    latest = versions[-1]
    assert latest["analyzer"] == "baseline"
    assert latest["params"]["window"] == 256
    assert latest["metrics"]["nab_standard"] == report["analyzers"]["baseline"]["standard"]["score"]
    assert latest["trained_from"].startswith("2024-01-01T00:00:00")
    assert (tmp_path / "home" / "models" / "baseline" / "2" / "artefact").is_file()
    bad = run("models", "list", "../etc")
    assert bad.exit_code == 2 and "model name" in bad.output
