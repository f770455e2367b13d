"""The HMAC-SHA256 signature of a webhook delivery, for senders and receivers alike."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-RJChronos-Signature"
TIMESTAMP_HEADER = "X-RJChronos-Timestamp"
DELIVERY_HEADER = "X-RJChronos-Delivery"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=`` and the hex HMAC-SHA256 of ``timestamp.body`` keyed with ``secret``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """Whether ``signature`` is the one :func:`sign` gives (compared in constant time)."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature)
