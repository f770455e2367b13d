"""Connection requests (TR-069 3.2.2): ask a CPE to open a session now.

The ACS sends an HTTP GET to the ConnectionRequestURL the CPE reported,
answering its Digest challenge (Basic only when the settings allow it) with
the connection-request credentials of the plugin's settings, the password
kept encrypted with ``kernel.secrets`` (or given through the environment).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select

from rjchronos_acs_tr069 import PLUGIN
from rjchronos_acs_tr069.models import parameters

if TYPE_CHECKING:
    from rjchronos.kernel import Kernel

URL_SUFFIX = ".ManagementServer.ConnectionRequestURL"
DEFAULT_TIMEOUT = 5.0


@dataclass(frozen=True)
class ConnectionRequest:
    """Where and how to reach one CPE."""

    url: str
    username: str
    password: str
    allow_basic: bool = False
    timeout: float = DEFAULT_TIMEOUT

    def as_device(self) -> dict[str, Any]:
        """The mapping :meth:`Tr069Driver.request_connection` takes."""
        return {
            "connection_request_url": self.url,
            "username": self.username,
            "password": self.password,
            "allow_basic": self.allow_basic,
            "timeout": self.timeout,
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
    with kernel.db.session() as session:
        url = session.execute(
            select(parameters.c.value)
            .where(parameters.c.device_id == device_id, parameters.c.path.endswith(URL_SUFFIX))
            .limit(1)
        ).scalar_one_or_none()
    if not url:
        return None
    return ConnectionRequest(
        url,
        username,
        password,
        allow_basic=bool(settings.get("connection_request_allow_basic", False)),
        timeout=float(settings.get("connection_request_timeout_seconds", DEFAULT_TIMEOUT)),
    )


async def send(device: Mapping[str, Any]) -> bool:
    """GET the CPE's connection request URL; whether it accepted (200 or 204)."""
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
