"""How a customer is reached: one address per channel, normalised on input.

``email``: a mailbox, lower-cased domain. ``phone`` (calls and SMS) and
``whatsapp``: E.164 numbers; a number without ``+`` is taken as Brazilian
(``(11) 91234-4321`` becomes ``+5511912344321``). ``telegram``: an
``@username`` or a numeric chat id.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal

Channel = Literal["email", "phone", "whatsapp", "telegram"]
CHANNELS: tuple[Channel, ...] = ("email", "phone", "whatsapp", "telegram")

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_TELEGRAM_USER = re.compile(r"@?([A-Za-z][A-Za-z0-9_]{4,31})")
_TELEGRAM_CHAT = re.compile(r"-?\d{5,20}")
_PHONE_NOISE = re.compile(r"[\s().-]")


class InvalidContact(ValueError):
    """A contact that cannot be used on its channel; the message says why (never echoes it)."""


def normalise_phone(text: str) -> str:
    """An E.164 number (``+5511912344321``); Brazilian when no country code is given."""
    compact = _PHONE_NOISE.sub("", text.strip())
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    international = compact.startswith("+")
    digits = compact.lstrip("+")
    if not digits.isdigit():
        raise InvalidContact(
            "a phone number holds digits, spaces, dashes, dots, brackets and a leading +"
        )
    if not international:
        digits = digits.lstrip("0")  # trunk prefix, as in 011 91234-4321
        if len(digits) not in (10, 11):
            raise InvalidContact(
                "a Brazilian number has a 2-digit area code and 8 or 9 digits; "
                "write other countries' numbers with + and the country code"
            )
        digits = "55" + digits
    if not 8 <= len(digits) <= 15:
        raise InvalidContact("an international number has 8 to 15 digits after the +")
    return "+" + digits


def normalise_contact(channel: str, text: str) -> str:
    """The stored form of ``text`` on ``channel``.

    :raises InvalidContact: the text is not an address of that channel.
    """
    value = text.strip()
    if channel == "email":
        if not _EMAIL.fullmatch(value):
            raise InvalidContact("not an e-mail address")
        local, domain = value.rsplit("@", 1)
        return f"{local}@{domain.lower()}"
    if channel in ("phone", "whatsapp"):
        return normalise_phone(value)
    if channel == "telegram":
        if _TELEGRAM_CHAT.fullmatch(value):
            return value
        match = _TELEGRAM_USER.fullmatch(value)
        if not match:
            raise InvalidContact(
                "a Telegram contact is an @username (5 to 32 characters) or a chat id"
            )
        return "@" + match.group(1)
    raise InvalidContact(f"unknown channel; use one of {', '.join(CHANNELS)}")


def normalise_contacts(contacts: Mapping[str, str | None]) -> tuple[dict[str, str], dict[str, str]]:
    """Normalise a ``{channel: address}`` map: ``(contacts, {channel: error})``.

    Empty and ``None`` addresses are dropped.
    """
    clean: dict[str, str] = {}
    errors: dict[str, str] = {}
    for channel, text in contacts.items():
        if text is None or not str(text).strip():
            continue
        try:
            clean[channel] = normalise_contact(channel, str(text))
        except InvalidContact as exc:
            errors[channel] = str(exc)
    return clean, errors
