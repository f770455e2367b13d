"""Firmware images a simulated CPE recognises: a one-line header, then the payload.

``RJCSIM-FIRMWARE version=<v> sha256=<hex of the payload>`` tells the CPE the version it runs
after the upgrade (percent-encoded, so a version may hold spaces) and lets it detect a
corrupted transfer. A file without the header is
accepted too; the CPE then names its new version after the target file name or the content.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from urllib.parse import quote, unquote

MAGIC = b"RJCSIM-FIRMWARE "
_HEADER_LIMIT = 512


def firmware_image(version: str, *, size: int = 4096) -> bytes:
    """Build an image of about ``size`` bytes that installs ``version``."""
    if not version:
        raise ValueError("a firmware version is not empty")
    block = hashlib.sha256(version.encode()).digest()
    payload = (block * (size // len(block) + 1))[:size]
    digest = hashlib.sha256(payload).hexdigest()
    return MAGIC + f"version={quote(version, safe='')} sha256={digest}\n".encode() + payload


@dataclass(slots=True)
class ImageReader:
    """Reads an image as it streams in, without keeping it in memory."""

    size: int = 0
    header: dict[str, str] | None = None
    _head: bytes = b""
    _payload_hash: hashlib._Hash | None = None
    _whole_hash: hashlib._Hash | None = None

    def __post_init__(self) -> None:
        self._whole_hash = hashlib.sha256()

    def feed(self, chunk: bytes) -> None:
        self.size += len(chunk)
        assert self._whole_hash is not None
        self._whole_hash.update(chunk)
        if self._payload_hash is not None:
            self._payload_hash.update(chunk)
            return
        self._head += chunk
        newline = self._head.find(b"\n")
        if self._head.startswith(MAGIC) and 0 <= newline < _HEADER_LIMIT:
            words = self._head[len(MAGIC) : newline].decode("ascii", "replace").split()
            self.header = dict(word.split("=", 1) for word in words if "=" in word)
            self._payload_hash = hashlib.sha256(self._head[newline + 1 :])
            self._head = b""
        elif len(self._head) >= _HEADER_LIMIT or not MAGIC.startswith(self._head[: len(MAGIC)]):
            self._payload_hash = hashlib.sha256()  # no header: hash nothing more by itself
            self._head = b""

    @property
    def intact(self) -> bool:
        """False when the header announces a checksum the payload does not have."""
        if self.header is None or "sha256" not in self.header:
            return True
        assert self._payload_hash is not None
        return self._payload_hash.hexdigest() == self.header["sha256"].lower()

    @property
    def digest(self) -> str:
        assert self._whole_hash is not None
        return self._whole_hash.hexdigest()

    @property
    def version(self) -> str | None:
        if self.header is None or "version" not in self.header:
            return None
        return unquote(self.header["version"])
