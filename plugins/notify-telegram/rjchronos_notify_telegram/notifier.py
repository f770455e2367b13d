"""The ``telegram`` notifier: the Bot API's ``sendMessage``.

Every Bot API answer is JSON with ``ok``; a failure carries ``error_code``,
``description`` and, when throttled (429), ``parameters.retry_after``.
"""

from __future__ import annotations

import html
import re
from typing import Any

import httpx
from rjchronos_sdk import DeliveryResult, DriverMatch, Notification, Notifier

DEFAULT_BASE_URL = "https://api.telegram.org"
#: Longest text sendMessage accepts.
MAX_TEXT = 4096
_MARKDOWN_V2_SPECIAL = re.compile(r"([_*\[\]()~`>#+\-=|{}.!\\])")


class TelegramNotifier(Notifier):
    """Sends the subject and body to the chat named by the recipient (id or ``@channel``)."""

    name = "telegram"
    # Channels are chosen by configuration, never by matching a device.
    match = DriverMatch()

    async def send(self, notification: Notification) -> DeliveryResult:
        token = str(self.config["bot_token"])
        base = str(self.config.get("base_url", DEFAULT_BASE_URL)).rstrip("/")
        parse_mode = self.config.get("parse_mode", "HTML")
        payload: dict[str, Any] = {
            "chat_id": notification.recipient,
            "text": _text(notification, parse_mode),
            "disable_web_page_preview": True,
        }
        if parse_mode:
            payload["parse_mode"] = parse_mode
        try:
            async with httpx.AsyncClient(timeout=float(self.config.get("timeout", 10))) as client:
                response = await client.post(f"{base}/bot{token}/sendMessage", json=payload)
        except httpx.TimeoutException:
            return DeliveryResult(False, "timed out waiting for the Bot API", retryable=True)
        except httpx.HTTPError as exc:
            detail = f"cannot reach the Bot API: {exc}".replace(token, "<bot_token>")
            return DeliveryResult(False, detail, retryable=True)
        return _result(response)


def _text(notification: Notification, parse_mode: str) -> str:
    """The subject in bold over the body, escaped for ``parse_mode``, within MAX_TEXT.

    The body is cut before escaping, so an entity or escape is never split.
    """
    subject, body = notification.subject, notification.body
    text = _formatted(subject, body, parse_mode)
    if len(text) <= MAX_TEXT:
        return text
    # The longest start of the body that fits once escaped (escaping only lengthens).
    low, high = 0, len(body)
    while low < high:
        middle = (low + high + 1) // 2
        if len(_formatted(subject, body[:middle] + "…", parse_mode)) <= MAX_TEXT:
            low = middle
        else:
            high = middle - 1
    return _formatted(subject, body[:low] + "…", parse_mode)[:MAX_TEXT]


def _formatted(subject: str, body: str, parse_mode: str) -> str:
    if parse_mode == "HTML":
        return (
            f"<b>{html.escape(subject)}</b>\n\n{html.escape(body)}"
            if subject
            else html.escape(body)
        )
    if parse_mode == "MarkdownV2":
        escape = lambda text: _MARKDOWN_V2_SPECIAL.sub(r"\\\1", text)  # noqa: E731
        return f"*{escape(subject)}*\n\n{escape(body)}" if subject else escape(body)
    return f"{subject}\n\n{body}" if subject else body


def _result(response: httpx.Response) -> DeliveryResult:
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        retryable = response.status_code >= 500
        return DeliveryResult(
            False, f"HTTP {response.status_code}, not a Bot API answer", retryable=retryable
        )
    if answer.get("ok") is True:
        message_id = (answer.get("result") or {}).get("message_id", "")
        return DeliveryResult(True, "sent", provider_id=str(message_id))
    code = int(answer.get("error_code") or response.status_code)
    description = str(answer.get("description", "no description"))
    retry_after = (answer.get("parameters") or {}).get("retry_after")
    return DeliveryResult(
        False,
        f"Telegram error {code}: {description}",
        retryable=code == 429 or code >= 500,
        retry_after=float(retry_after) if retry_after is not None else None,
    )
