"""``rjchronos demo``: the simulated lab it seeds, and the server it runs."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func
from sqlmodel import select

from rjchronos.customers.models import Customer, Plan
from rjchronos.db.types import utcnow
from rjchronos.inventory import service
from rjchronos.inventory.models import Device, DeviceEventRecord, Site
from rjchronos.security.models import AuditEntry
from rjchronos_sdk.lab import OLT_NAME, SUBSCRIBERS, seed_lab


def _counts(kernel: Any) -> dict[str, int]:
    with kernel.db.session() as session:
        return {
            model.__name__: session.exec(select(func.count()).select_from(model)).one()
            for model in (Device, Customer, Plan, Site, DeviceEventRecord, AuditEntry)
        }


def test_the_lab_is_a_topology_of_customers_devices_and_telemetry(rjc_kernel: Any) -> None:
    now = utcnow()
    summary = seed_lab(rjc_kernel, now=now)
    assert summary.created == {
        "alert rules": 1, "customers": 8, "devices": 16, "plans": 3, "sites": 10,
    }  # fmt: skip
    with rjc_kernel.db.session() as session:
        devices = session.exec(select(Device)).all()
        kinds = Counter(device.kind for device in devices)
        assert kinds == {"olt": 1, "pon": 2, "splitter": 2, "onu": 8, "cpe": 3}
        olt = next(device for device in devices if device.kind == "olt")
        assert olt.name == OLT_NAME
        # Every device hangs under the OLT; every ONU and router belongs to a customer.
        assert {device.olt_id for device in devices} == {olt.id}
        assert all(d.customer_id for d in devices if d.kind in ("onu", "cpe"))
        sites = session.exec(select(Site)).all()
        assert all(site.city == "Rio de Janeiro" and site.latitude for site in sites)
        customers = session.exec(select(Customer)).all()
        assert all(customer.plan_id and customer.site_id for customer in customers)
        statuses = {d.serial: d.status for d in devices if d.kind == "onu"}
    assert statuses["HWTC1A2B0006"] == "los"
    assert statuses["HWTC1A2B0008"] == "offline"
    assert Counter(statuses.values())["online"] == 6
    affected = service.affected(rjc_kernel, olt.id)
    assert (affected.devices, len(affected.customer_ids)) == (15, 8)
    onu = next(d for d in devices if d.serial == SUBSCRIBERS[0].onu_serial)
    points = rjc_kernel.telemetry.series(onu.id, "onu.rx_power_dbm", now - timedelta(days=1), now)
    assert len(points) == 96
    assert all(-30 < value < -15 for _, value in points)
    assert rjc_kernel.telemetry.series(olt.id, "olt.cpu_percent", now - timedelta(days=1), now)


def test_latency_per_neighbourhood_and_the_pppoe_rule_firing(rjc_kernel: Any) -> None:
    from rjchronos.alerts import engine
    from rjchronos.alerts.models import Alert
    from rjchronos.telemetry import aggregates

    now = utcnow()
    seed_lab(rjc_kernel, now=now)
    with rjc_kernel.db.session() as session:
        members = aggregates.members(session, "neighbourhood", "cpe", [None])
    groups = {
        g["key"]: g
        for g in aggregates.metric_groups(
            rjc_kernel.telemetry, members, "cpe.ping_avg_ms", now - timedelta(days=1), now, ()
        )
    }
    assert set(groups) == {"Botafogo, Rio de Janeiro", "Copacabana, Rio de Janeiro"}
    assert groups["Botafogo, Rio de Janeiro"]["reporting"] == 2
    botafogo, copacabana = groups["Botafogo, Rio de Janeiro"], groups["Copacabana, Rio de Janeiro"]
    assert botafogo["min"] >= 8 and botafogo["avg"] < copacabana["avg"]
    errors = aggregates.metric_groups(
        rjc_kernel.telemetry, members, "cpe.pppoe_error", now - timedelta(hours=1), now, ()
    )
    assert {g["key"]: g["nonzero"] for g in errors} == {
        "Botafogo, Rio de Janeiro": 0, "Copacabana, Rio de Janeiro": 1,
    }  # fmt: skip

    # The lab's rule opens one alert, on the router whose PPPoE session fails.
    engine.evaluate_all(rjc_kernel, now)
    with rjc_kernel.db.session() as session:
        alerts = session.exec(select(Alert)).all()
        failing = session.exec(select(Device).where(Device.name == f"Wi-Fi {SUBSCRIBERS[4].name}"))
        router = failing.one()
    assert [(a.device_id, a.status, a.severity) for a in alerts] == [(router.id, "open", "minor")]


def test_the_timeline_shows_what_happened(rjc_kernel: Any) -> None:
    seed_lab(rjc_kernel)
    with rjc_kernel.db.session() as session:
        events = session.exec(select(DeviceEventRecord)).all()
    by_type = Counter(event.type for event in events)
    assert by_type["device.created"] == 16
    los = [e for e in events if e.type == "device.status_changed" and e.payload["to"] == "los"]
    assert len(los) == 1 and los[0].payload["reason"]


def test_seeding_again_adds_nothing_twice(rjc_kernel: Any) -> None:
    now = utcnow()
    seed_lab(rjc_kernel, now=now)
    before = _counts(rjc_kernel)
    again = seed_lab(rjc_kernel, now=now)
    assert again.created == {}
    assert again.samples_added == 0
    assert _counts(rjc_kernel) == before
    # A quarter of an hour later the lab only gains the new quarter's samples.
    later = seed_lab(rjc_kernel, now=now + timedelta(minutes=15))
    assert later.created == {}
    assert 0 < later.samples_added <= 1 + 8 + 3 * 4
    assert _counts(rjc_kernel) == before


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_demo_help_says_what_the_simulated_cpes_do() -> None:
    from click.testing import CliRunner

    from rjchronos_sdk.demo import demo_command

    text = " ".join(CliRunner().invoke(demo_command, ["--help"]).output.split())
    assert "a fleet of simulated CPEs" in text and "informs the ACS on --acs-port" in text


def test_rjchronos_demo_serves_the_lab_and_simulated_cpes_inform_its_acs(tmp_path: Path) -> None:
    port, acs_port = _free_port(), _free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("RJC_", "PYTEST_"))}
    environment["RJC_HOME"] = str(tmp_path / "home")
    command = [
        str(Path(sys.executable).parent / "rjchronos"),
        "demo",
        "--port",
        str(port),
        "--acs-port",
        str(acs_port),
        "--cpes",
        "4",
    ]
    server = subprocess.Popen(
        command,
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(server.stdout or []), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 120
        password = None
        while password is None:
            assert server.poll() is None, "".join(lines)
            assert time.monotonic() < deadline, "".join(lines)
            found = re.search(r"user 'admin', password '([^']+)'", "".join(lines))
            password = found.group(1) if found else None
            time.sleep(0.2)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            while True:
                try:
                    client.get("/healthz")
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, "".join(lines)
                    time.sleep(0.2)
            token = client.post(
                "/api/v1/auth/token", json={"username": "admin", "password": password}
            ).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            customers = client.get("/api/v1/customers", headers=headers).json()
            devices: list[dict[str, Any]] = []
            while len(devices) < 16 + 4:  # the lab, then the simulated CPEs as they inform
                assert time.monotonic() < deadline, "".join(lines)
                time.sleep(0.3)
                devices = client.get(
                    "/api/v1/devices", params={"limit": 100}, headers=headers
                ).json()["items"]
        informed = devices[16:]
        assert len(devices) == 16 + 4
        assert {d["kind"] for d in informed} == {"cpe"}
        assert all(d["identity"] and d["last_seen"] for d in informed)
        assert len(customers["items"]) == 8
        assert "Demo lab: 16 devices and 8 customers in Rio de Janeiro" in "".join(lines)
        assert "4 simulated CPEs will inform the ACS" in "".join(lines)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
