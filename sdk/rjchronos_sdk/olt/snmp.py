"""SNMPv2c reads of one OLT: GETBULK walks of single columns, bounded per OLT.

Each walk stays inside the column (or the column's rows of one PON port) it
was asked for; a semaphore caps the requests in flight so polling never
floods the OLT's CPU.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pyasn1.type import univ
from pysnmp.hlapi.v1arch.asyncio import (
    CommunityData,
    ObjectIdentity,
    ObjectType,
    SnmpDispatcher,
    UdpTransportTarget,
    bulk_cmd,
    get_cmd,
)
from pysnmp.proto import rfc1905

from rjchronos.drivers.olt_model import OltConnectionError

#: A column's rows: the index suffix after the column OID (``"4194312192.3"``) -> value.
Column = dict[str, Any]


@dataclass(frozen=True)
class SnmpSettings:
    """Where and how to poll one OLT over SNMPv2c."""

    host: str
    port: int = 161
    community: str = "public"
    timeout: float = 3.0
    retries: int = 1
    max_repetitions: int = 25
    max_concurrency: int = 4

    @classmethod
    def from_connection(cls, connection: Mapping[str, Any]) -> SnmpSettings:
        """Settings from a driver's connection mapping (``snmp_port``, ``community``, ...)."""
        return cls(
            host=str(connection.get("host", "")),
            port=int(connection.get("snmp_port", 161)),
            community=str(connection.get("community", "public")),
            timeout=float(connection.get("snmp_timeout", 3.0)),
            retries=int(connection.get("snmp_retries", 1)),
            max_repetitions=int(connection.get("max_repetitions", 25)),
            max_concurrency=int(connection.get("max_concurrency", 4)),
        )


def plain(value: Any) -> Any:
    """An SNMP value as ``int``, ``bytes`` or dotted ``str`` (OBJECT IDENTIFIER)."""
    if isinstance(value, univ.OctetString):
        return bytes(value)
    if isinstance(value, univ.ObjectIdentifier):
        return str(value)
    return int(value)


def _missing(value: Any) -> bool:
    return isinstance(value, rfc1905.NoSuchObject | rfc1905.NoSuchInstance | rfc1905.EndOfMibView)


class SnmpClient:
    """GET and column walks against one OLT, with at most ``max_concurrency`` in flight."""

    def __init__(self, settings: SnmpSettings) -> None:
        self.settings = settings
        self._limit = asyncio.Semaphore(settings.max_concurrency)
        self._dispatcher: SnmpDispatcher | None = None
        self._target: UdpTransportTarget | None = None

    @property
    def _where(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"

    async def _open(self) -> tuple[SnmpDispatcher, UdpTransportTarget]:
        if self._dispatcher is None or self._target is None:
            try:
                self._target = await UdpTransportTarget.create(
                    (self.settings.host, self.settings.port),
                    timeout=self.settings.timeout,
                    retries=self.settings.retries,
                )
            except Exception as exc:  # pysnmp raises a bare PySnmpError for bad addresses
                raise OltConnectionError(self._where, f"cannot reach it over SNMP: {exc}") from exc
            self._dispatcher = SnmpDispatcher()
        return self._dispatcher, self._target

    def _failed(self, what: str, indication: Any, status: Any) -> OltConnectionError:
        if indication:
            text = str(indication)
            if "timed out" in text.lower() or "timeout" in text.lower():
                text = (
                    f"no SNMP answer within {self.settings.timeout:g}s "
                    f"({self.settings.retries} retries): check the address, port and community"
                )
            return OltConnectionError(self._where, f"SNMP {what}: {text}")
        return OltConnectionError(self._where, f"SNMP {what}: agent error {status}")

    async def get(self, *oids: str) -> dict[str, Any]:
        """The values of scalar ``oids`` (missing objects are left out)."""
        async with self._limit:
            dispatcher, target = await self._open()
            indication, status, _, var_binds = await get_cmd(
                dispatcher,
                CommunityData(self.settings.community),
                target,
                *(ObjectType(ObjectIdentity(oid)) for oid in oids),
                lookupMib=False,
            )
        if indication or status:
            raise self._failed(f"GET {', '.join(oids)}", indication, status)
        return {str(name): plain(value) for name, value in var_binds if not _missing(value)}

    async def walk(self, column: str) -> Column:
        """Every row under ``column`` by GETBULK, keyed by the index after it."""
        root = tuple(int(part) for part in column.strip(".").split("."))
        depth = len(root)
        rows: Column = {}
        cursor: tuple[int, ...] = root
        community = CommunityData(self.settings.community)
        async with self._limit:
            dispatcher, target = await self._open()
            while True:
                # Plain (OID, Null) pairs and tuple comparisons: a walk of
                # thousands of rows needs no MIB lookups and no OID strings.
                indication, status, _, var_binds = await bulk_cmd(
                    dispatcher,
                    community,
                    target,
                    0,
                    self.settings.max_repetitions,
                    (univ.ObjectIdentifier(cursor), univ.Null("")),
                    lookupMib=False,
                )
                if indication or status:
                    raise self._failed(f"walk of {column}", indication, status)
                for name, value in var_binds:
                    oid = name.asTuple()
                    if oid[:depth] != root or oid <= cursor or _missing(value):
                        return rows
                    rows[".".join(map(str, oid[depth:]))] = plain(value)
                    cursor = oid
                if not var_binds:
                    return rows

    async def walk_columns(self, columns: Mapping[str, str]) -> dict[str, Column]:
        """Several columns at once (each one walk), keyed as in ``columns``."""
        names = list(columns)
        tables = await asyncio.gather(*(self.walk(columns[name]) for name in names))
        return dict(zip(names, tables, strict=True))

    def close(self) -> None:
        """Release the UDP socket."""
        if self._dispatcher is not None:
            self._dispatcher.transport_dispatcher.close_dispatcher()
            self._dispatcher = None
            self._target = None


#: IF-MIB columns a PON port's states come from (ifName, ifAdminStatus, ifOperStatus).
IF_COLUMNS = {
    "if_name": "1.3.6.1.2.1.31.1.1.1.1",
    "if_admin": "1.3.6.1.2.1.2.2.1.7",
    "if_oper": "1.3.6.1.2.1.2.2.1.8",
}


def if_up(value: Any) -> bool | None:
    """IF-MIB ``up(1)``/``down(2)`` (any other value: not known)."""
    return {1: True, 2: False}.get(int(value)) if value is not None else None


def onu_counts(status: Column, port_of: Any, online: Any) -> dict[str, tuple[int, int]]:
    """ONUs and online ONUs per port, from one walk of a whole status column.

    ``port_of(row_index)`` names the port of a row (None skips it);
    ``online(value)`` says whether a status value means online.
    """
    counts: dict[str, tuple[int, int]] = {}
    for key, value in status.items():
        port = port_of(key.split(".")[0])
        if port is not None:
            total, up = counts.get(port, (0, 0))
            counts[port] = (total + 1, up + int(bool(online(value))))
    return counts
