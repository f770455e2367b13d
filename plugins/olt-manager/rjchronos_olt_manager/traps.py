"""The SNMP trap receiver: a trap from a known OLT triggers a confirming collection.

A trap raises no event by itself. It only says "look now": the receiver
enqueues a collection of the OLT that sent it, and that collection raises
``onu.los``, ``onu.dying_gasp``... from what the OLT reports, as a scheduled
one would. A burst of traps (a whole port losing its fibre) gives one
collection: the job is keyed per OLT while unfinished. A trap is known when
its source address is an OLT's management address and its community that
OLT's SNMP community; anything else is ignored with a log line.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from pyasn1.codec.ber import decoder
from pyasn1.error import PyAsn1Error
from pysnmp.proto.api import v2c
from sqlalchemy import select

from rjchronos.db.types import utcnow
from rjchronos.inventory.models import Device, devices
from rjchronos_olt_manager.collector import JOB_TYPE
from rjchronos_olt_manager.models import OltConnection

if TYPE_CHECKING:
    from rjchronos.kernel import Kernel

log = logging.getLogger(__name__)

SNMP_TRAP_OID = "1.3.6.1.6.3.1.1.4.1.0"


@dataclass(frozen=True)
class Trap:
    """What the receiver reads from one SNMPv2c notification."""

    community: str
    trap_oid: str
    varbinds: dict[str, str]


def decode_trap(data: bytes) -> Trap | None:
    """The notification in ``data``, or None when it is not an SNMPv2c trap or inform."""
    try:
        message, _ = decoder.decode(data, asn1Spec=v2c.Message())
        pdu = v2c.apiMessage.get_pdu(message)
        if not (
            pdu.isSameTypeWith(v2c.SNMPv2TrapPDU()) or pdu.isSameTypeWith(v2c.InformRequestPDU())
        ):
            return None
        community = bytes(v2c.apiMessage.get_community(message)).decode("utf-8", "replace")
        varbinds = {str(oid): value.prettyPrint() for oid, value in v2c.apiPDU.get_varbinds(pdu)}
    except (PyAsn1Error, ValueError, TypeError):
        return None
    return Trap(community, varbinds.get(SNMP_TRAP_OID, ""), varbinds)


class TrapReceiver(asyncio.DatagramProtocol):
    """Listens for traps on ``host``:``port`` (0: a free port, read back from :attr:`port`)."""

    def __init__(self, kernel: Kernel, host: str, port: int, *, confirm_delay: float = 0.0) -> None:
        self.kernel = kernel
        self.host = host
        self.port = port
        self.confirm_delay = confirm_delay
        self.received = 0
        self.ignored = 0
        self._transport: asyncio.DatagramTransport | None = None
        self._pending: set[asyncio.Task[str | None]] = set()

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: self, local_addr=(self.host, self.port)
        )
        self._transport = transport
        self.port = int(transport.get_extra_info("sockname")[1])
        log.info("SNMP trap receiver on %s:%s", self.host, self.port)

    async def stop(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None
        for task in list(self._pending):
            task.cancel()
        await asyncio.gather(*self._pending, return_exceptions=True)

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self.received += 1
        task = asyncio.get_running_loop().create_task(self.handle(data, str(addr[0])))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def handle(self, data: bytes, source: str) -> str | None:
        """Enqueue the confirming collection for one datagram; its job id, or None if ignored."""
        trap = decode_trap(data)
        if trap is None:
            self.ignored += 1
            log.info("ignored a datagram from %s on the trap port: not an SNMPv2c trap", source)
            return None
        olt_id = await asyncio.to_thread(find_olt, self.kernel, source, trap.community)
        if olt_id is None:
            self.ignored += 1
            log.info(
                "ignored trap %s from %s: no OLT with that address and community",
                trap.trap_oid,
                source,
            )
            return None
        return await asyncio.to_thread(confirm, self.kernel, olt_id, trap, self.confirm_delay)


def find_olt(kernel: Kernel, source: str, community: str) -> str | None:
    """The OLT whose management address is ``source`` and whose community is ``community``."""
    with kernel.db.session() as session:
        statement = (
            select(OltConnection)
            .join(Device, devices.c.id == OltConnection.device_id)
            .where(devices.c.management_address == source)
        )
        for row in session.execute(statement).scalars():
            stored = (
                kernel.secrets.decrypt(row.community_encrypted) if row.community_encrypted else ""
            )
            if hmac.compare_digest(stored.encode(), community.encode()):
                return row.device_id
    return None


def confirm(kernel: Kernel, olt_id: str, trap: Trap, delay: float) -> str:
    """Enqueue a collection of the OLT (one per OLT while unfinished); the job id."""
    run_at = utcnow() + timedelta(seconds=delay) if delay > 0 else None
    return kernel.jobs.enqueue(
        JOB_TYPE,
        {"device_id": olt_id, "trap": trap.trap_oid},
        device_id=olt_id,
        dedup_key=f"olt.confirm:{olt_id}",
        run_at=run_at,
    )
