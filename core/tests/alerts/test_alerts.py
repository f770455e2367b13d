"""Alert rules and the alert lifecycle, end to end through the API, events and telemetry."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from rjchronos.alerts import engine
from rjchronos.db.types import utcnow
from rjchronos.telemetry.store import Sample

from .conftest import Receiver, add_device, emit


def _rule(api: Any, **document: Any) -> dict[str, Any]:
    response = api.post("/api/v1/alert-rules", json=document)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _alerts(api: Any, **query: Any) -> list[dict[str, Any]]:
    return list(api.get("/api/v1/alerts", params=query).json()["items"])


@pytest.mark.parametrize(
    ("condition", "field"),
    [
        ({"type": "threshold", "metric": "rx", "op": "=>", "value": -27}, "body.condition.op"),
        ({"type": "threshold", "metric": "rx", "op": ">", "value": "x"}, "body.condition.value"),
        ({"type": "event", "event": "onu.los", "count": 0}, "body.condition.count"),
        ({"type": "sorcery"}, "body.condition.type"),
        (
            {"type": "compound", "mode": "all", "conditions": [{"type": "rate", "metric": "m"}]},
            "body.condition.conditions.0.value",
        ),
    ],
)
def test_invalid_rule_is_422_naming_the_field(api: Any, condition: Any, field: str) -> None:
    response = api.post("/api/v1/alert-rules", json={"name": "bad", "condition": condition})
    assert response.status_code == 422
    assert field in [p["name"] for p in response.json()["invalid_params"]]
    assert api.get("/api/v1/alert-rules").json()["items"] == []


def test_the_rule_schema_and_the_pppoe_rule(api: Any) -> None:
    from rjchronos.alerts.rules import PPPOE_ERRORS_RULE, RULE_SCHEMA

    answer = api.get("/api/v1/alert-rules/schema")
    assert answer.status_code == 200, answer.text
    assert answer.json() == RULE_SCHEMA
    created = _rule(api, **PPPOE_ERRORS_RULE)
    assert created["condition"]["metric"] == "cpe.pppoe_error"
    assert api.get(f"/api/v1/alert-rules/{created['id']}").json()["name"] == "PPPoE errors"


def test_unknown_channel_is_422(api: Any) -> None:
    response = api.post(
        "/api/v1/alert-rules",
        json={"name": "r", "condition": {"type": "event", "event": "onu.los"}, "channels": ["x"]},
    )
    assert response.status_code == 422
    assert response.json()["invalid_params"][0]["name"] == "body.channels.0"


def test_los_opens_one_alert_notifies_and_resolves_on_recovery(
    api: Any, alerts_kernel: Any, channel: Any, receiver: Receiver
) -> None:
    rule = _rule(
        api,
        name="ONU LOS",
        severity="major",
        scope={"kind": "all", "device_kind": "onu"},
        condition={"type": "event", "event": "onu.los"},
        channels=[channel["id"]],
    )
    onu = add_device(alerts_kernel, "onu-1", serial="HWTC00000001")
    emit(alerts_kernel, "onu.los", onu, {"port": "0/1/0"})
    emit(alerts_kernel, "onu.los", onu, {"port": "0/1/0"})
    [alert] = _alerts(api)
    assert alert["status"] == "open"
    assert alert["rule_id"] == rule["id"]
    assert alert["occurrences"] == 2
    assert alert["notified"] is True
    assert [m["subject"] for m in receiver.received] == ["[MAJOR] ONU LOS: onu-1"]

    emit(alerts_kernel, "onu.online", onu, {})
    [alert] = _alerts(api)
    assert alert["status"] == "resolved"
    assert alert["resolved_by"] == "system:alerts"
    assert receiver.received[-1]["subject"] == "[resolvido] ONU LOS: onu-1"
    timeline = api.get(f"/api/v1/devices/{onu}/events").json()["items"]
    assert {"alert.opened", "alert.resolved"} <= {e["type"] for e in timeline}
    audit = api.get("/api/v1/audit", params={"action": "alert.opened"}).json()["items"]
    assert [e["target"] for e in audit] == [f"alert:{alert['id']}"]


def test_ack_and_resolve_through_the_api(
    api: Any, alerts_kernel: Any, rjc_client_factory: Any
) -> None:
    _rule(api, name="LOS", condition={"type": "event", "event": "onu.los"})
    onu = add_device(alerts_kernel, "onu-2")
    emit(alerts_kernel, "onu.los", onu, {})
    [alert] = _alerts(api)
    viewer = rjc_client_factory("viewer", kernel=alerts_kernel)
    assert viewer.post(f"/api/v1/alerts/{alert['id']}/ack", json={}).status_code == 403
    acked = api.post(f"/api/v1/alerts/{alert['id']}/ack", json={}).json()
    assert acked["status"] == "acknowledged"
    assert api.post(f"/api/v1/alerts/{alert['id']}/ack", json={}).status_code == 409
    resolved = api.post(f"/api/v1/alerts/{alert['id']}/resolve", json={"comment": "fixed"})
    assert resolved.json()["status"] == "resolved"
    assert api.post(f"/api/v1/alerts/{alert['id']}/resolve", json={}).status_code == 409
    types = [e["type"] for e in api.get(f"/api/v1/devices/{onu}/events").json()["items"]]
    assert {"alert.acknowledged", "alert.resolved"} <= set(types)


def test_reboot_loop_needs_n_boots_in_the_window(api: Any, alerts_kernel: Any) -> None:
    _rule(
        api,
        name="Reboot loop",
        condition={"type": "event", "event": "cpe.boot", "count": 3, "window_seconds": 600},
    )
    cpe = add_device(alerts_kernel, "cpe-1", kind="cpe")
    for _ in range(2):
        emit(alerts_kernel, "cpe.boot", cpe, {})
    assert _alerts(api) == []
    emit(alerts_kernel, "cpe.boot", cpe, {})
    assert [a["status"] for a in _alerts(api)] == ["open"]


def test_threshold_with_duration_and_hysteresis(api: Any, alerts_kernel: Any) -> None:
    _rule(
        api,
        name="CPU high",
        condition={
            "type": "threshold",
            "metric": "cpu",
            "op": ">",
            "value": 80,
            "clear": 70,
            "for_seconds": 300,
        },
    )
    cpe = add_device(alerts_kernel, "cpe-2", kind="cpe")
    now = utcnow().replace(microsecond=0)

    def sample(minutes_ago: int, value: float) -> Sample:
        return Sample(cpe, "cpu", now - timedelta(minutes=minutes_ago), value, {})

    alerts_kernel.telemetry.write([sample(3, 90), sample(1, 95)])
    engine.evaluate_all(alerts_kernel, now)
    assert _alerts(api) == [], "over the value for 3 minutes only"
    alerts_kernel.telemetry.write([sample(6, 85)])
    engine.evaluate_all(alerts_kernel, now)
    [alert] = _alerts(api)
    assert alert["status"] == "open"
    assert alert["details"] == {"value": 95.0}
    later = now + timedelta(minutes=1)
    alerts_kernel.telemetry.write([Sample(cpe, "cpu", later, 75, {})])
    engine.evaluate_all(alerts_kernel, later)
    assert _alerts(api)[0]["status"] == "open", "75 is inside the hysteresis band"
    latest = now + timedelta(minutes=2)
    alerts_kernel.telemetry.write([Sample(cpe, "cpu", latest, 65, {})])
    engine.evaluate_all(alerts_kernel, latest)
    assert _alerts(api)[0]["status"] == "resolved"


def test_absence_and_rate_of_change(api: Any, alerts_kernel: Any) -> None:
    _rule(
        api,
        name="No data",
        scope={"kind": "tag", "value": "core"},
        condition={"type": "absence", "metric": "rx", "for_seconds": 600},
    )
    _rule(
        api,
        name="Rx falling",
        scope={"kind": "model", "value": "HG8245"},
        condition={"type": "rate", "metric": "rx", "op": "<=", "value": -3, "window_seconds": 3600},
    )
    silent = add_device(alerts_kernel, "silent", tags=["core"])
    falling = add_device(alerts_kernel, "falling", model="HG8245")
    now = utcnow().replace(microsecond=0)
    alerts_kernel.telemetry.write(
        [
            Sample(falling, "rx", now - timedelta(minutes=50), -20.0, {}),
            Sample(falling, "rx", now - timedelta(minutes=5), -24.5, {}),
        ]
    )
    engine.evaluate_all(alerts_kernel, now)
    opened = {(a["rule_name"], a["device_id"]) for a in _alerts(api)}
    assert opened == {("No data", silent), ("Rx falling", falling)}


def test_silence_keeps_the_alert_but_sends_nothing(
    api: Any, alerts_kernel: Any, channel: Any, receiver: Receiver
) -> None:
    _rule(
        api,
        name="LOS",
        condition={"type": "event", "event": "onu.los"},
        channels=[channel["id"]],
    )
    now = utcnow()
    response = api.post(
        "/api/v1/silences",
        json={
            "reason": "fiber maintenance",
            "starts_at": (now - timedelta(minutes=1)).isoformat(),
            "ends_at": (now + timedelta(hours=1)).isoformat(),
            "scope": {"kind": "tag", "value": "maintenance"},
        },
    )
    assert response.status_code == 201, response.text
    quiet = add_device(alerts_kernel, "quiet", tags=["maintenance"])
    loud = add_device(alerts_kernel, "loud")
    emit(alerts_kernel, "onu.los", quiet, {})
    emit(alerts_kernel, "onu.los", loud, {})
    by_device = {a["device_id"]: a for a in _alerts(api)}
    assert by_device[quiet]["silenced"] is True
    assert by_device[loud]["silenced"] is False
    assert [m["subject"] for m in receiver.received] == ["[MAJOR] LOS: loud"]
    bad = api.post(
        "/api/v1/silences",
        json={"starts_at": now.isoformat(), "ends_at": (now - timedelta(hours=1)).isoformat()},
    )
    assert bad.status_code == 422
    assert bad.json()["invalid_params"][0]["name"] == "body.ends_at"


def test_escalation_when_not_acknowledged(
    api: Any, alerts_kernel: Any, channel: Any, receiver: Receiver
) -> None:
    _rule(
        api,
        name="LOS",
        severity="critical",
        condition={"type": "event", "event": "onu.los"},
        escalation={"after_seconds": 600, "channels": [channel["id"]]},
    )
    onu = add_device(alerts_kernel, "onu-esc")
    emit(alerts_kernel, "onu.los", onu, {})
    assert engine.evaluate_all(alerts_kernel, utcnow())["escalated"] == 0
    later = utcnow() + timedelta(minutes=11)
    assert engine.evaluate_all(alerts_kernel, later)["escalated"] == 1
    assert engine.evaluate_all(alerts_kernel, later)["escalated"] == 0
    assert [m["template"] for m in receiver.received] == ["alert.escalated"]
    assert _alerts(api)[0]["escalated_at"] is not None


def test_flapping_alerts_stop_notifying(
    api: Any, alerts_kernel: Any, channel: Any, receiver: Receiver
) -> None:
    _rule(
        api,
        name="LOS",
        condition={"type": "event", "event": "onu.los"},
        channels=[channel["id"]],
        flapping={"max_opens": 2, "window_seconds": 3600},
    )
    onu = add_device(alerts_kernel, "flappy")
    for _ in range(2):
        emit(alerts_kernel, "onu.los", onu, {})
        emit(alerts_kernel, "onu.online", onu, {})
    second, first = _alerts(api)
    assert (first["flapping"], second["flapping"]) == (False, True)
    assert [m["template"] for m in receiver.received] == ["alert.opened", "alert.resolved"]


def test_endpoint_down_dead_letters_while_the_alert_stays_open(
    api: Any, alerts_kernel: Any, channel: Any, receiver: Receiver
) -> None:
    receiver.failing = True
    _rule(
        api, name="LOS", condition={"type": "event", "event": "onu.los"}, channels=[channel["id"]]
    )
    onu = add_device(alerts_kernel, "onu-dl")
    emit(alerts_kernel, "onu.los", onu, {})
    [alert] = _alerts(api)
    assert alert["status"] == "open"
    [delivery] = api.get(
        "/api/v1/notification-deliveries", params={"subject": f"alert:{alert['id']}"}
    ).json()["items"]
    assert (delivery["status"], delivery["attempts"]) == ("dead", 3)
