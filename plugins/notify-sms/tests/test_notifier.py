"""``sms``: the conformance suite and three gateway styles, against a local gateway."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest
from rjchronos_sdk import DeliveryResult, Notification
from rjchronos_sdk.conformance import NotifierConformance

from rjchronos_notify_sms import plugin
from rjchronos_notify_sms.notifier import SmsNotifier
from rjchronos_notify_sms.request import fill, json_path

#: The local gateway (conftest.py): url, messages, status, answer, username, password.
Gateway = Any


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def json_config(base: str, **overrides: Any) -> dict[str, Any]:
    """A JSON gateway: bearer key, E.164 ``to``, the id at ``data.messages.0.id``."""
    return {
        "url": f"{base}/v1/messages",
        "headers": {"Authorization": "Bearer {api_key}"},
        "body": {"to": "{recipient}", "text": "{body}", "tags": ["rjchronos"]},
        "api_key": "sk_live_0123456789abcdef",
        "success": {"status": [201]},
        "message_id": {"json_path": "data.messages.0.id"},
        "timeout": 5,
        **overrides,
    }


def _send(
    config: dict[str, Any], recipient: str = "(21) 98765-4321", **fields: Any
) -> DeliveryResult:
    notification = Notification(
        fields.get("subject", "Queda"), fields.get("body", "Rota caída"), recipient
    )
    return asyncio.run(SmsNotifier(config).send(notification))


class TestSmsNotifier(NotifierConformance):
    notifier_class = SmsNotifier
    plugin = plugin

    @pytest.fixture
    def notification(self) -> Notification:
        return Notification(
            "Queda de serviço",
            "RJ Fibra: manutenção na Rua das Flores, previsão 14h. Não responda.",
            "021 98765-4321",
        )

    @pytest.fixture
    def notifier(self, gateway: Gateway) -> SmsNotifier:
        return SmsNotifier(json_config(gateway.url))

    @pytest.fixture
    def failing_notifier(self) -> SmsNotifier:
        return SmsNotifier(json_config(f"http://127.0.0.1:{_closed_port()}"))

    def check_delivered(
        self, request: pytest.FixtureRequest, notifier: Any, notification: Notification
    ) -> None:
        [message] = request.getfixturevalue("gateway").messages
        assert message == {
            "to": "+5521987654321",
            "text": notification.body,
            "style": "json",
            "id": "10001",
        }


def test_json_gateway_message_id(gateway: Gateway) -> None:
    result = _send(json_config(gateway.url))
    assert result.delivered, result.detail
    assert result.provider_id == "sms-10001"


def test_form_gateway_with_basic_auth(gateway: Gateway) -> None:
    config = {
        "url": f"{gateway.url}/basic/send",
        "body_format": "form",
        "body": {"destination": "{recipient}", "message": "{subject}: {body}"},
        "username": gateway.username,
        "password": gateway.password,
        "number_format": "digits",
        "message_id": {"header": "x-message-id"},
    }
    result = _send(config, "+55 11 91234-5678", body="Serviço restabelecido & ok")
    assert result.delivered, result.detail
    assert result.provider_id == "10001"
    assert gateway.messages[0]["to"] == "5511912345678"
    assert gateway.messages[0]["text"] == "Queda: Serviço restabelecido & ok"


def _legacy(base: str, key: str = "sk_live_0123456789abcdef") -> dict[str, Any]:
    return {
        "method": "GET",
        "url": f"{base}/http/send?key={{api_key}}&to={{recipient}}&msg={{body}}",
        "api_key": key,
        "number_format": "digits",
        "success": {"regex": "^OK "},
        "message_id": {"regex": "^OK (\\d+)"},
    }


def test_legacy_gateway_url_template(gateway: Gateway) -> None:
    result = _send(_legacy(gateway.url), body="Olá & até já: 100% ok?")
    assert result.delivered, result.detail
    assert result.provider_id == "10001"
    assert gateway.messages[0]["text"] == "Olá & até já: 100% ok?"
    assert gateway.messages[0]["to"] == "5521987654321"


def test_legacy_refusal_with_200_is_final_and_hides_the_key(gateway: Gateway) -> None:
    wrong = "sk_live_wrong_key_value"
    result = _send(_legacy(gateway.url, key=wrong))
    assert not result.delivered and not result.retryable
    assert "ERR 002 invalid credentials" in result.detail
    assert wrong not in result.detail and "***" in result.detail
    assert gateway.messages == []


def test_invalid_regex_is_a_final_result(gateway: Gateway) -> None:
    result = _send({**_legacy(gateway.url), "success": {"regex": "^OK ("}})
    assert not result.delivered and not result.retryable
    assert "invalid regex" in result.detail


def test_json_path_must_confirm(gateway: Gateway) -> None:
    gateway.answer = {"status": "rejected", "reason": "insufficient credit"}
    config = json_config(
        gateway.url, success={"status": [200, 201], "json_path": "status", "equals": "queued"}
    )
    result = _send(config)
    assert not result.delivered and not result.retryable
    assert "insufficient credit" in result.detail


@pytest.mark.parametrize(("status", "retryable"), [(503, True), (429, True), (400, False)])
def test_status_decides_retry(gateway: Gateway, status: int, retryable: bool) -> None:
    gateway.status = status
    result = _send(json_config(gateway.url))
    assert not result.delivered and result.retryable is retryable
    assert f"HTTP {status}" in result.detail


def test_gateway_down_is_retryable() -> None:
    result = _send(json_config(f"http://127.0.0.1:{_closed_port()}"))
    assert not result.delivered and result.retryable


@pytest.mark.parametrize(
    ("written", "e164"),
    [
        ("21987654321", "+5521987654321"),
        ("(21) 98765-4321", "+5521987654321"),
        ("+55 11 91234-5678", "+5511912345678"),
        ("+1 650 253 0000", "+16502530000"),
    ],
)
def test_numbers_are_normalised_to_e164(gateway: Gateway, written: str, e164: str) -> None:
    assert _send(json_config(gateway.url), written).delivered
    assert gateway.messages[0]["to"] == e164


@pytest.mark.parametrize("written", ["12345", "not a number", "+55 21 1234"])
def test_invalid_numbers_are_final(gateway: Gateway, written: str) -> None:
    result = _send(json_config(gateway.url), written)
    assert not result.delivered and not result.retryable
    assert written in result.detail
    assert gateway.messages == []


def test_max_length_and_subject(gateway: Gateway) -> None:
    config = json_config(gateway.url, include_subject=True, max_length=20)
    assert _send(config, body="Fibra rompida na Rua A").delivered
    assert gateway.messages[0]["text"] == "Queda: Fibra rompida"


def test_templates_expand_only_known_names() -> None:
    values = {"recipient": "+55", "body": "a b&c"}
    assert (
        fill("{recipient}|{body}|{body.__class__}|{0}", values) == "+55|a b&c|{body.__class__}|{0}"
    )
    assert fill("?to={recipient}&m={body}", values, url=True) == "?to=%2B55&m=a%20b%26c"


def test_json_path() -> None:
    document = {"data": {"messages": [{"id": "x1"}]}}
    assert json_path(document, "$.data.messages.0.id") == "x1"
    assert json_path(document, "data.messages.1.id") is None
    assert json_path(document, "data.missing") is None


def test_declared_in_the_catalog(rjc_kernel_factory: Any) -> None:
    kernel = rjc_kernel_factory(entrypoints=["notify-sms"])
    assert kernel.catalog.notifier_types["sms"].secret_fields == ("api_key", "password")
