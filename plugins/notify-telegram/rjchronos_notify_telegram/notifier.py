"""The ``telegram`` notifier: posts each notification as JSON to an HTTP endpoint.

Adapt ``send`` to your provider's API. A notifier never raises for a failed
delivery: it returns a :class:`DeliveryResult` saying why, and whether a
retry may help.
"""

from __future__ import annotations

import httpx
from rjchronos_sdk import DeliveryResult, DriverMatch, Notification, Notifier


class TelegramNotifier(Notifier):
    """Delivers to ``config["url"]``, with ``config["token"]`` as a bearer token if set."""

    name = "telegram"
    # Channels are chosen by configuration, never by matching a device.
    match = DriverMatch()

    async def send(self, notification: Notification) -> DeliveryResult:
        token = self.config.get("token")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        message = {
            "subject": notification.subject,
            "body": notification.body,
            "recipient": notification.recipient,
            "template": notification.template,
            "variables": dict(notification.variables),
        }
        try:
            async with httpx.AsyncClient(timeout=float(self.config.get("timeout", 10))) as client:
                response = await client.post(self.config["url"], json=message, headers=headers)
        except httpx.HTTPError as exc:
            return DeliveryResult(False, f"{type(exc).__name__}: {exc}", retryable=True)
        if response.is_success:
            return DeliveryResult(
                True,
                f"HTTP {response.status_code}",
                provider_id=response.headers.get("x-request-id", ""),
            )
        return DeliveryResult(
            False,
            f"HTTP {response.status_code}: {response.text[:200]}",
            retryable=response.status_code == 429 or response.status_code >= 500,
        )
