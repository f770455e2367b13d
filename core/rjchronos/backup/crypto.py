"""Passphrase encryption of backup archives, streamed in authenticated chunks.

Layout: ``MAGIC``, a 16-byte scrypt salt and a 7-byte nonce prefix (the
header), then chunks of ``4-byte length + AES-256-GCM ciphertext``. A
chunk's nonce is the prefix, its 4-byte counter and a final flag, and every
chunk authenticates the header, so reordered, dropped, truncated or edited
chunks and a wrong passphrase all fail to decrypt.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

MAGIC = b"RJCBAK1\n"
CHUNK = 1 << 20
_SALT = 16
_PREFIX = 7
_HEADER = len(MAGIC) + _SALT + _PREFIX
_TAG = 16


class DecryptionError(ValueError):
    """The archive cannot be decrypted: wrong passphrase, or damaged."""


def derive_key(passphrase: bytes, salt: bytes) -> bytes:
    """A 256-bit key from ``passphrase`` (scrypt, n=2**15, r=8, p=1)."""
    return Scrypt(salt=salt, length=32, n=2**15, r=8, p=1).derive(passphrase)


def _nonce(prefix: bytes, counter: int, final: bool) -> bytes:
    return prefix + struct.pack(">IB", counter, 1 if final else 0)


def is_encrypted(head: bytes) -> bool:
    """Whether ``head`` (the first bytes of a file) starts an encrypted archive."""
    return head.startswith(MAGIC)


class EncryptingWriter:
    """A write-only file object that encrypts what it is given into ``sink``."""

    def __init__(self, sink: BinaryIO, passphrase: bytes) -> None:
        salt, prefix = os.urandom(_SALT), os.urandom(_PREFIX)
        self._header = MAGIC + salt + prefix
        self._aead = AESGCM(derive_key(passphrase, salt))
        self._prefix = prefix
        self._sink = sink
        self._buffer = bytearray()
        self._counter = 0
        sink.write(self._header)

    def write(self, data: bytes) -> int:
        self._buffer.extend(data)
        while len(self._buffer) > CHUNK:
            self._emit(bytes(self._buffer[:CHUNK]), final=False)
            del self._buffer[:CHUNK]
        return len(data)

    def flush(self) -> None:
        """Nothing to do: chunks are written whole (``close`` writes the last one)."""

    def close(self) -> None:
        """Write the final chunk (possibly empty); the sink stays open."""
        self._emit(bytes(self._buffer), final=True)
        self._buffer.clear()

    def _emit(self, plain: bytes, *, final: bool) -> None:
        nonce = _nonce(self._prefix, self._counter, final)
        sealed = self._aead.encrypt(nonce, plain, self._header)
        self._sink.write(struct.pack(">I", len(sealed)) + sealed)
        self._counter += 1


def decrypt_chunks(source: BinaryIO, passphrase: bytes) -> Iterator[bytes]:
    """The plain text of an encrypted archive, chunk by chunk, each checked before it is given."""
    header = source.read(_HEADER)
    if len(header) != _HEADER or not is_encrypted(header):
        raise DecryptionError("not an encrypted RJChronos backup")
    salt, prefix = header[len(MAGIC) : len(MAGIC) + _SALT], header[len(MAGIC) + _SALT :]
    aead = AESGCM(derive_key(passphrase, salt))
    counter = 0
    while True:
        length_bytes = source.read(4)
        if len(length_bytes) != 4:
            raise DecryptionError("the encrypted archive is truncated")
        (length,) = struct.unpack(">I", length_bytes)
        if length < _TAG or length > CHUNK + _TAG:
            raise DecryptionError("the encrypted archive is damaged (bad chunk length)")
        sealed = source.read(length)
        if len(sealed) != length:
            raise DecryptionError("the encrypted archive is truncated")
        plain, final = _open(aead, prefix, counter, sealed, header)
        yield plain
        if final:
            if source.read(1):
                raise DecryptionError("the encrypted archive has data after its final chunk")
            return
        counter += 1


def _open(
    aead: AESGCM, prefix: bytes, counter: int, sealed: bytes, header: bytes
) -> tuple[bytes, bool]:
    """Decrypt one chunk as a middle one, else as the final one: (plain text, final)."""
    for flag in (False, True):
        try:
            return aead.decrypt(_nonce(prefix, counter, flag), sealed, header), flag
        except InvalidTag:
            continue
    if counter == 0:
        raise DecryptionError(
            "cannot decrypt the archive: wrong passphrase, or the file is damaged"
        )
    raise DecryptionError(f"the encrypted archive is damaged (chunk {counter} fails its check)")


class DecryptingReader:
    """A read-only file object over :func:`decrypt_chunks`, for ``tarfile``'s stream mode."""

    def __init__(self, source: BinaryIO, passphrase: bytes) -> None:
        self._chunks = decrypt_chunks(source, passphrase)
        self._buffer = b""
        self._done = False

    def read(self, size: int = -1) -> bytes:
        while not self._done and (size < 0 or len(self._buffer) < size):
            try:
                self._buffer += next(self._chunks)
            except StopIteration:
                self._done = True
        if size < 0:
            data, self._buffer = self._buffer, b""
        else:
            data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data
