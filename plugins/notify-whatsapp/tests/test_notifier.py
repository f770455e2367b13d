"""``whatsapp``: the conformance suite and the Graph API format, against a local Cloud API."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest
from rjchronos_sdk import DeliveryResult, Notification
from rjchronos_sdk.conformance import NotifierConformance

from rjchronos_notify_whatsapp import plugin
from rjchronos_notify_whatsapp.notifier import WhatsappNotifier

TEMPLATES = {
    "outage": {"name": "queda_regional", "language": "pt_BR", "parameters": ["area", "eta"]},
    "outage:en": {"name": "queda_regional", "language": "en_US", "parameters": ["area", "eta"]},
    "restored": {"name": "servico_restabelecido", "language": "pt_BR", "parameters": ["area"]},
    "default": {"name": "hello_world", "language": "en_US"},
}


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _config(cloud_api: Any, **overrides: Any) -> dict[str, Any]:
    return {
        "access_token": cloud_api.token,
        "phone_number_id": cloud_api.phone_number_id,
        "base_url": cloud_api.url,
        "api_version": "v21.0",
        "templates": TEMPLATES,
        **overrides,
    }


def _outage(recipient: str = "(21) 98765-4321", **variables: Any) -> Notification:
    values = {"area": "Centro", "eta": "14h", **variables}
    return Notification("Queda", "Rota caída", recipient, "outage", values)


def _send(config: dict[str, Any], notification: Notification | None = None) -> DeliveryResult:
    return asyncio.run(WhatsappNotifier(config).send(notification or _outage()))


class TestWhatsappNotifier(NotifierConformance):
    notifier_class = WhatsappNotifier
    plugin = plugin

    @pytest.fixture
    def notification(self) -> Notification:
        return _outage("+55 21 98765-4321", area="Rua das Flores,\n  Centro")

    @pytest.fixture
    def notifier(self, cloud_api: Any) -> WhatsappNotifier:
        return WhatsappNotifier(_config(cloud_api))

    @pytest.fixture
    def failing_notifier(self, cloud_api: Any) -> WhatsappNotifier:
        return WhatsappNotifier(_config(cloud_api, base_url=f"http://127.0.0.1:{_closed_port()}"))

    def check_delivered(
        self, request: pytest.FixtureRequest, notifier: Any, notification: Notification
    ) -> None:
        [message] = request.getfixturevalue("cloud_api").messages
        assert message["to"] == "5521987654321"
        assert message["template"] == {
            "name": "queda_regional",
            "language": {"code": "pt_BR"},
            "components": [
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": "Rua das Flores, Centro"},
                        {"type": "text", "text": "14h"},
                    ],
                }
            ],
        }


def test_wamid_is_the_provider_id(cloud_api: Any) -> None:
    result = _send(_config(cloud_api))
    assert result.delivered, result.detail
    assert result.provider_id == cloud_api.messages[0]["id"]
    assert result.provider_id.startswith("wamid.")


def test_language_picks_the_translation(cloud_api: Any) -> None:
    assert _send(_config(cloud_api), _outage(language="en")).delivered
    assert cloud_api.messages[0]["template"]["language"] == {"code": "en_US"}


def test_default_template_without_parameters(cloud_api: Any) -> None:
    notification = Notification("Teste", "Teste", "21987654321", "unknown-template")
    assert _send(_config(cloud_api), notification).delivered
    assert cloud_api.messages[0]["template"] == {
        "name": "hello_world",
        "language": {"code": "en_US"},
    }


def test_missing_variable_is_final_and_not_sent(cloud_api: Any) -> None:
    notification = Notification("Queda", "x", "21987654321", "restored", {"eta": "14h"})
    config = _config(cloud_api, templates={"restored": TEMPLATES["restored"]})
    result = _send(config, notification)
    assert not result.delivered and not result.retryable
    assert "needs the variables area" in result.detail
    assert cloud_api.messages == []


def test_invalid_number_is_final(cloud_api: Any) -> None:
    result = _send(_config(cloud_api), _outage("12345"))
    assert not result.delivered and not result.retryable
    assert "not a valid phone number" in result.detail


def test_undeliverable_is_final(cloud_api: Any) -> None:
    result = _send(_config(cloud_api), _outage("+55 21 90000-0000"))
    assert not result.delivered and not result.retryable
    assert result.detail.startswith("WhatsApp error 131026: Message Undeliverable.")


def test_expired_token_is_final_and_never_shown(cloud_api: Any) -> None:
    expired = cloud_api.expired_token
    result = _send(_config(cloud_api, access_token=expired))
    assert not result.delivered and not result.retryable
    assert "WhatsApp error 190" in result.detail and "expired" in result.detail
    assert expired not in result.detail


@pytest.mark.parametrize("code", [4, 80007, 130429])
def test_rate_limits_are_retryable(cloud_api: Any, code: int) -> None:
    cloud_api.throttle = code
    result = _send(_config(cloud_api))
    assert not result.delivered and result.retryable
    assert f"WhatsApp error {code}" in result.detail


def test_unapproved_template_is_final(cloud_api: Any) -> None:
    templates = {"default": {"name": "promo_black_friday", "language": "pt_BR"}}
    result = _send(_config(cloud_api, templates=templates))
    assert not result.delivered and not result.retryable
    assert "132001" in result.detail and "promo_black_friday" in result.detail


def test_wrong_phone_number_id_is_final(cloud_api: Any) -> None:
    result = _send(_config(cloud_api, phone_number_id="999"))
    assert not result.delivered and not result.retryable
    assert "WhatsApp error 100" in result.detail


def test_declared_in_the_catalog(rjc_kernel_factory: Any) -> None:
    kernel = rjc_kernel_factory(entrypoints=["notify-whatsapp"])
    assert kernel.catalog.notifier_types["whatsapp"].secret_fields == ("access_token",)
