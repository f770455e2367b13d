"""Aggregates by neighbourhood (own site, else the customer's), percentiles of raw samples,
sums and devices with non-zero samples (error counts)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from rjchronos.customers.models import Customer
from rjchronos.inventory.models import Device, Site
from rjchronos.telemetry.store import Sample, percentile

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
URL = "/api/v1/telemetry/query"
RANGE = {"start": T0.isoformat(), "end": (T0 + timedelta(hours=1)).isoformat()}
PING = "cpe.ping_avg_ms"
PPP = "cpe.pppoe_error"


@pytest.fixture
def homes(rjc_kernel: Any) -> dict[str, str]:
    """CPEs in Boa Vista (Recife) through their own site or their customer's, one in Centro
    (Olinda), one nowhere."""
    ids: dict[str, str] = {}
    with rjc_kernel.db.session() as session:
        boa_vista = Site(name="Casa 1", neighbourhood="Boa Vista", city="Recife")
        centro = Site(name="Casa 2", neighbourhood="Centro", city="Olinda")
        session.add_all([boa_vista, centro])
        session.flush()
        customer = Customer(name="Ana", site_id=boa_vista.id)
        session.add(customer)
        session.flush()
        for name, fields in {
            "own": {"site_id": boa_vista.id},
            "home": {"customer_id": customer.id},
            "olinda": {"site_id": centro.id},
            "nowhere": {},
        }.items():
            device = Device(kind="cpe", name=name, status="online", **fields)
            session.add(device)
            session.flush()
            ids[name] = device.id
    minute = timedelta(minutes=1)
    rjc_kernel.telemetry.write(
        [Sample(ids["own"], PING, T0 + i * minute, v) for i, v in enumerate((10, 20, 30))]
        + [Sample(ids["home"], PING, T0, 40.0), Sample(ids["olinda"], PING, T0, 7.0)]
        + [Sample(ids["own"], PPP, T0 + i * minute, v) for i, v in enumerate((0, 1, 1))]
        + [Sample(ids["home"], PPP, T0, 0.0), Sample(ids["olinda"], PPP, T0, 1.0)]
    )
    return ids


@pytest.fixture
def viewer(rjc_client_factory: Callable[..., Any]) -> Any:
    return rjc_client_factory("viewer")


def _groups(answer: Any) -> dict[str, dict[str, Any]]:
    assert answer.status_code == 200, answer.text
    return {g["key"]: g for g in answer.json()["groups"]}


def test_latency_per_neighbourhood_with_percentiles(viewer: Any, homes: dict[str, str]) -> None:
    params = {"group_by": "neighbourhood", "metric": PING, "kind": "cpe", **RANGE}
    found = _groups(viewer.get(URL, params={**params, "percentiles": "50,95"}))
    assert set(found) == {"Boa Vista, Recife", "Centro, Olinda", ""}
    boa_vista = found["Boa Vista, Recife"]
    assert (boa_vista["devices"], boa_vista["reporting"], boa_vista["samples"]) == (2, 2, 4)
    assert boa_vista["avg"] == pytest.approx(25.0)
    assert boa_vista["p50"] == pytest.approx(25.0)
    assert boa_vista["p95"] == pytest.approx(38.5)  # 30 + 0.85 * (40 - 30)
    assert found["Centro, Olinda"]["p95"] == 7.0
    assert found[""]["p95"] is None and found[""]["devices"] == 1
    plain = _groups(viewer.get(URL, params=params))
    assert "p95" not in plain["Boa Vista, Recife"]


def test_error_counts_per_neighbourhood(viewer: Any, homes: dict[str, str]) -> None:
    params = {"group_by": "neighbourhood", "metric": PPP, "kind": "cpe", **RANGE}
    found = _groups(viewer.get(URL, params=params))
    assert (found["Boa Vista, Recife"]["sum"], found["Boa Vista, Recife"]["nonzero"]) == (2.0, 1)
    assert (found["Centro, Olinda"]["sum"], found["Centro, Olinda"]["nonzero"]) == (1.0, 1)


@pytest.mark.parametrize("value", ["95,abc", "101", "1,2,3,4,5,6"])
def test_bad_percentiles_are_named(viewer: Any, homes: dict[str, str], value: str) -> None:
    params = {"group_by": "neighbourhood", "metric": PING, "kind": "cpe", "percentiles": value}
    answer = viewer.get(URL, params=params)
    assert answer.status_code == 422, answer.text
    assert [p["name"] for p in answer.json()["invalid_params"]] == ["query.percentiles"]


def test_store_values_and_percentile(rjc_kernel: Any, homes: dict[str, str]) -> None:
    end = T0 + timedelta(hours=1)
    found = rjc_kernel.telemetry.values([homes["own"], homes["home"]], PING, T0, end)
    assert sorted(found[homes["own"]]) == [10.0, 20.0, 30.0]
    assert found[homes["home"]] == [40.0]
    with pytest.raises(ValueError, match="more than 3 samples"):
        rjc_kernel.telemetry.values([homes["own"], homes["home"]], PING, T0, end, limit=3)
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([5.0], 99) == 5.0
