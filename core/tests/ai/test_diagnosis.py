"""A device's and an incident's diagnosis: ranked causes with evidence in en and pt-BR."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from rjchronos.alerts.models import Incident
from rjchronos.db.types import utcnow
from rjchronos.telemetry.store import Sample

DAY, HOUR = timedelta(days=1), timedelta(hours=1)


def _rx(tools: SimpleNamespace, kernel: Any, onu: str, week_ago: float, now: float) -> None:
    write_series = tools.write_series
    write_series(kernel, onu, "onu.rx_dbm", week_ago, ago=7 * DAY, span=12 * HOUR, step=HOUR)
    write_series(
        kernel,
        onu,
        "onu.rx_dbm",
        now,
        ago=50 * timedelta(minutes=1),
        span=45 * timedelta(minutes=1),
        step=timedelta(minutes=5),
    )


def test_a_falling_onu_among_stable_neighbours_points_at_the_drop_cable(
    ai_kernel: Callable[..., Any], rjc_client_factory: Callable[..., Any], tools: SimpleNamespace
) -> None:
    kernel = ai_kernel()
    site = tools.plant(kernel)
    _rx(tools, kernel, site.onus[0], -25.4, -28.4)
    for onu in site.onus[1:]:
        _rx(tools, kernel, onu, -21.0, -21.1)
    api = rjc_client_factory("viewer", kernel=kernel)

    found = api.get(f"/api/v1/devices/{site.onus[0]}/diagnosis")
    assert found.status_code == 200, found.text
    top = found.json()["items"][0]
    assert top["cause"] == "drop_degradation"
    assert top["evidence"]["en"] == (
        "ONU Rx -28.4 dBm, down 3.0 dB in 7 days while its 3 PON neighbours are stable: "
        "drop cable or connector at the customer"
    )
    assert "cabo drop ou conector no cliente" in top["evidence"]["pt-BR"]
    assert top["actions"][0]["kind"] == "ticket.open"
    # The CPE behind that ONU gets the same optical diagnosis; a stable neighbour gets none.
    behind = api.get(f"/api/v1/devices/{site.cpe}/diagnosis").json()["items"]
    assert behind[0]["cause"] == "drop_degradation"
    assert api.get(f"/api/v1/devices/{site.onus[1]}/diagnosis").json()["items"] == []


def test_when_the_whole_pon_falls_the_feeder_is_blamed(
    ai_kernel: Callable[..., Any], rjc_client_factory: Callable[..., Any], tools: SimpleNamespace
) -> None:
    kernel = ai_kernel()
    site = tools.plant(kernel)
    for onu in site.onus:
        _rx(tools, kernel, onu, -21.0, -24.5)
    api = rjc_client_factory("viewer", kernel=kernel)
    top = api.get(f"/api/v1/devices/{site.onus[2]}/diagnosis").json()["items"][0]
    assert top["cause"] == "feeder_degradation"
    assert "fell too" in top["evidence"]["en"]


def test_los_of_the_whole_pon_is_a_fiber_cut_and_a_lone_dying_gasp_a_power_outage(
    ai_kernel: Callable[..., Any], rjc_client_factory: Callable[..., Any], tools: SimpleNamespace
) -> None:
    kernel = ai_kernel()
    site = tools.plant(kernel, onus=5)
    for onu in site.onus[:4]:
        kernel.events.emit("onu.los", onu, {})
    kernel.events.emit("onu.dying_gasp", site.onus[4], {})
    api = rjc_client_factory("viewer", kernel=kernel)

    cut = api.get(f"/api/v1/devices/{site.cpe}/diagnosis").json()["items"][0]
    assert cut["cause"] == "fiber_cut"
    assert cut["evidence"]["en"].startswith("4 of 5 ONUs of the PON lost signal at once")
    assert "rompimento de fibra antes do splitter" in cut["evidence"]["pt-BR"]
    gasp = api.get(f"/api/v1/devices/{site.onus[4]}/diagnosis").json()["items"][0]
    assert gasp["cause"] == "power_outage"
    assert "falta de energia no cliente" in gasp["evidence"]["pt-BR"]
    # Back online: the dying gasp no longer explains anything.
    kernel.events.emit("onu.online", site.onus[4], {})
    assert api.get(f"/api/v1/devices/{site.onus[4]}/diagnosis").json()["items"] == []


def test_wifi_interference_reboot_loop_and_analyzer_scores(
    ai_kernel: Callable[..., Any], rjc_client_factory: Callable[..., Any], tools: SimpleNamespace
) -> None:
    kernel = ai_kernel()
    site = tools.plant(kernel)
    radio = f"{site.cpe}/radio/1"
    step, span = timedelta(minutes=5), timedelta(minutes=40)
    tools.write_series(
        kernel, radio, "cpe.wifi_retrans_pct", 46.0, ago=45 * step / 5, span=span, step=step
    )
    tools.write_series(
        kernel, radio, "cpe.wifi_rssi_dbm", -79.0, ago=45 * step / 5, span=span, step=step
    )
    tools.write_series(
        kernel, radio, "cpe.wifi_channel", 6.0, ago=45 * step / 5, span=span, step=step
    )
    for _ in range(4):
        kernel.events.emit("cpe.boot", site.cpe, {})
    kernel.telemetry.write(
        [Sample(site.cpe, "anomaly_score", utcnow() - timedelta(minutes=3), 0.9)]
    )
    api = rjc_client_factory("viewer", kernel=kernel)

    items = api.get(f"/api/v1/devices/{site.cpe}/diagnosis").json()["items"]
    by_cause = {item["cause"]: item for item in items}
    assert set(by_cause) == {"wifi_interference", "reboot_loop", "telemetry_anomaly"}
    assert [i["score"] for i in items] == sorted((i["score"] for i in items), reverse=True)
    wifi = by_cause["wifi_interference"]
    assert wifi["evidence"]["en"].startswith(
        "Wi-Fi radio 1 (channel 6): clients' RSSI -79 dBm, 46% retransmissions over the last hour"
    )
    assert wifi["actions"] == [
        {
            "kind": "wifi.change_channel",
            "params": {"radio": 1},
            "verify": {
                "entity": radio,
                "metric": "cpe.wifi_retrans_pct",
                "better": "lower",
                "min_change": 5.0,
            },
        }
    ]
    assert "4 reinicializações" in by_cause["reboot_loop"]["evidence"]["pt-BR"]
    assert by_cause["telemetry_anomaly"]["facts"] == {"anomaly_score": 0.9}


def test_an_incident_is_diagnosed_from_its_correlation_and_its_devices(
    ai_kernel: Callable[..., Any], rjc_client_factory: Callable[..., Any], tools: SimpleNamespace
) -> None:
    kernel = ai_kernel()
    site = tools.plant(kernel)
    for onu in site.onus:
        kernel.events.emit("onu.los", onu, {})
    with kernel.db.session() as session:
        incident = Incident(
            kind="fiber",
            title="PON 0/1/0",
            element_id=site.pon,
            element_kind="pon",
            element_name="0/1/0",
            device_ids=site.onus,
            down_ids=site.onus,
        )
        session.add(incident)
        session.commit()
        incident_id = incident.id
    api = rjc_client_factory("viewer", kernel=kernel)
    found = api.get(f"/api/v1/incidents/{incident_id}/diagnosis").json()
    assert found["items"][0]["cause"] == "fiber_cut"
    assert found["items"][0]["devices"] == 4
    assert {d["device_id"] for d in found["devices"]} == set(site.onus)
    assert api.get("/api/v1/incidents/nope/diagnosis").status_code == 404


def test_diagnosis_needs_a_signed_in_user_and_an_existing_device(
    ai_kernel: Callable[..., Any], rjc_client_factory: Callable[..., Any], tools: SimpleNamespace
) -> None:
    kernel = ai_kernel()
    site = tools.plant(kernel)
    anonymous = rjc_client_factory(None, kernel=kernel)
    assert anonymous.get(f"/api/v1/devices/{site.cpe}/diagnosis").status_code == 401
    viewer = rjc_client_factory("viewer", kernel=kernel)
    missing = viewer.get("/api/v1/devices/01HZZZZZZZZZZZZZZZZZZZZZZZ/diagnosis")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")


def test_the_ui_manifest_shows_ai_insights_to_those_who_may_read_them(
    ai_kernel: Callable[..., Any], rjc_client_factory: Callable[..., Any]
) -> None:
    kernel = ai_kernel()
    manifest = rjc_client_factory("viewer", kernel=kernel).get("/api/v1/ui/manifest")
    assert manifest.status_code == 200, manifest.text
    panels = {panel["id"]: panel for panel in manifest.json()["panels"]}
    assert panels["core.ai.insights"]["slot"] == "dashboard.insights"
    assert panels["core.ai.actions"]["api"] == "/ai/actions"
    assert panels["core.device.diagnosis"]["api"] == "/devices/{id}/diagnosis"
    [reports] = [menu for menu in manifest.json()["menus"] if menu["id"] == "reports"]
    [entry] = [item for item in reports["items"] if item["path"] == "/ai"]
    assert entry["labels"]["pt-BR"] == "Análises de IA"
