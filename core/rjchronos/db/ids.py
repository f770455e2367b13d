"""Opaque, stable, time-ordered identifiers (ULID text form)."""

from __future__ import annotations

import os
import threading
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: Random bytes read from the kernel at a time: one system call per this many / 10 ids.
_POOL_BYTES = 2560


class _RandomPool:
    """Random bytes from ``os.urandom``, read in blocks.

    A burst creates hundreds of ids at once (alerts, deliveries, jobs); one
    ``getrandom`` call per id releases and re-takes the GIL each time, which
    on a busy process costs a thread switch per id. The block is thrown away
    in a forked child, so parent and child never hand out the same bytes.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buffer = b""
        self._offset = 0

    def take(self, size: int) -> bytes:
        with self._lock:
            if self._offset + size > len(self._buffer):
                self._buffer = os.urandom(max(_POOL_BYTES, size))
                self._offset = 0
            start = self._offset
            self._offset += size
            return self._buffer[start : self._offset]

    def reset(self) -> None:
        self._lock = threading.Lock()
        self._buffer = b""
        self._offset = 0


_pool = _RandomPool()
os.register_at_fork(after_in_child=_pool.reset)


def new_id() -> str:
    """A 26-character ULID: 48 bits of milliseconds, 80 random bits.

    Ids sort by creation time, so keyset pagination by id is stable and
    index inserts stay at the right edge of the B-tree.
    """
    value = (int(time.time() * 1000) << 80) | int.from_bytes(_pool.take(10), "big")
    chars = []
    for _ in range(26):
        value, index = divmod(value, 32)
        chars.append(_ALPHABET[index])
    return "".join(reversed(chars))
