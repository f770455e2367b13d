"""The Grafana dashboards in deploy/grafana: their shape, and every metric they chart exists."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DASHBOARDS = sorted((ROOT / "deploy" / "grafana").glob("*.json"))
METRIC = re.compile(r"\b(rjc_[a-z_]+)")
SUFFIXES = ("_bucket", "_count", "_sum", "_total", "_created")


def _family(name: str) -> str:
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def registered(kernel: Any) -> set[str]:
    """The metric families a kernel with the ACS and OLT plugins exposes."""
    from rjchronos_acs_tr069.server import build_app
    from rjchronos_olt_manager.collector import collection_seconds

    build_app(kernel)  # the ACS registers its series when its listener is built
    collection_seconds(kernel)
    text = kernel.metrics.exposition().decode()
    return {_family(m) for m in re.findall(r"^# TYPE (\S+)", text, re.MULTILINE)}


def test_there_are_dashboards() -> None:
    assert {d.name for d in DASHBOARDS} >= {
        "rjchronos-overview.json",
        "rjchronos-acs.json",
        "rjchronos-olt.json",
        "rjchronos-jobs-alerts.json",
    }


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_dashboard_is_grafana_shaped_and_charts_only_real_metrics(
    path: Path, rjc_kernel_factory: Any
) -> None:
    board = json.loads(path.read_text())
    assert board["uid"] and board["title"].startswith("RJChronos")
    assert board["schemaVersion"] >= 36
    assert {"name": "datasource", "type": "datasource"}.items() <= board["templating"]["list"][
        0
    ].items()
    ids = [panel["id"] for panel in board["panels"]]
    assert len(ids) == len(set(ids)) and ids
    kernel = rjc_kernel_factory(entrypoints=["acs-tr069", "olt-manager"])
    known = registered(kernel)
    for panel in board["panels"]:
        assert panel["type"] in {"timeseries", "stat", "gauge", "table"}
        assert {"x", "y", "w", "h"} <= panel["gridPos"].keys()
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            names = {_family(m) for m in METRIC.findall(target["expr"])}
            assert names, target["expr"]
            assert names <= known, f"{path.name}: {panel['title']}: {names - known} not exposed"
