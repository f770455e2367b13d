"""``rjchronos ai``: evaluate analyzers (NAB, failure prediction) and list registered models."""

from __future__ import annotations

import dataclasses
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.table import Table

from rjchronos_sdk.models import ModelRegistry, ModelRegistryError
from rjchronos_sdk.nab import (
    HALVES,
    PROFILES,
    Corpus,
    NabDataError,
    ProfileResult,
    analyzer_scores,
    load_corpus,
    score_detector,
)

if TYPE_CHECKING:
    from rjchronos_sdk.prediction import Predictor
    from rjchronos_sdk.sim.telemetry import Scenario

ANALYZERS = "rjchronos.analyzers"


@click.group("ai")
def ai() -> None:
    """Analyzers: evaluation and failure prediction."""


@ai.group("eval")
def evaluate() -> None:
    """Score analyzers on labelled benchmarks."""


def _analyzers(ctx: click.Context, only: tuple[str, ...]) -> tuple[dict[str, Any], Path]:
    """The installed analyzers (those named in ``only``, if any) and the model registry's root."""
    from rjchronos.cli.context import open_kernel, settings_from

    settings = settings_from(ctx)
    with open_kernel(settings) as kernel:
        installed = {
            name: kernel.drivers.get(ANALYZERS, name) for name in kernel.drivers.names(ANALYZERS)
        }
    unknown = sorted(set(only) - set(installed))
    if unknown:
        names = ", ".join(sorted(installed)) or "none"
        raise click.BadParameter(
            f"no analyzer {', '.join(unknown)}; installed: {names}",
            param_hint="--analyzer",
        )
    chosen = {name: driver for name, driver in installed.items() if not only or name in only}
    return chosen, Path(settings.home) / "models"


def _register(
    registry: ModelRegistry,
    name: str,
    driver: Any,
    corpus: Corpus,
    results: dict[str, ProfileResult],
) -> int:
    """Record the analyzer's settings and NAB scores as a new model version."""
    settings = getattr(driver(), "params", None)
    is_instance = dataclasses.is_dataclass(settings) and not isinstance(settings, type)
    params = dataclasses.asdict(settings) if is_instance else {}  # type: ignore[arg-type]
    first = min(float(f.timestamps.min()) for f in corpus.files)
    last = max(float(f.timestamps.max()) for f in corpus.files)
    model = registry.register(
        name,
        json.dumps(params, sort_keys=True).encode(),
        analyzer=name,
        seed=params["seed"] if isinstance(params.get("seed"), int) else None,
        trained_from=datetime.fromtimestamp(first, UTC),
        trained_to=datetime.fromtimestamp(last, UTC),
        metrics={f"nab_{profile}": round(r.score, 2) for profile, r in results.items()},
        params=params,
        description=f"settings scored on NAB at {corpus.root} ({len(corpus.files)} files)",
    )
    return model.version


@evaluate.command("nab")
@click.option(
    "--data",
    "data_dir",
    required=True,
    type=click.Path(exists=True, file_okay=False),
    help="A directory in NAB's layout: data/<category>/*.csv and labels/combined_windows.json.",
)
@click.option("--analyzer", "only", multiple=True, help="Evaluate only this analyzer (repeatable).")
@click.option(
    "--half",
    type=click.Choice(HALVES),
    help="Score only every other file in name order (the 1st, 3rd... or the 2nd, 4th...): "
    "tune on one half, check on the other.",
)
@click.option(
    "--register",
    is_flag=True,
    help="Record each analyzer's settings and scores in the model registry (<home>/models).",
)
@click.pass_context
def nab(
    ctx: click.Context, data_dir: str, only: tuple[str, ...], half: str | None, register: bool
) -> None:
    """Each analyzer's NAB scores on the three profiles; the last line is JSON."""
    analyzers, models_root = _analyzers(ctx, only)
    registry = ModelRegistry(models_root)
    try:
        corpus = load_corpus(data_dir)
    except NabDataError as exc:
        raise click.ClickException(str(exc)) from exc
    if half:
        corpus = corpus.half(half)
    part = f", {half} half" if half else ""
    table = Table(
        title=f"NAB scores: {len(corpus.files)} files{part}, {corpus.window_count} windows"
    )
    table.add_column("analyzer")
    for profile in PROFILES:
        table.add_column(profile, justify="right")
    table.add_column("seconds", justify="right")
    report: dict[str, Any] = {
        "data": data_dir,
        "half": half,
        "files": len(corpus.files),
        "analyzers": {},
    }
    for name, driver in analyzers.items():
        started = time.perf_counter()
        results = score_detector(corpus, analyzer_scores(corpus, driver))
        elapsed = time.perf_counter() - started
        table.add_row(name, *(f"{r.score:.1f}" for r in results.values()), f"{elapsed:.1f}")
        report["analyzers"][name] = {
            profile: {"score": round(r.score, 2), "threshold": r.threshold}
            for profile, r in results.items()
        }
        if register:
            report["analyzers"][name]["model_version"] = _register(
                registry, name, driver, corpus, results
            )
    Console().print(table)
    click.echo(json.dumps(report))


def _prediction_card(
    registry: ModelRegistry,
    name: str,
    predictor: Predictor,
    training: list[Scenario],
    scores: dict[str, Any],
) -> int:
    """Record a predictor's artefact, seed, training range, settings and scores (its card)."""
    trained_from = trained_to = None
    if training:
        # Generated scenarios count their time in seconds from the epoch.
        trained_from = datetime.fromtimestamp(min(float(s.times[0]) for s in training), UTC)
        trained_to = datetime.fromtimestamp(max(float(s.times[-1]) for s in training), UTC)
    seeds = [s.spec.seed for s in training]
    metrics = {
        f"{key}_{figure}": float(value[figure])
        for key, value in scores.items()
        if key.startswith("degradation@")
        for figure in ("precision", "recall", "f1")
    }
    model = registry.register(
        f"predictor-{name}",
        predictor.artefact(),
        analyzer=name,
        seed=predictor.seed,
        trained_from=trained_from,
        trained_to=trained_to,
        metrics=metrics,
        params={**dict(predictor.params), "training_seeds": seeds},
        description=(
            f"failure predictor {name}; trained on generated scenarios {seeds or 'none'}, "
            "scored on another seed"
        ),
    )
    return model.version


@evaluate.command("prediction")
@click.option("--seed", default=7, show_default=True, help="Seed of the generated scenario.")
@click.option("--days", default=60.0, show_default=True, help="Length of the scenario.")
@click.option("--pons", default=8, show_default=True, help="PONs of 16 ONUs each.")
@click.option("--predictor", "only", multiple=True, help="Only this predictor (repeatable).")
@click.option(
    "--train-scenarios",
    default=2,
    show_default=True,
    type=click.IntRange(0, 20),
    help="Labelled scenarios (seeds SEED+1000, SEED+1001...) that learning predictors train on.",
)
@click.option(
    "--register",
    is_flag=True,
    help="Record each predictor's model card in the model registry (<home>/models).",
)
@click.pass_context
def prediction(
    ctx: click.Context,
    seed: int,
    days: float,
    pons: int,
    only: tuple[str, ...],
    train_scenarios: int,
    register: bool,
) -> None:
    """Each installed predictor on a generated scenario, at 24 h and 72 h lead times.

    Predictors that learn are trained on other seeds' scenarios, never on the one they are
    scored on. The last line is JSON.
    """
    from rjchronos_sdk.prediction import HOUR, installed_predictors, score_alarms
    from rjchronos_sdk.sim.telemetry import ScenarioSpec, generate

    if days < 20 or pons < 1:
        raise click.BadParameter("a scenario needs at least 20 days and one PON")
    installed = installed_predictors()
    unknown = sorted(set(only) - set(installed))
    if unknown:
        raise click.BadParameter(
            f"no predictor {', '.join(unknown)}; installed: {', '.join(installed) or 'none'}",
            param_hint="--predictor",
        )
    try:
        scenario = generate(ScenarioSpec(seed=seed, days=days, pons=pons))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--pons") from exc
    training = [
        generate(ScenarioSpec(seed=seed + 1000 + i, days=days, pons=pons))
        for i in range(train_scenarios)
    ]
    table = Table(title=f"Failure prediction, seed {seed}, {scenario.onu_count} ONUs")
    columns = ("predictor", "fault", "lead h", "failures", "caught", "alarms")
    for column in (*columns, "precision", "recall", "F1", "seconds"):
        left = column in ("predictor", "fault")
        table.add_column(column, justify="left" if left else "right", no_wrap=True)
    report: dict[str, Any] = {"seed": seed, "onus": scenario.onu_count, "predictors": {}}
    kinds = ("degradation", "fiber_cut", "power_outage")
    for name, kind_of_predictor in installed.items():
        if only and name not in only:
            continue
        predictor = kind_of_predictor()
        started = time.perf_counter()
        predictor.fit(training)
        raised = predictor.alarms(scenario.times, scenario.metrics, scenario.pon_of)
        elapsed = time.perf_counter() - started
        alarms = [(scenario.entity(onu), moment) for onu, moment in raised]
        scores: dict[str, Any] = {}
        for kind in kinds:
            failures = [
                (scenario.entity(onu), fault.failure)
                for fault in scenario.faults
                if fault.kind == kind and fault.failure is not None
                for onu in fault.onus
            ]
            for lead in (24, 72):
                score = score_alarms(failures, alarms, lead * HOUR)
                scores[f"{kind}@{lead}h"] = score.as_dict()
                table.add_row(
                    name,
                    kind,
                    str(lead),
                    str(score.failures),
                    str(score.caught),
                    str(score.alarms),
                    f"{score.precision:.3f}",
                    f"{score.recall:.3f}",
                    f"{score.f1:.3f}",
                    f"{elapsed:.1f}",
                )
        entry: dict[str, Any] = {"scores": scores, "seconds": round(elapsed, 2)}
        if register:
            registry = ModelRegistry(_models_root(ctx))
            entry["model_version"] = _prediction_card(registry, name, predictor, training, scores)
        report["predictors"][name] = entry
    Console().print(table)
    click.echo(json.dumps(report))


def _models_root(ctx: click.Context) -> Path:
    from rjchronos.cli.context import settings_from

    return Path(settings_from(ctx).home) / "models"


@ai.group("models")
def models() -> None:
    """The model registry: versioned analyzer artefacts and their metadata."""


@models.command("list")
@click.argument("name", required=False)
@click.pass_context
def list_models(ctx: click.Context, name: str | None) -> None:
    """Every version of NAME (or of every model); the last line is JSON."""
    from rjchronos.cli.context import settings_from

    registry = ModelRegistry(Path(settings_from(ctx).home) / "models")
    try:
        versions = [v for n in ([name] if name else registry.names()) for v in registry.versions(n)]
    except ModelRegistryError as exc:
        raise click.BadParameter(str(exc), param_hint="NAME") from exc
    table = Table(title=f"Models in {registry.root}")
    for column in ("name", "version", "analyzer", "created", "seed", "trained", "metrics"):
        table.add_column(column)
    for v in versions:
        trained = f"{v.trained_from or '?'} .. {v.trained_to or '?'}"
        metrics = ", ".join(f"{k} {value}" for k, value in v.metrics.items())
        table.add_row(v.name, str(v.version), v.analyzer, v.created, str(v.seed), trained, metrics)
    Console().print(table)
    click.echo(json.dumps({"models": [dataclasses.asdict(v) for v in versions]}))
