"""Build the MIME message of a notification: plain text with an HTML alternative."""

from __future__ import annotations

import html
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from rjchronos_sdk import Notification


def build_message(notification: Notification, config: Mapping[str, Any]) -> EmailMessage:
    """The message to ``notification.recipient``, its texts as given (pt-BR, en, ...).

    ``variables["html"]`` is the HTML body when given; otherwise the plain
    body is escaped into paragraphs. ``variables["language"]`` becomes
    ``Content-Language``. ``attachments`` follow the bodies. Raises ValueError for
    a malformed address or header.
    """
    message = EmailMessage()
    message["Subject"] = notification.subject
    message["From"] = config["from"]
    message["To"] = notification.recipient
    if config.get("reply_to"):
        message["Reply-To"] = config["reply_to"]
    message["Date"] = formatdate(localtime=False, usegmt=True)
    sender_domain = str(config["from"]).rsplit("@", 1)[-1].strip("> ")
    message["Message-ID"] = make_msgid(domain=sender_domain or None)
    message.set_content(notification.body)
    html_body = notification.variables.get("html") or _html_from_text(notification)
    message.add_alternative(html_body, subtype="html")
    for attachment in notification.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        message.add_attachment(
            attachment.data,
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=attachment.filename,
        )
    # After the bodies: setting content clears the Content-* headers.
    if language := notification.variables.get("language"):
        message["Content-Language"] = str(language)
    return message


def _html_from_text(notification: Notification) -> str:
    paragraphs = "".join(
        f"<p>{html.escape(block).replace(chr(10), '<br>')}</p>"
        for block in notification.body.split("\n\n")
        if block.strip()
    )
    language = html.escape(str(notification.variables.get("language", "")), quote=True)
    lang = f' lang="{language}"' if language else ""
    return (
        f'<!doctype html><html{lang}><head><meta charset="utf-8">'
        f"<title>{html.escape(notification.subject)}</title></head>"
        f"<body>{paragraphs}</body></html>"
    )
