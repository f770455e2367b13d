"""Events stored but never evaluated (the process died in between) are replayed, once."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from rjchronos.alerts import engine, recovery
from rjchronos.alerts.models import evaluated_events, recovery_cursors
from rjchronos.db.types import utcnow
from rjchronos.inventory.models import device_events
from rjchronos_sdk.testing import scrape_metrics

from .conftest import Receiver, add_device, emit, los_rule


@pytest.fixture
def rule(api: Any, channel: Any) -> dict[str, Any]:
    return los_rule(api, [channel["id"]])


def stored_only(kernel: Any, type: str, device_id: str, at: datetime) -> int:
    """An event committed by a process that died before evaluating it: its id."""
    with kernel.db.engine.begin() as connection:
        row = {"type": type, "device_id": device_id, "time": at, "payload": {}, "actor": None}
        return int(connection.execute(insert(device_events).values(row)).inserted_primary_key[0])


def open_alerts(api: Any) -> list[dict[str, Any]]:
    return list(api.get("/api/v1/alerts", params={"status": "open"}).json()["items"])


def cursor(kernel: Any) -> int:
    with kernel.db.engine.connect() as connection:
        return int(connection.execute(select(recovery_cursors.c.through)).scalar_one())


def marks(kernel: Any) -> int:
    with kernel.db.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(evaluated_events)).scalar())


def settle(kernel: Any) -> None:
    for _ in range(3):  # the alert's own events, then what they set off
        asyncio.run(kernel.events.drain(10))


@pytest.mark.usefixtures("rule")
def test_an_event_nobody_evaluated_opens_its_alert_at_the_next_pass(
    api: Any, alerts_kernel: Any, receiver: Receiver
) -> None:
    onu = add_device(alerts_kernel, "onu-1")
    event_id = stored_only(alerts_kernel, "onu.los", onu, utcnow() - timedelta(minutes=5))
    assert open_alerts(api) == []

    job = alerts_kernel.jobs.get(alerts_kernel.jobs.enqueue(engine.JOB_TYPE, {}))
    settle(alerts_kernel)
    assert job.status == "done", job.error
    assert job.result["replayed"] == 1
    [alert] = open_alerts(api)
    assert alert["device_id"] == onu
    assert alert["details"]["event_id"] == event_id
    assert [m["subject"] for m in receiver.received] == ["[MAJOR] ONU LOS: onu-1"]
    assert cursor(alerts_kernel) == event_id

    # The next pass starts after it: nothing is replayed twice.
    assert recovery.recover(alerts_kernel, now=utcnow() + timedelta(minutes=5))["replayed"] == 0
    settle(alerts_kernel)
    assert len(receiver.received) == 1
    assert open_alerts(api)[0]["occurrences"] == 1


@pytest.mark.usefixtures("rule")
def test_evaluated_events_are_not_replayed_and_their_marks_are_forgotten(
    api: Any, alerts_kernel: Any, receiver: Receiver
) -> None:
    onu = add_device(alerts_kernel, "onu-1")
    emit(alerts_kernel, "onu.los", onu)
    [alert] = open_alerts(api)
    assert marks(alerts_kernel) >= 1

    result = recovery.recover(alerts_kernel, now=utcnow() + timedelta(minutes=5))
    settle(alerts_kernel)
    assert result == {"replayed": 0, "superseded": 0}
    assert open_alerts(api)[0]["occurrences"] == alert["occurrences"] == 1
    assert len(receiver.received) == 1
    assert marks(alerts_kernel) == 0
    with alerts_kernel.db.engine.connect() as connection:
        last = connection.execute(select(func.max(device_events.c.id))).scalar()
    assert cursor(alerts_kernel) == last


@pytest.mark.usefixtures("rule")
def test_an_unevaluated_event_older_than_an_evaluated_one_is_not_replayed(
    api: Any, alerts_kernel: Any
) -> None:
    onu = add_device(alerts_kernel, "onu-1")
    stored_only(alerts_kernel, "onu.los", onu, utcnow() - timedelta(minutes=5))
    emit(alerts_kernel, "onu.online", onu)  # evaluated: the ONU is back

    result = recovery.recover(alerts_kernel, now=utcnow() + timedelta(minutes=5))
    settle(alerts_kernel)
    assert result == {"replayed": 0, "superseded": 1}
    assert open_alerts(api) == []
    recovered = scrape_metrics(api)
    assert recovered[("rjc_alert_events_recovered_total", (("outcome", "superseded"),))] == 1
    assert recovered[("rjc_alert_events_recovered_total", (("outcome", "replayed"),))] == 0


@pytest.mark.usefixtures("rule")
def test_young_events_are_left_to_their_evaluator(api: Any, alerts_kernel: Any) -> None:
    onu = add_device(alerts_kernel, "onu-1")
    old = stored_only(alerts_kernel, "device.updated", onu, utcnow() - timedelta(minutes=5))
    young = stored_only(alerts_kernel, "onu.los", onu, utcnow())
    # A stale event stored after a young one (a slow transaction) waits behind it.
    stored_only(alerts_kernel, "onu.los", onu, utcnow() - timedelta(minutes=5))

    assert recovery.recover(alerts_kernel)["replayed"] == 0
    assert cursor(alerts_kernel) == old
    assert open_alerts(api) == []

    assert recovery.recover(alerts_kernel, now=utcnow() + timedelta(minutes=5))["replayed"] == 2
    settle(alerts_kernel)
    [alert] = open_alerts(api)
    assert alert["details"]["event_id"] == young
    assert alert["occurrences"] == 2


@pytest.mark.usefixtures("rule")
def test_a_backlog_longer_than_one_read_is_worked_off_in_one_pass(
    api: Any, alerts_kernel: Any
) -> None:
    onus = [add_device(alerts_kernel, f"onu-{n}") for n in range(5)]
    for onu in onus:
        stored_only(alerts_kernel, "onu.los", onu, utcnow() - timedelta(minutes=5))

    assert recovery.recover(alerts_kernel, limit=2) == {"replayed": 5, "superseded": 0}
    settle(alerts_kernel)
    assert sorted(a["device_id"] for a in open_alerts(api)) == sorted(onus)


CRASHING_EMITTER = """
import sys, threading, time
from pathlib import Path
from rjchronos.alerts import evaluator
from rjchronos.config import Settings
from rjchronos.kernel import Kernel

evaluator.evaluate = lambda kernel, batch: time.sleep(3600)  # evaluation never finishes
kernel = Kernel(Settings(home=Path(sys.argv[1]), database_url=sys.argv[2], broker_url="inline:"))
for n, device_id in enumerate(sys.argv[3:]):
    payload = {"olt_id": "olt-1", "port": "0/1/0", "onu_id": n, "serial": f"HWTC{n:08d}"}
    threading.Thread(target=kernel.events.emit, args=("onu.los", device_id, payload)).start()
time.sleep(3600)
"""


@pytest.mark.usefixtures("rule")
def test_events_of_a_killed_process_open_their_alerts_at_the_next_pass(
    api: Any, alerts_kernel: Any, tmp_path: Any
) -> None:
    onus = [add_device(alerts_kernel, f"onu-{n}") for n in range(3)]
    settings = alerts_kernel.settings
    child = subprocess.Popen(
        [sys.executable, "-c", CRASHING_EMITTER, str(settings.home), settings.database_url, *onus]
    )
    try:
        deadline = time.monotonic() + 60
        while stored(alerts_kernel, "onu.los") < 3:
            assert child.poll() is None and time.monotonic() < deadline, (
                "the events were not stored"
            )
            time.sleep(0.1)
    finally:
        child.kill()
        child.wait(10)
    assert open_alerts(api) == []

    result = recovery.recover(alerts_kernel, now=utcnow() + timedelta(minutes=5))
    settle(alerts_kernel)
    assert result == {"replayed": 3, "superseded": 0}
    assert sorted(a["device_id"] for a in open_alerts(api)) == sorted(onus)


def stored(kernel: Any, type: str) -> int:
    with kernel.db.engine.connect() as connection:
        count = select(func.count()).where(device_events.c.type == type)
        return int(connection.execute(count).scalar())
