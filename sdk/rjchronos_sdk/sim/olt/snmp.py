"""The SNMP side of the virtual OLT: an SNMPv2c agent in the simulator's event loop.

It encodes and decodes with pysnmp's protocol layer and answers GET, GETNEXT,
GETBULK and SET from a sorted table of the state's rows (see :mod:`.mibs`),
rebuilt only when the state changed. A wrong community gets no answer, as on
a real agent.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
from typing import Any, cast

from pyasn1.codec.ber import decoder, encoder
from pyasn1.error import PyAsn1Error
from pysnmp.proto import rfc1905
from pysnmp.proto.api import v2c

from rjchronos_sdk.sim.olt import mibs
from rjchronos_sdk.sim.olt.state import OltError, OltState, Onu, UnconfiguredOnu

log = logging.getLogger(__name__)

# A response must fit one UDP datagram; stop adding rows well before 64 KiB.
MAX_RESPONSE_BYTES = 60000
MAX_BULK_VARBINDS = 2000


class OidTable:
    """The state's rows, sorted, with lookups for GET and GETNEXT."""

    def __init__(self, state: OltState) -> None:
        self._state = state
        self._version = -1
        self._oids: list[mibs.Oid] = []
        self._values: list[mibs.Value] = []
        self._index: dict[mibs.Oid, int] = {}

    def _fresh(self) -> None:
        if self._version != self._state.version:
            rows = mibs.rows(self._state)
            self._oids = [row[0] for row in rows]
            self._values = [row[1] for row in rows]
            self._index = {oid: i for i, oid in enumerate(self._oids)}
            self._version = self._state.version

    def get(self, oid: mibs.Oid) -> mibs.Value | None:
        self._fresh()
        at = self._index.get(oid)
        return None if at is None else self._value(at)

    def next(self, oid: mibs.Oid) -> tuple[mibs.Oid, mibs.Value] | None:
        """The first row after ``oid``, or None at the end of the MIB view."""
        self._fresh()
        at = bisect.bisect_right(self._oids, oid)
        if at >= len(self._oids):
            return None
        return self._oids[at], self._value(at)

    def _value(self, at: int) -> mibs.Value:
        # sysUpTime is the only object that changes without the state changing.
        return self._uptime() if self._oids[at] == mibs.SYS_UPTIME else self._values[at]

    def _uptime(self) -> mibs.Ticks:
        elapsed = self._state.clock() - self._state.started_at
        return mibs.Ticks(int(elapsed.total_seconds() * 100))


def _encode_value(value: mibs.Value) -> Any:
    if isinstance(value, mibs.ObjectId):
        return v2c.ObjectIdentifier(value.oid)
    if isinstance(value, mibs.Ticks):
        return v2c.TimeTicks(value.value)
    if isinstance(value, bytes):
        return v2c.OctetString(value)
    return v2c.Integer32(value)


class SnmpAgent(asyncio.DatagramProtocol):
    """Answers SNMPv2c requests for one :class:`OltState`."""

    def __init__(self, state: OltState, community: str) -> None:
        self.state = state
        self.community = community
        self.table = OidTable(state)
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        try:
            response = self.respond(data)
        except (PyAsn1Error, ValueError) as exc:
            log.debug("dropped an SNMP request from %s: %s", addr, exc)
            return
        if response is not None and self.transport is not None:
            self.transport.sendto(response, addr)

    def respond(self, data: bytes) -> bytes | None:
        """The encoded response to one request, or None when it gets no answer."""
        request, _ = decoder.decode(data, asn1Spec=v2c.Message())
        if int(request["version"]) != 1 or str(request["community"]) != self.community:
            return None
        response = v2c.apiMessage.get_response(request)
        pdu = v2c.apiMessage.get_pdu(request)
        answer = v2c.apiMessage.get_pdu(response)
        asked = [(tuple(oid), value) for oid, value in v2c.apiPDU.get_varbinds(pdu)]
        if pdu.isSameTypeWith(v2c.GetRequestPDU()):
            v2c.apiPDU.set_varbinds(answer, [self._get(oid) for oid, _ in asked])
        elif pdu.isSameTypeWith(v2c.GetNextRequestPDU()):
            v2c.apiPDU.set_varbinds(answer, [self._next(oid) for oid, _ in asked])
        elif pdu.isSameTypeWith(v2c.GetBulkRequestPDU()):
            return self._bulk(response, pdu, answer, [oid for oid, _ in asked])
        elif pdu.isSameTypeWith(v2c.SetRequestPDU()):
            self._set(answer, asked)
        else:
            return None
        return bytes(encoder.encode(response))

    def _get(self, oid: mibs.Oid) -> tuple[mibs.Oid, Any]:
        value = self.table.get(oid)
        return oid, rfc1905.noSuchInstance if value is None else _encode_value(value)

    def _next(self, oid: mibs.Oid) -> tuple[mibs.Oid, Any]:
        found = self.table.next(oid)
        if found is None:
            return oid, rfc1905.endOfMibView
        return found[0], _encode_value(found[1])

    def _bulk(self, response: Any, pdu: Any, answer: Any, asked: list[mibs.Oid]) -> bytes:
        non_repeaters = min(int(v2c.apiBulkPDU.get_non_repeaters(pdu)), len(asked))
        repeaters = asked[non_repeaters:]
        max_repetitions = int(v2c.apiBulkPDU.get_max_repetitions(pdu))
        if repeaters:
            max_repetitions = min(max_repetitions, MAX_BULK_VARBINDS // len(repeaters))
        varbinds = [self._next(oid) for oid in asked[:non_repeaters]]
        cursors = list(repeaters)
        for _ in range(max_repetitions):
            step = [self._next(oid) for oid in cursors]
            varbinds += step
            cursors = [oid for oid, _ in step]
            if all(value is rfc1905.endOfMibView for _, value in step):
                break
        while True:
            v2c.apiPDU.set_varbinds(answer, varbinds)
            encoded = bytes(encoder.encode(response))
            if len(encoded) <= MAX_RESPONSE_BYTES or len(varbinds) <= non_repeaters + 1:
                return encoded
            # Too big for a datagram: drop whole repetitions from the end.
            keep = max(non_repeaters + len(repeaters), non_repeaters + (len(varbinds) // 2))
            keep -= (keep - non_repeaters) % max(len(repeaters), 1)
            varbinds = varbinds[:keep]

    def _set(self, answer: Any, asked: list[tuple[mibs.Oid, Any]]) -> None:
        """Writing 1 to an ONT's reset object reboots it (Huawei); all else is read-only."""
        reset = mibs.HW_RESET
        for position, (oid, value) in enumerate(asked, start=1):
            ok = (
                self.state.vendor == "huawei"
                and oid[: len(reset)] == reset
                and len(oid) == len(reset) + 2
                and int(value) == 1
            )
            if not ok:
                v2c.apiPDU.set_error_status(answer, 17)  # notWritable
                v2c.apiPDU.set_error_index(answer, position)
                v2c.apiPDU.set_varbinds(answer, asked)
                return
        for oid, _ in asked:
            if_index, onu_id = oid[-2], oid[-1]
            slot, port = (if_index >> 13) & 0x3F, (if_index >> 8) & 0x1F
            try:
                self.state.reset(slot, port, onu_id)
            except OltError:
                v2c.apiPDU.set_error_status(answer, 5)  # genErr
                v2c.apiPDU.set_error_index(answer, 1)
                break
        v2c.apiPDU.set_varbinds(answer, asked)


def trap_message(
    state: OltState, event: str, subject: Onu | UnconfiguredOnu, community: str
) -> bytes | None:
    """An SNMPv2c notification for a state change, or None for events that send none."""
    if event not in mibs.TRAP_EVENTS:
        return None
    pdu = v2c.SNMPv2TrapPDU()
    v2c.apiTrapPDU.set_defaults(pdu)
    elapsed = state.clock() - state.started_at
    varbinds = [
        (mibs.SYS_UPTIME, v2c.TimeTicks(int(elapsed.total_seconds() * 100))),
        (mibs.SNMP_TRAP_OID, v2c.ObjectIdentifier(mibs.trap_oid(state.vendor, event))),
        *((oid, _encode_value(value)) for oid, value in mibs.trap_rows(state, subject)),
    ]
    v2c.apiTrapPDU.set_varbinds(pdu, varbinds)
    message = v2c.Message()
    v2c.apiMessage.set_defaults(message)
    v2c.apiMessage.set_community(message, community)
    v2c.apiMessage.set_pdu(message, pdu)
    return bytes(encoder.encode(message))


async def start_snmp(
    state: OltState, *, host: str = "127.0.0.1", port: int = 0, community: str = "public"
) -> tuple[asyncio.DatagramTransport, SnmpAgent]:
    """Serve ``state`` over SNMPv2c; ``port`` 0 picks a free port."""
    loop = asyncio.get_running_loop()
    transport, agent = await loop.create_datagram_endpoint(
        lambda: SnmpAgent(state, community), local_addr=(host, port)
    )
    return transport, agent
