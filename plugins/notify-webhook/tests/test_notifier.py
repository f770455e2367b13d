"""``webhook``: the conformance suite and the wire format, against a real local HTTP receiver."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from rjchronos_sdk import Kernel, Notification
from rjchronos_sdk.conformance import NotifierConformance

from rjchronos_notify_webhook import plugin
from rjchronos_notify_webhook.notifier import WebhookNotifier
from rjchronos_notify_webhook.signature import verify

SECRET = "whsec-0123456789abcdef"


class Receiver(ThreadingHTTPServer):
    """A webhook endpoint that checks the signature the way a subscriber would.

    ``status`` is what it answers to a correctly signed request; ``delay``
    how long it waits before answering.
    """

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.status = 204
        self.delay = 0.0
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hooks/rjchronos"

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out has gone before the answer: expected, not an error.
        if not isinstance(sys.exception(), ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("content-length", 0)))
        timestamp = self.headers.get("x-rjchronos-timestamp", "")
        signature = self.headers.get("x-rjchronos-signature", "")
        fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) < 300
        if not (fresh and verify(SECRET, timestamp, raw, signature)):
            self._answer(401, b'{"error": "bad signature"}')
            return
        self.server.received.append(
            {"body": json.loads(raw), "headers": {k.lower(): v for k, v in self.headers.items()}}
        )
        time.sleep(self.server.delay)
        self._answer(self.server.status, b"")

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("content-length", str(len(body)))
        if status == 429:
            self.send_header("retry-after", "30")
        self.end_headers()
        self.wfile.write(body)

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


def _send(notifier: WebhookNotifier, notification: Notification | None = None) -> Any:
    return asyncio.run(notifier.send(notification or Notification("ONU down", "LOS", "noc")))


class TestWebhookNotifier(NotifierConformance):
    notifier_class = WebhookNotifier
    plugin = plugin

    @pytest.fixture
    def notifier(self, receiver: Receiver) -> WebhookNotifier:
        return WebhookNotifier(
            {"url": receiver.url, "secret": SECRET, "headers": {"X-Tenant": "rj-01"}}
        )

    @pytest.fixture
    def failing_notifier(self) -> WebhookNotifier:
        url = f"http://127.0.0.1:{_closed_port()}/hooks/rjchronos"
        return WebhookNotifier({"url": url, "secret": SECRET, "timeout": 5})

    def check_delivered(
        self, request: pytest.FixtureRequest, notifier: Any, notification: Notification
    ) -> None:
        received = request.getfixturevalue("receiver").received
        assert len(received) == 1
        assert received[0]["body"]["subject"] == notification.subject
        assert received[0]["body"]["variables"] == dict(notification.variables)
        assert received[0]["headers"]["x-tenant"] == "rj-01"


def test_signed_json_with_the_notification_key(receiver: Receiver) -> None:
    notifier = WebhookNotifier({"url": receiver.url, "secret": SECRET})
    notification = Notification(
        "Rota caída", "Fibra rompida na Rua A", "noc", "outage", {"onus": 60}, key="incident-7:1"
    )
    result = _send(notifier, notification)
    assert result.delivered and result.provider_id == "incident-7:1"
    [request] = receiver.received
    assert request["headers"]["content-type"] == "application/json"
    assert request["headers"]["x-rjchronos-delivery"] == "incident-7:1"
    assert request["body"] == {
        "subject": "Rota caída",
        "body": "Fibra rompida na Rua A",
        "recipient": "noc",
        "template": "outage",
        "variables": {"onus": 60},
        "key": "incident-7:1",
    }


def test_retries_carry_the_same_delivery_id(receiver: Receiver) -> None:
    notifier = WebhookNotifier({"url": receiver.url, "secret": SECRET})
    notification = Notification("ONU down", "LOS", "noc", key="alert-42:noc")
    receiver.status = 503
    assert _send(notifier, notification).retryable
    receiver.status = 204
    assert _send(notifier, notification).delivered
    assert [r["headers"]["x-rjchronos-delivery"] for r in receiver.received] == [
        "alert-42:noc",
        "alert-42:noc",
    ]
    unkeyed = [_send(notifier).provider_id for _ in range(2)]
    assert unkeyed[0] != unkeyed[1], "without a key each delivery gets its own id"


def test_wrong_secret_is_rejected_and_final(receiver: Receiver) -> None:
    result = _send(WebhookNotifier({"url": receiver.url, "secret": "not-the-right-secret"}))
    assert not result.delivered and not result.retryable
    assert "HTTP 401" in result.detail
    assert receiver.received == []


@pytest.mark.parametrize(
    ("status", "retryable", "retry_after"),
    [
        (500, True, None),
        (503, True, None),
        (429, True, 30.0),
        (400, False, None),
        (410, False, None),
    ],
)
def test_status_decides_retry(
    receiver: Receiver, status: int, retryable: bool, retry_after: float | None
) -> None:
    receiver.status = status
    result = _send(WebhookNotifier({"url": receiver.url, "secret": SECRET}))
    assert not result.delivered
    assert (result.retryable, result.retry_after) == (retryable, retry_after)
    assert f"HTTP {status}" in result.detail


def test_timeout_is_retryable(receiver: Receiver) -> None:
    receiver.delay = 1.0
    result = _send(WebhookNotifier({"url": receiver.url, "secret": SECRET, "timeout": 0.2}))
    assert not result.delivered and result.retryable
    assert "timed out" in result.detail


def test_endpoint_down_is_retryable() -> None:
    url = f"http://127.0.0.1:{_closed_port()}/"
    result = _send(WebhookNotifier({"url": url, "secret": SECRET}))
    assert not result.delivered and result.retryable


def test_declared_in_the_catalog(rjc_kernel_factory: Any) -> None:
    kernel: Kernel = rjc_kernel_factory(entrypoints=["notify-webhook"])
    assert kernel.host.records["notify-webhook"].state == "loaded"
    notifier_type = kernel.catalog.notifier_types["webhook"]
    assert notifier_type.secret_fields == ("secret", "headers")


def test_a_batch_is_signed_and_answered_one_result_each_in_order(receiver: Receiver) -> None:
    notifier = WebhookNotifier({"url": receiver.url, "secret": SECRET})
    batch = [Notification(f"ONU {n} down", "LOS", "noc", key=f"alert-{n}:noc") for n in range(12)]
    results = asyncio.run(notifier.send_many(batch))
    assert [r.provider_id for r in results] == [f"alert-{n}:noc" for n in range(12)]
    assert all(r.delivered for r in results)
    assert sorted(r["body"]["key"] for r in receiver.received) == sorted(n.key for n in batch)
    assert {r["headers"]["user-agent"] for r in receiver.received} == {"RJChronos-Webhook/1"}

    receiver.status = 503
    down = asyncio.run(notifier.send_many(batch[:2]))
    assert [(r.delivered, r.retryable) for r in down] == [(False, True)] * 2
    closed = WebhookNotifier({"url": f"http://127.0.0.1:{_closed_port()}/h", "secret": SECRET})
    unreachable = asyncio.run(closed.send_many(batch[:3]))
    assert all(r.retryable and "cannot reach" in r.detail for r in unreachable)


class _ClosingHandler(_Handler):
    """Answers as HTTP/1.1 (the connection looks kept alive) and then closes it, as an
    endpoint's idle timeout does between two batches."""

    protocol_version = "HTTP/1.1"

    def _answer(self, status: int, body: bytes) -> None:
        super()._answer(status, body)
        self.close_connection = True


def test_a_batch_after_the_endpoint_closed_its_connections_is_sent_once_each() -> None:
    server = Receiver()
    server.RequestHandlerClass = _ClosingHandler
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        notifier = WebhookNotifier({"url": server.url, "secret": SECRET})
        first = [Notification(f"ONU {n}", "LOS", "noc", key=f"a-{n}") for n in range(8)]
        second = [Notification(f"ONU {n}", "LOS", "noc", key=f"b-{n}") for n in range(8)]
        assert all(r.delivered for r in asyncio.run(notifier.send_many(first)))
        time.sleep(0.2)  # every connection the pool kept is closed by now
        assert all(r.delivered for r in asyncio.run(notifier.send_many(second)))
        keys = [r["body"]["key"] for r in server.received]
        assert sorted(keys) == sorted(n.key for n in [*first, *second])
    finally:
        server.shutdown()
        server.server_close()


def test_a_batch_to_a_slow_endpoint_times_out_retryably(receiver: Receiver) -> None:
    receiver.delay = 1.0
    notifier = WebhookNotifier({"url": receiver.url, "secret": SECRET, "timeout": 0.2})
    batch = [Notification(f"ONU {n}", "LOS", "noc", key=f"slow-{n}") for n in range(2)]
    results = asyncio.run(notifier.send_many(batch))
    assert all(not r.delivered and r.retryable and "timed out" in r.detail for r in results)
