"""The PDF of a report: reportlab pages with the matplotlib charts embedded as PNG.

Page 1 holds the summary and the devices online/offline chart; each KPI
follows with its chart (when it has one) and its table.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import (
    CondPageBreak,
    Image,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from rjchronos_reports.charts import SIZE, charts
from rjchronos_reports.labels import label, number
from rjchronos_reports.sections import Cell, Section, sections

CHART_WIDTH = 17 * cm
_TABLE_STYLE = TableStyle(
    [
        ("FONT", (0, 0), (-1, -1), "Helvetica", 8),
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef7")),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#b0b8c4")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
)


def _text(value: Cell, language: str) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return number(value, language)
    return str(value)


def _table(section: Section, language: str) -> Table:
    data = [list(section.headers)]
    data += [[_text(cell, language) for cell in row] for row in section.rows]
    if len(data) == 1:
        data.append([label("none", language)] + [""] * (len(section.headers) - 1))
    table = Table(data, repeatRows=1, hAlign="LEFT")
    table.setStyle(_TABLE_STYLE)
    return table


def _chart(png: bytes) -> Image:
    width, height = SIZE
    return Image(io.BytesIO(png), width=CHART_WIDTH, height=CHART_WIDTH * height / width)


def render(kpis: Mapping[str, Any], language: str, generated_at: datetime) -> bytes:
    """The report as PDF bytes."""
    styles = getSampleStyleSheet()
    pictures = charts(kpis, language)
    period = kpis["period"]
    story: list[Any] = [
        Paragraph(label("title", language), styles["Title"]),
        Paragraph(f"{label('period', language)}: {period['from']} — {period['to']}",
                  styles["Normal"]),
        Paragraph(f"{label('generated', language)}: {generated_at.isoformat(timespec='seconds')}",
                  styles["Normal"]),
        Spacer(1, 0.4 * cm),
    ]  # fmt: skip
    tables = sections(kpis, language)
    summary, rest = tables[0], tables[1:]
    story += [Paragraph(summary.title, styles["Heading2"]), _table(summary, language)]
    if "devices_over_time" in pictures:
        story += [Spacer(1, 0.4 * cm), _chart(pictures["devices_over_time"])]
    story.append(PageBreak())
    for section in rest:
        # A heading stays with its chart, or with the start of its table.
        head: list[Any] = [Paragraph(section.title, styles["Heading2"])]
        if section.chart in pictures and section.chart != "devices_over_time":
            head.append(_chart(pictures[section.chart]))
        story += [CondPageBreak(4 * cm), KeepTogether(head), _table(section, language)]
        story.append(Spacer(1, 0.5 * cm))
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=2 * cm,
        rightMargin=2 * cm,
        topMargin=1.5 * cm,
        bottomMargin=1.5 * cm,
        title=label("title", language),
        author="RJChronos",
        lang=language,
    )
    document.build(story)
    return buffer.getvalue()
