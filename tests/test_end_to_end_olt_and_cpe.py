"""End to end: an ONU authorized on a simulated OLT, and the CPE behind it informing the ACS.

The OLT simulator answers SSH and SNMP, the CPE fleet simulator speaks CWMP to
the ACS under uvicorn, and everything in between is the installed plugins:
olt-huawei, olt-manager and acs-tr069.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from rjchronos.inventory.models import Device
from rjchronos_sdk.sim.cpe import Fleet
from rjchronos_sdk.sim.olt import OltSimulator
from rjchronos_sdk.testing import DEADLINE, LoopThread, serve_asgi


def test_an_authorized_onu_comes_online_and_its_cpe_appears_under_it(
    rjc_kernel_factory: Callable[..., Any], rjc_client_factory: Callable[..., Any]
) -> None:
    from rjchronos_acs_tr069.server import build_app
    from rjchronos_olt_manager.collector import JOB_TYPE

    kernel = rjc_kernel_factory(
        entrypoints=["acs-tr069", "olt-huawei", "olt-manager"],
        plugin_settings={"acs-tr069": {"cpe_auth": "none"}},
    )
    api = rjc_client_factory("admin", kernel=kernel)
    loop = LoopThread()
    olt = OltSimulator("huawei", ports=1, onus_per_port=1, seed=7, drift_interval=0)
    loop.run(olt.start())
    try:
        with serve_asgi(build_app(kernel)) as acs_url:
            fleet = Fleet(f"{acs_url}/", 1, "tr181", seed=11, ont=True, interval=3600)
            loop.run(fleet.start())
            try:
                loop.run(fleet.wait_until(lambda: fleet.counters["informs"] >= 1, DEADLINE))
                serial = fleet.cpes[0].serial

                slot, port_number = next(iter(olt.state.ports))
                loop.call(lambda: olt.new_unconfigured(port_number, serial, slot=slot))
                port = f"0/{slot}/{port_number}"
                added = api.post(
                    "/api/v1/olts",
                    json={
                        "name": "OLT-E2E", "vendor": "Huawei", "management_address": olt.host,
                        "ssh_port": olt.ssh_port, "username": olt.username,
                        "password": olt.password, "snmp_port": olt.snmp_port,
                        "community": olt.community, "timeout_seconds": 5, "pon_ports": [port],
                    },
                )  # fmt: skip
                assert added.status_code == 201, added.text
                olt_id = added.json()["id"]
                waiting = api.get(f"/api/v1/olts/{olt_id}/unconfigured-onus").json()["items"]
                assert [onu["serial"] for onu in waiting] == [serial]

                authorized = api.post(
                    f"/api/v1/olts/{olt_id}/onus",
                    json={
                        "port": port, "serial": serial, "line_profile": "10",
                        "service_profile": "10", "vlan": 100,
                    },
                )  # fmt: skip
                assert authorized.status_code == 201, authorized.text
                job = kernel.jobs.get(kernel.jobs.enqueue(JOB_TYPE, {"device_id": olt_id}))
                assert job.status == "done", job.error

                with kernel.db.session() as session:
                    found = session.execute(select(Device).where(Device.serial == serial))
                    by_kind = {device.kind: device for device in found.scalars()}
                onu, cpe = by_kind["onu"], by_kind["cpe"]
                assert onu.status == "online" and onu.olt_id == olt_id
                assert (cpe.parent_id, cpe.olt_id) == (onu.id, olt_id)
                tree = api.get(f"/api/v1/topology/{olt_id}").json()
                assert cpe.id in str(tree)
            finally:
                loop.run(fleet.stop())
    finally:
        loop.run(olt.stop())
        loop.close()
