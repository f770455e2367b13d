"""The ``zte-zxan`` (C300/C320) and ``zte-titan`` (C600/C650) OLT drivers.

Built from connection settings (``host``, ``ssh_port``, ``username``,
``password``, ``timeout``), they open their own SSH session through scrapli
(:mod:`rjchronos_sdk.olt.cli`, prompts from :mod:`.platform`); with a ``community`` (and
``snmp_port``, ``max_repetitions``, ``snmp_timeout``) the ZXAN driver
identifies the OLT and reads ONU status and optics over SNMP (the 1012 tree,
:mod:`rjchronos_sdk.olt.snmp`). Tests may hand them any :class:`CliSession` as
``session=`` instead of SSH.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

from rjchronos.drivers.contracts import (
    DeviceFacts,
    DriverMatch,
    FirmwareFamily,
    OltCapability,
    UnsupportedOperation,
)
from rjchronos.drivers.olt_model import (
    AuthorizeRequest,
    InvalidRequest,
    Inventory,
    Listing,
    Onu,
    OnuStatus,
    PonPort,
    UnconfiguredOnu,
    WriteResult,
)
from rjchronos_olt_zte import commands, parsers, platform, snmp
from rjchronos_sdk.olt import CliOltDriver
from rjchronos_sdk.olt.snmp import IF_COLUMNS, if_up, onu_counts

_ZTE = ("ZTE",)
_ZXAN_CAPABILITIES = frozenset(
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
    }
)
#: ONU ids a GPON port offers on ZXAN.
MAX_ONU_ID = 128

_SYS_DESCR, _SYS_OBJECT_ID = "1.3.6.1.2.1.1.1.0", "1.3.6.1.2.1.1.2.0"
#: ``ZXA10 C320, ZTE ZXA10 Software Version: V2.1.0``
_DESCR = re.compile(r"(?P<model>ZXA10 C\d+)\b.*?Version:?\s*(?P<version>\S+)?", re.IGNORECASE)


class ZteZxanDriver(CliOltDriver):
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
    cli_platform = platform.CLI_PLATFORM
    leave = commands.LEAVE
    error = commands.ERROR

    async def identify(self) -> DeviceFacts:
        """By SNMP sysDescr and sysObjectID (ZXAN's ``show version`` layout is not captured)."""
        if self.snmp is None:
            raise self._unsupported("identify without SNMP (set a community)")
        values = await self.snmp.get(_SYS_DESCR, _SYS_OBJECT_ID)
        descr = bytes(values.get(_SYS_DESCR, b"")).decode(errors="replace")
        found = _DESCR.search(descr)
        return DeviceFacts(
            vendor="ZTE",
            model=found["model"] if found else "",
            firmware=(found["version"] or "") if found else "",
            sys_object_id=str(values.get(_SYS_OBJECT_ID, "")),
            sys_descr=descr,
        )

    def __init__(self, connection: Mapping[str, Any], session: Any = None) -> None:
        super().__init__(connection, session)
        tree = str(connection.get("snmp_tree") or ("1082" if self.family == "titan" else "1012"))
        if tree not in snmp.TREES:
            raise InvalidRequest("snmp_tree", f"{tree!r} is not one of {sorted(snmp.TREES)}")
        self.tree = snmp.TREES[tree]

    async def inventory(self) -> Inventory:
        """Boards from ``show card``; with SNMP, the PON ports too (IF-MIB states, ONU counts)."""
        command = "show card"
        cards = parsers.parse_cards(command, await self._read(command))
        ports = await self._pon_ports() if self.snmp is not None else ()
        return Inventory(boards=tuple(cards), pon_ports=tuple(ports), issues=tuple(cards.issues))

    async def _pon_ports(self) -> list[PonPort]:
        """Every PON port: IF-MIB states and ONU counts, one walk per column."""
        assert self.snmp is not None
        table = await self.snmp.walk_columns(
            {**IF_COLUMNS, "status": self.tree.columns["onu_status"]}
        )
        counts = onu_counts(
            table["status"],
            self._port_name,
            lambda value: self.tree.status(int(value)) is OnuStatus.ONLINE,
        )
        ports = []
        for if_index, name in table["if_name"].items():
            if not bytes(name).decode(errors="replace").startswith(("gpon-olt_", "gpon_olt-")):
                continue
            try:
                slot, number = snmp.port_of_if_index(int(if_index))
            except ValueError:
                continue
            total, online = counts.get(f"1/{slot}/{number}", (0, 0))
            ports.append(
                PonPort(
                    1,
                    slot,
                    number,
                    admin_up=if_up(table["if_admin"].get(if_index)),
                    oper_up=if_up(table["if_oper"].get(if_index)),
                    onu_count=total,
                    online_count=online,
                )
            )
        return ports

    def _port_name(self, index: str) -> str | None:
        """``1/slot/port`` of a PON index of the driver's tree; None for anything else."""
        try:
            slot, number = self.tree.port_of(int(index))
        except ValueError:
            return None
        return f"1/{slot}/{number}"

    async def list_onus(self, port: str | None = None) -> Listing[Onu]:
        """ONUs of one port (or, over SNMP, of every port at once): state, serial, type, Rx."""
        if self.snmp is not None:
            return await self._poll_onus(port)
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

    async def _poll_onus(self, port: str | None) -> Listing[Onu]:
        """ONUs over SNMP: one GETBULK walk per column of the driver's tree, one port or all."""
        suffix = ""
        if port is not None:
            _, slot, number = (int(part) for part in port.split("/"))
            suffix = f".{self.tree.index(slot, number)}"
        assert self.snmp is not None
        columns = self.tree.columns
        table = await self.snmp.walk_columns(
            {name: f"{oid}{suffix}" for name, oid in columns.items()}
        )
        # Optics rows carry the ANI after the ONU id: ``<onuId>.1``.
        for name in ("onu_rx_power", "onu_tx_power"):
            table[name] = {key.rsplit(".", 1)[0]: value for key, value in table[name].items()}
        onus = []
        for key in table["onu_serial"]:
            if port is None:
                index, _, onu_id = key.partition(".")
                where = self._port_name(index)
                if where is None:
                    continue
            else:
                where, onu_id = port, key
            row = {name: table[name].get(key) for name in columns}
            onus.append(_onu(where, int(onu_id), row, self.tree))
        return Listing(sorted(onus, key=lambda onu: (onu.port, onu.onu_id)))

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

    async def running_config(self) -> str:
        """``show running-config`` (``terminal length 0`` keeps it unpaged)."""
        return await self._read("show running-config")


_TITAN_CAPABILITIES = frozenset(
    {
        OltCapability.AUTHORIZE,
        OltCapability.DEAUTHORIZE,
        OltCapability.REBOOT,
        OltCapability.SET_ENABLED,
        OltCapability.RUNNING_CONFIG,
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

    async def identify(self) -> DeviceFacts:
        raise self._unsupported("identify")


def _onu(port: str, onu_id: int, row: Mapping[str, Any], tree: snmp.Tree) -> Onu:
    """One ONU from its SNMP row in ``tree`` (absent columns read as "no reading")."""

    def number(name: str) -> int:
        value = row.get(name)
        return snmp.NO_VALUE if value is None else int(value)

    def text(name: str) -> str:
        return bytes(row.get(name) or b"").decode(errors="replace")

    return Onu(
        port=port,
        onu_id=onu_id,
        serial=snmp.serial_from_octets(row["onu_serial"]),
        status=tree.status(number("onu_status")),
        distance_m=snmp.distance_m(number("onu_distance")),
        rx_dbm=snmp.power_dbm(number("onu_rx_power")),
        tx_dbm=snmp.power_dbm(number("onu_tx_power")),
        type=text("onu_type"),
        name=text("onu_name"),
    )
