"""Alerts, deliveries and jobs in /metrics: counters move when the real thing happens."""

from __future__ import annotations

from typing import Any

from rjchronos.alerts import engine
from rjchronos.db.types import utcnow
from rjchronos.events import DeviceEvent
from rjchronos_sdk.testing import scrape_metrics

from .conftest import NOTIFIER, Receiver, add_device, los_rule


def test_an_alert_its_delivery_and_its_job_show_in_the_metrics(
    api: Any, alerts_kernel: Any, channel: Any, receiver: Receiver, rjc_client_factory: Any
) -> None:
    los_rule(api, [channel["id"]])
    before = scrape_metrics(api)
    onu = add_device(alerts_kernel, "onu-1")
    engine.on_events(alerts_kernel, [DeviceEvent(1, "onu.los", onu, utcnow(), {})])
    after = scrape_metrics(api)

    def moved(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert moved("rjc_alerts_total", transition="opened", severity="major") == 1
    assert (
        moved("rjc_notification_deliveries_total", channel_type=NOTIFIER, outcome="delivered") == 1
    )
    assert moved("rjc_job_seconds_count", type="notifications.deliver") == 1
    assert after[("rjc_alerts_unresolved", (("severity", "major"),))] == 1
    assert len(receiver.received) == 1

    viewer = rjc_client_factory("viewer", kernel=alerts_kernel)
    assert viewer.get("/metrics").status_code == 403
