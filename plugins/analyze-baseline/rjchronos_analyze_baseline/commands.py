"""``rjchronos ai``: evaluate the installed analyzers on the Numenta Anomaly Benchmark."""

from __future__ import annotations

import json
import time
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from rjchronos_sdk.nab import PROFILES, NabDataError, analyzer_scores, load_corpus, score_detector

ANALYZERS = "rjchronos.analyzers"


@click.group("ai")
def ai() -> None:
    """Analyzers: evaluation and failure prediction."""


@ai.group("eval")
def evaluate() -> None:
    """Score analyzers on labelled benchmarks."""


def _analyzers(ctx: click.Context, only: tuple[str, ...]) -> dict[str, Any]:
    from rjchronos.cli.context import open_kernel, settings_from

    with open_kernel(settings_from(ctx)) as kernel:
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
    return {name: driver for name, driver in installed.items() if not only or name in only}


@evaluate.command("nab")
@click.option(
    "--data",
    "data_dir",
    required=True,
    type=click.Path(exists=True, file_okay=False),
    help="A directory in NAB's layout: data/<category>/*.csv and labels/combined_windows.json.",
)
@click.option("--analyzer", "only", multiple=True, help="Evaluate only this analyzer (repeatable).")
@click.pass_context
def nab(ctx: click.Context, data_dir: str, only: tuple[str, ...]) -> None:
    """Each analyzer's NAB scores on the three profiles; the last line is JSON."""
    analyzers = _analyzers(ctx, only)
    try:
        corpus = load_corpus(data_dir)
    except NabDataError as exc:
        raise click.ClickException(str(exc)) from exc
    table = Table(title=f"NAB scores: {len(corpus.files)} files, {corpus.window_count} windows")
    table.add_column("analyzer")
    for profile in PROFILES:
        table.add_column(profile, justify="right")
    table.add_column("seconds", justify="right")
    report: dict[str, Any] = {"data": data_dir, "files": len(corpus.files), "analyzers": {}}
    for name, driver in analyzers.items():
        started = time.perf_counter()
        results = score_detector(corpus, analyzer_scores(corpus, driver))
        elapsed = time.perf_counter() - started
        table.add_row(name, *(f"{r.score:.1f}" for r in results.values()), f"{elapsed:.1f}")
        report["analyzers"][name] = {
            profile: {"score": round(r.score, 2), "threshold": r.threshold}
            for profile, r in results.items()
        }
    Console().print(table)
    click.echo(json.dumps(report))
