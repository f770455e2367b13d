"""Zero-touch provisioning over real HTTP with the CPE fleet simulator."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from acs_testkit import CPE_PASSWORD, CPE_USER
from sqlalchemy import select, text

from rjchronos.inventory import service
from rjchronos.inventory.models import DeviceEventRecord
from rjchronos_sdk.sim.cpe import Fleet
from rjchronos_sdk.sim.cpe.cpe import SimulatedCpe

INTERVAL = "periodic_inform_interval"
VOIP_LINK = "Device.Ethernet.Link.9"


def profile(api: Any, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post("/api/v1/profiles", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def session(fleet: Fleet, cpe: SimulatedCpe, event: str) -> None:
    """Have ``cpe`` open one more session with ``event`` and wait for it to end well."""
    done = fleet.counters["sessions_ok"]
    cpe.add_event(event)
    fleet.wake(cpe)
    await fleet.wait_until(lambda: fleet.counters["sessions_ok"] > done, timeout=15)
    assert fleet.counters["sessions_failed"] == 0


def run_fleet(
    acs_url: str, model: str, cwmp: str, count: int, steps: Callable[[Fleet], Any]
) -> None:
    async def main() -> None:
        async with Fleet(
            acs_url,
            count,
            model,
            seed=7,
            interval=3600,
            cwmp_version=cwmp,
            acs_username=CPE_USER,
            acs_password=CPE_PASSWORD,
            connection_port=None,
        ) as fleet:
            await fleet.wait_until(lambda: fleet.counters["sessions_ok"] >= count, timeout=20)
            await steps(fleet)

    asyncio.run(main())


def events(kernel: Any, device_id: str, kind: str) -> list[dict[str, Any]]:
    with kernel.db.session() as db:
        rows = db.execute(
            select(DeviceEventRecord).where(
                DeviceEventRecord.device_id == device_id,  # type: ignore[arg-type]
                DeviceEventRecord.type == kind,  # type: ignore[arg-type]
            )
        ).scalars()
        return [dict(r.payload) for r in rows]


@pytest.mark.parametrize(("model", "cwmp"), [("tr098", "1.0"), ("tr181", "1.4")])
def test_a_new_cpe_gets_its_profile_and_the_next_session_writes_nothing(
    acs_url: str, acs_kernel: Any, api: Any, model: str, cwmp: str
) -> None:
    profile(
        api,
        {
            "name": "home",
            "triggers": ["0 BOOTSTRAP", "2 PERIODIC"],
            "desired": {
                "parameters": {INTERVAL: 600, "wifi.ssid": "Chronos", "wifi.channel": 11},
                "notifications": {"wifi.ssid": 2},
            },
        },
    )
    ssid = {"tr098": "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.SSID"}.get(
        model, "Device.WiFi.SSID.1.SSID"
    )
    root = "InternetGatewayDevice." if model == "tr098" else "Device."

    identities: list[str] = []

    async def steps(fleet: Fleet) -> None:
        identities.extend(c.device_id for c in fleet.cpes)
        for cpe in fleet.cpes:
            assert cpe.parameters[ssid] == "Chronos"
            assert cpe.parameters[root + "ManagementServer.PeriodicInformInterval"] == "600"
            assert cpe.notification(ssid) == 2
            assert cpe.stats.methods["SetParameterValues"] == 1
            assert cpe.stats.methods["SetParameterAttributes"] == 1
        first = fleet.cpes[0]
        await session(fleet, first, "2 PERIODIC")
        assert first.stats.methods["SetParameterValues"] == 1  # nothing new to write
        assert first.stats.methods["SetParameterAttributes"] == 1
        # A change made on the CPE is put right at the next periodic session.
        first.change_locally(ssid, "neighbour")
        await session(fleet, first, "2 PERIODIC")
        assert first.parameters[ssid] == "Chronos"
        assert first.stats.methods["SetParameterValues"] == 2

    run_fleet(acs_url, model, cwmp, 2, steps)
    device = service.find_device(acs_kernel, identity=identities[0])
    assert device is not None
    done = events(acs_kernel, device.id, "cpe.provisioned")
    assert done and done[0]["profiles"] == [{"name": "home", "version": 1}]
    assert done[0]["set"][ssid] == "Chronos"
    stored = api.get(f"/api/v1/devices/{device.id}/parameters", params={"prefix": ssid}).json()
    assert stored["items"][0]["value"] == "Chronos"


def test_a_profile_whose_preconditions_do_not_match_is_not_applied(
    acs_url: str, acs_kernel: Any, api: Any
) -> None:
    profile(
        api,
        {
            "name": "other-vendor",
            "preconditions": {"oui": ["FFFFFF"]},
            "triggers": ["0 BOOTSTRAP"],
            "desired": {"parameters": {"wifi.ssid": "never"}},
        },
    )
    profile(
        api,
        {
            "name": "tagged",
            "preconditions": {"tags": ["vip"]},
            "triggers": ["0 BOOTSTRAP"],
            "desired": {"parameters": {"wifi.ssid": "never"}},
        },
    )

    async def steps(fleet: Fleet) -> None:
        cpe = fleet.cpes[0]
        assert cpe.parameters["Device.WiFi.SSID.1.SSID"] != "never"
        assert cpe.stats.methods["SetParameterValues"] == 0
        assert cpe.stats.methods["GetParameterValues"] == 0

    run_fleet(acs_url, "tr181", "1.4", 1, steps)


def test_keyed_objects_are_added_once(acs_url: str, acs_kernel: Any, api: Any) -> None:
    profile(
        api,
        {
            "name": "voip-interface",
            "triggers": ["0 BOOTSTRAP", "1 BOOT"],
            "desired": {
                "objects": [
                    {
                        "path": "Device.IP.Interface.",
                        "key": {"LowerLayers": VOIP_LINK},
                        "values": {"Enable": True, "MaxMTUSize": 1400},
                    }
                ]
            },
        },
    )

    async def steps(fleet: Fleet) -> None:
        cpe = fleet.cpes[0]
        found = service.find_device(acs_kernel, identity=cpe.device_id)
        assert found is not None
        assert events(acs_kernel, found.id, "cpe.provisioning_failed") == []
        names = [
            p
            for p in cpe.parameters
            if p.startswith("Device.IP.Interface.") and p.endswith(".LowerLayers")
        ]
        assert [cpe.parameters[p] for p in names].count(VOIP_LINK) == 1
        assert cpe.stats.methods["AddObject"] == 1
        await session(fleet, cpe, "1 BOOT")
        assert cpe.stats.methods["AddObject"] == 1
        assert cpe.stats.methods["SetParameterValues"] == 1

    run_fleet(acs_url, "tr181", "1.4", 1, steps)


def test_pppoe_credentials_of_the_linked_customer_reach_the_cpe(
    acs_url: str, acs_kernel: Any, api: Any
) -> None:
    plan = api.post(
        "/api/v1/plans", json={"name": "fibra-300", "download_mbps": 300, "upload_mbps": 150}
    ).json()
    customer = api.post(
        "/api/v1/customers", json={"name": "Ana Souza", "external_id": "c-1", "plan_id": plan["id"]}
    ).json()
    answer = api.put(
        f"/api/v1/customers/{customer['id']}/pppoe",
        json={"username": "ana@isp", "password": "ppp-secret-1"},
    )
    assert answer.status_code == 200, answer.text
    profile(
        api,
        {
            "name": "pppoe",
            "preconditions": {"plan": ["fibra-300"]},
            "triggers": ["1 BOOT"],
            "desired": {"pppoe_from_customer": True},
        },
    )
    ppp = "InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANPPPConnection.1."

    async def steps(fleet: Fleet) -> None:
        cpe = fleet.cpes[0]
        # Not linked yet: the plan precondition does not hold.
        assert cpe.stats.methods["SetParameterValues"] == 0
        device = service.find_device(acs_kernel, identity=cpe.device_id)
        assert device is not None
        await asyncio.to_thread(service.link_customer, acs_kernel, device.id, customer["id"])
        await session(fleet, cpe, "1 BOOT")
        assert cpe.parameters[ppp + "Username"] == "ana@isp"
        assert cpe.parameters[ppp + "Password"] == "ppp-secret-1"

    run_fleet(acs_url, "tr098", "1.0", 1, steps)
    with acs_kernel.db.engine.connect() as connection:
        stored = connection.exec_driver_sql(
            "SELECT password_encrypted FROM acs_pppoe_credentials"
        ).scalar_one()
    assert "ppp-secret-1" not in stored


def test_profiles_are_versioned_audited_and_validated(api: Any, acs_kernel: Any) -> None:
    body = {"name": "basic", "triggers": ["1 BOOT"], "desired": {"parameters": {INTERVAL: 300}}}
    created = profile(api, body)
    assert created["version"] == 1
    changed = api.put(
        f"/api/v1/profiles/{created['id']}",
        json={**body, "desired": {"parameters": {INTERVAL: 900}}},
    )
    assert changed.status_code == 200
    assert changed.json()["version"] == 2
    assert api.get(f"/api/v1/profiles/{created['id']}").json()["desired"]["parameters"] == {
        INTERVAL: 900
    }
    bad = api.post("/api/v1/profiles", json={**body, "name": "x", "triggers": ["7 SOMETIME"]})
    assert bad.status_code == 422
    assert bad.json()["invalid_params"][0]["name"].startswith("body.triggers")
    unknown = api.post(
        "/api/v1/profiles", json={**body, "name": "y", "desired": {"parameters": {"wifi.sid": "a"}}}
    )
    assert unknown.status_code == 422
    assert "body.desired.parameters" in unknown.json()["invalid_params"][0]["name"]
    dotted = api.post(
        "/api/v1/profiles",
        json={
            **body,
            "name": "z",
            "desired": {"objects": [{"path": "Device.IP.Interface.", "key": {"A.B": "x"}}]},
        },
    )
    assert dotted.status_code == 422
    assert dotted.json()["invalid_params"][0]["name"] == "body.desired.objects.0.key.A.B"
    assert api.post("/api/v1/profiles", json=body).status_code == 409
    assert api.delete(f"/api/v1/profiles/{created['id']}").status_code == 204
    assert api.get(f"/api/v1/profiles/{created['id']}").status_code == 404
    assert [p["name"] for p in api.get("/api/v1/profiles").json()["items"]] == []
    with acs_kernel.db.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT action FROM audit_entries WHERE action LIKE :like ORDER BY seq"),
            {"like": "acs.profiles.%"},
        )
        actions = [row[0] for row in rows]
    assert actions == ["acs.profiles.create", "acs.profiles.update", "acs.profiles.delete"]


def test_on_demand_profiles_run_once_when_asked(acs_url: str, acs_kernel: Any, api: Any) -> None:
    profile(
        api,
        {
            "name": "fix-wifi",
            "triggers": ["on_demand"],
            "desired": {"parameters": {"wifi_5g.ssid": "Chronos-5G"}},
        },
    )
    ssid = "Device.WiFi.SSID.2.SSID"

    async def steps(fleet: Fleet) -> None:
        cpe = fleet.cpes[0]
        assert cpe.parameters[ssid] != "Chronos-5G"  # not asked for: the bootstrap skipped it
        device = service.find_device(acs_kernel, identity=cpe.device_id)
        assert device is not None
        answer = await asyncio.to_thread(api.post, f"/api/v1/devices/{device.id}/provision")
        assert answer.status_code == 202, answer.text
        assert answer.json()["connection_request"] in ("accepted", "failed", "unavailable")
        await session(fleet, cpe, "6 CONNECTION REQUEST")
        assert cpe.parameters[ssid] == "Chronos-5G"
        cpe.change_locally(ssid, "mine")
        await session(fleet, cpe, "2 PERIODIC")
        assert cpe.parameters[ssid] == "mine"  # asked for once, run once
        assert cpe.stats.methods["SetParameterValues"] == 1

    run_fleet(acs_url, "tr181", "1.4", 1, steps)
