"""Helpers of the simulator tests: a CPE fleet on a loop of its own, and a recording ACS."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from rjchronos_sdk.sim.cpe import Fleet

T = TypeVar("T")


class FleetThread:
    """A :class:`Fleet` on an event loop in its own thread.

    The tests and the API's TestClient are synchronous; with the fleet on its
    own loop, a ``?wait=N`` request can block while the CPE answers the
    connection request and runs its session.
    """

    def __init__(self, acs_url: str, count: int, **options: Any) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.fleet = Fleet(acs_url, count, **options)
        self.run(self.fleet.start())

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def call(self, function: Callable[..., T], *args: Any) -> T:
        """Run ``function(*args)`` on the fleet's loop (the CPEs' state is not thread-safe)."""

        async def on_loop() -> T:
            return function(*args)

        return self.run(on_loop())

    def wait_until(self, condition: Callable[[], bool], timeout: float = 20.0) -> None:
        self.run(self.fleet.wait_until(condition, timeout), timeout + 5)

    def stop(self) -> None:
        try:
            self.run(self.fleet.stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()


class RecordingApp:
    """Wraps an ASGI app and keeps every XML body it answers with (to validate them later)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.messages: list[bytes] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        chunks: list[bytes] = []

        async def recording_send(message: Any) -> None:
            if message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    body = b"".join(chunks)
                    if body.startswith(b"<?xml"):
                        self.messages.append(body)
            await send(message)

        await self.app(scope, receive, recording_send)


# -- an ACS under uvicorn and a small fleet informing it ---------------------------

CR_USER, CR_PASSWORD = "acs-cr", "cr-s3cret-fleet"
#: (data model, CWMP version) pairs every conformance test runs with.
COMBINATIONS = [("tr098", "1.0"), ("tr098", "1.4"), ("tr181", "1.0"), ("tr181", "1.4")]
#: Per model: the root object, a writable Wi-Fi SSID and a table that takes AddObject.
MODEL_PATHS = {
    "tr098": {
        "root": "InternetGatewayDevice.",
        "ssid": "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.SSID",
        "table": "InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANIPConnection.",
    },
    "tr181": {
        "root": "Device.",
        "ssid": "Device.WiFi.SSID.1.SSID",
        "table": "Device.IP.Interface.",
    },
}


class Sim:
    """One test's ACS (kernel, recorded listener, API client) and its fleet."""

    def __init__(
        self,
        kernel: Any,
        api: Any,
        recorder: RecordingApp,
        fleet: FleetThread,
        model: str,
        version: str,
    ) -> None:
        self.kernel, self.api, self.recorder, self.fleet = kernel, api, recorder, fleet
        self.model, self.version = model, version
        self.paths = MODEL_PATHS[model]

    def device_id(self, cpe: Any) -> str:
        found = self.api.get("/api/v1/devices", params={"serial": cpe.serial}).json()["items"]
        assert len(found) == 1, found
        return str(found[0]["id"])

    def task(self, cpe: Any, body: dict[str, Any], wait: int = 15) -> dict[str, Any]:
        """Post a task with ``?wait``: the CPE is asked to connect and the answer is final."""
        response = self.api.post(
            f"/api/v1/devices/{self.device_id(cpe)}/tasks?wait={wait}", json=body
        )
        assert response.status_code == 201, response.text
        task: dict[str, Any] = response.json()
        assert task["connection_request"] == "accepted", task
        return task

    def task_now(self, cpe: Any, task_id: str) -> dict[str, Any]:
        items = self.api.get(f"/api/v1/devices/{self.device_id(cpe)}/tasks").json()["items"]
        return next(t for t in items if t["id"] == task_id)

    def wait_for_result(self, cpe: Any, task_id: str, timeout: float = 20.0) -> dict[str, Any]:
        """Poll the API until the task has a result (the CPE may act before the ACS records it)."""
        import time

        deadline = time.monotonic() + timeout
        while True:
            task = self.task_now(cpe, task_id)
            if task.get("result") is not None or time.monotonic() > deadline:
                return task
            time.sleep(0.05)

    def wait_for_task(self, cpe: Any, task_id: str, timeout: float = 20.0) -> dict[str, Any]:
        """Poll the API until the task leaves pending/running (transfers finish later)."""
        import time

        deadline = time.monotonic() + timeout
        while True:
            task = self.task_now(cpe, task_id)
            if task["status"] not in ("pending", "running") or time.monotonic() > deadline:
                return task
            time.sleep(0.05)

    def value(self, cpe: Any, path: str) -> str:
        return self.fleet.call(cpe.value, path)


def start_sim(
    kernel_factory: Any,
    client_factory: Any,
    model: str,
    version: str,
    count: int = 2,
    plugins: dict[str, Any] | None = None,
    fleet_options: dict[str, Any] | None = None,
    **extra_settings: Any,
) -> tuple[Sim, Any]:
    """An ACS with the plugin loaded by its entry point, and ``count`` CPEs that informed once
    (``fleet_options`` go to the :class:`Fleet`)."""
    from acs_testkit import CPE_PASSWORD, CPE_USER, acs_settings, served

    from rjchronos_acs_tr069 import PLUGIN
    from rjchronos_acs_tr069.server import build_app

    settings = acs_settings(
        connection_request_username=CR_USER,
        connection_request_password=CR_PASSWORD,
        **extra_settings,
    )
    kernel = kernel_factory(
        plugins=plugins, entrypoints=["acs-tr069"], plugin_settings={PLUGIN: settings}
    )
    recorder = RecordingApp(build_app(kernel))
    listener = served(recorder)
    acs_url = listener.__enter__()
    try:
        fleet = FleetThread(
            acs_url + "/",
            count,
            model=model,
            seed=7,
            interval=3600,
            cwmp_version=version,
            acs_username=CPE_USER,
            acs_password=CPE_PASSWORD,
            reboot_delay=0.2,
            retry_base=0.5,
            **(fleet_options or {}),
        )
        try:
            fleet.wait_until(
                lambda: fleet.fleet.counters["sessions_ok"] >= count, timeout=20 + count / 10
            )
        except BaseException:
            fleet.stop()
            raise
        for cpe in fleet.fleet.cpes:
            # The ISP's factory configuration: the connection-request credentials the ACS uses.
            management = cpe.paths.management
            fleet.call(cpe.set_value, management + "ConnectionRequestUsername", CR_USER)
            fleet.call(cpe.set_value, management + "ConnectionRequestPassword", CR_PASSWORD)
    except BaseException:
        listener.__exit__(None, None, None)
        raise
    sim = Sim(kernel, client_factory("admin", kernel=kernel), recorder, fleet, model, version)
    return sim, listener
