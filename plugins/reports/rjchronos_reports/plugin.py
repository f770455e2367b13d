"""The hooks of rjchronos-reports: permissions, routes, jobs, settings, the Reports page."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from rjchronos_reports import api, service
from rjchronos_sdk import (
    ApiRoute,
    Kernel,
    MenuItem,
    Panel,
    Permission,
    Schedule,
    TaskHandler,
    hookimpl,
)

PAGE = "/reports"

SETTINGS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "default_sla_percent": {
            "type": ["number", "null"],
            "minimum": 0,
            "maximum": 100,
            "default": None,
            "description": "SLA target of customers whose plan sets none (null: no target)",
        },
        "signal_metrics": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["onu.rx_dbm", "onu.rx_power_dbm"],
            "description": "ONU Rx metrics, the first an ONU reports is used",
        },
        "signal_good_dbm": {"type": "number", "default": -25.0},
        "signal_critical_dbm": {"type": "number", "default": -27.0},
        "error_metrics": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["cpe.wan_errors_received"],
            "description": "counter metrics whose rise over a period is reported",
        },
        "error_events": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["cpe.provisioning_failed"],
            "description": "event types counted as errors",
        },
        "dispatch_seconds": {
            "type": "integer",
            "minimum": 10,
            "default": 60,
            "description": "how often due report schedules are looked for",
        },
    },
}


@hookimpl
def rjc_settings_schema() -> dict[str, Any]:
    return SETTINGS_SCHEMA


@hookimpl
def rjc_migrations() -> str:
    return str(Path(__file__).parent / "migrations" / "versions")


@hookimpl
def rjc_permissions() -> list[Permission]:
    return [
        Permission(api.READ, "See KPIs, reports and report schedules",
                   ("viewer", "operator", "admin")),
        Permission(api.MANAGE, "Generate reports and manage report schedules",
                   ("operator", "admin")),
    ]  # fmt: skip


@hookimpl
def rjc_api_routes(kernel: Kernel) -> list[ApiRoute]:
    return api.routes()


@hookimpl
def rjc_task_handlers(kernel: Kernel) -> list[TaskHandler]:
    return [
        TaskHandler(service.GENERATE, service.generate, max_attempts=2, timeout=600),
        TaskHandler(service.RUN_SCHEDULE, service.run_schedule, max_attempts=3, timeout=1200),
        TaskHandler(service.DISPATCH, service.dispatch, max_attempts=1, timeout=60),
    ]


@hookimpl
def rjc_schedules(kernel: Kernel) -> list[Schedule]:
    every = int(kernel.plugin_settings("reports").get("dispatch_seconds", 60))
    return [Schedule(service.DISPATCH, service.DISPATCH, every=timedelta(seconds=every))]


@hookimpl
def rjc_menu_items(kernel: Kernel) -> list[MenuItem]:
    return [MenuItem("reports", "KPIs", PAGE, api.READ, labels={"pt-BR": "Indicadores"})]


@hookimpl
def rjc_ui_panels(kernel: Kernel) -> list[Panel]:
    return [
        Panel("reports.kpis", PAGE, "KPIs (last 24 hours)", "table", api.READ,
              api="/reports/kpi-table", titles={"pt-BR": "Indicadores (últimas 24 horas)"},
              options={"columns": ["kpi", "value"]}),
        Panel("reports.list", PAGE, "Reports", "table", api.READ, api="/reports",
              titles={"pt-BR": "Relatórios"},
              options={"columns": ["created_at", "format", "language", "from", "to", "status",
                                   "download"]}, order=110),
        Panel("reports.schedules", PAGE, "Report schedules", "table", api.READ,
              api="/report-schedules", titles={"pt-BR": "Agendamentos de relatórios"},
              options={"columns": ["name", "frequency", "formats", "language", "next_run_at"]},
              order=120),
    ]  # fmt: skip
