"""Connection requests (TR-069 3.2.2): ask a CPE to open a session now.

The ACS sends an HTTP GET to the ConnectionRequestURL the CPE reported,
answering its Digest challenge (Basic only when the settings allow it) with
the connection-request credentials of the plugin's settings, the password
kept encrypted with ``kernel.secrets`` (or given through the environment).

With ``connection_request_udp`` on, a CPE that reported a
``UDPConnectionRequestAddress`` gets the UDP form instead (TR-069 Annex G,
without STUN): a signed ``GET`` in a datagram, sent a few times since UDP
may lose it; the CPE says nothing back, it just opens a session.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

import httpx
from sqlalchemy import select

from rjchronos_acs_tr069 import PLUGIN
from rjchronos_acs_tr069.models import parameters

if TYPE_CHECKING:
    from rjchronos.kernel import Kernel

URL_SUFFIX = ".ManagementServer.ConnectionRequestURL"
UDP_SUFFIX = ".ManagementServer.UDPConnectionRequestAddress"
#: How many times a UDP connection request is sent, and the pause between copies.
UDP_COPIES, UDP_PAUSE = 3, 0.2
DEFAULT_TIMEOUT = 5.0


@dataclass(frozen=True)
class ConnectionRequest:
    """Where and how to reach one CPE."""

    url: str
    username: str
    password: str
    allow_basic: bool = False
    timeout: float = DEFAULT_TIMEOUT
    udp_address: str = ""

    def as_device(self) -> dict[str, Any]:
        """The mapping :meth:`Tr069Driver.request_connection` takes."""
        return {
            "connection_request_url": self.url,
            "username": self.username,
            "password": self.password,
            "allow_basic": self.allow_basic,
            "timeout": self.timeout,
            "udp_address": self.udp_address,
        }


def for_device(kernel: Kernel, device_id: str) -> ConnectionRequest | None:
    """The connection request of a device; ``None`` without a reported URL or credentials."""
    settings = kernel.plugin_settings(PLUGIN)
    username = settings.get("connection_request_username") or ""
    password = settings.get("connection_request_password") or ""
    if settings.get("connection_request_password_encrypted"):
        password = kernel.secrets.decrypt(settings["connection_request_password_encrypted"])
    if not username or not password:
        return None
    udp = bool(settings.get("connection_request_udp", False))
    with kernel.db.session() as session:
        rows = session.execute(
            select(parameters.c.path, parameters.c.value).where(
                parameters.c.device_id == device_id,
                parameters.c.path.endswith(URL_SUFFIX) | parameters.c.path.endswith(UDP_SUFFIX),
            )
        ).all()
    found = {str(path): value for path, value in rows}
    url = next((v for p, v in found.items() if p.endswith(URL_SUFFIX) and v), "")
    udp_address = next((v for p, v in found.items() if p.endswith(UDP_SUFFIX) and v), "")
    if not url and not (udp and udp_address):
        return None
    return ConnectionRequest(
        url,
        username,
        password,
        allow_basic=bool(settings.get("connection_request_allow_basic", False)),
        timeout=float(settings.get("connection_request_timeout_seconds", DEFAULT_TIMEOUT)),
        udp_address=udp_address if udp else "",
    )


def udp_message(address: str, username: str, password: str) -> bytes:
    """The signed Annex G request for ``address`` (``host:port``)."""
    ts, message_id, cnonce = str(int(time.time())), secrets.token_hex(8), secrets.token_hex(8)
    text = f"{ts}{message_id}{username}{cnonce}".encode()
    sig = hmac.new(password.encode(), text, hashlib.sha1).hexdigest()
    query = urlencode({"ts": ts, "id": message_id, "un": username, "cn": cnonce, "sig": sig})
    return f"GET http://{address}?{query} HTTP/1.1\r\nHost: {address}\r\n\r\n".encode()


def _host_port(address: str) -> tuple[str, int] | None:
    host, _, port = address.strip().rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        return None
    return host, int(port)


async def send_udp(address: str, username: str, password: str) -> bool:
    """Send a UDP connection request (a few copies); whether it could be sent."""
    target = _host_port(address)
    if target is None:
        return False
    loop = asyncio.get_running_loop()
    try:
        transport, _ = await loop.create_datagram_endpoint(
            asyncio.DatagramProtocol, remote_addr=target
        )
    except OSError:
        return False
    try:
        message = udp_message(address, username, password)
        for copy in range(UDP_COPIES):
            if copy:
                await asyncio.sleep(UDP_PAUSE)
            transport.sendto(message)
    finally:
        transport.close()
    return True


async def send(device: Mapping[str, Any]) -> bool:
    """Ask the CPE to connect: UDP when it has a ``udp_address``, else GET its URL.

    For HTTP, whether it accepted (200 or 204); for UDP, whether the request was sent.
    """
    if device.get("udp_address"):
        return await send_udp(
            str(device["udp_address"]),
            str(device.get("username", "")),
            str(device.get("password", "")),
        )
    url = str(device.get("connection_request_url") or "")
    if urlsplit(url).scheme not in ("http", "https"):
        return False
    username, password = str(device.get("username", "")), str(device.get("password", ""))
    timeout = float(device.get("timeout", DEFAULT_TIMEOUT))
    try:
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
            response = await client.get(url, auth=httpx.DigestAuth(username, password))
            challenge = response.headers.get("www-authenticate", "").lower()
            if response.status_code == 401 and device.get("allow_basic") and "basic" in challenge:
                response = await client.get(url, auth=httpx.BasicAuth(username, password))
    except httpx.HTTPError:
        return False
    return response.status_code in (200, 204)
