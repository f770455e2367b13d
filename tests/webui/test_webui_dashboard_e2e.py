"""End to end: the dashboard's overview, network performance, CPE health and SLA cards in
headless Debian chromium against a real `rjchronos demo` (the fixtures of ``conftest.py``:
SQLite, four simulated CPEs, no console errors allowed, screenshots under
``test-results/webui``).

Each card shows the figures of the period the page asked for (``data-from``/``data-to``,
``data-start``/``data-end``); the test asks the API for the same period and compares every
number: failure rate, main links, critical alerts, optical signal per OLT, reboots, MTTR,
incidents per region, SLA breaches, availability and the ticket evolution.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from .kit import (
    FLEET,
    STARTUP_SECONDS,
    TASK_SECONDS,
    Demo,
    critical_violations,
    eventually,
    fleet_cpe,
    shot,
)

#: The names ONU Rx is stored under, the collector's first (as the dashboard and map read them).
RX_METRICS = ("onu.rx_dbm", "onu.rx_power_dbm")


def _value(locator: Any) -> float | None:
    """A cell's ``data-value`` as a number (``None`` when empty)."""
    raw = locator.get_attribute("data-value")
    return None if raw in (None, "") else float(raw)


def _same(shown: float | None, expected: float | None) -> bool:
    if shown is None or expected is None:
        return shown is expected
    return math.isclose(shown, expected, rel_tol=1e-9, abs_tol=1e-9)


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _last_day(seconds_ago: float) -> dict[str, str]:
    """``from`` and ``to`` of the 24 hours that ended ``seconds_ago``."""
    end = datetime.now(UTC) - timedelta(seconds=seconds_ago)
    return {"from": (end - timedelta(days=1)).isoformat(), "to": end.isoformat()}


def _boots(demo: Demo, device_id: str) -> int:
    events = demo.api.get(f"/devices/{device_id}/events", params={"limit": 200}).json()["items"]
    return sum(event["type"] == "cpe.boot" for event in events)


def test_dashboard_cards_match_the_api(page: Any, demo: Demo) -> None:
    # Tickets: two opened, one of them resolved.
    opened = [
        demo.api.post("/tickets", json={"title": f"Sem sinal {n}"}).json()["id"] for n in (1, 2)
    ]
    resolved = demo.api.post(f"/tickets/{opened[0]}/resolve", json={"resolution": "ok"})
    assert resolved.status_code == 200, resolved.text
    # One simulated CPE rebooted: it boots a second time, the most rebooted CPE of the day.
    cpe = fleet_cpe(demo)
    eventually(lambda: _boots(demo, cpe["id"]) >= 1, STARTUP_SECONDS, "the CPE's first boot")
    task = demo.api.post(f"/devices/{cpe['id']}/tasks", json={"type": "reboot"})
    assert task.status_code in (200, 201, 202), task.text
    eventually(lambda: _boots(demo, cpe["id"]) >= 2, TASK_SECONDS, "the CPE booting again")
    # The page's period ends at the second it loads (rounded down): wait until a period ending
    # two seconds ago holds both boots, so the page's does too.
    eventually(
        lambda: any(
            top["device_id"] == cpe["id"] and top["count"] >= 2
            for top in demo.api.get("/reports/kpis", params=_last_day(seconds_ago=2)).json()[
                "reboots"
            ]["top"]
        ),
        TASK_SECONDS,
        "both boots in a period ending two seconds ago",
    )

    page.reload()
    sla = page.get_by_test_id("sla")
    sla.wait_for()
    period = {"from": sla.get_attribute("data-from"), "to": sla.get_attribute("data-to")}
    kpis = demo.api.get("/reports/kpis", params=period).json()  # every section, as reports see them

    # Overview: failure rate, main links, critical alerts.
    availability = kpis["availability"]["network"]["availability_percent"]
    assert availability is not None  # the lab's ONUs have a timeline
    assert _same(_value(page.get_by_test_id("stat-failure-rate")), 100 - availability)
    shown_rate = page.get_by_test_id("stat-failure-rate").inner_text()  # "24,97 %": 2 decimals
    assert shown_rate.endswith(" %")
    assert abs(float(shown_rate[:-2].replace(",", ".")) - (100 - availability)) <= 0.005 + 1e-9
    assert demo.api.get("/main-links").json()["items"] == []
    assert page.get_by_test_id("stat-links").inner_text() == "nenhum configurado"
    critical = demo.api.get(
        "/alerts", params={"status": "open", "severity": "critical", "limit": 500}
    ).json()
    assert critical["next_cursor"] is None
    assert _value(page.get_by_test_id("stat-alerts")) == len(critical["items"])

    # SLA: MTTR, incidents, breaches, availability, incidents per region.
    assert _same(_value(page.get_by_test_id("sla-mttr")), kpis["incidents"]["mttr_seconds"])
    assert _value(page.get_by_test_id("sla-incidents")) == kpis["incidents"]["total"]
    assert _value(page.get_by_test_id("sla-breaches")) == kpis["sla"]["breached"]
    assert page.get_by_test_id("sla-breaches").inner_text() == (
        f"{kpis['sla']['breached']} / {kpis['sla']['customers_with_target']}"
    )
    assert kpis["sla"]["breached"] > 0  # the lab's two customers whose ONUs are down
    assert _same(_value(page.get_by_test_id("sla-availability")), availability)
    regions = page.get_by_test_id("incidents-per-region").locator("tbody tr")
    assert regions.count() == len(kpis["incidents"]["regions"])

    # CPE health: reboots of the period, the rebooted CPE first with its two boots.
    reboots = kpis["reboots"]
    assert _value(page.get_by_test_id("reboots-total")) == reboots["total"]
    assert _value(page.get_by_test_id("reboots-devices")) == reboots["devices"]
    rows = page.get_by_test_id("reboots").locator("tbody tr")
    shown = [
        (rows.nth(n).get_attribute("data-key"), _value(rows.nth(n).locator("td").nth(1)))
        for n in range(rows.count())
    ]
    assert shown == [(top["device_id"], top["count"]) for top in reboots["top"][:5]]
    assert shown[0] == (cpe["id"], 2)
    assert rows.nth(0).get_by_role("link").inner_text() == cpe["serial"]  # a CPE without a name

    # Network performance: ONU Rx per OLT over the same period, from the first Rx metric each
    # OLT reports (the collector's onu.rx_dbm, else the lab's onu.rx_power_dbm).
    table = page.get_by_test_id("signal-per-olt")
    expected: dict[str, dict[str, Any]] = {}
    for metric in RX_METRICS:
        query = {
            "group_by": "olt",
            "kind": "onu",
            "metric": metric,
            "start": table.get_attribute("data-start"),
            "end": table.get_attribute("data-end"),
        }
        for group in demo.api.get("/telemetry/query", params=query).json()["groups"]:
            if group["reporting"] > 0 and group["key"] not in expected:
                expected[group["key"]] = {**group, "metric": metric}
    assert expected, "the lab's OLT reports ONU Rx"
    assert table.locator("tbody tr[data-metric]").count() == len(expected)
    for key, group in expected.items():
        row = table.locator(f'tbody tr[data-key="{key}"]')
        assert row.get_attribute("data-metric") == group["metric"]
        for field in ("avg", "min", "max", "reporting"):
            assert _same(_value(row.locator(f'td[data-field="{field}"]')), group[field]), field
        assert group["label"] in row.inner_text()

    # Ticket evolution over 14 days.
    evolution = demo.api.get("/tickets/evolution", params={"days": 14}).json()
    assert (evolution["opened"], evolution["resolved"], evolution["open_now"]) == (2, 1, 1)
    for key, testid in (
        ("opened", "tickets-opened"),
        ("resolved", "tickets-resolved"),
        ("open_now", "tickets-open-now"),
    ):
        assert _value(page.get_by_test_id(testid)) == evolution[key], key
    assert page.get_by_role("img", name=re.compile("^Evolução dos chamados")).count() == 1

    page.get_by_role("heading", name="Desempenho da rede", exact=True).wait_for()
    page.get_by_role("heading", name="Saúde dos CPEs", exact=True).wait_for()
    page.get_by_role("heading", name="SLA", exact=True).wait_for()
    shot(page, "dashboard-sections")
    assert critical_violations(page) == []


def test_dashboard_sections_in_english(page: Any, demo: Demo) -> None:
    page.get_by_role("combobox", name=re.compile("^(Idioma|Language)$")).click()
    page.get_by_role("option", name="English").click()
    page.get_by_role("heading", name="Network performance", exact=True).wait_for()
    for heading in ("CPE health", "SLA", "Incidents per region (24 h)", "Frequent reboots (24 h)"):
        page.get_by_role("heading", name=heading, exact=True).wait_for()
    assert page.get_by_test_id("stat-links").inner_text() == "none configured"
    assert page.get_by_text("Optical signal per OLT (ONU Rx, 24 h)").is_visible()
    shot(page, "dashboard-sections-en")
    assert critical_violations(page) == []
    page.get_by_role("combobox", name="Language").click()
    page.get_by_role("option", name="Português").click()
    page.get_by_role("heading", name="Visão geral", exact=True).wait_for()
    eventually(lambda: demo.api.get("/users/me").json()["locale"] == "pt-BR", 5, "locale saved")


def test_silence_an_alert_resolve_it_and_find_it_in_the_history(page: Any, demo: Demo) -> None:
    # The demo lab's PPPoE rule opens an alert on the failing router within the scheduler's minute.
    alert = eventually(
        lambda: next(
            (
                a
                for a in demo.api.get("/alerts", params={"status": "open"}).json()["items"]
                if a["rule_name"] == "PPPoE errors"
            ),
            None,
        ),
        STARTUP_SECONDS,
        "the PPPoE alert",
    )
    page.goto(demo.url + "/monitoring/alerts")
    page.get_by_role("tab", name="Abertos").click()
    row = page.get_by_role("row").filter(has_text=alert["title"])
    row.get_by_role("button", name="Silenciar").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Motivo").fill("janela de manutenção E2E")
    shot(page, "alerts-silence")
    assert critical_violations(page) == []
    dialog.get_by_role("button", name="Silenciar").click()
    page.get_by_test_id("alert-result").filter(has_text="Regra silenciada até").wait_for()

    [silence] = [
        s
        for s in demo.api.get("/silences", params={"active": "true"}).json()["items"]
        if s["reason"] == "janela de manutenção E2E"
    ]
    assert silence["rule_id"] == alert["rule_id"]
    hours = (_instant(silence["ends_at"]) - _instant(silence["starts_at"])).total_seconds() / 3600
    assert hours == 4
    audit = demo.api.get("/audit", params={"action": "alert_silence.create"}).json()["items"]
    assert [a["actor"] for a in audit if a["target"] == f"alert_silence:{silence['id']}"] == [
        "user:admin"
    ]

    row.get_by_role("button", name="Resolver").click()
    page.get_by_test_id("alert-result").filter(has_text="Resolver").wait_for()
    eventually(lambda: row.count() == 0, 10, "the alert leaving the open tab")
    page.get_by_role("tab", name="Resolvidos (histórico)").click()
    resolved = page.get_by_role("row").filter(has_text=alert["title"]).first
    resolved.filter(has_text="resolved").wait_for()
    stored = demo.api.get(f"/alerts/{alert['id']}").json()
    assert (stored["status"], stored["resolved_by"]) == ("resolved", "user:admin")
    assert resolved.get_by_role("button").count() == 0  # nothing to do on a resolved alert
    shot(page, "alerts-history")
    assert critical_violations(page) == []


def test_incidents_page(page: Any, demo: Demo) -> None:
    page.get_by_role("link", name="Incidentes").click()
    page.get_by_role("heading", name="Incidentes", exact=True, level=1).wait_for()
    incidents = demo.api.get("/incidents").json()["items"]
    if incidents:
        page.get_by_role("row").filter(has_text=incidents[0]["title"]).wait_for()
    else:
        page.get_by_test_id("empty-state").wait_for()
    page.get_by_role("tab", name="Resolvidos (histórico)").click()
    shot(page, "incidents")
    assert critical_violations(page) == []


def _rx_per_site(demo: Demo) -> dict[str, float]:
    """Each site's worst (lowest) ONU Rx: the latest hourly mean of the last 24 h, from the
    first Rx metric each ONU reports."""
    onus = demo.api.get("/devices", params={"kind": "onu", "limit": 500}).json()["items"]
    located = {onu["id"]: onu["site_id"] for onu in onus if onu["site_id"]}
    latest: dict[str, float] = {}
    for metric in RX_METRICS:
        missing = [onu for onu in located if onu not in latest]
        series = demo.api.post(
            "/telemetry/query", json={"entities": missing, "metric": metric, "resolution": 3600}
        ).json()["series"]
        for entry in series:
            values = [value for _, value in entry["points"] if value is not None]
            if values:
                latest[entry["entity"]] = values[-1]
    worst: dict[str, float] = {}
    for onu, value in latest.items():
        site = located[onu]
        worst[site] = min(worst.get(site, value), value)
    return worst


def test_map_coloured_and_filtered_by_a_metric(page: Any, demo: Demo) -> None:
    page.get_by_role("link", name="Mapa").click()
    page.get_by_role("combobox", name="Colorir por métrica").click()
    page.get_by_role("option", name="Potência Rx das ONUs").click()
    page.get_by_test_id("map-legend").wait_for()
    worst = _rx_per_site(demo)
    assert worst, "the lab's ONUs report Rx"
    shown = page.get_by_test_id("map")
    eventually(
        lambda: shown.get_attribute("data-markers") == str(len(worst)), 20, "a marker per site"
    )
    assert page.locator("path.leaflet-interactive").count() == len(worst)
    shot(page, "map-metric")
    assert critical_violations(page) == []

    page.get_by_role("combobox", name="Mostrar").click()
    page.get_by_role("option", name="Alerta ou crítico").click()
    beyond = [site for site, value in worst.items() if value < -25]
    eventually(
        lambda: shown.get_attribute("data-markers") == str(len(beyond)), 20, "the sites beyond"
    )
    assert page.locator("path.leaflet-interactive").count() == len(beyond)


def test_device_telemetry_over_a_range_and_its_timeline(page: Any, demo: Demo) -> None:
    [onu] = demo.api.get("/devices", params={"q": "ONU Ana", "kind": "onu"}).json()["items"]
    page.goto(f"{demo.url}/devices/{onu['id']}")
    page.get_by_role("tab", name="Telemetria").click()
    page.get_by_role("combobox", name="Métrica").click()
    page.get_by_role("option", name="onu.rx_power_dbm", exact=True).click()
    page.get_by_role("combobox", name="Período").click()
    page.get_by_role("option", name="7 dias").click()
    page.get_by_role("listbox").wait_for(state="hidden")
    summary = page.get_by_test_id("telemetry-summary")
    eventually(
        lambda: (
            summary.count() == 1
            and _instant(summary.get_attribute("data-end"))
            - _instant(summary.get_attribute("data-start"))
            == timedelta(days=7)
        ),
        20,
        "the 7-day summary",
    )
    series = demo.api.get(
        f"/devices/{onu['id']}/telemetry",
        params={
            "metric": "onu.rx_power_dbm",
            "start": summary.get_attribute("data-start"),
            "end": summary.get_attribute("data-end"),
            "resolution": "auto",
        },
    ).json()
    values = [value for _, value in series["points"] if value is not None]
    assert values, "the lab seeds a day of ONU Rx"
    expected = {
        "last": values[-1],
        "min": min(values),
        "max": max(values),
        "avg": sum(values) / len(values),
    }
    for key, value in expected.items():
        assert _same(_value(page.get_by_test_id(f"telemetry-{key}")), value), key
    assert page.locator("canvas").count() >= 1
    shot(page, "device-telemetry-range")
    assert critical_violations(page) == []

    page.get_by_role("tab", name="Linha do tempo").click()
    page.get_by_role("columnheader", name="payload").wait_for()
    events = demo.api.get(f"/devices/{onu['id']}/events").json()["items"]
    assert events, "the lab leaves events on the timeline"
    first = page.get_by_role("row").nth(1)
    assert events[0]["type"] in first.inner_text()


def test_tag_the_onus_of_a_page_in_bulk_and_filter_by_the_tag(page: Any, demo: Demo) -> None:
    onus = demo.api.get("/devices", params={"kind": "onu", "limit": 25}).json()["items"]
    assert onus
    page.goto(f"{demo.url}/inventory/devices?kind=onu")
    page.get_by_role("checkbox", name="Selecionar todas as linhas desta página").check()
    page.get_by_label("Etiqueta a pôr ou tirar").fill("rota-norte")
    page.get_by_role("button", name="Pôr etiqueta").click()
    result = page.get_by_test_id("bulk-result")
    result.filter(has_text="etiquetados").wait_for()
    assert result.inner_text() == f"{len(onus)} etiquetados, 0 falharam"
    for onu in onus:
        stored = demo.api.get(f"/devices/{onu['id']}").json()
        assert stored["tags"] == [*onu["tags"], "rota-norte"], stored["name"]
    audit = demo.api.get("/audit", params={"action": "devices.update", "limit": 200}).json()
    assert {f"device:{onu['id']}" for onu in onus} <= {a["target"] for a in audit["items"]}

    page.get_by_label("Etiqueta", exact=True).fill("rota-norte")
    page.get_by_label("Etiqueta", exact=True).blur()
    page.wait_for_url("**tag=rota-norte**")
    tagged = demo.api.get("/devices", params={"tag": "rota-norte", "limit": 100}).json()["items"]
    eventually(
        lambda: (
            page.locator("tbody tr").count() == len(tagged)
            and page.locator("tbody tr").first.inner_text().count("rota-norte") == 1
        ),
        10,
        "the tagged ONUs",
    )
    shot(page, "inventory-tags")
    assert critical_violations(page) == []

    page.get_by_role("checkbox", name="Selecionar todas as linhas desta página").check()
    page.get_by_role("button", name="Tirar etiqueta").click()
    result.filter(has_text="sem a etiqueta").wait_for()
    assert demo.api.get("/devices", params={"tag": "rota-norte"}).json()["items"] == []
    for onu in onus:
        assert demo.api.get(f"/devices/{onu['id']}").json()["tags"] == onu["tags"]


def test_dashboard_figures_open_the_lists_behind_them(page: Any, demo: Demo) -> None:
    offline = demo.api.get("/devices", params={"status": "offline", "limit": 500}).json()["items"]
    page.get_by_test_id("stat-offline").get_by_role("link").click()
    page.wait_for_url("**/inventory/devices?status=offline")
    eventually(lambda: page.locator("tbody tr").count() == len(offline), 10, "offline devices")
    assert offline, "the lab has an offline ONU"
    assert offline[0]["name"] in page.locator("tbody").inner_text()

    page.get_by_role("link", name="Visão geral").click()
    page.get_by_test_id("stat-alerts").get_by_role("link").click()
    page.wait_for_url("**/monitoring/alerts?status=open&severity=critical")
    assert page.get_by_role("tab", name="Abertos").get_attribute("aria-selected") == "true"
    critical = demo.api.get("/alerts", params={"status": "open", "severity": "critical"}).json()
    if critical["items"]:
        page.get_by_role("row").filter(has_text=critical["items"][0]["title"]).wait_for()
    else:
        page.get_by_test_id("empty-state").wait_for()


def test_the_event_history_filtered_by_type(page: Any, demo: Demo) -> None:
    def boots() -> list[dict[str, Any]]:
        query = {"type": "cpe.boot", "limit": 50}
        return list(demo.api.get("/events", params=query).json()["items"])

    # Every simulated CPE has booted once, so no boot comes while the page shows the list.
    eventually(lambda: len(boots()) >= FLEET, STARTUP_SECONDS, "the fleet's boots")
    page.get_by_role("link", name="Eventos ao vivo").click()
    page.get_by_role("tab", name="Histórico").click()
    page.wait_for_url("**/monitoring/live?view=history")
    page.get_by_label("Tipo de evento").fill("cpe.boot")
    rows = page.locator("tbody tr")
    expected = boots()
    eventually(
        lambda: (
            rows.count() == len(expected)
            and all(row.inner_text().count("cpe.boot") == 1 for row in rows.all())
        ),
        10,
        "only boots listed",
    )
    shown = [row.get_by_role("link").inner_text() for row in rows.all()]
    assert shown == [event["device_id"] for event in expected]
    shot(page, "event-history")
    assert critical_violations(page) == []
