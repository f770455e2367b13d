"""OLT records through the API: secrets sealed, the connection test, clear errors."""

from __future__ import annotations

from typing import Any

import pytest
from olt_testkit import RunningOlt

from rjchronos_olt_manager.models import OltConnection

DRIVERS = {"huawei": "huawei-smartax", "zte": "zte-zxan"}


@pytest.mark.parametrize("vendor", ["huawei", "zte"])
def test_an_olt_is_added_tested_and_its_driver_chosen(
    vendor: str, api: Any, olt_kernel: Any, running_olt: Any
) -> None:
    olt: RunningOlt = running_olt(vendor)
    created = api.post("/api/v1/olts", json=olt.olt_body())
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["password_set"] is True and body["community_set"] is True
    assert "password" not in body and "community" not in body
    assert olt.sim.password not in created.text

    with olt_kernel.db.session() as session:
        row = session.get(OltConnection, body["id"])
        assert row is not None and olt.sim.password not in row.password_encrypted
        assert olt_kernel.secrets.decrypt(row.community_encrypted) == olt.sim.community

    tested = api.post(f"/api/v1/olts/{body['id']}/test")
    assert tested.status_code == 200, tested.text
    result = tested.json()
    assert result["ok"] is True, result
    assert result["driver"] == DRIVERS[vendor]
    assert result["facts"]["vendor"].lower() == vendor
    assert result["facts"]["model"]
    assert "authorize" in result["capabilities"]
    shown = api.get(f"/api/v1/olts/{body['id']}").json()
    assert shown["model"] == result["facts"]["model"]
    assert [o["id"] for o in api.get("/api/v1/olts").json()["items"]] == [body["id"]]


def test_a_wrong_password_is_named_by_the_test(api: Any, running_olt: Any) -> None:
    olt: RunningOlt = running_olt("huawei")
    olt_id = api.post("/api/v1/olts", json=olt.olt_body(password="not-it")).json()["id"]
    result = api.post(f"/api/v1/olts/{olt_id}/test").json()
    assert result["ok"] is False
    assert "wrong credentials" in result["error"]
    assert f"{olt.sim.host}:{olt.sim.ssh_port}" in result["error"]


def test_an_unreachable_olt_is_named_by_the_test(
    api: Any, running_olt: Any, closed_port: int
) -> None:
    olt: RunningOlt = running_olt("huawei")
    olt_id = api.post("/api/v1/olts", json=olt.olt_body(ssh_port=closed_port)).json()["id"]
    result = api.post(f"/api/v1/olts/{olt_id}/test").json()
    assert result["ok"] is False
    assert "unreachable" in result["error"]
    assert f"127.0.0.1:{closed_port}" in result["error"]


def test_an_snmp_timeout_is_named_by_the_test(api: Any, running_olt: Any) -> None:
    olt: RunningOlt = running_olt("zte")  # ZXAN identifies itself over SNMP
    body = olt.olt_body(community="wrong", timeout_seconds=0.5)
    olt_id = api.post("/api/v1/olts", json=body).json()["id"]
    result = api.post(f"/api/v1/olts/{olt_id}/test").json()
    assert result["ok"] is False
    assert "no SNMP answer" in result["error"]


def test_no_matching_driver_is_a_clear_answer(api: Any, running_olt: Any) -> None:
    olt: RunningOlt = running_olt("huawei")
    olt_id = api.post("/api/v1/olts", json=olt.olt_body(driver="no-such-driver")).json()["id"]
    result = api.post(f"/api/v1/olts/{olt_id}/test").json()
    assert result["ok"] is False
    assert "no driver 'no-such-driver'" in result["error"]


def test_bad_input_names_the_field_and_changes_nothing(api: Any) -> None:
    missing = api.post("/api/v1/olts", json={"name": "x", "management_address": "10.0.0.1"})
    assert missing.status_code == 422
    assert {p["name"] for p in missing.json()["invalid_params"]} >= {"body.password"}
    bad_port = api.post(
        "/api/v1/olts",
        json={
            "name": "x",
            "management_address": "h",
            "username": "u",
            "password": "p",
            "ssh_port": 70000,
        },
    )
    assert bad_port.status_code == 422
    assert bad_port.json()["invalid_params"][0]["name"] == "body.ssh_port"
    bad_site = api.post(
        "/api/v1/olts",
        json={
            "name": "x",
            "management_address": "h",
            "username": "u",
            "password": "p",
            "site_id": "nope",
        },
    )
    assert bad_site.status_code == 422
    assert bad_site.json()["invalid_params"][0]["name"] == "body.site_id"
    assert api.get("/api/v1/olts").json()["items"] == []


def test_update_keeps_secrets_sealed_and_delete_removes_the_olt(
    api: Any, olt_kernel: Any, running_olt: Any
) -> None:
    olt: RunningOlt = running_olt("huawei")
    olt_id = api.post("/api/v1/olts", json=olt.olt_body()).json()["id"]
    changed = api.patch(f"/api/v1/olts/{olt_id}", json={"password": "n3w", "name": "core-1"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["name"] == "core-1" and changed.json()["password_set"] is True
    with olt_kernel.db.session() as session:
        row = session.get(OltConnection, olt_id)
        assert row is not None and olt_kernel.secrets.decrypt(row.password_encrypted) == "n3w"
    assert api.delete(f"/api/v1/olts/{olt_id}").status_code == 204
    assert api.get(f"/api/v1/olts/{olt_id}").status_code == 404
    with olt_kernel.db.session() as session:
        assert session.get(OltConnection, olt_id) is None


def test_routes_need_their_permissions(
    api: Any, olt_kernel: Any, rjc_client_factory: Any, running_olt: Any
) -> None:
    olt: RunningOlt = running_olt("huawei")
    olt_id = api.post("/api/v1/olts", json=olt.olt_body()).json()["id"]
    viewer = rjc_client_factory("viewer", kernel=olt_kernel)
    assert viewer.get(f"/api/v1/olts/{olt_id}").status_code == 200
    assert viewer.post(f"/api/v1/olts/{olt_id}/test").status_code == 403
    assert viewer.post(f"/api/v1/olts/{olt_id}/onus", json={}).status_code == 403
    anonymous = rjc_client_factory(None, kernel=olt_kernel)
    assert anonymous.get("/api/v1/olts").status_code == 401
