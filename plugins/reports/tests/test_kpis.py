"""GET /api/v1/reports/kpis over the demo week: each KPI against what the week holds."""

from __future__ import annotations

from typing import Any

import pytest
from report_testkit import DAY, WEEK, Scenario

from rjchronos_sdk.lab import PLANS, SUBSCRIBERS


def _kpis(client: Any, scenario: Scenario) -> dict[str, Any]:
    response = client.get(
        "/api/v1/reports/kpis",
        params={"from": scenario.start.isoformat(), "to": scenario.end.isoformat()},
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_availability_and_sla_breaches(
    reports_kernel: Any, scenario: Scenario, rjc_client_factory: Any
) -> None:
    kpis = _kpis(rjc_client_factory("viewer", kernel=reports_kernel), scenario)
    week_hours = WEEK.total_seconds() / 3600
    by_name = {c["name"]: c for c in kpis["availability"]["customers"]}
    expected_breaches = set()
    for subscriber in SUBSCRIBERS:
        row = by_name[subscriber.name]
        down = scenario.down_hours[subscriber.external_id]
        expected = 100 * (week_hours - down) / week_hours
        assert row["availability_percent"] == pytest.approx(expected, abs=1e-3)
        assert row["down_seconds"] == pytest.approx(down * 3600)
        target = PLANS[subscriber.plan]["plan_sla_percent"]
        assert row["target_percent"] == target
        if expected < target:
            expected_breaches.add(subscriber.name)
    assert expected_breaches  # the week has breaches to list
    breaches = kpis["sla"]["breaches"]
    assert {b["customer"] for b in breaches} == expected_breaches
    assert kpis["sla"]["customers_with_target"] == len(SUBSCRIBERS)
    assert kpis["sla"]["met"] == len(SUBSCRIBERS) - len(expected_breaches)
    # Largest shortfall first.
    shortfalls = [b["shortfall_percent"] for b in breaches]
    assert shortfalls == sorted(shortfalls, reverse=True)

    total_down = sum(scenario.down_hours.values())
    onus = len(SUBSCRIBERS)
    network = kpis["availability"]["network"]
    assert network["availability_percent"] == pytest.approx(
        100 * (onus * week_hours - total_down) / (onus * week_hours), abs=1e-3
    )
    [olt] = kpis["availability"]["olts"]
    assert olt["devices"] == onus and olt["down_seconds"] == pytest.approx(total_down * 3600)
    assert {p["devices"] for p in kpis["availability"]["pons"]} == {4}
    assert sum(p["down_seconds"] for p in kpis["availability"]["pons"]) == pytest.approx(
        total_down * 3600
    )
    [region] = kpis["availability"]["regions"]
    assert region["name"] == "Zona Sul"
    assert kpis["availability"]["source"] == "device.status_changed"


def test_incidents_events_telemetry_and_inventory(
    reports_kernel: Any, scenario: Scenario, rjc_client_factory: Any
) -> None:
    viewer = rjc_client_factory("viewer", kernel=reports_kernel)
    kpis = _kpis(viewer, scenario)
    incidents = kpis["incidents"]
    assert incidents["total"] == 3 and incidents["recovered"] == 2
    assert incidents["by_kind"] == {"fiber": 1, "link": 1, "power": 1}
    assert incidents["mttr_seconds"] == pytest.approx((30 + 90) / 2 * 60)
    regions = {r["region"]: r for r in incidents["regions"]}
    assert regions["Zona Sul"] == {
        "region": "Zona Sul", "incidents": 2, "recovered": 2, "mttr_seconds": 3600.0
    }  # fmt: skip
    assert regions[""]["mttr_seconds"] is None and regions[""]["incidents"] == 1

    assert kpis["reboots"]["total"] == scenario.reboots
    assert kpis["reboots"]["top"][0]["device_id"] == scenario.routers["DEMO-0001"]
    busiest = viewer.get(f"/api/v1/devices/{scenario.routers['DEMO-0001']}").json()
    assert kpis["reboots"]["top"][0]["serial"] == busiest["serial"] != ""
    assert kpis["errors"]["metrics"]["cpe.wan_errors_received"]["total"] == pytest.approx(
        scenario.wan_error_rise
    )

    signal = kpis["signal"]
    assert signal["onus"] == len(SUBSCRIBERS)  # the lab's day of Rx lies in the week
    assert sum(b["onus"] for b in signal["bins"]) == len(SUBSCRIBERS)
    assert signal["good"] + signal["warning"] + signal["critical"] == len(SUBSCRIBERS)

    firmware = {(f["kind"], f["firmware"]): f["devices"] for f in kpis["firmware"]}
    assert firmware[("onu", "V5R019C10S125")] == 2

    points = kpis["devices_over_time"]["points"]
    assert len(points) == 28  # a week at six-hour steps
    # At the week's start two ONUs were down (LOS and offline), everything else up.
    assert points[0]["offline"] == 2
    assert points[-1]["offline"] == 0
    assert kpis["ai_suggestions"] is None


def test_bad_period_names_the_parameter(reports_kernel: Any, rjc_client_factory: Any) -> None:
    client = rjc_client_factory("viewer", kernel=reports_kernel)
    response = client.get("/api/v1/reports/kpis", params={"from": "yesterday"})
    assert response.status_code == 422
    assert response.json()["invalid_params"][0]["name"] == "query.from"
    response = client.get(
        "/api/v1/reports/kpis",
        params={"from": "2024-05-02T00:00:00Z", "to": "2024-05-01T00:00:00Z"},
    )
    assert response.status_code == 422
    assert response.json()["invalid_params"][0]["name"] == "query.to"


def test_a_quiet_period_takes_the_status_from_what_came_after(
    reports_kernel: Any, scenario: Scenario, rjc_client_factory: Any
) -> None:
    # Ricardo's ONU was offline until day 6 and is online now: over the first two days, with no
    # transition of his within them, it was offline the whole time.
    client = rjc_client_factory("viewer", kernel=reports_kernel)
    end = scenario.start + 2 * DAY
    response = client.get(
        "/api/v1/reports/kpis", params={"from": scenario.start.isoformat(), "to": end.isoformat()}
    )
    customers = {c["name"]: c for c in response.json()["availability"]["customers"]}
    ricardo = next(s.name for s in SUBSCRIBERS if s.external_id == "DEMO-0008")
    assert customers[ricardo]["availability_percent"] == 0.0
    assert customers[ricardo]["down_seconds"] == (2 * DAY).total_seconds()


def test_only_the_sections_asked_for(
    reports_kernel: Any, scenario: Scenario, rjc_client_factory: Any
) -> None:
    viewer = rjc_client_factory("viewer", kernel=reports_kernel)
    every = _kpis(viewer, scenario)
    period = {"from": scenario.start.isoformat(), "to": scenario.end.isoformat()}
    answer = viewer.get(
        "/api/v1/reports/kpis", params={**period, "sections": "sla,incidents,reboots"}
    )
    assert answer.status_code == 200, answer.text
    some = answer.json()
    assert set(some) == {"period", "sla", "incidents", "reboots"}
    for section in ("period", "sla", "incidents", "reboots"):
        assert some[section] == every[section], section
    bad = viewer.get("/api/v1/reports/kpis", params={**period, "sections": "sla,weather"})
    assert bad.status_code == 422
    assert bad.json()["invalid_params"][0]["name"].startswith("query.sections")
