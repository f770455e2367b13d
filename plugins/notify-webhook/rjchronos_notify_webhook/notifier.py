"""The ``webhook`` notifier: posts each notification as signed JSON to an HTTP endpoint."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Sequence

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

    _client: httpx.AsyncClient | None = None

    def _new_client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=float(self.config.get("timeout", 10)))

    async def send_many(self, notifications: Sequence[Notification]) -> list[DeliveryResult]:
        """Send them over one client: its kept-alive connections serve the whole batch."""
        async with self._new_client() as client:
            self._client = client
            try:
                return await super().send_many(notifications)
            finally:
                self._client = None

    async def send(self, notification: Notification) -> DeliveryResult:
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
        try:
            if self._client is not None:
                response = await self._client.post(
                    self.config["url"], content=body, headers=headers
                )
            else:
                async with self._new_client() as client:
                    response = await client.post(self.config["url"], content=body, headers=headers)
        except httpx.TimeoutException:
            return DeliveryResult(False, "timed out waiting for the endpoint", retryable=True)
        except httpx.HTTPError as exc:
            return DeliveryResult(False, f"cannot reach the endpoint: {exc}", retryable=True)
        status = response.status_code
        if response.is_success:
            return DeliveryResult(True, f"HTTP {status}", provider_id=delivery)
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
