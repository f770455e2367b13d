"""The ``huawei-smartax`` OLT driver: SmartAX CLI commands, parsed into the common model.

Built from connection settings (``host``, ``ssh_port``, ``username``,
``password``, ``timeout``), it opens its own SSH session through scrapli
(:mod:`rjchronos_sdk.olt.cli`); with a ``community`` (and ``snmp_port``,
``max_repetitions``, ``snmp_timeout``) it reads ONU status and optics over
SNMP (:mod:`rjchronos_sdk.olt.snmp`). Tests may hand it any :class:`CliSession` as
``session=`` instead of SSH.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from rjchronos.drivers.contracts import (
    DeviceFacts,
    DriverMatch,
    FirmwareFamily,
    OltCapability,
    UnsupportedOperation,
)
from rjchronos.drivers.olt_model import (
    AuthorizeRequest,
    FirmwareUpgrade,
    InvalidRequest,
    Inventory,
    Listing,
    OltCommandError,
    Onu,
    PonPort,
    UnconfiguredOnu,
    WriteResult,
)
from rjchronos_olt_huawei import commands, parsers, snmp
from rjchronos_sdk.olt import CliOltDriver, CliPlatform
from rjchronos_sdk.olt.snmp import IF_COLUMNS, if_up, onu_counts

_CLI_CAPABILITIES = frozenset(
    {
        OltCapability.IDENTIFY,
        OltCapability.INVENTORY,
        OltCapability.LIST_ONUS,
        OltCapability.LIST_UNCONFIGURED,
        OltCapability.AUTHORIZE,
        OltCapability.DEAUTHORIZE,
        OltCapability.REBOOT,
        OltCapability.SET_ENABLED,
        OltCapability.RUNNING_CONFIG,
        OltCapability.UPGRADE_FIRMWARE,
    }
)
_HUAWEI = ("Huawei",)

#: ONT ids a GPON port offers on SmartAX.
MAX_ONT_ID = 127

#: The SmartAX CLI for the transport: user/privileged/config prompts and its (y/n) questions.
PLATFORM = CliPlatform(
    prompt=r"^[\w.\-@/:]{1,63}(?:\([\w.\-@/:]+\))?(?:[>#]|%%)\s?$|\(y/n\)(?:\[\w\])?:\s?$",
    question=r"\(y/n\)",
    setup=commands.SESSION_SETUP,
)
_NO_READING = 2147483647
#: How SmartAX says an auto-find or service-port list is empty.
_NONE_FOUND = re.compile(
    r"automatically found ONTs do not exist|No service virtual port can be operated", re.IGNORECASE
)
#: The ONT columns one SNMP poll of a port reads.
POLLED_COLUMNS = (
    "ont_serial",
    "ont_description",
    "ont_run_status",
    "ont_distance",
    "ont_last_down_cause",
    "ont_rx_power",
    "ont_tx_power",
    "olt_rx_power",
)


class HuaweiSmartAxDriver(CliOltDriver):
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
    cli_platform = PLATFORM
    leave = commands.LEAVE
    error = commands.ERROR

    async def identify(self) -> DeviceFacts:
        command = "display version"
        return parsers.parse_version(command, await self._read(command))

    async def inventory(self) -> Inventory:
        """Boards from ``display board 0``; with SNMP, the PON ports too (states, ONUs, optics)."""
        command = "display board 0"
        boards = parsers.parse_boards(command, await self._read(command))
        ports = await self._pon_ports() if self.snmp is not None else ()
        return Inventory(tuple(boards), tuple(ports), tuple(boards.issues))

    async def _pon_ports(self) -> list[PonPort]:
        """Every GPON port: IF-MIB states, port optics and ONU counts, one walk per column."""
        assert self.snmp is not None
        table = await self.snmp.walk_columns(
            {
                **IF_COLUMNS,
                "tx": snmp.OID["port_tx_power"],
                "rx": snmp.OID["port_rx_power"],
                "status": snmp.OID["ont_run_status"],
            }
        )
        counts = onu_counts(table["status"], _port_name, lambda value: int(value) == 1)
        ports = []
        for if_index in table["if_name"]:
            name = _port_name(if_index)
            if name is None:
                continue
            frame, slot, number = (int(part) for part in name.split("/"))
            total, online = counts.get(name, (0, 0))
            ports.append(
                PonPort(
                    frame,
                    slot,
                    number,
                    admin_up=if_up(table["if_admin"].get(if_index)),
                    oper_up=if_up(table["if_oper"].get(if_index)),
                    onu_count=total,
                    online_count=online,
                    tx_dbm=snmp.ont_power_dbm(int(table["tx"].get(if_index, _NO_READING))),
                    rx_dbm=snmp.ont_power_dbm(int(table["rx"].get(if_index, _NO_READING))),
                )
            )
        return ports

    async def list_onus(self, port: str | None = None) -> Listing[Onu]:
        """ONUs of one port (or, over SNMP, of every port at once).

        Over the CLI: status and causes from the summary, optics from optical-info.
        """
        if self.snmp is not None:
            return await self._poll_onus(port)
        if port is None:
            raise UnsupportedOperation(f"driver {self.name} lists ONUs one PON port at a time")
        board = commands.gpon_mode(port)
        summary_command = f"display ont info summary {port}"
        summary = parsers.parse_onu_summary(
            summary_command, await self._read(summary_command), self._zone()
        )
        optics_command = f"display ont optical-info {port.split('/')[2]} all"
        optics = parsers.parse_optics(optics_command, await self._read(optics_command, board))
        return Listing(parsers.with_optics(summary, optics), [*summary.issues, *optics.issues])

    async def _poll_onus(self, port: str | None) -> Listing[Onu]:
        """ONUs over SNMP: one GETBULK walk per column, of one port's rows or of all."""
        suffix = ""
        if port is not None:
            frame, slot, number = (int(part) for part in port.split("/"))
            suffix = f".{snmp.gpon_if_index(frame, slot, number)}"
        assert self.snmp is not None
        table = await self.snmp.walk_columns(
            {name: f"{snmp.OID[name]}{suffix}" for name in POLLED_COLUMNS}
        )
        onus = []
        for key in table["ont_serial"]:
            if port is None:
                if_index, _, ont = key.partition(".")
                where = _port_name(if_index)
                if where is None:
                    continue
            else:
                where, ont = port, key
            row = {name: table[name].get(key) for name in POLLED_COLUMNS}
            onus.append(_onu(where, int(ont), row))
        return Listing(sorted(onus, key=lambda onu: (onu.port, onu.onu_id)))

    async def list_unconfigured_onus(self) -> Listing[UnconfiguredOnu]:
        command = "display ont autofind all"
        try:
            output = await self._read(command, commands.CONFIG)
        except OltCommandError as exc:
            # SmartAX reports an empty auto-find list as a failure.
            if not _NONE_FOUND.search(exc.error):
                raise
            return Listing()
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
        used = {onu.onu_id for onu in parsers.parse_onu_table(command, await self._read(command))}
        free = next((i for i in range(MAX_ONT_ID + 1) if i not in used), None)
        if free is None:
            raise InvalidRequest("port", f"port {port} has no free ONT id")
        return free

    async def deauthorize(self, port: str, onu_id: int) -> WriteResult:
        """Remove the ONT's service ports, then the ONT."""
        command = f"display service-port port {port} ont {onu_id}"
        try:
            listed = parsers.parse_service_ports(command, await self._read(command))
        except OltCommandError as exc:
            # SmartAX reports "no service ports" as a failure.
            if not _NONE_FOUND.search(exc.error):
                raise
            listed = Listing()
        indexes = [row.index for row in listed if row.port == port and row.onu_id == onu_id]
        return await self._write(commands.deauthorize_steps(port, onu_id, indexes))

    async def reboot(self, port: str, onu_id: int) -> WriteResult:
        return await self._write(commands.reboot_steps(port, onu_id))

    async def set_enabled(self, port: str, onu_id: int, enabled: bool) -> WriteResult:
        return await self._write(commands.set_enabled_steps(port, onu_id, enabled))

    async def upgrade_firmware(self, request: FirmwareUpgrade) -> WriteResult:
        """``ont-load`` in diagnose mode: file and server, the ONTs of each port, start."""
        return await self._write(commands.firmware_steps(request))

    async def running_config(self) -> str:
        """``display current-configuration`` (the session's ``scroll`` keeps it unpaged)."""
        return await self._read("display current-configuration")


def _port_name(if_index: str) -> str | None:
    """``frame/slot/port`` of a GPON port's ifIndex; None for any other interface."""
    try:
        return "/".join(map(str, snmp.gpon_port_of(int(if_index))))
    except ValueError:
        return None


def _onu(port: str, onu_id: int, row: Mapping[str, Any]) -> Onu:
    """One ONT from its SNMP row (absent columns read as "no reading")."""

    def number(name: str, default: int = _NO_READING) -> int:
        value = row.get(name)
        return default if value is None else int(value)

    cause = number("ont_last_down_cause", -1)
    return Onu(
        port=port,
        onu_id=onu_id,
        serial=snmp.serial_from_octets(row["ont_serial"]),
        status=snmp.onu_status(number("ont_run_status", -1), cause),
        last_down_cause=snmp.down_cause(cause),
        distance_m=snmp.distance_m(number("ont_distance", -1)),
        rx_dbm=snmp.ont_power_dbm(number("ont_rx_power")),
        tx_dbm=snmp.ont_power_dbm(number("ont_tx_power")),
        olt_rx_dbm=snmp.olt_rx_dbm(number("olt_rx_power")),
        description=bytes(row.get("ont_description") or b"").decode(errors="replace"),
    )
