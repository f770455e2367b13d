"""Aggregates by OLT, PON, region and model over a hand-built topology; firmware shares;
permissions, scopes and problem+json errors of the telemetry reads."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from rjchronos.inventory.models import Device, Site
from rjchronos.security.tokens import issue_access_token
from rjchronos.security.users import bind_role, create_user
from rjchronos.telemetry.store import Sample

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
RX = "onu.rx_power_dbm"
URL = "/api/v1/telemetry/query"
RANGE = {"start": T0.isoformat(), "end": (T0 + timedelta(hours=1)).isoformat()}


@dataclass
class Net:
    ids: dict[str, str]


@pytest.fixture
def net(rjc_kernel: Any) -> Net:
    """OLT A (Norte) > PON A1 > splitter > ONUs a1, a2; A1 > a3 (its own site in Centro);
    OLT A > PON A2 > a4; OLT B (Sul) > PON B1 > b1; a CPE under a1."""
    ids: dict[str, str] = {}
    with rjc_kernel.db.session() as session:
        sites = {region: Site(name=region, region=region) for region in ("Norte", "Sul", "Centro")}
        session.add_all(sites.values())
        session.flush()

        def add(name: str, kind: str, parent: str | None, olt: str | None, **fields: Any) -> None:
            device = Device(kind=kind, name=name, parent_id=parent, olt_id=olt, **fields)
            session.add(device)
            session.flush()
            ids[name] = device.id

        add("A", "olt", None, None, site_id=sites["Norte"].id)
        add("B", "olt", None, None, site_id=sites["Sul"].id)
        a, b = ids["A"], ids["B"]
        add("A1", "pon", a, a)
        add("A2", "pon", a, a)
        add("B1", "pon", b, b)
        add("S", "splitter", ids["A1"], a)
        huawei = {"vendor": "Huawei", "model": "HG8245H", "firmware": "V1"}
        add("a1", "onu", ids["S"], a, **huawei)
        add("a2", "onu", ids["S"], a, **huawei)
        add("a3", "onu", ids["A1"], a, site_id=sites["Centro"].id, **huawei)
        add("a4", "onu", ids["A2"], a, **{**huawei, "firmware": "V2"})
        add("b1", "onu", ids["B1"], b, vendor="ZTE", model="F660", firmware="V2")
        add("c1", "cpe", ids["a1"], a)
    rjc_kernel.telemetry.write(
        [
            Sample(ids["a1"], RX, T0, -20.0),
            Sample(ids["a1"], RX, T0 + timedelta(minutes=5), -22.0),
            Sample(ids["a2"], RX, T0, -25.0),
            Sample(ids["a3"], RX, T0, -18.0),
            Sample(ids["a4"], RX, T0 - timedelta(hours=1), -27.0),  # before the range
            Sample(ids["b1"], RX, T0, -15.0),
            Sample(ids["c1"], "cpe.latency_ms", T0, 12.0),
        ]
    )
    return Net(ids)


@pytest.fixture
def scoped(rjc_kernel: Any, rjc_client_factory: Callable[..., Any]) -> Callable[..., Any]:
    counter = iter(range(1000))

    def make(scope: str | None, role: str | None = "viewer") -> Any:
        user = create_user(rjc_kernel, f"user-{next(counter)}", "correct horse battery", roles=())
        assert user.id is not None
        if role:
            bind_role(rjc_kernel, user.id, role, scope)
        token, _ = issue_access_token(rjc_kernel, user)
        client = rjc_client_factory(None)
        client.headers["Authorization"] = f"Bearer {token}"
        return client

    return make


def groups(answer: Any) -> dict[str, dict[str, Any]]:
    assert answer.status_code == 200, answer.text
    return {g["key"]: g for g in answer.json()["groups"]}


def test_by_olt(viewer: Any, net: Net) -> None:
    by_olt = groups(viewer.get(URL, params={"group_by": "olt", "metric": RX, **RANGE}))
    a, b = by_olt[net.ids["A"]], by_olt[net.ids["B"]]
    assert (a["label"], a["devices"], a["reporting"], a["samples"]) == ("A", 4, 3, 4)
    assert a["avg"] == pytest.approx((-20 - 22 - 25 - 18) / 4)
    assert (a["min"], a["max"]) == (-25.0, -18.0)
    assert (b["devices"], b["avg"], b["min"], b["max"]) == (1, -15.0, -15.0, -15.0)


def test_by_pon_through_splitters_and_for_cpes(viewer: Any, net: Net) -> None:
    by_pon = groups(viewer.get(URL, params={"group_by": "pon", "metric": RX, **RANGE}))
    assert {k: (g["label"], g["devices"]) for k, g in by_pon.items()} == {
        net.ids["A1"]: ("A1", 3),
        net.ids["A2"]: ("A2", 1),
        net.ids["B1"]: ("B1", 1),
    }
    assert by_pon[net.ids["A2"]]["avg"] is None  # its sample is outside the range
    assert by_pon[net.ids["A1"]]["min"] == -25.0
    params = {"group_by": "pon", "metric": "cpe.latency_ms", "kind": "cpe", **RANGE}
    cpes = groups(viewer.get(URL, params=params))
    assert cpes[net.ids["A1"]]["avg"] == 12.0


def test_by_region_and_model(viewer: Any, net: Net) -> None:
    by_region = groups(viewer.get(URL, params={"group_by": "region", "metric": RX, **RANGE}))
    assert {k: g["devices"] for k, g in by_region.items()} == {"Norte": 3, "Centro": 1, "Sul": 1}
    assert by_region["Norte"]["avg"] == pytest.approx((-20 - 22 - 25) / 3)
    assert by_region["Centro"]["avg"] == -18.0  # the ONU's own site wins over its OLT's
    by_model = groups(viewer.get(URL, params={"group_by": "model", "metric": RX, **RANGE}))
    assert {k: g["devices"] for k, g in by_model.items()} == {"Huawei HG8245H": 4, "ZTE F660": 1}
    assert by_model["ZTE F660"]["max"] == -15.0


def test_firmware_shares(viewer: Any, net: Net) -> None:
    answer = viewer.get(URL, params={"group_by": "firmware"})
    assert groups(answer) == {
        "V1": {"key": "V1", "label": "V1", "devices": 3, "share": 0.6},
        "V2": {"key": "V2", "label": "V2", "devices": 2, "share": 0.4},
    }
    assert answer.json()["devices"] == 5


def test_scoped_reader_sees_its_olt_only(scoped: Callable[..., Any], net: Net) -> None:
    client = scoped(f"olt:{net.ids['B']}")
    by_olt = groups(client.get(URL, params={"group_by": "olt", "metric": RX, **RANGE}))
    assert list(by_olt) == [net.ids["B"]]
    series = f"/api/v1/devices/{{}}/telemetry?metric={RX}"
    assert client.get(series.format(net.ids["b1"])).status_code == 200
    hidden = client.get(series.format(net.ids["a1"]))
    assert hidden.status_code == 404
    assert hidden.headers["content-type"].startswith("application/problem+json")
    body = {"entities": [net.ids["b1"], net.ids["a1"]], "metric": RX, **RANGE}
    answer = client.post(URL, json=body)
    assert answer.status_code == 404
    assert answer.json()["invalid_params"][0]["name"] == "body.entities.1"
    region = scoped("region:Norte")
    assert set(groups(region.get(URL, params={"group_by": "region", "metric": RX, **RANGE}))) == {
        "Norte",
        "Centro",  # a3 sits under OLT A, whose site is in Norte
    }


def test_permissions(
    rjc_client_factory: Callable[..., Any], scoped: Callable[..., Any], net: Net
) -> None:
    params = {"group_by": "olt", "metric": RX}
    assert rjc_client_factory(None).get(URL, params=params).status_code == 401
    no_role = scoped(None, role=None)
    assert no_role.get(URL, params=params).status_code == 403
    series = no_role.get(f"/api/v1/devices/{net.ids['a1']}/telemetry", params={"metric": RX})
    assert series.status_code == 403


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"metric": RX}, "query.group_by"),
        ({"group_by": "street", "metric": RX}, "query.group_by"),
        ({"group_by": "olt"}, "query.metric"),
        ({"group_by": "olt", "metric": RX, "kind": "toaster"}, "query.kind"),
        ({"group_by": "olt", "metric": RX, "start": "yesterday"}, "query.start"),
    ],
)
def test_bad_aggregate_queries_are_named(
    viewer: Any, net: Net, params: dict[str, str], name: str
) -> None:
    answer = viewer.get(URL, params=params)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert [p["name"] for p in answer.json()["invalid_params"]] == [name]


@pytest.fixture
def viewer(rjc_client_factory: Callable[..., Any]) -> Any:
    return rjc_client_factory("viewer")


def test_openapi_lists_both_methods_of_the_query_path(viewer: Any) -> None:
    document = viewer.get("/api/v1/openapi.json").json()
    path = document["paths"]["/api/v1/telemetry/query"]
    assert {"get", "post"} <= set(path)
    names = {p["name"] for p in path["get"]["parameters"]}
    assert {"group_by", "metric", "kind", "start", "end"} <= names
