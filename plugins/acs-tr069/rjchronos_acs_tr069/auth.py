"""CPE authentication to the ACS: HTTP Basic and Digest (RFC 7616, MD5, qop=auth).

Shared credentials come from the plugin's settings (``cpe_password`` from
the environment, or ``cpe_password_encrypted`` sealed with
``kernel.secrets``); per-device ones from the ``rjc_cpe_credentials`` hook.
Digest nonces are stateless (a time and an HMAC of it), so any ACS process
sharing the key can check a nonce another one issued.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

REALM = "rjchronos-acs"
NONCE_LIFETIME = 300


def _md5(text: str) -> str:
    # Digest authentication is defined over MD5; CPEs support nothing else.
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def _parse_params(text: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for part in _split(text):
        name, _, value = part.partition("=")
        params[name.strip().lower()] = value.strip().strip('"')
    return params


def _split(text: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [p for p in parts if p.strip()]


def username_of(authorization: str | None) -> str | None:
    """The username an ``Authorization`` header (Basic or Digest) names, if any."""
    if not authorization:
        return None
    scheme, _, rest = authorization.partition(" ")
    if scheme.lower() == "basic":
        try:
            return base64.b64decode(rest.strip()).decode().partition(":")[0]
        except (binascii.Error, UnicodeDecodeError):
            return None
    if scheme.lower() == "digest":
        return _parse_params(rest).get("username")
    return None


@dataclass(frozen=True)
class CpeCredentials:
    """The shared CPE username and password and which schemes are accepted."""

    username: str
    password: str
    key: bytes
    allow_basic: bool = True

    def nonce(self) -> str:
        stamp = str(int(time.time()))
        mac = hmac.new(self.key, stamp.encode(), hashlib.sha256).hexdigest()[:32]
        return base64.urlsafe_b64encode(f"{stamp}:{mac}".encode()).decode()

    def _nonce_fresh(self, nonce: str) -> bool:
        try:
            stamp, _, mac = base64.urlsafe_b64decode(nonce.encode()).decode().partition(":")
            issued = int(stamp)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            return False
        expected = hmac.new(self.key, stamp.encode(), hashlib.sha256).hexdigest()[:32]
        return hmac.compare_digest(mac, expected) and 0 <= time.time() - issued <= NONCE_LIFETIME

    def challenge(self) -> list[str]:
        """``WWW-Authenticate`` values: Digest first, then Basic when allowed."""
        digest = (
            f'Digest realm="{REALM}", qop="auth", algorithm=MD5, '
            f'nonce="{self.nonce()}", opaque="{secrets.token_hex(8)}"'
        )
        return [digest, f'Basic realm="{REALM}"'] if self.allow_basic else [digest]

    def check(self, authorization: str | None, method: str) -> bool:
        """Whether an ``Authorization`` header carries these credentials."""
        if not authorization:
            return False
        scheme, _, rest = authorization.partition(" ")
        if scheme.lower() == "basic" and self.allow_basic:
            try:
                user, _, password = base64.b64decode(rest.strip()).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return False
            return hmac.compare_digest(user, self.username) and hmac.compare_digest(
                password, self.password
            )
        if scheme.lower() == "digest":
            return self._check_digest(_parse_params(rest), method)
        return False

    def _check_digest(self, p: dict[str, str], method: str) -> bool:
        if p.get("username") != self.username or p.get("realm") != REALM:
            return False
        if not self._nonce_fresh(p.get("nonce", "")):
            return False
        ha1 = _md5(f"{self.username}:{REALM}:{self.password}")
        ha2 = _md5(f"{method}:{p.get('uri', '')}")
        if p.get("qop"):
            expected = _md5(
                f"{ha1}:{p['nonce']}:{p.get('nc', '')}:{p.get('cnonce', '')}:auth:{ha2}"
            )
        else:
            expected = _md5(f"{ha1}:{p['nonce']}:{ha2}")
        return hmac.compare_digest(expected, p.get("response", ""))
