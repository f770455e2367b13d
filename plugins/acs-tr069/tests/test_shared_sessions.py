"""Sessions in the database: shared by ACS processes, taken over when their lease runs out."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from acs_testkit import CPE_PASSWORD, CPE_USER, acs_settings, served
from sqlalchemy import func, select

from rjchronos_acs_tr069 import PLUGIN, hooks
from rjchronos_acs_tr069.models import session_rows
from rjchronos_acs_tr069.profiles import Facts
from rjchronos_acs_tr069.provisioning import KeyedObject, Run
from rjchronos_acs_tr069.server import build_app
from rjchronos_acs_tr069.session_store import DatabaseSessionStore, decode, encode
from rjchronos_acs_tr069.sessions import CwmpSession
from rjchronos_sdk.sim.cpe import Fleet
from rjchronos_sdk.testing import RoundRobinBalancer

CWMP = "urn:dslforum-org:cwmp-1-2"
VOIP_LINK = "Device.Ethernet.Link.9"


def a_session(device_key: str = "00259E-HG8245-1") -> CwmpSession:
    session = CwmpSession(device_key, "01DEVICE", CWMP, "1.4", acs_url="http://acs/")
    session.task_id, session.step, session.state = "01TASK", "names", {"leaves": ["Device.X"]}
    session.provisioning = Run(
        triggers={"1 BOOT", "0 BOOTSTRAP"},
        oui="00259E",
        product_class="HG8245",
        known={"Device.DeviceInfo.SoftwareVersion": "V1"},
        step="values",
        objects=[KeyedObject("Device.IP.Interface.", {"LowerLayers": VOIP_LINK}, {"Enable": True})],
        facts=Facts("00259E", "HG8245", "HG8245H", "V1", frozenset({"north", "vip"}), None, None),
    )
    return session


def rows(kernel: Any) -> int:
    with kernel.db.session() as db:
        return int(db.execute(select(func.count()).select_from(session_rows)).scalar_one())


def test_a_session_reads_back_as_it_was_saved() -> None:
    session = a_session()
    session.seq = 3
    copy = decode(encode(session), 3)
    assert copy.cookie == session.cookie and copy.device_key == session.device_key
    assert (copy.task_id, copy.step, copy.state) == (session.task_id, session.step, session.state)
    assert copy.provisioning == session.provisioning
    # Another process cannot know the queue's state: it reads it again.
    assert copy.tasks_queued and copy.may_have_tasks()


@pytest.fixture
def kernel(rjc_kernel_factory: Any) -> Any:
    settings = acs_settings(session_store="database")
    return rjc_kernel_factory(plugins={PLUGIN: hooks}, plugin_settings={PLUGIN: settings})


def test_one_session_per_device_across_processes(kernel: Any) -> None:
    mine, theirs = DatabaseSessionStore(kernel.db, 30), DatabaseSessionStore(kernel.db, 30)
    first = a_session()
    assert mine.begin(first)
    # Another process may not start a second session of the device while the lease runs.
    assert not theirs.begin(a_session())
    copy = asyncio.run(theirs.get(first.cookie))
    assert copy is not None and copy is not first and copy.provisioning == first.provisioning
    assert asyncio.run(theirs.save(copy))
    # The first process's copy is now behind the cookie: it reads the session again.
    again = asyncio.run(mine.get(copy.cookie))
    assert again is not None and again is not first and again.seq == copy.seq == 2
    asyncio.run(mine.end(first.id))
    assert rows(kernel) == 0
    assert theirs.begin(a_session())


def test_a_device_whose_session_lease_ran_out_is_taken_over(kernel: Any) -> None:
    # A lease long enough that a busy machine cannot let it run out before the refusal below.
    dead = DatabaseSessionStore(kernel.db, 2.0)
    orphan = a_session()
    assert dead.begin(orphan)  # its process dies now, the row stays
    survivor = DatabaseSessionStore(kernel.db, 2.0)
    assert not survivor.begin(a_session())
    time.sleep(2.1)
    fresh = a_session()
    assert survivor.begin(fresh)
    assert rows(kernel) == 1
    assert asyncio.run(survivor.get(orphan.cookie)) is None
    # The dead session's process, were it back, could not save over the new one.
    assert not asyncio.run(dead.save(orphan))
    assert asyncio.run(survivor.get(fresh.cookie)) is not None


@pytest.fixture
def two_acs(rjc_kernel_factory: Any) -> Iterator[tuple[str, RoundRobinBalancer, Any]]:
    """Two ACS processes on one database, behind a balancer that pins nothing."""
    settings = acs_settings(session_store="database")
    kernels = [
        rjc_kernel_factory(plugins={PLUGIN: hooks}, plugin_settings={PLUGIN: settings})
        for _ in range(2)
    ]
    with ExitStack() as stack:
        urls = [stack.enter_context(served(build_app(k))) for k in kernels]
        balancer = RoundRobinBalancer(urls)
        yield stack.enter_context(served(balancer)), balancer, kernels[0]


def test_each_message_of_a_session_may_reach_another_process(
    two_acs: tuple[str, RoundRobinBalancer, Any], rjc_client_factory: Any
) -> None:
    url, balancer, kernel = two_acs
    api = rjc_client_factory("admin", kernel=kernel)
    profile = {
        "name": "voip-interface",
        "triggers": ["0 BOOTSTRAP", "1 BOOT"],
        "desired": {
            "parameters": {"wifi.ssid": "Chronos"},
            "objects": [
                {
                    "path": "Device.IP.Interface.",
                    "key": {"LowerLayers": VOIP_LINK},
                    "values": {"Enable": True, "MaxMTUSize": 1400},
                }
            ],
        },
    }
    assert api.post("/api/v1/profiles", json=profile).status_code == 201

    async def main() -> None:
        async with Fleet(
            url,
            3,
            "tr181",
            seed=5,
            interval=3600,
            acs_username=CPE_USER,
            acs_password=CPE_PASSWORD,
            connection_port=None,
        ) as fleet:
            await fleet.wait_until(lambda: fleet.counters["sessions_ok"] >= 3, timeout=30)
            assert fleet.counters["sessions_failed"] == 0
            for cpe in fleet.cpes:
                # Names, values, AddObject, SetParameterValues: a session of several messages.
                assert cpe.stats.methods["AddObject"] == 1
                assert cpe.parameters["Device.WiFi.SSID.1.SSID"] == "Chronos"
                links = [
                    v
                    for p, v in cpe.parameters.items()
                    if p.startswith("Device.IP.Interface.") and p.endswith(".LowerLayers")
                ]
                assert links.count(VOIP_LINK) == 1

    asyncio.run(main())
    assert len(balancer.served) == 2 and min(balancer.served.values()) >= 6, balancer.served
    assert rows(kernel) == 0  # every session ended and let its device go
