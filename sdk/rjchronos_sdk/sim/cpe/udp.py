"""UDP connection requests (TR-069 Annex G, without STUN): the signed datagram a CPE accepts.

The ACS sends ``GET http://host:port?ts=..&id=..&un=..&cn=..&sig=.. HTTP/1.1`` in a UDP
datagram; ``sig`` is the hex HMAC-SHA1 of ``ts id un cn`` (concatenated) keyed with the
connection-request password. A CPE accepts a request whose signature matches, whose ``ts``
is not older than the last one it accepted, and whose ``id`` differs from it (a retransmission
of the same request is ignored).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit


def signature(password: str, ts: str, message_id: str, username: str, cnonce: str) -> str:
    """The ``sig`` of an Annex G request."""
    text = f"{ts}{message_id}{username}{cnonce}".encode()
    return hmac.new(password.encode(), text, hashlib.sha1).hexdigest()


def parse(datagram: bytes) -> dict[str, str] | None:
    """The query fields of an Annex G request, or ``None`` when it is not one."""
    try:
        line = datagram.split(b"\r\n", 1)[0].decode("ascii")
    except UnicodeDecodeError:
        return None
    method, _, rest = line.partition(" ")
    target, _, version = rest.rpartition(" ")
    if method != "GET" or not version.startswith("HTTP/1."):
        return None
    fields = {k: v[0] for k, v in parse_qs(urlsplit(target).query).items()}
    return fields if {"ts", "id", "un", "cn", "sig"} <= set(fields) else None


class Receiver(asyncio.DatagramProtocol):
    """One CPE's UDP connection-request socket."""

    def __init__(self, credentials: Callable[[], tuple[str, str]], accept: Callable[[], None]):
        self.credentials, self.accept = credentials, accept
        self.last_ts, self.last_id = -1, ""
        self.refused = 0

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        fields = parse(data)
        if fields is None:
            self.refused += 1
            return
        username, password = self.credentials()
        expected = signature(password, fields["ts"], fields["id"], fields["un"], fields["cn"])
        try:
            ts = int(fields["ts"])
        except ValueError:
            ts = -1
        if fields["id"] == self.last_id:
            return  # a retransmission of a request already acted on
        if (
            fields["un"] != username
            or not hmac.compare_digest(expected, fields["sig"].lower())
            or ts < self.last_ts
        ):
            self.refused += 1
            return
        self.last_ts, self.last_id = ts, fields["id"]
        self.accept()
