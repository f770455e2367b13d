"""The ``sms`` notifier: a generic HTTP SMS gateway described by a request template."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

import httpx
import phonenumbers
from rjchronos_sdk import DeliveryResult, DriverMatch, Notification, Notifier

from rjchronos_notify_sms.request import fill, fill_document, json_path

NUMBER_FORMATS = {
    "e164": lambda n: phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164),
    "digits": lambda n: phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164)[1:],
    "national": lambda n: str(n.national_number),
}
SECRET_FIELDS = ("api_key", "password")


class SmsNotifier(Notifier):
    """Sends ``{body}`` to ``{recipient}`` (normalised to E.164) as the gateway's template says.

    Delivered when the status is one of ``success.status`` (any 2xx by default)
    and, when set, ``success.json_path`` equals ``success.equals`` and the
    response text matches ``success.regex``. 5xx, 408, 429 and network errors
    are retryable; a refusal is final.
    """

    name = "sms"
    # Channels are chosen by configuration, never by matching a device.
    match = DriverMatch()

    async def send(self, notification: Notification) -> DeliveryResult:
        try:
            recipient = self._number(notification.recipient)
        except phonenumbers.NumberParseException as exc:
            return DeliveryResult(False, f"{notification.recipient!r}: {exc}")
        if recipient is None:
            return DeliveryResult(False, f"{notification.recipient!r} is not a valid phone number")
        text = notification.body
        if self.config.get("include_subject") and notification.subject:
            text = f"{notification.subject}: {text}"
        if limit := self.config.get("max_length"):
            text = text[: int(limit)]
        values = {
            "recipient": recipient,
            "body": text,
            "subject": notification.subject,
            "api_key": str(self.config.get("api_key", "")),
        }
        try:
            timeout = float(self.config.get("timeout", 10))
            async with httpx.AsyncClient(timeout=timeout, auth=self._auth()) as client:
                response = await client.send(self._request(client, values))
        except httpx.TimeoutException:
            return DeliveryResult(False, "timed out waiting for the gateway", retryable=True)
        except httpx.HTTPError as exc:
            return self._hidden(
                DeliveryResult(False, f"cannot reach the gateway: {exc}", retryable=True)
            )
        try:
            return self._hidden(self._result(response))
        except re.error as exc:
            return DeliveryResult(False, f"invalid regex in the channel configuration: {exc}")

    def _number(self, recipient: str) -> str | None:
        number = phonenumbers.parse(recipient, self.config.get("default_region", "BR"))
        if not phonenumbers.is_valid_number(number):
            return None
        return str(NUMBER_FORMATS[self.config.get("number_format", "e164")](number))

    def _request(self, client: httpx.AsyncClient, values: Mapping[str, str]) -> httpx.Request:
        headers = {name: fill(v, values) for name, v in self.config.get("headers", {}).items()}
        body = self.config.get("body")
        content: dict[str, Any] = {}
        if body is not None:
            as_json = self.config.get("body_format", "json") == "json"
            content = {"json" if as_json else "data": fill_document(body, values)}
        url = fill(self.config["url"], values, url=True)
        return client.build_request(
            self.config.get("method", "POST"), url, headers=headers, **content
        )

    def _auth(self) -> httpx.BasicAuth | None:
        if not self.config.get("username"):
            return None
        return httpx.BasicAuth(self.config["username"], self.config.get("password", ""))

    def _result(self, response: httpx.Response) -> DeliveryResult:
        success = self.config.get("success", {})
        status = response.status_code
        head = f"HTTP {status}: {response.text[:200]}"
        codes = success.get("status")
        if not (status in codes if codes else response.is_success):
            retryable = status >= 500 or status in (408, 429)
            return DeliveryResult(False, head, retryable=retryable)
        document = _json(response)
        if "json_path" in success:
            found = json_path(document, success["json_path"])
            expected = success.get("equals")
            if found is None or (expected is not None and found != expected):
                return DeliveryResult(False, f"the gateway did not confirm: {head}")
        if (pattern := success.get("regex")) and not re.search(pattern, response.text):
            return DeliveryResult(False, f"the gateway did not confirm: {head}")
        return DeliveryResult(
            True, f"HTTP {status}", provider_id=self._message_id(response, document)
        )

    def _message_id(self, response: httpx.Response, document: Any) -> str:
        spec = self.config.get("message_id", {})
        if "json_path" in spec:
            found = json_path(document, spec["json_path"])
            return "" if found is None else str(found)
        if "regex" in spec:
            match = re.search(spec["regex"], response.text)
            if match is None:
                return ""
            return match.group(1) if match.groups() else match.group(0)
        if "header" in spec:
            return response.headers.get(spec["header"], "")
        return ""

    def _hidden(self, result: DeliveryResult) -> DeliveryResult:
        """The result with any secret of the configuration masked (gateways echo requests)."""
        detail, provider_id = result.detail, result.provider_id
        for field in SECRET_FIELDS:
            if secret := str(self.config.get(field) or ""):
                detail = detail.replace(secret, "***")
                provider_id = provider_id.replace(secret, "***")
        return dataclasses.replace(result, detail=detail, provider_id=provider_id)


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
