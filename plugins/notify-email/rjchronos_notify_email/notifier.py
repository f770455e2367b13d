"""The ``email`` notifier: SMTP with STARTTLS or implicit TLS, and AUTH."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any

from rjchronos_sdk import DeliveryResult, DriverMatch, Notification, Notifier

from rjchronos_notify_email.message import build_message

DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}


class EmailNotifier(Notifier):
    """Sends one message per notification through ``config["host"]``.

    ``security`` is ``starttls`` (default: the connection must be upgraded),
    ``tls`` (implicit TLS, port 465) or ``none`` (a trusted relay; no AUTH
    then). Certificates are verified, against ``ca_file`` when given.
    """

    name = "email"
    # Channels are chosen by configuration, never by matching a device.
    match = DriverMatch()

    async def send(self, notification: Notification) -> DeliveryResult:
        security = self.config.get("security", "starttls")
        if self.config.get("username") and security == "none":
            return DeliveryResult(False, "refusing to send SMTP credentials without TLS")
        try:
            message = build_message(notification, self.config)
        except (ValueError, TypeError) as exc:
            return DeliveryResult(False, f"cannot build the message: {exc}")
        # smtplib blocks: keep it off the event loop.
        return await asyncio.to_thread(_deliver, message, self.config, security)


def _deliver(message: EmailMessage, config: Mapping[str, Any], security: str) -> DeliveryResult:
    host = str(config["host"])
    port = int(config.get("port") or DEFAULT_PORTS[security])
    timeout = float(config.get("timeout", 10))
    where = f"{host}:{port}"
    try:
        context = ssl.create_default_context(cafile=config.get("ca_file"))
    except (OSError, ssl.SSLError) as exc:
        return DeliveryResult(False, f"cannot load ca_file {config.get('ca_file')}: {exc}")
    try:
        smtp = (
            smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
            if security == "tls"
            else smtplib.SMTP(host, port, timeout=timeout)
        )
        with smtp:
            if security == "starttls":
                smtp.starttls(context=context)
            if config.get("username"):
                smtp.login(str(config["username"]), str(config.get("password", "")))
            refused = smtp.send_message(message)
    except smtplib.SMTPAuthenticationError as exc:
        return DeliveryResult(
            False, f"{where} refused the login: {_reply(exc)}", retryable=_transient(exc.smtp_code)
        )
    except smtplib.SMTPNotSupportedError as exc:
        return DeliveryResult(False, f"{where} does not offer what is configured: {exc}")
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        replies = "; ".join(
            f"{rcpt}: {code} {text.decode(errors='replace')}"
            for rcpt, (code, text) in exc.recipients.items()
        )
        return DeliveryResult(False, f"{where} refused {replies}", retryable=_transient(*codes))
    except smtplib.SMTPResponseException as exc:
        return DeliveryResult(False, f"{where}: {_reply(exc)}", retryable=_transient(exc.smtp_code))
    except ssl.SSLCertVerificationError as exc:
        return DeliveryResult(
            False, f"{where} presented a certificate we do not trust: {exc.verify_message}"
        )
    except (smtplib.SMTPException, OSError) as exc:
        return DeliveryResult(False, f"cannot reach {where}: {exc}", retryable=True)
    if refused:
        return DeliveryResult(False, f"{where} refused {', '.join(refused)}", retryable=False)
    return DeliveryResult(True, f"accepted by {where}", provider_id=str(message["Message-ID"]))


def _reply(exc: smtplib.SMTPResponseException) -> str:
    text = (
        exc.smtp_error.decode(errors="replace")
        if isinstance(exc.smtp_error, bytes)
        else str(exc.smtp_error)
    )
    return f"{exc.smtp_code} {text}"


def _transient(*codes: int) -> bool:
    """SMTP 4xx replies are temporary: the same message may pass later."""
    return bool(codes) and all(400 <= code < 500 for code in codes)
