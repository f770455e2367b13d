"""The plumbing every CLI-and-SNMP OLT driver shares, so a vendor plugin writes only its commands.

A subclass names its CLI platform and how its CLI leaves a mode and reports
an error; the base builds the SSH session and the SNMP client from the OLT's
connection settings and runs reads and write steps through them.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, tzinfo
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from rjchronos.drivers.contracts import OltDriver
from rjchronos.drivers.olt_model import CliSession, CliStep, WriteResult, apply_steps, read
from rjchronos_sdk.olt.cli import CliPlatform, CliSettings, ScrapliCli
from rjchronos_sdk.olt.snmp import SnmpClient, SnmpSettings


class CliOltDriver(OltDriver):
    """An OLT driver reached over SSH (scrapli) and, with a ``community``, SNMP (pysnmp).

    Tests may hand it any :class:`CliSession` as ``session=`` instead of SSH.
    """

    cli_platform: ClassVar[CliPlatform]
    #: The command that leaves a CLI mode, and what the CLI's errors look like.
    leave: ClassVar[str]
    error: ClassVar[re.Pattern[str]]

    def __init__(self, connection: Mapping[str, Any], session: CliSession | None = None) -> None:
        super().__init__(connection)
        self.session = session
        self.host = str(connection.get("host", "?"))
        default_vlan = connection.get("default_vlan")
        self.default_vlan = int(default_vlan) if default_vlan is not None else None
        self.ssh = (
            None
            if session is not None
            else ScrapliCli(CliSettings.from_connection(connection), self.cli_platform)
        )
        self.snmp = (
            SnmpClient(SnmpSettings.from_connection(connection))
            if "community" in connection
            else None
        )

    @contextlib.asynccontextmanager
    async def _cli(self) -> AsyncIterator[CliSession]:
        if self.session is not None:
            yield self.session
            return
        assert self.ssh is not None
        async with self.ssh.session() as session:
            yield session

    async def _read(self, command: str, mode: tuple[str, ...] = ()) -> str:
        """The output of ``command`` run in ``mode`` (raises the OLT's error text)."""
        async with self._cli() as session:
            return await read(
                session, mode, command, leave=self.leave, error=self.error, host=self.host
            )

    async def _write(self, steps: Sequence[CliStep]) -> WriteResult:
        """Run ``steps`` until the OLT refuses one; what was applied and what failed."""
        async with self._cli() as session:
            return await apply_steps(session, steps, leave=self.leave, error=self.error)

    def _zone(self) -> tzinfo:
        """The OLT clock's zone (``timezone`` setting), for times printed without one."""
        zone = self.connection.get("timezone")
        return ZoneInfo(str(zone)) if zone else UTC

    async def close(self) -> None:
        """Log out of the CLI and release the SNMP socket."""
        if self.ssh is not None:
            await self.ssh.close()
        if self.snmp is not None:
            self.snmp.close()
