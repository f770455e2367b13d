"""The ``webhook`` notifier: posts each notification as signed JSON to an HTTP endpoint."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import ssl
import threading
import time
import urllib.request
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlsplit

import httpx
from rjchronos_sdk import DeliveryResult, DriverMatch, Notification, Notifier

from rjchronos_notify_webhook.signature import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    sign,
)

#: Statuses worth another try besides 5xx: request timeout and throttling.
RETRYABLE_4XX = frozenset({408, 425, 429})
#: What every request (single or batched) names itself as, unless the channel's headers say.
USER_AGENT = "RJChronos-Webhook/1"
#: Threads posting batches to one endpoint (scheme, host and port) in a process.
POOL_THREADS = 4


class WebhookNotifier(Notifier):
    """POSTs ``{subject, body, recipient, template, variables, key}`` to ``config["url"]``.

    With ``config["secret"]`` set, every request carries the timestamp and
    HMAC-SHA256 signature headers of :mod:`rjchronos_notify_webhook.signature`.
    2xx is delivered; 5xx, 408, 425, 429 and network errors are retryable;
    any other status is a final failure.
    """

    name = "webhook"
    # Channels are chosen by configuration, never by matching a device.
    match = DriverMatch()

    #: Threads a batch is posted from behind a proxy (see :meth:`send_many`).
    batch_threads = 4

    @property
    def _timeout(self) -> float:
        return float(self.config.get("timeout", 10))

    async def send(self, notification: Notification) -> DeliveryResult:
        request = self._request(notification)
        try:
            async with httpx.AsyncClient(timeout=self._timeout, verify=_tls()) as client:
                response = await client.send(request)
        except httpx.HTTPError as exc:
            return _failure(exc)
        return _result(response, request)

    async def send_many(self, notifications: Sequence[Notification]) -> list[DeliveryResult]:
        """Post a batch from the endpoint's pool of threads over kept-alive connections.

        A burst of alerts is bound by the CPU each request costs: the standard
        library's HTTP client over a connection each pool thread keeps open
        between batches costs about a third of httpx's synchronous client and
        no connection set-up. Each endpoint has a pool of its own, so a slow
        one holds up only its own deliveries. Behind a proxy (``HTTP(S)_PROXY``)
        the batch goes through httpx, which honours it.
        """
        posts = [self._post(n) for n in notifications]
        if not posts:
            return []
        if _proxied(posts[0].url):
            requests = [self._request(n) for n in notifications]
            return await asyncio.to_thread(self._post_all, requests)
        return await asyncio.to_thread(_pool(posts[0].url).post_all, posts)

    def _post_all(self, requests: list[httpx.Request]) -> list[DeliveryResult]:
        limits = httpx.Limits(max_connections=self.batch_threads)
        with (
            httpx.Client(timeout=self._timeout, limits=limits, verify=_tls()) as client,
            ThreadPoolExecutor(self.batch_threads, thread_name_prefix="rjc-webhook") as pool,
        ):

            def post(request: httpx.Request) -> DeliveryResult:
                try:
                    return _result(client.send(request), request)
                except httpx.HTTPError as exc:
                    return _failure(exc)

            return list(pool.map(post, requests))

    def _post(self, notification: Notification) -> _Post:
        body, headers = self._content(notification)
        return _Post(self.config["url"], body, headers, self._timeout)

    def _request(self, notification: Notification) -> httpx.Request:
        body, headers = self._content(notification)
        return httpx.Request("POST", self.config["url"], content=body, headers=headers)

    def _content(self, notification: Notification) -> tuple[bytes, dict[str, str]]:
        body = json.dumps(
            {
                "subject": notification.subject,
                "body": notification.body,
                "recipient": notification.recipient,
                "template": notification.template,
                "variables": dict(notification.variables),
                "key": notification.key,
            },
            ensure_ascii=False,
            default=str,
        ).encode()
        delivery = notification.key or uuid.uuid4().hex
        timestamp = str(int(time.time()))
        headers = {
            "User-Agent": USER_AGENT,
            **dict(self.config.get("headers", {})),
            "Content-Type": "application/json",
            DELIVERY_HEADER: delivery,
            TIMESTAMP_HEADER: timestamp,
        }
        if secret := self.config.get("secret"):
            headers[SIGNATURE_HEADER] = sign(secret, timestamp, body)
        return body, headers


@cache
def _tls() -> ssl.SSLContext:
    """One TLS context per process: building one costs milliseconds of CPU."""
    return ssl.create_default_context()


def _failure(exc: httpx.HTTPError) -> DeliveryResult:
    if isinstance(exc, httpx.TimeoutException):
        return DeliveryResult(False, "timed out waiting for the endpoint", retryable=True)
    return DeliveryResult(False, f"cannot reach the endpoint: {exc}", retryable=True)


def _result(response: httpx.Response, request: httpx.Request) -> DeliveryResult:
    return _status_result(
        response.status_code,
        response.text,
        request.headers[DELIVERY_HEADER],
        response.headers.get("retry-after"),
    )


def _status_result(
    status: int, text: str, delivery: str, retry_after: str | None
) -> DeliveryResult:
    if 200 <= status < 300:
        return DeliveryResult(True, f"HTTP {status}", provider_id=delivery)
    return DeliveryResult(
        False,
        f"HTTP {status}: {text[:200]}",
        retryable=status >= 500 or status in RETRYABLE_4XX,
        retry_after=_seconds(retry_after),
    )


def _seconds(value: str | None) -> float | None:
    """A ``Retry-After`` header in seconds, when it is a number."""
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


@dataclass(frozen=True)
class _Post:
    """One request of a batch, ready to send."""

    url: str
    body: bytes
    headers: dict[str, str]
    timeout: float


class _Pool:
    """Threads posting batches to one endpoint, each keeping its connection open between them."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(POOL_THREADS, thread_name_prefix="rjc-webhook")
        self._local = threading.local()

    def post_all(self, posts: list[_Post]) -> list[DeliveryResult]:
        return list(self._executor.map(self.post, posts))

    def post(self, post: _Post) -> DeliveryResult:
        parts = urlsplit(post.url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        for first in (True, False):
            connection, was_open = self._connection(parts.scheme, parts.hostname or "", parts.port)
            connection.timeout = post.timeout
            if connection.sock is not None:
                connection.sock.settimeout(post.timeout)
            try:
                connection.request("POST", target, body=post.body, headers=post.headers)
                response = connection.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as exc:
                connection.close()
                if first and was_open:
                    continue  # the endpoint closed a kept-alive connection: again on a new one
                return DeliveryResult(False, f"cannot reach the endpoint: {exc}", retryable=True)
            except TimeoutError:
                connection.close()
                return DeliveryResult(False, "timed out waiting for the endpoint", retryable=True)
            except (OSError, http.client.HTTPException) as exc:
                connection.close()
                return DeliveryResult(False, f"cannot reach the endpoint: {exc}", retryable=True)
            if response.will_close:
                connection.close()
            return _status_result(
                response.status,
                data.decode("utf-8", "replace"),
                post.headers[DELIVERY_HEADER],
                response.getheader("retry-after"),
            )
        raise AssertionError("unreachable")  # pragma: no cover

    def _connection(
        self, scheme: str, host: str, port: int | None
    ) -> tuple[http.client.HTTPConnection, bool]:
        """This thread's connection to the endpoint, and whether it was already open."""
        connections: dict[tuple[str, str, int | None], http.client.HTTPConnection] = (
            self._local.__dict__.setdefault("connections", {})
        )
        key = (scheme, host, port)
        connection = connections.get(key)
        if connection is None:
            if scheme == "https":
                connection = http.client.HTTPSConnection(host, port, context=_tls())
            else:
                connection = http.client.HTTPConnection(host, port)
            connections[key] = connection
        return connection, connection.sock is not None


_pools: dict[tuple[str, str, int | None], _Pool] = {}
_pools_lock = threading.Lock()


def _pool(url: str) -> _Pool:
    """The batch pool of ``url``'s endpoint, made on first use (and again in a forked child)."""
    parts = urlsplit(url)
    key = (parts.scheme, parts.hostname or "", parts.port)
    with _pools_lock:
        if key not in _pools:
            _pools[key] = _Pool()
        return _pools[key]


def _forget_pool() -> None:
    global _pools_lock
    _pools.clear()
    _pools_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_pool)


def _proxied(url: str) -> bool:
    """Whether the environment names a proxy for ``url`` (as httpx's ``trust_env`` reads it)."""
    parts = urlsplit(url)
    proxies = urllib.request.getproxies()
    if not (proxies.get(parts.scheme) or proxies.get("all")):
        return False
    return not urllib.request.proxy_bypass(parts.hostname or "")
