"""Reports on demand, schedules' CRUD, permissions (401/403), audit and the Reports page."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from report_testkit import Scenario

from rjchronos_reports.labels import number


def _period(scenario: Scenario) -> dict[str, str]:
    return {"from": scenario.start.isoformat(), "to": scenario.end.isoformat()}


def test_on_demand_reports_in_portuguese(
    reports_kernel: Any, scenario: Scenario, rjc_client_factory: Any, tmp_path: Path
) -> None:
    operator = rjc_client_factory("operator", kernel=reports_kernel)
    kpis = operator.get("/api/v1/reports/kpis", params=_period(scenario)).json()
    ids = {}
    for fmt in ("pdf", "xlsx"):
        response = operator.post(
            "/api/v1/reports", json={"format": fmt, "language": "pt-BR", **_period(scenario)}
        )
        assert response.status_code == 202, response.text
        ids[fmt] = response.json()["id"]
        state = operator.get(f"/api/v1/reports/{ids[fmt]}").json()
        assert state["status"] == "done" and state["language"] == "pt-BR"

    viewer = rjc_client_factory("viewer", kernel=reports_kernel)
    pdf = viewer.get(f"/api/v1/reports/{ids['pdf']}/download")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert "attachment;" in pdf.headers["content-disposition"]
    source = tmp_path / "r.pdf"
    source.write_bytes(pdf.content)
    text = subprocess.run(
        ["pdftotext", "-layout", str(source), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "Relatório de rede e SLA" in text and "Violações de SLA" in text
    network = kpis["availability"]["network"]["availability_percent"]
    assert number(network, "pt-BR") in text and "," in number(network, "pt-BR")

    workbook = viewer.get(f"/api/v1/reports/{ids['xlsx']}/download")
    book = load_workbook(io.BytesIO(workbook.content))
    assert book["summary"]["A1"].value == "Resumo"
    summary = {r[0]: r[1] for r in book["summary"].iter_rows(min_row=3, values_only=True)}
    assert summary["Disponibilidade da rede (ONUs)"] == network

    audit = rjc_client_factory("admin", kernel=reports_kernel).get(
        "/api/v1/audit", params={"action": "reports.create"}
    )
    assert len(audit.json()["items"]) == 2


def test_bad_report_requests(reports_kernel: Any, rjc_client_factory: Any) -> None:
    operator = rjc_client_factory("operator", kernel=reports_kernel)
    response = operator.post(
        "/api/v1/reports",
        json={"format": "docx", "from": "2024-05-01T00:00:00Z", "to": "2024-05-02T00:00:00Z"},
    )
    assert response.status_code == 422
    assert response.json()["invalid_params"][0]["name"] == "body.format"
    response = operator.post(
        "/api/v1/reports",
        json={"format": "pdf", "from": "2024-05-01T00:00:00", "to": "2024-05-02T00:00:00Z"},
    )
    assert response.status_code == 422
    assert response.json()["invalid_params"][0]["name"] == "body.from"
    assert operator.get("/api/v1/reports").json()["items"] == []
    assert operator.get("/api/v1/reports/01NOSUCHREPORT/download").status_code == 404


def test_schedules_crud(reports_kernel: Any, rjc_client_factory: Any) -> None:
    operator = rjc_client_factory("operator", kernel=reports_kernel)
    bad = operator.post(
        "/api/v1/report-schedules",
        json={"name": "x", "frequency": "weekly", "channel_ids": ["01NOSUCHCHANNEL"]},
    )
    assert bad.status_code == 422
    assert bad.json()["invalid_params"][0]["name"] == "body.channel_ids.0"
    bad = operator.post(
        "/api/v1/report-schedules",
        json={"name": "x", "frequency": "weekly", "timezone": "Mars/Olympus"},
    )
    assert bad.json()["invalid_params"][0]["name"] == "body.timezone"
    bad = operator.post("/api/v1/report-schedules", json={"name": "x", "frequency": "hourly"})
    assert bad.json()["invalid_params"][0]["name"] == "body.frequency"
    assert operator.get("/api/v1/report-schedules").json()["items"] == []

    created = operator.post(
        "/api/v1/report-schedules",
        json={"name": "monthly", "frequency": "monthly", "timezone": "America/Sao_Paulo"},
    )
    assert created.status_code == 201, created.text
    schedule = created.json()
    assert schedule["formats"] == ["pdf", "xlsx"] and schedule["language"] == "pt-BR"
    # The first of next month at midnight in São Paulo (UTC-3).
    assert schedule["next_run_at"].endswith("T03:00:00+00:00")
    assert schedule["next_run_at"][8:10] == "01"
    again = operator.post(
        "/api/v1/report-schedules", json={"name": "monthly", "frequency": "daily"}
    )
    assert again.status_code == 409

    changed = operator.patch(
        f"/api/v1/report-schedules/{schedule['id']}",
        json={"frequency": "daily", "timezone": "UTC", "enabled": False},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["next_run_at"].endswith("T00:00:00+00:00")
    assert changed.json()["enabled"] is False
    assert operator.delete(f"/api/v1/report-schedules/{schedule['id']}").status_code == 204
    assert operator.get(f"/api/v1/report-schedules/{schedule['id']}").status_code == 404
    actions = [
        entry["action"]
        for entry in rjc_client_factory("admin", kernel=reports_kernel)
        .get("/api/v1/audit", params={"limit": 50})
        .json()["items"]
    ]
    for action in ("schedule_create", "schedule_update", "schedule_delete"):
        assert f"reports.{action}" in actions


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/v1/reports/kpis", None),
        ("GET", "/api/v1/reports", None),
        ("POST", "/api/v1/reports", {"format": "pdf", "from": "2024-05-01T00:00:00Z",
                                     "to": "2024-05-02T00:00:00Z"}),
        ("GET", "/api/v1/reports/01ANY/download", None),
        ("GET", "/api/v1/report-schedules", None),
        ("POST", "/api/v1/report-schedules", {"name": "n", "frequency": "daily"}),
        ("PATCH", "/api/v1/report-schedules/01ANY", {"enabled": False}),
        ("DELETE", "/api/v1/report-schedules/01ANY", None),
        ("POST", "/api/v1/report-schedules/01ANY/run", None),
    ],
)  # fmt: skip
def test_permissions(
    reports_kernel: Any, rjc_client_factory: Any, method: str, path: str, body: Any
) -> None:
    anonymous = rjc_client_factory(None, kernel=reports_kernel)
    assert anonymous.request(method, path, json=body).status_code == 401
    viewer = rjc_client_factory("viewer", kernel=reports_kernel)
    status = viewer.request(method, path, json=body).status_code
    if method == "GET":
        assert status != 403  # viewers read KPIs and reports
    else:
        assert status == 403  # only operators and admins change anything


def test_reports_page_in_the_menu(reports_kernel: Any, rjc_client_factory: Any) -> None:
    manifest = rjc_client_factory("viewer", kernel=reports_kernel).get("/api/v1/ui/manifest")
    body = manifest.json()
    [menu] = [m for m in body["menus"] if m["id"] == "reports"]
    assert "/reports" in [i["path"] for i in menu["items"]]
    panels = {p["id"]: p for p in body["panels"]}
    kpis = panels["reports.kpis"]
    assert kpis["kind"] == "table" and kpis["slot"] == "/reports"
    rows = rjc_client_factory("viewer", kernel=reports_kernel).get(
        "/api/v1" + panels["reports.kpis"]["api"]
    )
    assert {row["kpi"] for row in rows.json()["items"]} >= {"sla_breaches", "mttr_minutes"}


def test_run_a_schedule_now(
    reports_kernel: Any, scenario: Scenario, rjc_client_factory: Any
) -> None:
    """The last whole week at once; asking again finds that run instead of doubling it."""
    operator = rjc_client_factory("operator", kernel=reports_kernel)
    schedule = operator.post(
        "/api/v1/report-schedules",
        json={"name": "weekly", "frequency": "weekly", "formats": ["xlsx"], "language": "en"},
    ).json()
    first = operator.post(f"/api/v1/report-schedules/{schedule['id']}/run")
    assert first.status_code == 202, first.text
    again = operator.post(f"/api/v1/report-schedules/{schedule['id']}/run")
    assert again.status_code == 202
    job = reports_kernel.jobs.get(again.json()["job"])
    assert (
        job.status == "done"
        and job.result["reports"]
        == (reports_kernel.jobs.get(first.json()["job"]).result["reports"])
    )
    [report] = operator.get("/api/v1/reports").json()["items"]
    assert (report["from"], report["to"]) == (scenario.start.isoformat(), scenario.end.isoformat())
    assert report["status"] == "done" and report["schedule_id"] == schedule["id"]
    viewer = rjc_client_factory("viewer", kernel=reports_kernel)
    assert viewer.post(f"/api/v1/report-schedules/{schedule['id']}/run").status_code == 403


def test_a_report_that_cannot_be_rendered_says_why(
    reports_kernel: Any, rjc_client_factory: Any
) -> None:
    from datetime import UTC, datetime

    from rjchronos_reports import service

    # A period that ends before it starts cannot come through the API; a row written so fails.
    moment = datetime(2024, 5, 1, tzinfo=UTC)
    report_id = service.request_report(
        reports_kernel, "pdf", "en", moment, moment, created_by="test", enqueue=False
    )
    job = reports_kernel.jobs.enqueue(service.GENERATE, {"report": report_id})
    assert reports_kernel.jobs.get(job).status == "failed"
    viewer = rjc_client_factory("viewer", kernel=reports_kernel)
    state = viewer.get(f"/api/v1/reports/{report_id}").json()
    assert state["status"] == "failed" and "must end after it starts" in state["error"]
    download = viewer.get(f"/api/v1/reports/{report_id}/download")
    assert download.status_code == 409 and "must end after it starts" in download.text
