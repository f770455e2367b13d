"""Fixtures of the alert tests: a real HTTP receiver and a notifier that posts to it."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from rjchronos import hookimpl
from rjchronos.drivers.contracts import DeliveryResult, Notification, Notifier
from rjchronos.events import EventType
from rjchronos.plugins.declarations import NotifierType
from rjchronos_sdk.testing import serve_asgi

NOTIFIER = "test-http"


class Receiver:
    """A local HTTP endpoint that records what it gets; ``failing`` makes it answer 503."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.failing = False
        self.lock = threading.Lock()
        self.url = ""

    async def post(self, request: Request) -> JSONResponse:
        if self.failing:
            return JSONResponse({"error": "down"}, status_code=503)
        body = await request.json()
        with self.lock:
            self.received.append(body)
            number = len(self.received)
        return JSONResponse({"id": f"msg-{number}"})

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/hook", self.post, methods=["POST"])])


#: One TLS context for every client: building one per client costs about 40 ms of CPU.
TLS = ssl.create_default_context()


class HttpTestNotifier(Notifier):
    """POSTs each notification as JSON to ``config["url"]``; 5xx and network errors retry."""

    name = NOTIFIER

    async def send(self, notification: Notification) -> DeliveryResult:
        payload = {
            "recipient": notification.recipient,
            "subject": notification.subject,
            "body": notification.body,
            "template": notification.template,
            "variables": dict(notification.variables),
        }
        token = self.config.get("token")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            async with httpx.AsyncClient(timeout=5, verify=TLS) as client:
                response = await client.post(self.config["url"], json=payload, headers=headers)
        except httpx.HTTPError as exc:
            return DeliveryResult(False, f"{type(exc).__name__}: {exc}", retryable=True)
        if response.status_code >= 400:
            return DeliveryResult(
                False, f"HTTP {response.status_code}", retryable=response.status_code >= 500
            )
        return DeliveryResult(True, "posted", provider_id=response.json().get("id", ""))


_ONU: dict[str, Any] = {"type": "object"}


class TestNotifiers:
    """A plugin declaring the test notifier's channel type and the device events tests emit."""

    @hookimpl
    def rjc_event_types(self) -> list[EventType]:
        return [
            EventType("onu.los", "LOS", "major", _ONU),
            EventType("onu.dying_gasp", "Dying gasp", "major", _ONU),
            EventType("onu.online", "Online", payload_schema=_ONU),
            EventType("cpe.boot", "Boot", payload_schema=_ONU),
        ]

    @hookimpl
    def rjc_notifier_types(self) -> list[NotifierType]:
        return [
            NotifierType(
                NOTIFIER,
                "HTTP test receiver",
                config_schema={
                    "type": "object",
                    "required": ["url"],
                    "properties": {
                        "url": {"type": "string", "pattern": "^https?://"},
                        "token": {"type": "string"},
                    },
                    "additionalProperties": False,
                },
                secret_fields=("token",),
            )
        ]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    received = Receiver()
    with serve_asgi(received.app()) as base:
        received.url = base + "/hook"
        yield received


@pytest.fixture
def alerts_kernel(rjc_kernel_factory: Any) -> Any:
    """A kernel with the built-ins and the test notifier type."""
    kernel = rjc_kernel_factory(plugins={"test-notifiers": TestNotifiers()})
    kernel.drivers.add("rjchronos.notifiers", NOTIFIER, HttpTestNotifier)
    return kernel


@pytest.fixture
def api(alerts_kernel: Any, rjc_client_factory: Any) -> Any:
    return rjc_client_factory("admin", kernel=alerts_kernel)


@pytest.fixture
def channel(api: Any, receiver: Receiver) -> dict[str, Any]:
    """An operator channel posting to the receiver."""
    response = api.post(
        "/api/v1/notification-channels",
        json={
            "name": "noc",
            "type": NOTIFIER,
            "config": {"url": receiver.url, "token": "t0ken"},
            "recipient": "noc@example.net",
            "max_attempts": 3,
        },
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def los_rule(api: Any, channels: list[str], name: str = "ONU LOS") -> dict[str, Any]:
    """An event rule on ``onu.los`` (severity major) notifying ``channels``; as the API answers."""
    response = api.post(
        "/api/v1/alert-rules",
        json={
            "name": name,
            "severity": "major",
            "condition": {"type": "event", "event": "onu.los"},
            "channels": channels,
        },
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def add_device(kernel: Any, name: str, kind: str = "onu", **fields: Any) -> str:
    """A device row in inventory; its id."""
    from rjchronos.inventory.models import Device

    with kernel.db.session() as session:
        device = Device(kind=kind, name=name, **fields)
        session.add(device)
        session.commit()
        return str(device.id)


def emit(kernel: Any, type: str, device_id: str, payload: dict[str, Any] | None = None) -> None:
    """Emit a device event and wait until its listeners (and the events they emit) are done."""
    import asyncio

    kernel.events.emit(type, device_id, payload or {})
    for _ in range(3):  # listeners emit alert.* events of their own
        asyncio.run(kernel.events.drain(10))
