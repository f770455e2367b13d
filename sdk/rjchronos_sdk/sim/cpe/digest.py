"""HTTP Digest (RFC 7616, MD5 as TR-069 connection requests use it) for the listener side."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from urllib.request import parse_http_list, parse_keqv_list

REALM = "rjchronos-sim"
_NONCE_LIFETIME = 300


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


class DigestVerifier:
    """Issues stateless nonces and checks Digest answers against a user's password."""

    def __init__(self) -> None:
        self._key = secrets.token_bytes(16)

    def _nonce(self, stamp: int) -> str:
        mac = hmac.new(self._key, str(stamp).encode(), "sha256").hexdigest()[:24]
        return f"{stamp}-{mac}"

    def challenge(self) -> str:
        nonce = self._nonce(int(time.time()))
        return f'Digest realm="{REALM}", qop="auth", nonce="{nonce}", algorithm=MD5'

    def verify(self, header: str, method: str, username: str, password: str) -> bool:
        scheme, _, rest = header.partition(" ")
        if scheme.lower() != "digest":
            return False
        fields = parse_keqv_list(parse_http_list(rest))
        nonce = fields.get("nonce", "")
        stamp, _, _ = nonce.partition("-")
        if not stamp.isdigit() or not hmac.compare_digest(nonce, self._nonce(int(stamp))):
            return False
        if time.time() - int(stamp) > _NONCE_LIFETIME:
            return False
        if fields.get("username") != username or fields.get("realm") != REALM:
            return False
        ha1 = _md5(f"{username}:{REALM}:{password}")
        ha2 = _md5(f"{method}:{fields.get('uri', '')}")
        if fields.get("qop"):
            expected = _md5(
                f"{ha1}:{nonce}:{fields.get('nc', '')}:{fields.get('cnonce', '')}:"
                f"{fields['qop']}:{ha2}"
            )
        else:
            expected = _md5(f"{ha1}:{nonce}:{ha2}")
        return hmac.compare_digest(expected, fields.get("response", ""))
