"""The CPE's side of a CWMP session over HTTP/1.1: one kept-alive connection per session.

A real CPE opens one TCP connection for a session and closes it at the end; doing the same
keeps an idle fleet socket-free and avoids a shared pool's bookkeeping, which grows with the
number of waiting requests.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import os
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit
from urllib.request import parse_http_list, parse_keqv_list

import h11

MAX_RESPONSE = 4 * 1024 * 1024


class HttpError(Exception):
    """The connection failed or the server broke HTTP."""


@dataclass(slots=True)
class HttpResponse:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes

    def header(self, name: bytes) -> str:
        return ",".join(v.decode("latin-1") for k, v in self.headers if k == name)

    def header_list(self, name: bytes) -> list[str]:
        return [v.decode("latin-1") for k, v in self.headers if k == name]


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


class ClientCredentials:
    """Basic or Digest credentials answering the server's challenge, kept across sessions."""

    def __init__(self, username: str, password: str, *, preemptive_basic: bool = False) -> None:
        self.username = username
        self.password = password
        self.scheme: str | None = "basic" if preemptive_basic else None
        self._challenge: dict[str, str] = {}
        self._count = 0

    def accept_challenge(self, header: str) -> bool:
        """Take a ``WWW-Authenticate`` value; False when it names no scheme we speak."""
        scheme, _, rest = header.strip().partition(" ")
        if scheme.lower() == "basic":
            self.scheme = "basic"
            return True
        if scheme.lower() == "digest":
            self.scheme = "digest"
            self._challenge = parse_keqv_list(parse_http_list(rest))
            self._count = 0
            return True
        return False

    def header(self, method: str, target: str) -> str | None:
        """The ``Authorization`` value for the next request, if we have a scheme."""
        if self.scheme == "basic":
            token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
            return f"Basic {token}"
        if self.scheme != "digest":
            return None
        challenge = self._challenge
        realm, nonce = challenge.get("realm", ""), challenge.get("nonce", "")
        ha1 = _md5(f"{self.username}:{realm}:{self.password}")
        ha2 = _md5(f"{method}:{target}")
        fields = [
            f'username="{self.username}"',
            f'realm="{realm}"',
            f'nonce="{nonce}"',
            f'uri="{target}"',
            "algorithm=MD5",
        ]
        qops = [q.strip() for q in challenge.get("qop", "").split(",") if q.strip()]
        if "auth" in qops:
            self._count += 1
            count = f"{self._count:08x}"
            cnonce = os.urandom(8).hex()
            response = _md5(f"{ha1}:{nonce}:{count}:{cnonce}:auth:{ha2}")
            fields += ["qop=auth", f"nc={count}", f'cnonce="{cnonce}"']
        else:
            response = _md5(f"{ha1}:{nonce}:{ha2}")
        fields.append(f'response="{response}"')
        if "opaque" in challenge:
            fields.append(f'opaque="{challenge["opaque"]}"')
        return "Digest " + ", ".join(fields)


class Http11Connection:
    """Requests to one URL over a kept-alive connection, reopened when the server closes it."""

    def __init__(self, url: str, *, timeout: float, ssl_context: ssl.SSLContext | None) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise HttpError(f"not an HTTP URL: {url}")
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.host_header = parts.netloc.rpartition("@")[2].encode()
        self.tls = ssl_context if parts.scheme == "https" else None
        self.timeout = timeout
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._state = h11.Connection(h11.CLIENT)

    async def request(
        self, method: str, headers: list[tuple[str, str]], body: bytes
    ) -> HttpResponse:
        try:
            async with asyncio.timeout(self.timeout):
                return await self._exchange(method, headers, body)
        except (OSError, TimeoutError, h11.ProtocolError) as exc:
            await self.close()
            raise HttpError(f"{type(exc).__name__}: {exc}") from exc

    async def _exchange(
        self, method: str, headers: list[tuple[str, str]], body: bytes
    ) -> HttpResponse:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(
                self.host, self.port, ssl=self.tls
            )
            self._state = h11.Connection(h11.CLIENT)
        assert self._reader is not None
        all_headers = [
            ("Host", self.host_header.decode()),
            ("Content-Length", str(len(body))),
            *headers,
        ]
        state = self._state
        data = state.send(h11.Request(method=method, target=self.target, headers=all_headers))
        if body:
            data = (data or b"") + (state.send(h11.Data(data=body)) or b"")
        data = (data or b"") + (state.send(h11.EndOfMessage()) or b"")
        self._writer.write(data)
        await self._writer.drain()
        status, response_headers, chunks, size = 0, [], [], 0
        while True:
            event = state.next_event()
            if event is h11.NEED_DATA:
                received = await self._reader.read(65536)
                state.receive_data(received)
                continue
            if isinstance(event, h11.Response):
                status, response_headers = event.status_code, list(event.headers)
            elif isinstance(event, h11.Data):
                size += len(event.data)
                if size > MAX_RESPONSE:
                    raise h11.ProtocolError("response too large")
                chunks.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                break
            elif isinstance(event, h11.ConnectionClosed):
                raise ConnectionResetError("server closed the connection")
        if state.our_state is h11.MUST_CLOSE or state.their_state is not h11.DONE:
            await self.close()
        else:
            state.start_next_cycle()
        return HttpResponse(status, response_headers, b"".join(chunks))

    async def close(self) -> None:
        writer, self._writer, self._reader = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
