"""The hooks of rjchronos-analyze-baseline: its analyzers and the ``rjchronos ai`` command.

The analyzers themselves come through the ``rjchronos.analyzers`` entry
points in pyproject.toml.
"""

from __future__ import annotations

import click

from rjchronos_sdk import AnalyzerSpec, Kernel, hookimpl

PLUGIN = "analyze-baseline"


@hookimpl
def rjc_analyzers(kernel: Kernel) -> list[AnalyzerSpec]:
    return [
        AnalyzerSpec(
            "baseline",
            mode="streaming",
            description="Median/MAD, EWMA, hour-of-week and CUSUM surprise of each sample",
        )
    ]


@hookimpl
def rjc_cli_commands() -> list[click.Command]:
    from rjchronos_analyze_baseline.commands import ai

    return [ai]
