"""Secrets at rest (OLT, CPE and notifier credentials, TOTP seeds), encrypted with Fernet.

The key comes from ``RJC_SECRET_KEY`` or, when that is empty, from
``<home>/secret.key``, created with mode 0600 on first run. Either may hold
several keys separated by commas or new lines: the first encrypts, every
one decrypts, so a key is rotated by putting a new one first and calling
:meth:`SecretBox.rotate` on stored values.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
import secrets
import stat
from collections.abc import Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from rjchronos.config import ConfigError, Settings

log = logging.getLogger(__name__)

KEY_FILE_NAME = "secret.key"
#: A non-Fernet key text must be at least this long; it is stretched with SHA-256.
MIN_PASSPHRASE = 32
_FERNET_VERSION = 0x80


class SecretError(ValueError):
    """A stored secret cannot be decrypted; the message says why and what to check."""


class SecretBox:
    """Encrypt and decrypt short texts with the kernel's keys.

    :param keys: key texts, the first encrypts. Each is a Fernet key
        (``Fernet.generate_key()``) or a passphrase of at least
        :data:`MIN_PASSPHRASE` characters.
    :param source: where the keys came from, named in errors.
    """

    def __init__(self, keys: Sequence[str], *, source: str = "the configured key") -> None:
        if not keys:
            raise ConfigError("secret key: no key given")
        self.source = source
        self._box = MultiFernet([Fernet(_fernet_key(key, source)) for key in keys])

    @classmethod
    def for_settings(cls, settings: Settings) -> SecretBox:
        """The box of ``settings``: ``RJC_SECRET_KEY`` or the key file under ``home``."""
        if settings.secret_key:
            return cls(_split(settings.secret_key), source="RJC_SECRET_KEY")
        path = Path(settings.home) / KEY_FILE_NAME
        return cls(_split(_read_or_create_key_file(path)), source=str(path))

    def encrypt(self, text: str) -> str:
        """Encrypt ``text`` with the first key; the result is ASCII."""
        return self._box.encrypt(text.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        """Decrypt a value :meth:`encrypt` produced with any of the keys."""
        try:
            return self._box.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError) as exc:
            raise SecretError(self._explain(token)) from exc

    def rotate(self, token: str) -> str:
        """Re-encrypt ``token`` with the first key (after a new key was put first)."""
        try:
            return self._box.rotate(token.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeError) as exc:
            raise SecretError(self._explain(token)) from exc

    def _explain(self, token: str) -> str:
        try:
            raw = base64.urlsafe_b64decode(token.encode("ascii"))
        except (binascii.Error, UnicodeError, ValueError):
            raw = b""
        if len(raw) < 57 or raw[0] != _FERNET_VERSION:
            return (
                "cannot decrypt a stored secret: the value is not an encrypted secret "
                "(corrupted or plain text)"
            )
        return (
            "cannot decrypt a stored secret: it was encrypted with a different key than "
            f"{self.source}; restore the key it was written with (keep old keys after the new one "
            "to rotate)"
        )


def generate_key() -> str:
    """A new random Fernet key."""
    return Fernet.generate_key().decode("ascii")


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


def _fernet_key(key: str, source: str) -> bytes:
    try:
        if len(base64.urlsafe_b64decode(key.encode("ascii"))) == 32 and len(key) == 44:
            return key.encode("ascii")
    except (binascii.Error, UnicodeError, ValueError):
        pass
    if len(key) < MIN_PASSPHRASE:
        raise ConfigError(
            f"secret key from {source}: use a Fernet key (python -c 'from cryptography.fernet "
            f"import Fernet; print(Fernet.generate_key().decode())') or at least {MIN_PASSPHRASE} "
            "random characters"
        )
    return base64.urlsafe_b64encode(hashlib.sha256(key.encode("utf-8")).digest())


def _read_or_create_key_file(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # Write a private temporary file, then link it into place: the link
        # fails if another process got there first, and nobody ever reads a
        # half-written key.
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(generate_key() + "\n")
        try:
            os.link(temporary, path)
            log.info("created secret key file %s", path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        log.warning("secret key file %s is readable by others (mode %o): chmod 600 it", path, mode)
    return path.read_text(encoding="ascii")
