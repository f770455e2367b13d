"""Every hook of the dummy plugin, followed to where core uses its result.

The plugin is installed through a real entry point (``plugin_site``) and
loaded into a kernel on a fresh database of each backend.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import inspect as sa_inspect
from starlette.testclient import TestClient

from rjchronos.catalog import apply_provisioning_extensions
from rjchronos.config import Settings
from rjchronos.db.migrate import branches, upgrade
from rjchronos.db.types import utcnow
from rjchronos.inventory.models import Device
from rjchronos.kernel import Kernel
from rjchronos.plugins import PluginError

pytestmark = pytest.mark.usefixtures("plugin_site")


@pytest.fixture
def kernel(rjc_kernel: Kernel, rjc_kernel_factory: Callable[..., Kernel]) -> Kernel:
    # rjc_client_factory builds the built-ins-only rjc_kernel, which migrates the same database:
    # build it first, or it would meet the dummy plugin's revision it does not know.
    return rjc_kernel_factory(entrypoints=["dummy"])


@pytest.fixture
def client_as(kernel: Kernel, rjc_client_factory: Callable[..., Any]) -> Callable[..., Any]:
    def client(role: str | None) -> Any:
        return rjc_client_factory(role, kernel=kernel)

    return client


def calls(kernel: Kernel) -> list[str]:
    import dummy_plugin

    return dummy_plugin.calls(kernel.settings.home)


def test_the_dummy_plugin_loads_from_its_entry_point(kernel: Kernel) -> None:
    record = kernel.host.records["dummy"]
    assert (record.state, record.error, record.distribution) == (
        "loaded",
        None,
        "rjchronos-test-dummy",
    )


# -- lifecycle ---------------------------------------------------------------------


def test_rjc_settings_schema_defaults_reach_the_plugin(
    kernel: Kernel, client_as: Callable[..., Any]
) -> None:
    assert kernel.plugin_settings("dummy") == {"greeting": "olá", "limit": 5}
    assert client_as("operator").get("/api/v1/dummy/echo").json()["greeting"] == "olá"


def test_rjc_settings_schema_rejects_a_bad_value_naming_plugin_and_key(
    rjc_database_url: str, tmp_path: Path
) -> None:
    def build(values: dict[str, Any]) -> Kernel:
        settings = Settings(
            home=tmp_path,
            database_url=rjc_database_url,
            broker_url="inline:",
            plugins={"dummy": values},
        )
        return Kernel(settings, entrypoints=["dummy"])

    with pytest.raises(
        PluginError, match=r"plugin dummy: setting limit: 0 is less than the minimum of 1"
    ):
        build({"limit": 0})
    with pytest.raises(PluginError, match=r"plugin dummy: .*'colour' was unexpected"):
        build({"colour": "azul"})
    kernel = build({"greeting": "bom dia"})
    assert kernel.plugin_settings("dummy") == {"greeting": "bom dia", "limit": 5}
    kernel.db.dispose()


def test_rjc_settings_schema_error_stops_the_cli(run_cli: Callable[..., Any]) -> None:
    result = run_cli("plugins", env={"RJC_PLUGIN__DUMMY__LIMIT": "0"})
    assert result.returncode != 0
    assert "plugin dummy: setting limit: 0 is less than the minimum of 1" in result.stderr


def test_rjc_configure_is_called_once_per_kernel(kernel: Kernel) -> None:
    assert calls(kernel) == ["configure"]


def test_rjc_startup_and_rjc_shutdown_run_with_the_app(kernel: Kernel) -> None:
    with TestClient(kernel.asgi()) as client:
        assert calls(kernel) == ["configure", "startup"]
        assert client.get("/healthz").status_code == 200
    assert calls(kernel) == ["configure", "startup", "shutdown"]


def test_rjc_migrations_folder_is_migrated(kernel: Kernel) -> None:
    import dummy_plugin

    folders = {branch.owner: branch.folder for branch in branches(kernel)}
    assert folders["dummy"] == Path(dummy_plugin.MIGRATIONS).resolve()
    upgrade(kernel)
    assert "dummy_items" in sa_inspect(kernel.db.engine).get_table_names()


# -- HTTP ----------------------------------------------------------------------------


def test_rjc_api_routes_are_served_behind_their_permissions(client_as: Callable[..., Any]) -> None:
    response = client_as("operator").get("/api/v1/dummy/echo")
    assert response.status_code == 200
    assert response.json()["user"].startswith("operator")
    assert client_as("viewer").get("/api/v1/dummy/echo").status_code == 403
    assert client_as(None).get("/api/v1/dummy/echo").status_code == 401
    assert client_as("operator").post("/api/v1/dummy/items", json={"name": "x"}).status_code == 403


def test_rjc_api_routes_bodies_are_validated_and_documented(client_as: Callable[..., Any]) -> None:
    admin = client_as("admin")
    created = admin.post("/api/v1/dummy/items", json={"name": "splitter-7"})
    assert (created.status_code, created.json()) == (201, {"name": "splitter-7"})
    rejected = admin.post("/api/v1/dummy/items", json={"name": ""})
    assert rejected.status_code == 422
    assert rejected.json()["invalid_params"][0]["name"] == "body.name"
    document = admin.get("/api/v1/openapi.json").json()
    assert {"get"} <= set(document["paths"]["/api/v1/dummy/echo"])
    assert {"post"} <= set(document["paths"]["/api/v1/dummy/items"])


def test_rjc_middleware_is_applied_to_every_response(client_as: Callable[..., Any]) -> None:
    client = client_as(None)
    assert client.get("/healthz").headers["x-dummy"] == "stamped"
    assert client.get("/api/v1/no-such-thing").headers["x-dummy"] == "stamped"


# -- security and UI ---------------------------------------------------------------


def test_rjc_permissions_reach_the_kernel(kernel: Kernel) -> None:
    assert kernel.permissions["dummy.read"].default_roles == ("admin", "operator")
    assert kernel.permissions["dummy.write"].default_roles == ("admin",)


def test_rjc_menu_items_and_rjc_ui_panels_reach_the_manifest(client_as: Callable[..., Any]) -> None:
    manifest = client_as("operator").get("/api/v1/ui/manifest").json()
    diagnostics = {menu["id"]: menu["items"] for menu in manifest["menus"]}["diagnostics"]
    assert [(i["label"], i["path"]) for i in diagnostics] == [("Dummy", "/diagnostics/dummy")]
    panels = [p for p in manifest["panels"] if p["id"] == "dummy.echo"]
    assert [(p["slot"], p["kind"], p["plugin"]) for p in panels] == [("dashboard", "stat", "dummy")]
    # A viewer lacks dummy.read: neither shows.
    manifest = client_as("viewer").get("/api/v1/ui/manifest").json()
    assert not [
        i for m in manifest["menus"] for i in m["items"] if i["path"] == "/diagnostics/dummy"
    ]
    assert not [p for p in manifest["panels"] if p["id"] == "dummy.echo"]


# -- events and work ---------------------------------------------------------------


def test_rjc_event_types_and_rjc_device_event(kernel: Kernel) -> None:
    assert kernel.catalog.event_types["dummy.ping"].severity == "info"
    stored = kernel.events.emit("dummy.ping", None, {"n": 3}, actor="test")
    assert stored.type == "dummy.ping"
    assert "event dummy.ping n=3 device=None" in calls(kernel)[-2:]
    with pytest.raises(ValueError, match="payload"):
        kernel.events.emit("dummy.ping", None, {"n": "three"})


def test_rjc_device_events_gets_the_events_of_one_commit_in_one_call(kernel: Kernel) -> None:
    with kernel.db.session() as session:
        kernel.events.emit_many(
            [("dummy.ping", None, {"n": n}) for n in (4, 5, 6)], actor="test", session=session
        )
        session.commit()
    assert "events dummy.ping n=4,5,6 in one call" in calls(kernel)
    assert {f"event dummy.ping n={n} device=None" for n in (4, 5, 6)} <= set(calls(kernel))


def test_rjc_task_handlers_run_through_the_job_queue(kernel: Kernel) -> None:
    job = kernel.jobs.get(kernel.jobs.enqueue("dummy.add", {"a": 2, "b": 3}))
    assert job is not None
    assert (job.status, job.result) == ("done", 5)


def test_rjc_schedules_and_rjc_collectors_enqueue_jobs(kernel: Kernel) -> None:
    with kernel.db.session() as session:
        onu = Device(kind="onu", name="ONU 1", serial="HWTC11E70E9A")
        session.add(onu)
    plans = kernel.jobs.scheduler.plans
    assert {"schedule:dummy.tick", "collector:dummy.poll"} <= set(plans)
    now = utcnow()
    # The schedule is due at once; the collector's first run lies within its period.
    job_ids = kernel.jobs.run_schedules(now=now) + kernel.jobs.run_schedules(
        now=now + timedelta(minutes=6)
    )
    jobs = [kernel.jobs.get(job_id) for job_id in job_ids]
    by_type = {job.type: job for job in jobs if job is not None}
    assert by_type["dummy.tick"].result == {"ticked": True, "from": "schedule"}
    assert (by_type["dummy.poll"].device_id, by_type["dummy.poll"].result) == (onu.id, "polled")


def test_rjc_analyzers_reach_the_catalog(kernel: Kernel) -> None:
    assert kernel.catalog.analyzers["dummy-threshold"].metrics == ("rx_power_dbm",)


def test_rjc_notifier_types_reach_the_catalog_and_the_driver_is_found(
    kernel: Kernel, client_as: Callable[..., Any]
) -> None:
    import dummy_plugin

    assert kernel.catalog.notifier_types["dummy-notifier"].secret_fields == ("password",)
    assert kernel.drivers.get("rjchronos.notifiers", "dummy-notifier") is dummy_plugin.DummyNotifier
    listing = client_as("admin").get("/api/v1/plugins").json()
    dummy = next(p for p in listing["items"] if p["name"] == "dummy")
    assert "rjchronos.notifiers:dummy-notifier" in dummy["drivers"]


# -- devices and customers ---------------------------------------------------------


def test_rjc_cpe_quirks_are_matched(kernel: Kernel) -> None:
    quirk = kernel.catalog.quirk_for("00aabb", "DR100", "1.4.2")
    assert quirk is not None
    assert (quirk.name, quirk.defined_in, quirk.behaviours) == (
        "dummy-router-v1",
        "dummy",
        {"slow_inform": True},
    )
    assert kernel.catalog.quirk_for("00AABB", "DR100", "2.0.0") is None
    assert kernel.catalog.quirk_for("00AABB", "DR200", "1.4.2") is None


def test_rjc_cpe_credentials_answer_for_their_device_only(kernel: Kernel) -> None:
    ask = kernel.hook.rjc_cpe_credentials
    assert ask(kernel=kernel, identity="00AABB-DR100-DUMMY0001", username="dummy-cpe") == (
        "dummy-cpe-s3cret"
    )
    assert ask(kernel=kernel, identity="00AABB-DR100-OTHER", username="dummy-cpe") is None
    assert ask(kernel=kernel, identity="00AABB-DR100-DUMMY0001", username="x") is None


def test_rjc_provisioning_extensions_extend_the_desired_state(kernel: Kernel) -> None:
    desired = {"Device.ManagementServer.PeriodicInformInterval": 300}
    result = asyncio.run(apply_provisioning_extensions(kernel, {"id": "d1"}, desired))
    assert result == {**desired, "Device.Time.NTPServer1": "a.ntp.br"}
    assert desired == {"Device.ManagementServer.PeriodicInformInterval": 300}


def test_rjc_customer_sources_sync_customers(kernel: Kernel, client_as: Callable[..., Any]) -> None:
    admin = client_as("admin")
    sources = admin.get("/api/v1/customers/sources").json()["items"]
    assert {"name": "dummy-erp", "title": "Dummy ERP", "plugin": "dummy"} in sources
    started = admin.post("/api/v1/customers/sync/dummy-erp")
    assert started.status_code == 202, started.text
    job = kernel.jobs.get(started.json()["job_id"])
    assert job is not None and job.status == "done", job and job.error
    names = {c["name"] for c in admin.get("/api/v1/customers").json()["items"]}
    assert {"Maria da Silva", "João Souza"} <= names


def test_rjc_ticket_changed_sees_each_ticket_change(
    kernel: Kernel, client_as: Callable[..., Any]
) -> None:
    operator = client_as("operator")
    opened = operator.post("/api/v1/tickets", json={"title": "Sem internet"}).json()
    operator.post(f"/api/v1/tickets/{opened['id']}/assign", json={"assignee": "ana"})
    operator.post(f"/api/v1/tickets/{opened['id']}/resolve", json={"resolution": "cabo"})
    assert [line for line in calls(kernel) if line.startswith("ticket ")] == [
        "ticket opened Sem internet status=open",
        "ticket assigned Sem internet status=assigned",
        "ticket resolved Sem internet status=resolved",
    ]


def test_rjc_diagnosis_rules_and_rjc_action_executors_diagnose_act_and_roll_back(
    kernel: Kernel, client_as: Callable[..., Any]
) -> None:
    with kernel.db.session() as session:
        device = Device(kind="cpe", name="CPE-fan", tags=["dummy-fan"], last_seen=utcnow())
        session.add(device)
        session.commit()
        device_id = device.id
    operator = client_as("operator")
    [cause] = operator.get(f"/api/v1/devices/{device_id}/diagnosis").json()["items"]
    assert (cause["cause"], cause["rule"], cause["score"]) == ("dummy_fan", "dummy-fan", 0.77)
    assert cause["evidence"]["pt-BR"] == "a ventoinha de teste gira devagar"

    assert kernel.jobs.get(kernel.jobs.enqueue("ai.scan", {})).result["suggested"] == 1
    [action] = operator.get("/api/v1/ai/actions", params={"kind": "dummy.fan_speed"}).json()[
        "items"
    ]
    assert action["status"] == "suggested"  # no policy: suggest only
    executed = operator.post(f"/api/v1/ai/actions/{action['id']}/approve", json={}).json()
    assert (executed["status"], executed["previous"]) == ("succeeded", {"speed": "low"})
    rolled = operator.post(f"/api/v1/ai/actions/{action['id']}/rollback", json={}).json()
    assert rolled["status"] == "rolled_back"
    assert [line for line in calls(kernel) if line.startswith("fan ")] == [
        "fan high",
        "fan back to low",
    ]


# -- command line and the server ---------------------------------------------------


def test_rjc_cli_commands_are_listed_and_run(run_cli: Callable[..., Any]) -> None:
    listed = run_cli("--help")
    assert listed.returncode == 0, listed.stderr
    assert "dummy-hello" in listed.stdout
    ran = run_cli("dummy-hello", "--name", "Ana")
    assert (ran.returncode, ran.stdout.strip()) == (0, "dummy says hello to Ana")


def test_rjc_serve_options_appear_in_serve_help(run_cli: Callable[..., Any]) -> None:
    result = run_cli("serve", "--help")
    assert result.returncode == 0, result.stderr
    assert "--dummy-port" in result.stdout
    assert "Port of the dummy protocol listener." in result.stdout


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Served:
    """``rjchronos serve`` in a subprocess, with the test plugins installed."""

    def __init__(self, tmp_path: Path) -> None:
        from conftest import TESTS, write_plugin_site

        site = write_plugin_site(tmp_path / "serve-site")
        self.home = tmp_path / "serve-home"
        self.api_port, self.protocol_port = _free_port(), _free_port()
        environment = {k: v for k, v in os.environ.items() if not k.startswith(("RJC_", "PYTEST_"))}
        environment.update(
            PYTHONPATH=os.pathsep.join([str(site), str(TESTS)]), RJC_HOME=str(self.home)
        )
        command = [
            str(Path(sys.executable).parent / "rjchronos"),
            "serve",
            "--port",
            str(self.api_port),
            "--dummy-port",
            str(self.protocol_port),
        ]
        self.process = subprocess.Popen(
            command,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def stop(self) -> str:
        """Stop it the way Ctrl-C does; return what it printed."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.stdout.read() if self.process.stdout else ""


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    server = Served(tmp_path)
    yield server
    server.stop()


def _wait_for(url: str, deadline: float) -> httpx.Response:
    while True:
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_rjc_protocol_endpoints_are_served_on_their_port(served: Served) -> None:
    import dummy_plugin

    deadline = time.monotonic() + 90
    protocol = _wait_for(f"http://127.0.0.1:{served.protocol_port}/", deadline)
    assert protocol.text.startswith("dummy protocol of kernel")
    api = _wait_for(f"http://127.0.0.1:{served.api_port}/healthz", deadline)
    assert api.headers["x-dummy"] == "stamped"
    output = served.stop()
    assert f"dummy listener on 127.0.0.1:{served.protocol_port}" in output
    assert dummy_plugin.calls(served.home) == ["configure", "startup", "shutdown"]


def test_the_plugins_listing_shows_the_dummy_plugin(run_cli: Callable[..., Any]) -> None:
    result = run_cli("plugins", "--json")
    assert result.returncode == 0, result.stderr
    listing = {p["name"]: p for p in json.loads(result.stdout)["plugins"]}
    assert listing["dummy"]["state"] == "loaded"
    assert "rjc_customer_sources" in listing["dummy"]["hooks"]
