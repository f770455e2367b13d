"""The hooks of rjchronos-analyze-torch: its analyzer, declared to the catalog.

The analyzer and the predictor themselves come through the ``rjchronos.analyzers``
and ``rjchronos.predictors`` entry points in pyproject.toml. Nothing here imports torch.
"""

from __future__ import annotations

from rjchronos_sdk import AnalyzerSpec, Kernel, hookimpl

PLUGIN = "analyze-torch"


@hookimpl
def rjc_analyzers(kernel: Kernel) -> list[AnalyzerSpec]:
    return [
        AnalyzerSpec(
            "torch",
            mode="streaming",
            description="Forecast error of a small neural network retrained on each series' past",
            expensive=True,
        )
    ]
