"""``email``: the conformance suite and SMTP details, against real aiosmtpd servers."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest
from rjchronos_sdk import Attachment, DeliveryResult, Notification
from rjchronos_sdk.conformance import NotifierConformance

from rjchronos_notify_email import plugin
from rjchronos_notify_email.notifier import EmailNotifier

RECIPIENT = "cliente@example.com.br"
#: The server fixtures (conftest.py): port, mailbox, ca_file, username, password.
SmtpServer = Any


def _config(server: SmtpServer, **overrides: Any) -> dict[str, Any]:
    return {
        "host": "127.0.0.1",
        "port": server.port,
        "security": "starttls",
        "username": server.username,
        "password": server.password,
        "from": "RJ Fibra NOC <noc@isp.example>",
        "reply_to": "suporte@isp.example",
        "ca_file": server.ca_file,
        "timeout": 5,
        **overrides,
    }


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _send(config: dict[str, Any], notification: Notification | None = None) -> DeliveryResult:
    notification = notification or Notification("ONU down", "LOS at 03:12", RECIPIENT)
    return asyncio.run(EmailNotifier(config).send(notification))


class TestEmailNotifier(NotifierConformance):
    notifier_class = EmailNotifier
    plugin = plugin

    @pytest.fixture
    def notification(self) -> Notification:
        return Notification(
            "Manutenção na sua região",
            "Olá, Ana.\n\nHá uma interrupção na Rua das Flores.\nPrevisão: 14h.",
            RECIPIENT,
            variables={"language": "pt-BR"},
        )

    @pytest.fixture
    def notifier(self, smtp_server: SmtpServer) -> EmailNotifier:
        return EmailNotifier(_config(smtp_server))

    @pytest.fixture
    def failing_notifier(self, smtp_server: SmtpServer) -> EmailNotifier:
        return EmailNotifier(_config(smtp_server, port=_closed_port()))

    def check_delivered(
        self, request: pytest.FixtureRequest, notifier: Any, notification: Notification
    ) -> None:
        server: SmtpServer = request.getfixturevalue("smtp_server")
        assert server.mailbox.logins == [server.username]
        [(envelope, message)] = server.mailbox.messages
        assert envelope.rcpt_tos == [RECIPIENT]
        assert envelope.mail_from == "noc@isp.example"
        assert message["Subject"] == "Manutenção na sua região"
        assert message["Reply-To"] == "suporte@isp.example"
        assert message["Content-Language"] == "pt-BR"
        plain = message.get_body(("plain",))
        html = message.get_body(("html",))
        assert plain is not None and html is not None
        assert plain.get_content().strip() == notification.body
        assert '<html lang="pt-BR">' in html.get_content()
        assert "<p>Há uma interrupção na Rua das Flores.<br>Previsão: 14h.</p>" in (
            html.get_content()
        )


def test_message_id_is_the_provider_id(smtp_server: SmtpServer) -> None:
    result = _send(_config(smtp_server))
    assert result.delivered, result.detail
    [(_, message)] = smtp_server.mailbox.messages
    assert result.provider_id == message["Message-ID"]
    assert result.provider_id.endswith("@isp.example>")


def test_given_html_body_is_sent_as_is(smtp_server: SmtpServer) -> None:
    html = "<p>Service is <b>back</b> in your area.</p>"
    notification = Notification(
        "Service restored",
        "Service is back in your area.",
        RECIPIENT,
        variables={"language": "en", "html": html},
    )
    assert _send(_config(smtp_server), notification).delivered
    [(_, message)] = smtp_server.mailbox.messages
    assert message.get_body(("html",)).get_content().strip() == html  # type: ignore[union-attr]
    assert message["Content-Language"] == "en"


def test_implicit_tls(smtps_server: SmtpServer) -> None:
    result = _send(_config(smtps_server, security="tls"))
    assert result.delivered, result.detail
    assert smtps_server.mailbox.logins == [smtps_server.username]
    assert len(smtps_server.mailbox.messages) == 1


def test_wrong_password_is_final_and_never_shown(smtp_server: SmtpServer) -> None:
    result = _send(_config(smtp_server, password="hunter2-wrong"))
    assert not result.delivered and not result.retryable
    assert "535" in result.detail
    assert "hunter2-wrong" not in result.detail
    assert smtp_server.mailbox.messages == []


def test_server_down_is_retryable() -> None:
    config = {"host": "127.0.0.1", "port": _closed_port(), "from": "noc@isp.example"}
    result = _send(config)
    assert not result.delivered and result.retryable
    assert "cannot reach 127.0.0.1" in result.detail


def test_untrusted_certificate_is_final(smtp_server: SmtpServer) -> None:
    # Without ca_file the system's CAs are used, and they never signed the test certificate.
    result = _send({k: v for k, v in _config(smtp_server).items() if k != "ca_file"})
    assert not result.delivered and not result.retryable
    assert "certificate" in result.detail
    assert smtp_server.mailbox.messages == []


def test_missing_ca_file_is_a_final_result(smtp_server: SmtpServer, tmp_path: Any) -> None:
    result = _send(_config(smtp_server, ca_file=str(tmp_path / "missing.pem")))
    assert not result.delivered and not result.retryable
    assert "cannot load ca_file" in result.detail


def test_no_credentials_over_a_plain_connection(smtp_server: SmtpServer) -> None:
    result = _send(_config(smtp_server, security="none"))
    assert not result.delivered and not result.retryable
    assert "without TLS" in result.detail


def test_starttls_required_by_the_server(smtp_server: SmtpServer) -> None:
    # Mail without STARTTLS is refused by this server (530): a final failure.
    config = {k: v for k, v in _config(smtp_server, security="none").items() if k != "username"}
    result = _send(config)
    assert not result.delivered and not result.retryable
    assert "530" in result.detail


def test_bad_recipient_is_a_result(smtp_server: SmtpServer) -> None:
    notification = Notification("x", "y", "ana@example.com\nBcc: all@example.com")
    result = _send(_config(smtp_server), notification)
    assert not result.delivered and not result.retryable
    assert smtp_server.mailbox.messages == []


def test_declared_in_the_catalog(rjc_kernel_factory: Any) -> None:
    kernel = rjc_kernel_factory(entrypoints=["notify-email"])
    assert kernel.catalog.notifier_types["email"].secret_fields == ("password",)


def test_attachments_follow_the_bodies(smtp_server: SmtpServer) -> None:
    pdf = b"%PDF-1.4\n" + bytes(range(256)) * 40
    notification = Notification(
        "Relatório semanal",
        "Segue o relatório.",
        RECIPIENT,
        attachments=(Attachment("relatorio.pdf", "application/pdf", pdf),),
    )
    result = _send(_config(smtp_server), notification)
    assert result.delivered, result.detail
    [(_, message)] = smtp_server.mailbox.messages
    [part] = list(message.iter_attachments())
    assert part.get_filename() == "relatorio.pdf"
    assert part.get_content_type() == "application/pdf"
    assert part.get_content() == pdf
    assert message.get_body(("plain",)).get_content().strip() == "Segue o relatório."  # type: ignore[union-attr]


def test_declares_attachments(rjc_kernel_factory: Any) -> None:
    kernel = rjc_kernel_factory(entrypoints=["notify-email"])
    assert kernel.catalog.notifier_types["email"].attachments is True
