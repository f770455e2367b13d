"""``sms``: the SDK's notifier conformance suite against a local HTTP server."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from rjchronos_sdk import Notification
from rjchronos_sdk.conformance import NotifierConformance

from rjchronos_notify_sms import plugin
from rjchronos_notify_sms.notifier import SmsNotifier


class Receiver(ThreadingHTTPServer):
    """An HTTP endpoint that records what it is sent."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", 0))
        self.server.received.append(
            {
                "body": json.loads(self.rfile.read(length)),
                "authorization": self.headers.get("authorization"),
            }
        )
        self.send_response(202)
        self.send_header("x-request-id", f"msg-{len(self.server.received)}")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class TestSmsNotifier(NotifierConformance):
    notifier_class = SmsNotifier
    plugin = plugin

    @pytest.fixture
    def notifier(self, receiver: Receiver) -> SmsNotifier:
        return SmsNotifier({"url": receiver.url, "token": "s3cret", "timeout": 5})

    @pytest.fixture
    def failing_notifier(self) -> SmsNotifier:
        return SmsNotifier({"url": f"http://127.0.0.1:{_closed_port()}/hook", "timeout": 5})

    def check_delivered(
        self, request: pytest.FixtureRequest, notifier: SmsNotifier, notification: Notification
    ) -> None:
        received = request.getfixturevalue("receiver").received
        assert len(received) == 1
        assert received[0]["body"]["subject"] == notification.subject
        assert received[0]["body"]["variables"] == dict(notification.variables)
        assert received[0]["authorization"] == "Bearer s3cret"


def test_declared_in_the_catalog(rjc_kernel_factory: Any) -> None:
    kernel = rjc_kernel_factory(entrypoints=["notify-sms"])
    notifier_type = kernel.catalog.notifier_types["sms"]
    assert notifier_type.secret_fields == ("token",)
