"""The workbook of a report: one sheet per KPI, numbers stored as numbers, native charts."""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from rjchronos_reports.labels import label
from rjchronos_reports.sections import Section, sections

#: Sheet names are at most 31 characters: the section keys are.
BAR_VALUE_COLUMN = {
    "availability_pons": 3,
    "availability_olts": 3,
    "availability_regions": 3,
    "incidents_regions": 2,
    "signal": 2,
    "firmware": 5,
}


def _sheet(workbook: Workbook, section: Section) -> Worksheet:
    sheet = workbook.create_sheet(section.key)
    sheet.append([section.title])
    sheet["A1"].font = Font(bold=True, size=12)
    sheet.append(list(section.headers))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in section.rows:
        sheet.append(list(row))
    for index, header in enumerate(section.headers, start=1):
        sheet.column_dimensions[chr(64 + index)].width = max(12, len(header) + 2)
    return sheet


def _chart(sheet: Worksheet, section: Section) -> None:
    last = 2 + len(section.rows)
    if not section.rows:
        return
    chart: BarChart | LineChart
    if section.key == "devices_over_time":
        chart = LineChart()
        chart.add_data(Reference(sheet, min_col=2, max_col=3, min_row=2, max_row=last),
                       titles_from_data=True)  # fmt: skip
    elif section.key in BAR_VALUE_COLUMN:
        column = BAR_VALUE_COLUMN[section.key]
        chart = BarChart()
        chart.add_data(Reference(sheet, min_col=column, min_row=2, max_row=last),
                       titles_from_data=True)  # fmt: skip
    else:
        return
    chart.set_categories(Reference(sheet, min_col=1, min_row=3, max_row=last))
    chart.title = section.title
    chart.width, chart.height = 18, 8
    sheet.add_chart(chart, f"{chr(65 + len(section.headers) + 1)}2")


def render(kpis: Mapping[str, Any], language: str, generated_at: datetime) -> bytes:
    """The report as XLSX bytes."""
    workbook = Workbook()
    cover = workbook.active
    assert cover is not None
    cover.title = "report"
    period = kpis["period"]
    cover.append([label("title", language)])
    cover["A1"].font = Font(bold=True, size=14)
    cover.append([label("period", language), period["from"], period["to"]])
    cover.append([label("generated", language), generated_at.isoformat(timespec="seconds")])
    cover.column_dimensions["A"].width = 24
    cover.column_dimensions["B"].width = 28
    cover.column_dimensions["C"].width = 28
    for section in sections(kpis, language):
        _chart(_sheet(workbook, section), section)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
