"""The KPIs as titled tables: what both the PDF and the workbook show, from one source.

Values stay numbers here (the workbook stores them as such); the PDF
formats them in the report's language.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rjchronos_reports.labels import label

Cell = str | float | int | None


@dataclass(frozen=True)
class Section:
    """One KPI table: ``key`` names its sheet, ``chart`` its chart (when it has one)."""

    key: str
    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[Cell]]
    chart: str = ""


def minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60.0, 3)


def sections(kpis: Mapping[str, Any], language: str) -> list[Section]:
    """Every table of a report, in the order the PDF prints them."""

    def t(key: str) -> str:
        return label(key, language)

    availability, sla, incidents = kpis["availability"], kpis["sla"], kpis["incidents"]
    no_region = t("no_region")

    def group(key: str, name: str) -> Section:
        return Section(
            key,
            t(key),
            [t("name"), t("devices"), t("availability_pct"), t("downtime_min")],
            [
                [r["name"] or r["id"], r["devices"], r["availability_percent"],
                 minutes(r["down_seconds"])]
                for r in availability[name]
            ],
            chart=key,
        )  # fmt: skip

    errors = kpis["errors"]
    error_rows: list[list[Cell]] = [["cpe.boot", kpis["reboots"]["total"]]]
    error_rows += [[name, count] for name, count in errors["events"]["by_type"].items()]
    error_rows += [[name, found["total"]] for name, found in errors["metrics"].items()]
    ai = kpis["ai_suggestions"]
    return [
        Section(
            "summary",
            t("summary"),
            [t("kpi"), t("value")],
            [
                [t("network_availability"), availability["network"]["availability_percent"]],
                [t("customers_with_target"), sla["customers_with_target"]],
                [t("sla_breaches"), sla["breached"]],
                [t("incidents"), incidents["total"]],
                [t("mttr"), minutes(incidents["mttr_seconds"])],
                [t("reboots"), kpis["reboots"]["total"]],
            ],
        ),
        Section(
            "sla_breaches",
            t("sla_breaches"),
            [
                t("customer"),
                t("plan"),
                t("target"),
                t("availability_pct"),
                t("shortfall"),
                t("downtime_min"),
            ],
            [
                [
                    b["customer"],
                    b["plan"],
                    b["target_percent"],
                    b["availability_percent"],
                    b["shortfall_percent"],
                    minutes(b["down_seconds"]),
                ]
                for b in sla["breaches"]
            ],
        ),
        Section(
            "availability_customers",
            t("availability_customers"),
            [t("customer"), t("plan"), t("target"), t("availability_pct"), t("downtime_min")],
            [
                [
                    r["name"],
                    r["plan"],
                    r["target_percent"],
                    r["availability_percent"],
                    minutes(r["down_seconds"]),
                ]
                for r in availability["customers"]
            ],
        ),
        group("availability_pons", "pons"),
        group("availability_olts", "olts"),
        group("availability_regions", "regions"),
        Section(
            "incidents_regions",
            t("incidents_regions"),
            [t("region"), t("incidents"), t("recovered"), t("mttr")],
            [
                [
                    r["region"] or no_region,
                    r["incidents"],
                    r["recovered"],
                    minutes(r["mttr_seconds"]),
                ]
                for r in incidents["regions"]
            ],
            chart="incidents_regions",
        ),
        Section(
            "devices_over_time",
            t("devices_over_time"),
            [t("time"), t("online"), t("offline")],
            [[p["time"], p["online"], p["offline"]] for p in kpis["devices_over_time"]["points"]],
            chart="devices_over_time",
        ),
        Section(
            "signal",
            t("signal"),
            [t("rx_range"), t("onus")],
            [[b["range"], b["onus"]] for b in kpis["signal"]["bins"]],
            chart="signal",
        ),
        Section(
            "firmware",
            t("firmware"),
            [t("kind"), t("vendor"), t("model"), t("firmware_version"), t("devices")],
            [
                [f["kind"], f["vendor"], f["model"], f["firmware"], f["devices"]]
                for f in kpis["firmware"]
            ],
            chart="firmware",
        ),
        Section("errors", t("errors"), [t("counter"), t("count")], error_rows),
        Section(
            "ai_suggestions",
            t("ai"),
            [t("kpi"), t("value")],
            [[t("ai"), t("ai_none")]]
            if ai is None
            else [
                [t(f"ai_{key}"), ai[key]]
                for key in (
                    "suggested",
                    "applied",
                    "succeeded",
                    "failed",
                    "rolled_back",
                    "success_rate_percent",
                )
            ],
        ),
    ]
