"""The diagnosis scores a device's own series with the installed baseline analyzer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import numpy as np

from rjchronos.db.types import utcnow
from rjchronos.inventory.models import Device
from rjchronos.telemetry.store import Sample
from rjchronos_sdk import Kernel

STEP = timedelta(minutes=5)


def _onu(kernel: Kernel, name: str, shift_db: float) -> str:
    """An ONU with a day of Rx around -21 dBm; the last 30 minutes shifted by ``shift_db``."""
    with kernel.db.session() as session:
        onu = Device(kind="onu", name=name, status="online")
        session.add(onu)
        session.commit()
        onu_id = onu.id
    rng = np.random.default_rng(3)
    now = utcnow()
    count = int(timedelta(days=1) / STEP)
    samples = []
    for i in range(count):
        at = now - (count - i) * STEP
        level = -21.0 + (shift_db if now - at <= timedelta(minutes=30) else 0.0)
        samples.append(Sample(onu_id, "onu.rx_dbm", at, level + float(rng.normal(0, 0.3))))
    kernel.telemetry.write(samples)
    return onu_id


def test_a_sudden_fall_in_rx_is_flagged_by_the_baseline_analyzer(
    rjc_kernel_factory: Callable[..., Kernel], rjc_client_factory: Callable[..., Any]
) -> None:
    kernel = rjc_kernel_factory(entrypoints=["analyze-baseline"])
    fallen, steady = _onu(kernel, "ONU-fallen", -4.0), _onu(kernel, "ONU-steady", 0.0)
    api = rjc_client_factory("viewer", kernel=kernel)

    items = api.get(f"/api/v1/devices/{fallen}/diagnosis").json()["items"]
    [anomaly] = [i for i in items if i["cause"] == "telemetry_anomaly"]
    assert (anomaly["facts"]["analyzer"], anomaly["facts"]["metric"]) == ("baseline", "onu.rx_dbm")
    assert anomaly["facts"]["anomaly_score"] >= 0.5
    assert anomaly["evidence"]["en"].startswith("analyzer baseline scored onu.rx_dbm")
    assert "mediana de 24 h -21" in anomaly["evidence"]["pt-BR"]
    assert api.get(f"/api/v1/devices/{steady}/diagnosis").json()["items"] == []
