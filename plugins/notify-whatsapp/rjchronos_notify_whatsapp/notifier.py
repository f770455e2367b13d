"""The ``whatsapp`` notifier: template messages through the WhatsApp Business Cloud API.

``POST {base_url}/{api_version}/{phone_number_id}/messages`` with a bearer
token. A business may open a conversation only with an approved template, so
every notification is sent as one: the channel's ``templates`` map a
notification's template (and language) to the template's name, language code
and the variables that fill its body parameters, in order.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import httpx
import phonenumbers
from rjchronos_sdk import DeliveryResult, DriverMatch, Notification, Notifier

DEFAULT_BASE_URL = "https://graph.facebook.com"
DEFAULT_API_VERSION = "v21.0"
#: Graph API error codes worth another try: throttling and temporary failures.
RETRYABLE_CODES = frozenset(
    {1, 2, 4, 17, 341, 80007, 130429, 131000, 131016, 131048, 131056, 133004}
)


class TemplateError(ValueError):
    """The notification cannot be sent as any configured template."""


class WhatsappNotifier(Notifier):
    """Sends the configured approved template to the recipient's WhatsApp number."""

    name = "whatsapp"
    # Channels are chosen by configuration, never by matching a device.
    match = DriverMatch()

    async def send(self, notification: Notification) -> DeliveryResult:
        try:
            to = whatsapp_number(notification.recipient, self.config.get("default_region", "BR"))
            template = template_payload(notification, self.config.get("templates", {}))
        except (TemplateError, phonenumbers.NumberParseException) as exc:
            return DeliveryResult(False, str(exc))
        base = str(self.config.get("base_url", DEFAULT_BASE_URL)).rstrip("/")
        version = self.config.get("api_version", DEFAULT_API_VERSION)
        url = f"{base}/{version}/{self.config['phone_number_id']}/messages"
        payload = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to,
            "type": "template",
            "template": template,
        }
        headers = {"Authorization": f"Bearer {self.config['access_token']}"}
        try:
            async with httpx.AsyncClient(timeout=float(self.config.get("timeout", 10))) as client:
                response = await client.post(url, json=payload, headers=headers)
        except httpx.TimeoutException:
            return DeliveryResult(False, "timed out waiting for the Cloud API", retryable=True)
        except httpx.HTTPError as exc:
            return DeliveryResult(False, f"cannot reach the Cloud API: {exc}", retryable=True)
        return _result(response)


def whatsapp_number(recipient: str, region: str) -> str:
    """The recipient as the Cloud API's ``to``: E.164 digits without the ``+``."""
    number = phonenumbers.parse(recipient, region)
    if not phonenumbers.is_valid_number(number):
        raise TemplateError(f"{recipient!r} is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164).lstrip("+")


def template_payload(notification: Notification, templates: Mapping[str, Any]) -> dict[str, Any]:
    """The ``template`` object for ``notification``.

    Looks up ``"<template>:<language>"``, then ``"<template>"``, then
    ``"default"`` in ``templates``. Each parameter name is a variable of the
    notification, or ``subject``/``body``.
    """
    language = notification.variables.get("language", "")
    keys = [f"{notification.template}:{language}", notification.template, "default"]
    entry = next((templates[key] for key in keys if key in templates), None)
    if entry is None:
        raise TemplateError(f"no WhatsApp template configured for {notification.template!r}")
    values = {"subject": notification.subject, "body": notification.body}
    values.update(notification.variables)
    missing = [name for name in entry.get("parameters", []) if name not in values]
    if missing:
        raise TemplateError(f"template {entry['name']!r} needs the variables {', '.join(missing)}")
    payload: dict[str, Any] = {"name": entry["name"], "language": {"code": entry["language"]}}
    if entry.get("parameters"):
        parameters = [
            {"type": "text", "text": _parameter_text(values[name])} for name in entry["parameters"]
        ]
        payload["components"] = [{"type": "body", "parameters": parameters}]
    return payload


def _parameter_text(value: Any) -> str:
    """Template parameters may hold no new lines, tabs or runs of more than four spaces."""
    return re.sub(r"\s+", " ", str(value)).strip()


def _result(response: httpx.Response) -> DeliveryResult:
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if response.is_success and isinstance(answer, dict):
        messages = answer.get("messages") or [{}]
        return DeliveryResult(True, "accepted", provider_id=str(messages[0].get("id", "")))
    error = answer.get("error") if isinstance(answer, dict) else None
    if not isinstance(error, dict):
        detail = f"HTTP {response.status_code}, not a Graph API answer"
        return DeliveryResult(False, detail, retryable=response.status_code >= 500)
    code = int(error.get("code", 0))
    detail = f"WhatsApp error {code}: {error.get('message', 'no message')}"
    if details := (error.get("error_data") or {}).get("details"):
        detail += f" ({details})"
    return DeliveryResult(False, detail, retryable=code in RETRYABLE_CODES)
