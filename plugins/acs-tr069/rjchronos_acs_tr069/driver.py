"""The ``tr069`` protocol driver (``rjchronos.protocols``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from rjchronos.drivers.contracts import DriverMatch, ProtocolDriver
from rjchronos_acs_tr069 import connreq


class Tr069Driver(ProtocolDriver):
    """CWMP (TR-069): connection requests over HTTP with Digest."""

    name: ClassVar[str] = "tr069"
    # Chosen by device kind (every CPE that informs), never by vendor matching.
    match: ClassVar[DriverMatch] = DriverMatch()
    capabilities: ClassVar[frozenset[str]] = frozenset(
        {"connection-request-http", "connection-request-udp"}
    )

    async def request_connection(self, device: Mapping[str, Any]) -> bool:
        """Send a connection request.

        :param device: ``connection_request_url``, ``username``, ``password``,
            and optionally ``allow_basic``, ``timeout`` (seconds) and
            ``udp_address`` (``host:port``: the UDP form of TR-069 Annex G).
        :return: whether the CPE accepted it (it then opens a session); for UDP,
            whether the request was sent.
        """
        return await connreq.send(device)
