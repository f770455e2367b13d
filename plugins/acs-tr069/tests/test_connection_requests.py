"""Connection requests: ``?wait=N`` asks the CPE over HTTP Digest and waits for the task."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from acs_testkit import ScriptedCpe, acs_settings, read, served
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from rjchronos.inventory import service
from rjchronos_acs_tr069 import PLUGIN, hooks
from rjchronos_acs_tr069.auth import CpeCredentials
from rjchronos_acs_tr069.server import build_app

CR_USER, CR_PASSWORD = "acs", "cr-s3cret"


class ConnectionRequestListener:
    """The CPE's side: checks Digest, then opens a session with the ACS in the background."""

    def __init__(self, acs_url: str) -> None:
        self.acs_url = acs_url
        self.credentials = CpeCredentials(CR_USER, CR_PASSWORD, b"k" * 32, allow_basic=False)
        self.attempts: list[str] = []
        self.sessions: list[threading.Thread] = []

    def app(self) -> Starlette:
        async def connection_request(request: Request) -> Response:
            header = request.headers.get("authorization", "")
            self.attempts.append(header.split(" ")[0])
            if not self.credentials.check(header, "GET"):
                response = PlainTextResponse("", status_code=401)
                for challenge in self.credentials.challenge():
                    response.headers.append("WWW-Authenticate", challenge)
                return response
            session = threading.Thread(target=self.session, daemon=True)
            session.start()
            self.sessions.append(session)
            return Response(status_code=200)

        return Starlette(routes=[Route("/cr", connection_request)])

    def session(self) -> None:
        with httpx.Client(base_url=self.acs_url, timeout=10) as http:
            cpe = ScriptedCpe(http)
            cpe.inform(events=("6 CONNECTION REQUEST",))
            request = read(cpe.post())
            assert request.method == "Reboot"
            assert cpe.answer("<cwmp:RebootResponse/>").status_code == 204


@pytest.fixture
def cr_kernel(rjc_kernel_factory: Any) -> Any:
    settings = acs_settings(
        connection_request_username=CR_USER, connection_request_password=CR_PASSWORD
    )
    return rjc_kernel_factory(plugins={PLUGIN: hooks}, plugin_settings={PLUGIN: settings})


@pytest.fixture
def cpe_listener(cr_kernel: Any) -> Iterator[tuple[ConnectionRequestListener, str]]:
    with served(build_app(cr_kernel)) as acs_url:
        listener = ConnectionRequestListener(acs_url)
        with served(listener.app()) as cr_url:
            yield listener, cr_url


def register(acs_url: str, cr_url: str, kernel: Any) -> str:
    """The CPE's first session, reporting its connection request URL."""
    with httpx.Client(base_url=acs_url, timeout=10) as http:
        cpe = ScriptedCpe(http)
        parameters = {
            "InternetGatewayDevice.ManagementServer.ConnectionRequestURL": (
                cr_url + "/cr",
                "string",
            )
        }
        assert read(cpe.inform(parameters=parameters)).method == "InformResponse"
        assert cpe.post().status_code == 204
    device = service.find_device(kernel, identity="00259E-HG8245-485754430A1B2C3D")
    assert device is not None
    return device.id


def test_wait_runs_the_task_now(
    cpe_listener: tuple[ConnectionRequestListener, str], cr_kernel: Any, rjc_client_factory: Any
) -> None:
    listener, cr_url = cpe_listener
    device_id = register(listener.acs_url, cr_url, cr_kernel)
    api = rjc_client_factory("admin", kernel=cr_kernel)
    response = api.post(f"/api/v1/devices/{device_id}/tasks?wait=20", json={"type": "reboot"})
    assert response.status_code == 201
    task = response.json()
    assert task["connection_request"] == "accepted"
    assert task["status"] == "done"
    assert listener.attempts == ["", "Digest"]  # challenged, then answered with Digest
    for session in listener.sessions:
        session.join(10)


def test_wait_without_credentials_leaves_the_task_queued(
    acs_kernel: Any, acs_url: str, api: Any
) -> None:
    device_id = register(acs_url, "http://127.0.0.1:9", acs_kernel)
    task = api.post(f"/api/v1/devices/{device_id}/tasks?wait=1", json={"type": "reboot"}).json()
    assert task["connection_request"] == "unavailable"
    assert task["status"] == "pending"


def test_a_refused_connection_request_is_reported(
    cpe_listener: tuple[ConnectionRequestListener, str], cr_kernel: Any, rjc_client_factory: Any
) -> None:
    listener, cr_url = cpe_listener
    listener.credentials = CpeCredentials(CR_USER, "other", b"k" * 32, allow_basic=False)
    device_id = register(listener.acs_url, cr_url, cr_kernel)
    api = rjc_client_factory("admin", kernel=cr_kernel)
    task = api.post(f"/api/v1/devices/{device_id}/tasks?wait=2", json={"type": "reboot"}).json()
    assert task["connection_request"] == "failed"
    assert task["status"] == "pending"
    assert listener.sessions == []
