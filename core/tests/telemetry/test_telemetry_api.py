"""The telemetry API: write samples, read series per device and for many entities, 422s."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from rjchronos.inventory.models import Device
from rjchronos.telemetry.store import Sample

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
METRIC = "onu.rx_power_dbm"


def iso(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


@pytest.fixture
def device_id(rjc_kernel: Any) -> str:
    with rjc_kernel.db.session() as session:
        device = Device(kind="onu", name="ONU 1", serial="HWTC11E70E9A")
        session.add(device)
    rjc_kernel.telemetry.write(
        [Sample(device.id, METRIC, T0 + timedelta(minutes=i), -20.0 - i / 10) for i in range(30)]
    )
    return device.id


@pytest.fixture
def viewer(rjc_client_factory: Callable[..., Any]) -> Any:
    return rjc_client_factory("viewer")


def test_device_series_raw_and_bucketed(viewer: Any, device_id: str) -> None:
    url = f"/api/v1/devices/{device_id}/telemetry"
    raw = viewer.get(url, params={"metric": METRIC, "start": iso(0), "end": iso(3)})
    assert raw.status_code == 200, raw.text
    body = raw.json()
    assert body["entity"] == device_id and body["metric"] == METRIC
    assert body["resolution_seconds"] is None
    assert body["points"] == [[iso(0), -20.0], [iso(1), -20.1], [iso(2), -20.2]]

    zoned = viewer.get(
        url,
        params={
            "metric": METRIC,
            "start": "2024-05-01T09:00:00-03:00",
            "end": "2024-05-01T12:10:00Z",
            "resolution": "PT5M",
        },
    )
    assert zoned.status_code == 200, zoned.text
    assert zoned.json()["start"] == iso(0) and zoned.json()["resolution_seconds"] == 300
    assert [p[0] for p in zoned.json()["points"]] == [iso(0), iso(5)]
    assert zoned.json()["points"][0][1] == pytest.approx(-20.2)

    seconds = viewer.get(
        url, params={"metric": METRIC, "start": iso(0), "end": iso(30), "resolution": "600"}
    )
    assert [p[0] for p in seconds.json()["points"]] == [iso(0), iso(10), iso(20)]

    metrics = viewer.get(f"/api/v1/devices/{device_id}/telemetry/metrics")
    assert metrics.json() == {"entity": device_id, "metrics": [METRIC]}


def test_default_range_is_the_last_day(rjc_kernel: Any, viewer: Any, device_id: str) -> None:
    now = datetime.now(UTC)
    rjc_kernel.telemetry.write(
        [
            Sample(device_id, METRIC, now - timedelta(hours=1), -18.0),
            Sample(device_id, METRIC, now - timedelta(hours=30), -19.0),
        ]
    )
    answer = viewer.get(f"/api/v1/devices/{device_id}/telemetry", params={"metric": METRIC})
    assert [p[1] for p in answer.json()["points"]] == [-18.0]


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({}, "query.metric"),
        ({"metric": METRIC, "start": "yesterday"}, "query.start"),
        ({"metric": METRIC, "start": "2024-05-01T12:00:00"}, "query.start"),
        ({"metric": METRIC, "end": "2024-05-01 25:00Z"}, "query.end"),
        (
            {"metric": METRIC, "start": "2024-05-01T12:00:00Z", "end": "2024-05-01T11:00:00Z"},
            "query.end",
        ),
        ({"metric": METRIC, "resolution": "5 minutes"}, "query.resolution"),
        ({"metric": METRIC, "resolution": "PT0S"}, "query.resolution"),
        ({"metric": METRIC, "resolution": "P1M"}, "query.resolution"),
        ({"metric": METRIC, "resolution": "1"}, "query.resolution"),  # 86,400 buckets in a day
    ],
)
def test_bad_series_parameters_are_named(
    viewer: Any, device_id: str, params: dict[str, str], name: str
) -> None:
    answer = viewer.get(f"/api/v1/devices/{device_id}/telemetry", params=params)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert [p["name"] for p in answer.json()["invalid_params"]] == [name]


def test_raw_series_too_long_asks_for_a_resolution(
    rjc_kernel: Any, viewer: Any, device_id: str
) -> None:
    many = [Sample(device_id, "fast", T0 + timedelta(seconds=i), float(i)) for i in range(10_001)]
    rjc_kernel.telemetry.write(many)
    url = f"/api/v1/devices/{device_id}/telemetry"
    raw = {"metric": "fast", "start": iso(0), "end": iso(600), "resolution": "raw"}
    answer = viewer.get(url, params=raw)
    assert answer.status_code == 422
    assert answer.json()["invalid_params"][0]["name"] == "query.resolution"
    # Without a resolution, 10 hours are read in 5-minute buckets.
    auto = viewer.get(url, params={"metric": "fast", "start": iso(0), "end": iso(600)})
    assert auto.json()["resolution_seconds"] == 300
    assert [p[0] for p in auto.json()["points"]][:3] == [iso(0), iso(5), iso(10)]
    assert auto.json()["points"][0][1] == pytest.approx(149.5)  # seconds 0..299
    bucketed = viewer.get(
        url, params={"metric": "fast", "start": iso(0), "end": iso(600), "resolution": "PT1M"}
    )
    assert len(bucketed.json()["points"]) == 167


def test_unknown_device_is_404(viewer: Any) -> None:
    answer = viewer.get("/api/v1/devices/01NOSUCHDEVICE/telemetry", params={"metric": METRIC})
    assert answer.status_code == 404


def test_query_many_entities(viewer: Any, rjc_kernel: Any, device_id: str) -> None:
    rjc_kernel.telemetry.write([Sample("olt-7", METRIC, T0, -15.0)])
    body = {
        "entities": [device_id, "olt-7", "nobody"],
        "metric": METRIC,
        "start": iso(0),
        "end": iso(10),
        "resolution": "PT10M",
    }
    answer = viewer.post("/api/v1/telemetry/query", json=body)
    assert answer.status_code == 200, answer.text
    series = {s["entity"]: s["points"] for s in answer.json()["series"]}
    assert series["olt-7"] == [[iso(0), -15.0]]
    assert series["nobody"] == []
    assert series[device_id][0][1] == pytest.approx(-20.45)
    assert answer.json()["resolution_seconds"] == 600


@pytest.mark.parametrize(
    ("body", "name"),
    [
        ({"metric": METRIC}, "body.entities"),
        ({"entities": [], "metric": METRIC}, "body.entities"),
        ({"entities": ["a", "a"], "metric": METRIC}, "body.entities"),
        ({"entities": ["a"]}, "body.metric"),
        ({"entities": ["a"], "metric": METRIC, "start": "2024-05-01"}, "body.start"),
        ({"entities": ["a"], "metric": METRIC, "end": 5}, "body.end"),
        ({"entities": ["a"], "metric": METRIC, "resolution": "soon"}, "body.resolution"),
        ({"entities": ["a"], "metric": METRIC, "window": "1h"}, "body.window"),
    ],
)
def test_bad_query_bodies_are_named(viewer: Any, body: dict[str, Any], name: str) -> None:
    answer = viewer.post("/api/v1/telemetry/query", json=body)
    assert answer.status_code == 422, answer.text
    assert name in [p["name"] for p in answer.json()["invalid_params"]]


def test_write_samples_needs_telemetry_write(
    rjc_kernel: Any, rjc_client: Any, viewer: Any, rjc_client_factory: Callable[..., Any]
) -> None:
    samples = [
        {
            "entity": "dev-9",
            "metric": METRIC,
            "time": iso(0),
            "value": -21.5,
            "labels": {"pon": "0/1"},
        },
        {"entity": "dev-9", "metric": METRIC, "time": "2024-05-01T09:01:00-03:00", "value": -21},
        {"entity": "dev-9", "metric": METRIC, "time": iso(0), "value": -30.0},
    ]
    assert viewer.post("/api/v1/telemetry", json={"samples": samples}).status_code == 403
    assert (
        rjc_client_factory("operator")
        .post("/api/v1/telemetry", json={"samples": samples})
        .status_code
        == 403
    )

    answer = rjc_client.post("/api/v1/telemetry", json={"samples": samples})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"received": 3, "written": 2, "duplicates": 1}
    assert rjc_kernel.telemetry.series("dev-9", METRIC, T0, T0 + timedelta(minutes=5)) == [
        (T0, -21.5),
        (T0 + timedelta(minutes=1), -21.0),
    ]
    again = rjc_client.post("/api/v1/telemetry", json={"samples": samples[:1]})
    assert again.json() == {"received": 1, "written": 0, "duplicates": 1}

    entry = next(e for e in rjc_kernel.audit.tail(20) if e["action"] == "telemetry.write")
    assert entry["params"] == {"samples": 3, "written": 2, "entities": 1}


@pytest.mark.parametrize(
    ("sample", "name"),
    [
        ({"metric": METRIC, "time": "2024-05-01T12:00:00Z", "value": 1}, "body.samples.0.entity"),
        (
            {"entity": "d", "metric": METRIC, "time": "2024-05-01T12:00:00", "value": 1},
            "body.samples.0.time",
        ),
        ({"entity": "d", "metric": METRIC, "time": "noon", "value": 1}, "body.samples.0.time"),
        (
            {"entity": "d", "metric": METRIC, "time": "2024-05-01T12:00:00Z", "value": "1"},
            "body.samples.0.value",
        ),
        (
            {
                "entity": "d",
                "metric": METRIC,
                "time": "2024-05-01T12:00:00Z",
                "value": 1,
                "labels": {"a": 1},
            },
            "body.samples.0.labels.a",
        ),
    ],
)
def test_bad_samples_are_named_and_nothing_is_written(
    rjc_kernel: Any, rjc_client: Any, sample: dict[str, Any], name: str
) -> None:
    good = {"entity": "d", "metric": METRIC, "time": "2024-05-01T12:05:00Z", "value": 2}
    answer = rjc_client.post("/api/v1/telemetry", json={"samples": [sample, good]})
    assert answer.status_code == 422, answer.text
    assert name in [p["name"] for p in answer.json()["invalid_params"]]
    assert rjc_kernel.telemetry.metrics("d") == []


def test_non_finite_value_is_refused(rjc_kernel: Any, rjc_client: Any) -> None:
    raw = (
        '{"samples": [{"entity": "d", "metric": "m", "time": "2024-05-01T12:00:00Z", '
        '"value": NaN}]}'
    )
    answer = rjc_client.post(
        "/api/v1/telemetry", content=raw, headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["invalid_params"][0]["name"] == "body.samples.0.value"
    assert rjc_kernel.telemetry.metrics("d") == []
