"""``telegram``: the conformance suite and the wire format, against a local Bot API server."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest
from rjchronos_sdk import DeliveryResult, Notification
from rjchronos_sdk.conformance import NotifierConformance

from rjchronos_notify_telegram import plugin
from rjchronos_notify_telegram.notifier import TelegramNotifier

CHAT = "-1001234567890"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _notifier(bot_api: Any, **config: Any) -> TelegramNotifier:
    return TelegramNotifier({"bot_token": bot_api.token, "base_url": bot_api.url, **config})


def _send(notifier: TelegramNotifier, recipient: str = CHAT, **fields: Any) -> DeliveryResult:
    notification = Notification(
        fields.get("subject", "ONU down"), fields.get("body", "LOS at 03:12"), recipient
    )
    return asyncio.run(notifier.send(notification))


class TestTelegramNotifier(NotifierConformance):
    notifier_class = TelegramNotifier
    plugin = plugin

    @pytest.fixture
    def notification(self) -> Notification:
        return Notification(
            "Queda na rota <Centro> & Norte",
            "60 ONUs em LOS desde 03:12 (splitter SP-12).",
            CHAT,
            variables={"onus": 60},
        )

    @pytest.fixture
    def notifier(self, bot_api: Any) -> TelegramNotifier:
        return _notifier(bot_api)

    @pytest.fixture
    def failing_notifier(self, bot_api: Any) -> TelegramNotifier:
        url = f"http://127.0.0.1:{_closed_port()}"
        return TelegramNotifier({"bot_token": bot_api.token, "base_url": url, "timeout": 5})

    def check_delivered(
        self, request: pytest.FixtureRequest, notifier: Any, notification: Notification
    ) -> None:
        [message] = request.getfixturevalue("bot_api").messages
        assert message["chat"]["id"] == CHAT
        assert message["parse_mode"] == "HTML"
        assert message["text"] == (
            "<b>Queda na rota &lt;Centro&gt; &amp; Norte</b>\n\n"
            "60 ONUs em LOS desde 03:12 (splitter SP-12)."
        )


def test_message_id_is_the_provider_id(bot_api: Any) -> None:
    first, second = _send(_notifier(bot_api)), _send(_notifier(bot_api), "@rjchronos_noc")
    assert (first.provider_id, second.provider_id) == ("1", "2")
    assert [m["chat"]["id"] for m in bot_api.messages] == [CHAT, "@rjchronos_noc"]


def test_markdown_v2_is_escaped(bot_api: Any) -> None:
    result = _send(_notifier(bot_api, parse_mode="MarkdownV2"), body="Rx -28.5 dBm (limit!)")
    assert result.delivered, result.detail
    assert bot_api.messages[0]["text"] == "*ONU down*\n\nRx \\-28\\.5 dBm \\(limit\\!\\)"


def test_plain_text(bot_api: Any) -> None:
    assert _send(_notifier(bot_api, parse_mode=""), body="a < b").delivered
    assert bot_api.messages[0] == {**bot_api.messages[0], "text": "ONU down\n\na < b"}
    assert bot_api.messages[0]["parse_mode"] is None


def test_throttled_is_retryable_after_the_given_wait(bot_api: Any) -> None:
    bot_api.throttle = True
    result = _send(_notifier(bot_api))
    assert not result.delivered and result.retryable
    assert result.retry_after == 5.0
    assert "429" in result.detail


@pytest.mark.parametrize(
    ("recipient", "expected"),
    [("999", "chat not found"), ("77", "bot was blocked by the user")],
)
def test_refused_chats_are_final(bot_api: Any, recipient: str, expected: str) -> None:
    result = _send(_notifier(bot_api), recipient)
    assert not result.delivered and not result.retryable
    assert expected in result.detail
    assert bot_api.messages == []


def test_wrong_token_is_final_and_never_shown(bot_api: Any) -> None:
    wrong = "987654321:WrongTokenWrongTokenWrongToken"
    result = _send(TelegramNotifier({"bot_token": wrong, "base_url": bot_api.url}))
    assert not result.delivered and not result.retryable
    assert "401" in result.detail and "Unauthorized" in result.detail
    assert wrong not in result.detail


@pytest.mark.parametrize("parse_mode", ["", "HTML", "MarkdownV2"])
def test_long_text_is_cut_to_the_limit(bot_api: Any, parse_mode: str) -> None:
    # Escaping lengthens the text: the cut must still leave valid entities.
    result = _send(_notifier(bot_api, parse_mode=parse_mode), body="a&b<c>.d! " * 600)
    assert result.delivered, result.detail
    text = bot_api.messages[0]["text"]
    assert 4000 < len(text) <= 4096
    assert text.endswith("…")


def test_declared_in_the_catalog(rjc_kernel_factory: Any) -> None:
    kernel = rjc_kernel_factory(entrypoints=["notify-telegram"])
    assert kernel.catalog.notifier_types["telegram"].secret_fields == ("bot_token",)
