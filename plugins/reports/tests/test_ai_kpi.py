"""The AI suggestions KPI: the period's suggestions, how many were applied and how they ended."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from report_testkit import Scenario

from rjchronos.ai.models import AiAction


def _record(kernel: Any, scenario: Scenario) -> None:
    inside = scenario.start + timedelta(days=2)
    rows = [
        ("succeeded", inside), ("succeeded", inside), ("rolled_back", inside),
        ("suggested", inside), ("succeeded", scenario.start - timedelta(days=1)),
    ]  # fmt: skip
    with kernel.db.session() as session:
        for status, created in rows:
            executed = None if status == "suggested" else created + timedelta(minutes=1)
            session.add(
                AiAction(
                    kind="wifi.change_channel",
                    status=status,
                    created_at=created,
                    executed_at=executed,
                )
            )
        session.commit()


def test_the_period_s_ai_suggestions_and_their_success_rate(
    reports_kernel: Any, scenario: Scenario, rjc_client_factory: Any
) -> None:
    client = rjc_client_factory("viewer", kernel=reports_kernel)
    period = {"from": scenario.start.isoformat(), "to": scenario.end.isoformat()}
    assert client.get("/api/v1/reports/kpis", params=period).json()["ai_suggestions"] is None

    _record(reports_kernel, scenario)
    found = client.get("/api/v1/reports/kpis", params=period).json()["ai_suggestions"]
    assert found == {
        "suggested": 4, "applied": 3, "succeeded": 2, "failed": 0, "rolled_back": 1,
        "success_rate_percent": 66.7,
    }  # fmt: skip
    rows = client.get("/api/v1/reports/kpi-table", params=period)
    assert rows.status_code == 200, rows.text
    values = {row["kpi"]: row["value"] for row in rows.json()["items"]}
    assert (values["ai_suggestions_applied"], values["ai_success_rate_percent"]) == (3, 66.7)
