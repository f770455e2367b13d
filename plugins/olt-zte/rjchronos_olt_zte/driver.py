"""The ``zte-zxan`` (C300/C320) and ``zte-titan`` (C600/C650) OLT drivers.

Both speak through a :class:`CliSession` handed to them: a privileged session
on which :data:`~rjchronos_olt_zte.commands.SESSION_SETUP` has run. Opening
that session over SSH or Telnet is not part of this package yet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, tzinfo
from typing import Any, ClassVar
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
    Inventory,
    Listing,
    Onu,
    UnconfiguredOnu,
    WriteResult,
    apply_steps,
    read,
)
from rjchronos_olt_zte import commands, parsers

_ZTE = ("ZTE",)
_ZXAN_CAPABILITIES = frozenset(
    {
        OltCapability.INVENTORY,
        OltCapability.LIST_ONUS,
        OltCapability.LIST_UNCONFIGURED,
        OltCapability.AUTHORIZE,
        OltCapability.DEAUTHORIZE,
        OltCapability.REBOOT,
        OltCapability.SET_ENABLED,
    }
)
#: ONU ids a GPON port offers on ZXAN.
MAX_ONU_ID = 128


class ZteZxanDriver(OltDriver):
    """ZTE ZXA10 C300/C320 (ZXAN) through the CLI."""

    name = "zte-zxan"
    family: ClassVar[commands.Family] = "zxan"
    match = DriverMatch()
    families = (
        FirmwareFamily(
            "C300", DriverMatch(vendors=_ZTE, models=r"(ZXA10 )?C300"), _ZXAN_CAPABILITIES
        ),
        FirmwareFamily(
            "C320", DriverMatch(vendors=_ZTE, models=r"(ZXA10 )?C320"), _ZXAN_CAPABILITIES
        ),
    )
    capabilities = _ZXAN_CAPABILITIES

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

    def _zone(self) -> tzinfo:
        """The OLT clock's zone (``timezone`` setting)."""
        zone = self.connection.get("timezone")
        return ZoneInfo(str(zone)) if zone else UTC

    async def _read(self, command: str) -> str:
        return await read(
            self._cli(), (), command, leave=commands.LEAVE, error=commands.ERROR, host=self.host
        )

    async def _write(self, steps: Sequence[CliStep]) -> WriteResult:
        return await apply_steps(self._cli(), steps, leave=commands.LEAVE, error=commands.ERROR)

    async def identify(self) -> DeviceFacts:
        """ZXAN's ``show version`` layout is not yet captured: identify by SNMP sysDescr."""
        raise self._unsupported("identify over the CLI")

    async def inventory(self) -> Inventory:
        """Boards from ``show card`` (PON port states are not read yet)."""
        command = "show card"
        cards = parsers.parse_cards(command, await self._read(command))
        return Inventory(boards=cards.items, issues=cards.issues)

    async def list_onus(self, port: str | None = None) -> Listing[Onu]:
        """ONUs of one port: phase state, serial and type, ONU Rx."""
        if port is None:
            raise UnsupportedOperation(f"driver {self.name} lists ONUs one PON port at a time")
        olt = commands.olt_interface(port, self.family)
        state_command = f"show gpon onu state {olt}"
        config_command = f"show running-config interface {olt}"
        rx_command = f"show pon power onu-rx {olt}"
        states = parsers.parse_onu_state(state_command, await self._read(state_command))
        configured = parsers.parse_olt_running_config(
            config_command, await self._read(config_command)
        )
        readings = parsers.parse_onu_rx(rx_command, await self._read(rx_command))
        return parsers.with_rx(parsers.with_identity(states, configured), readings)

    async def list_unconfigured_onus(self) -> Listing[UnconfiguredOnu]:
        command = "show gpon onu uncfg"
        return parsers.parse_uncfg(command, await self._read(command))

    async def authorize(self, request: AuthorizeRequest) -> WriteResult:
        """Register the ONU (on the lowest free id unless the request names one) and its service."""
        onu_id = request.onu_id
        if onu_id is None:
            onu_id = await self._free_onu_id(request.port)
        steps = commands.authorize_steps(
            request, onu_id, family=self.family, default_vlan=self.default_vlan
        )
        return await self._write(steps)

    async def _free_onu_id(self, port: str) -> int:
        command = f"show running-config interface {commands.olt_interface(port, self.family)}"
        used = {
            onu.onu_id
            for onu in parsers.parse_olt_running_config(command, await self._read(command))
        }
        free = next((i for i in range(1, MAX_ONU_ID + 1) if i not in used), None)
        if free is None:
            raise InvalidRequest("port", f"port {port} has no free ONU id")
        return free

    async def deauthorize(self, port: str, onu_id: int) -> WriteResult:
        return await self._write(commands.deauthorize_steps(port, onu_id, self.family))

    async def reboot(self, port: str, onu_id: int) -> WriteResult:
        return await self._write(commands.reboot_steps(port, onu_id, self.family))

    async def set_enabled(self, port: str, onu_id: int, enabled: bool) -> WriteResult:
        return await self._write(commands.set_enabled_steps(port, onu_id, enabled, self.family))


_TITAN_CAPABILITIES = frozenset(
    {
        OltCapability.AUTHORIZE,
        OltCapability.DEAUTHORIZE,
        OltCapability.REBOOT,
        OltCapability.SET_ENABLED,
    }
)


class ZteTitanDriver(ZteZxanDriver):
    """ZTE ZXA10 C600/C650 (TITAN): writes only, until its read outputs are captured."""

    name = "zte-titan"
    family: ClassVar[commands.Family] = "titan"
    families = (
        FirmwareFamily(
            "C600", DriverMatch(vendors=_ZTE, models=r"(ZXA10 )?C600"), _TITAN_CAPABILITIES
        ),
        FirmwareFamily(
            "C650", DriverMatch(vendors=_ZTE, models=r"(ZXA10 )?C650"), _TITAN_CAPABILITIES
        ),
    )
    capabilities = _TITAN_CAPABILITIES

    async def inventory(self) -> Inventory:
        raise self._unsupported("read the inventory")

    async def list_onus(self, port: str | None = None) -> Listing[Onu]:
        raise self._unsupported("list ONUs")

    async def list_unconfigured_onus(self) -> Listing[UnconfiguredOnu]:
        raise self._unsupported("list unconfigured ONUs")
