"""The ``huawei-smartax`` OLT driver: SmartAX CLI commands, parsed into the common model.

The driver speaks through a :class:`CliSession` handed to it: a privileged
session on which :data:`~rjchronos_olt_huawei.commands.SESSION_SETUP` has
run. Opening that session over SSH or Telnet is not part of this package yet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from rjchronos.drivers.contracts import (
    DeviceFacts,
    DriverMatch,
    FirmwareFamily,
    OltCapability,
    OltDriver,
    UnsupportedOperation,
)
from rjchronos.drivers.olt_model import (
    AuthorizeRequest,
    CliSession,
    CliStep,
    InvalidRequest,
    Listing,
    Onu,
    UnconfiguredOnu,
    WriteResult,
    apply_steps,
    read,
)
from rjchronos_olt_huawei import commands, parsers

_CLI_CAPABILITIES = frozenset(
    {
        OltCapability.IDENTIFY,
        OltCapability.LIST_ONUS,
        OltCapability.LIST_UNCONFIGURED,
        OltCapability.AUTHORIZE,
        OltCapability.DEAUTHORIZE,
        OltCapability.REBOOT,
        OltCapability.SET_ENABLED,
    }
)
_HUAWEI = ("Huawei",)

#: ONT ids a GPON port offers on SmartAX.
MAX_ONT_ID = 127


class HuaweiSmartAxDriver(OltDriver):
    """Huawei SmartAX MA5600T/MA5800/EA5800 through the CLI."""

    name = "huawei-smartax"
    match = DriverMatch(vendors=_HUAWEI, sys_object_ids=("1.3.6.1.4.1.2011.2.",))
    families = (
        FirmwareFamily(
            "MA5600T/MA5603T/MA5608T",
            DriverMatch(vendors=_HUAWEI, models=r"MA56"),
            _CLI_CAPABILITIES,
        ),
        FirmwareFamily("MA5800", DriverMatch(vendors=_HUAWEI, models=r"MA58"), _CLI_CAPABILITIES),
        FirmwareFamily("EA5800", DriverMatch(vendors=_HUAWEI, models=r"EA58"), _CLI_CAPABILITIES),
    )
    capabilities = _CLI_CAPABILITIES

    def __init__(self, connection: Mapping[str, Any], session: CliSession | None = None) -> None:
        super().__init__(connection)
        self.session = session
        self.host = str(connection.get("host", "?"))
        default_vlan = connection.get("default_vlan")
        self.default_vlan = int(default_vlan) if default_vlan is not None else None

    def _cli(self) -> CliSession:
        if self.session is None:
            raise UnsupportedOperation(
                f"driver {self.name} has no CLI session for OLT {self.host}: "
                "pass one as session= (the SSH/Telnet transport is not part of this driver yet)"
            )
        return self.session

    async def _read(self, mode: tuple[str, ...], command: str) -> str:
        return await read(
            self._cli(), mode, command, leave=commands.LEAVE, error=commands.ERROR, host=self.host
        )

    async def _write(self, steps: Sequence[CliStep]) -> WriteResult:
        return await apply_steps(self._cli(), steps, leave=commands.LEAVE, error=commands.ERROR)

    async def identify(self) -> DeviceFacts:
        command = "display version"
        return parsers.parse_version(command, await self._read((), command))

    async def list_onus(self, port: str | None = None) -> Listing[Onu]:
        """ONUs of one port: status and causes from the summary, optics from optical-info."""
        if port is None:
            raise UnsupportedOperation(f"driver {self.name} lists ONUs one PON port at a time")
        board = commands.gpon_mode(port)
        summary_command = f"display ont info summary {port}"
        summary = parsers.parse_onu_summary(
            summary_command, await self._read((), summary_command), self._zone()
        )
        optics_command = f"display ont optical-info {port.split('/')[2]} all"
        optics = parsers.parse_optics(optics_command, await self._read(board, optics_command))
        return Listing(parsers.with_optics(summary, optics), [*summary.issues, *optics.issues])

    async def list_unconfigured_onus(self) -> Listing[UnconfiguredOnu]:
        command = "display ont autofind all"
        output = await self._read(commands.CONFIG, command)
        return parsers.parse_autofind(command, output, self._zone())

    async def authorize(self, request: AuthorizeRequest) -> WriteResult:
        """Add the ONT (on the lowest free id unless the request names one) and its service."""
        onu_id = request.onu_id
        if onu_id is None:
            onu_id = await self._free_onu_id(request.port)
        steps = commands.authorize_steps(request, onu_id, default_vlan=self.default_vlan)
        return await self._write(steps)

    async def _free_onu_id(self, port: str) -> int:
        frame, slot, number = port.split("/")
        command = f"display ont info {frame} {slot} {number} all"
        used = {
            onu.onu_id for onu in parsers.parse_onu_table(command, await self._read((), command))
        }
        free = next((i for i in range(MAX_ONT_ID + 1) if i not in used), None)
        if free is None:
            raise InvalidRequest("port", f"port {port} has no free ONT id")
        return free

    async def deauthorize(self, port: str, onu_id: int) -> WriteResult:
        """Remove the ONT's service ports, then the ONT."""
        command = f"display service-port port {port} ont {onu_id}"
        listed = parsers.parse_service_ports(command, await self._read((), command))
        indexes = [row.index for row in listed if row.port == port and row.onu_id == onu_id]
        return await self._write(commands.deauthorize_steps(port, onu_id, indexes))

    async def reboot(self, port: str, onu_id: int) -> WriteResult:
        return await self._write(commands.reboot_steps(port, onu_id))

    async def set_enabled(self, port: str, onu_id: int, enabled: bool) -> WriteResult:
        return await self._write(commands.set_enabled_steps(port, onu_id, enabled))

    def _zone(self) -> tzinfo:
        """The OLT clock's zone (``timezone`` setting), for times printed without one."""
        zone = self.connection.get("timezone")
        return ZoneInfo(str(zone)) if zone else UTC
