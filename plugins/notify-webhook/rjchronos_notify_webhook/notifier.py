"""The ``webhook`` notifier: posts each notification as signed JSON to an HTTP endpoint."""

from __future__ import annotations

import asyncio
import json
import ssl
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cache

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

    #: Threads a batch is posted from (see :meth:`send_many`).
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
        """Post a batch over one kept-alive client from a few threads.

        httpx's synchronous client costs about a third of the CPU of its async
        one per request, which is what a burst of alerts is bound by.
        """
        requests = [self._request(n) for n in notifications]
        return await asyncio.to_thread(self._post_all, requests)

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

    def _request(self, notification: Notification) -> httpx.Request:
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
            **dict(self.config.get("headers", {})),
            "Content-Type": "application/json",
            DELIVERY_HEADER: delivery,
            TIMESTAMP_HEADER: timestamp,
        }
        if secret := self.config.get("secret"):
            headers[SIGNATURE_HEADER] = sign(secret, timestamp, body)
        return httpx.Request("POST", self.config["url"], content=body, headers=headers)


@cache
def _tls() -> ssl.SSLContext:
    """One TLS context per process: building one costs milliseconds of CPU."""
    return ssl.create_default_context()


def _failure(exc: httpx.HTTPError) -> DeliveryResult:
    if isinstance(exc, httpx.TimeoutException):
        return DeliveryResult(False, "timed out waiting for the endpoint", retryable=True)
    return DeliveryResult(False, f"cannot reach the endpoint: {exc}", retryable=True)


def _result(response: httpx.Response, request: httpx.Request) -> DeliveryResult:
    status = response.status_code
    if response.is_success:
        return DeliveryResult(True, f"HTTP {status}", provider_id=request.headers[DELIVERY_HEADER])
    return DeliveryResult(
        False,
        f"HTTP {status}: {response.text[:200]}",
        retryable=status >= 500 or status in RETRYABLE_4XX,
        retry_after=_retry_after(response),
    )


def _retry_after(response: httpx.Response) -> float | None:
    """The ``Retry-After`` header in seconds, when it is a number."""
    try:
        return float(response.headers["retry-after"])
    except (KeyError, ValueError):
        return None
