"""PNG charts of a report, drawn with matplotlib's Agg canvas (no display, no pyplot state).

Series colours are fixed so a rendered page can be checked for its charts.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from matplotlib import dates
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from rjchronos_reports.labels import label

ONLINE = "#2ca02c"
OFFLINE = "#d62728"
BARS = "#1f77b4"
SIZE = (7.0, 3.2)
DPI = 110


def _png(figure: Figure) -> bytes:
    figure.tight_layout()
    buffer = io.BytesIO()
    FigureCanvasAgg(figure).print_png(buffer)
    return buffer.getvalue()


def _short(name: str, most: int = 24) -> str:
    """A tick label: names differ at their end (``OLT-1 0/1/0``), so the end is kept."""
    return name if len(name) <= most else "…" + name[-(most - 1) :]


def _bars(title: str, names: list[str], values: list[float], ylabel: str) -> bytes:
    figure = Figure(figsize=SIZE, dpi=DPI)
    axes = figure.add_subplot()
    positions = list(range(len(names)))
    axes.bar(positions, values, color=BARS)
    axes.set_xticks(positions, [_short(n) for n in names], rotation=30, ha="right", fontsize=7)
    axes.set_title(title, fontsize=10)
    axes.set_ylabel(ylabel, fontsize=8)
    axes.grid(axis="y", alpha=0.3)
    return _png(figure)


def _availability(kpis: Mapping[str, Any], name: str, title: str, language: str) -> bytes | None:
    rows = [r for r in kpis["availability"][name] if r["availability_percent"] is not None]
    if not rows:
        return None
    png = _bars(
        title,
        [r["name"] or r["id"] for r in rows],
        [r["availability_percent"] for r in rows],
        label("availability_pct", language),
    )
    return png


def _over_time(kpis: Mapping[str, Any], language: str) -> bytes | None:
    points = kpis["devices_over_time"]["points"]
    if not points:
        return None
    times = [dates.date2num(datetime.fromisoformat(p["time"])) for p in points]
    figure = Figure(figsize=SIZE, dpi=DPI)
    axes = figure.add_subplot()
    axes.plot(
        times,
        [p["online"] for p in points],
        color=ONLINE,
        linewidth=2.5,
        label=label("online", language),
    )
    axes.plot(times, [p["offline"] for p in points], color=OFFLINE, linewidth=2.5,
              label=label("offline", language))  # fmt: skip
    axes.xaxis_date()
    axes.set_title(label("devices_over_time", language), fontsize=10)
    axes.legend(fontsize=8)
    axes.grid(alpha=0.3)
    figure.autofmt_xdate()
    return _png(figure)


def charts(kpis: Mapping[str, Any], language: str) -> dict[str, bytes]:
    """The PNG of each chart the data allows, by the key of the section it illustrates."""
    drawn: dict[str, bytes | None] = {
        "availability_regions": _availability(
            kpis, "regions", label("availability_regions", language), language
        ),
        "availability_olts": _availability(
            kpis, "olts", label("availability_olts", language), language
        ),
        "availability_pons": _availability(
            kpis, "pons", label("availability_pons", language), language
        ),
        "devices_over_time": _over_time(kpis, language),
    }
    regions = kpis["incidents"]["regions"]
    if regions:
        drawn["incidents_regions"] = _bars(
            label("incidents_regions", language),
            [r["region"] or label("no_region", language) for r in regions],
            [r["incidents"] for r in regions],
            label("incidents", language),
        )
    signal = kpis["signal"]
    if signal["onus"]:
        drawn["signal"] = _bars(
            label("signal", language),
            [b["range"] for b in signal["bins"]],
            [b["onus"] for b in signal["bins"]],
            label("onus", language),
        )
    firmware = kpis["firmware"][:10]
    if firmware:
        drawn["firmware"] = _bars(
            label("firmware", language),
            [f"{f['model']} {f['firmware']}".strip() for f in firmware],
            [f["devices"] for f in firmware],
            label("devices", language),
        )
    return {key: png for key, png in drawn.items() if png is not None}
