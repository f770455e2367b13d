"""Route outage on the simulated OLT: a cut splitter is one fiber incident, a blackout a power one.

The OLT simulator answers SNMP and SSH; the olt-huawei driver and the
olt-manager collector read it and emit ``onu.los``, ``onu.dying_gasp`` and
``onu.online`` as they would in production; the alerts built-in correlates
them over the inventory topology. Operators and customers are reached through
``log-file`` channels (examples/hello) standing in for e-mail and SMS.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from rjchronos.customers.models import Customer
from rjchronos.inventory.models import Device, devices
from rjchronos_sdk.sim.olt import OltSimulator
from rjchronos_sdk.testing import LoopThread

CUT = 60
SPARE = 20


def _settle(kernel: Any) -> None:
    for _ in range(3):  # listeners emit incident.* events of their own
        asyncio.run(kernel.events.drain(120))


def _lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_cut_splitter_on_the_simulated_olt(
    rjc_kernel_factory: Callable[..., Any], rjc_client_factory: Callable[..., Any], tmp_path: Path
) -> None:
    from rjchronos_olt_manager.collector import JOB_TYPE

    logs = {name: tmp_path / f"{name}.log" for name in ("noc", "email", "sms")}
    kernel = rjc_kernel_factory(
        entrypoints=["olt-huawei", "olt-manager", "example-hello"],
        plugin_settings={
            "builtin.alerts": {
                "incident_channels": ["noc"],
                "customer_channels": {"email": "customers-email", "phone": "customers-sms"},
                "outage_window_seconds": 60,
            },
            "builtin.inventory": {"listener_timeout_seconds": 120},
        },
    )
    api = rjc_client_factory("admin", kernel=kernel)
    for name, path in (("noc", logs["noc"]), ("customers-email", logs["email"]),
                       ("customers-sms", logs["sms"])):  # fmt: skip
        created = api.post(
            "/api/v1/notification-channels",
            json={"name": name, "type": "log-file", "config": {"path": str(path)},
                  "recipient": "noc@isp.example" if name == "noc" else ""},
        )  # fmt: skip
        assert created.status_code == 201, created.text

    loop = LoopThread()
    olt = OltSimulator("huawei", ports=1, onus_per_port=CUT + SPARE, seed=5, drift_interval=0)
    loop.run(olt.start())
    try:
        slot, port = next(iter(olt.state.ports))
        added = api.post(
            "/api/v1/olts",
            json={"name": "OLT-Centro", "vendor": "Huawei", "management_address": olt.host,
                  "ssh_port": olt.ssh_port, "username": olt.username, "password": olt.password,
                  "snmp_port": olt.snmp_port, "community": olt.community,
                  "timeout_seconds": 10, "pon_ports": [f"0/{slot}/{port}"]},
        )  # fmt: skip
        assert added.status_code == 201, added.text
        olt_id = added.json()["id"]

        def collect() -> None:
            job = kernel.jobs.get(kernel.jobs.enqueue(JOB_TYPE, {"device_id": olt_id}))
            assert job.status == "done", job.error
            _settle(kernel)

        collect()
        sim_onus = sorted(loop.call(lambda: list(olt.state.all_onus())), key=lambda o: o.onu_id)
        cut_ids = [o.onu_id for o in sim_onus[:CUT]]
        with kernel.db.session() as session:
            by_serial = {
                d.serial: d
                for d in session.execute(select(Device).where(devices.c.kind == "onu")).scalars()
            }
            pon_id = by_serial[sim_onus[0].serial].parent_id
        splitters = {}
        for name in ("CTO-17", "CTO-18"):
            made = api.post(
                "/api/v1/devices",
                json={"kind": "splitter", "name": name, "parent_id": pon_id},
            )
            assert made.status_code == 201, made.text
            splitters[name] = made.json()["id"]
        contacts: dict[str, str] = {}
        with kernel.db.session() as session:
            for index, sim_onu in enumerate(sim_onus):
                splitter = splitters["CTO-17" if index < CUT else "CTO-18"]
                by_email = index % 2 == 0
                customer = Customer(
                    name=f"Cliente {index}",
                    contacts={"email": f"c{index}@mail.example", "phone": f"+5511977{index:06d}"},
                    preferred_channel="email" if by_email else "phone",
                )
                session.add(customer)
                session.flush()
                contacts[customer.id] = customer.contacts["email" if by_email else "phone"]
                session.execute(
                    update(devices)
                    .where(devices.c.id == by_serial[sim_onu.serial].id)
                    .values(parent_id=splitter, customer_id=customer.id)
                )
            session.commit()

        # The splitter's fibre is cut: its 60 ONUs go to LOS together.
        loop.call(lambda: [olt.state.los(slot, port, onu_id) for onu_id in cut_ids])
        collect()
        [incident] = api.get("/api/v1/incidents").json()["items"]
        assert incident["kind"] == "fiber"
        assert incident["element"]["id"] == splitters["CTO-17"]
        assert incident["element"]["name"] == "CTO-17"
        assert incident["devices"] == CUT
        assert len(incident["customer_ids"]) == CUT
        noc = _lines(logs["noc"])
        assert [line["template"] for line in noc] == ["incident.opened"]
        told = _lines(logs["email"]) + _lines(logs["sms"])
        assert Counter(line["template"] for line in told) == {"customer.outage": CUT}
        assert {line["recipient"] for line in told} == {
            contacts[c] for c in incident["customer_ids"]
        }
        assert all(line["recipient"].startswith("+55") for line in _lines(logs["sms"]))

        loop.call(lambda: [olt.state.recover(slot, port, onu_id) for onu_id in cut_ids])
        collect()
        recovered = api.get(f"/api/v1/incidents/{incident['id']}").json()
        assert recovered["status"] == "resolved"
        assert recovered["time_to_recover_seconds"] >= 0
        assert [line["template"] for line in _lines(logs["noc"])] == [
            "incident.opened",
            "incident.resolved",
        ]
        told = _lines(logs["email"]) + _lines(logs["sms"])
        assert Counter(line["template"] for line in told)["customer.restored"] == CUT

        # The same ONUs lose power: a power incident, not a fiber one.
        loop.call(lambda: [olt.state.dying_gasp(slot, port, onu_id) for onu_id in cut_ids])
        collect()
        opened = api.get("/api/v1/incidents", params={"status": "open"}).json()["items"]
        assert [(i["kind"], i["element"]["id"]) for i in opened] == [("power", splitters["CTO-17"])]
    finally:
        loop.run(olt.stop())
        loop.close()
