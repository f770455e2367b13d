"""A virtual OLT served over SSH and SNMP on 127.0.0.1, from one shared state."""

from __future__ import annotations

import asyncio
import contextlib
from types import TracebackType
from typing import Self

from rjchronos_sdk.sim.olt.huawei import HuaweiShell
from rjchronos_sdk.sim.olt.shell import Shell
from rjchronos_sdk.sim.olt.snmp import SnmpAgent, start_snmp, trap_message
from rjchronos_sdk.sim.olt.ssh import SshService, start_ssh
from rjchronos_sdk.sim.olt.state import OltState, Onu, UnconfiguredOnu, Vendor, new_state
from rjchronos_sdk.sim.olt.telnet import TelnetService, start_telnet
from rjchronos_sdk.sim.olt.zte import ZteShell


class OltSimulator:
    """One virtual Huawei MA5800 or ZTE C320.

    ``ports`` GPON ports with ``onus_per_port`` ONUs online on each, drawn from
    ``seed``. :meth:`start` listens on ``ssh_port``/``snmp_port`` (0: a free
    port, read back from the attributes once started); optics drift every
    ``drift_interval`` seconds (0 turns drifting off). With ``trap_target``
    (host, port) every LOS, dying gasp, offline, recovery and new auto-found
    ONU is also sent there as an SNMPv2c trap. With ``telnet_port`` (0: a free
    one) the same CLI is served over Telnet too; ``enable_password`` makes the
    ZXAN ``enable`` ask for one. The injection methods
    take the port number as the CLI prints it; the slot defaults to the board's.
    """

    def __init__(
        self,
        vendor: Vendor = "huawei",
        *,
        ports: int = 2,
        onus_per_port: int = 4,
        seed: int = 0,
        host: str = "127.0.0.1",
        ssh_port: int = 0,
        snmp_port: int = 0,
        username: str = "admin",
        password: str = "admin",  # noqa: S107 - a lab device's well-known login
        community: str = "public",
        drift_interval: float = 10.0,
        trap_target: tuple[str, int] | None = None,
        telnet_port: int | None = None,
        enable_password: str = "",
    ) -> None:
        self.state: OltState = new_state(
            vendor, ports=ports, onus_per_port=onus_per_port, seed=seed
        )
        self.vendor = vendor
        self.host = host
        self.ssh_port = ssh_port
        self.snmp_port = snmp_port
        self.username = username
        self.password = password
        self.community = community
        self.drift_interval = drift_interval
        self.trap_target = trap_target
        self.telnet_port = telnet_port
        self.enable_password = enable_password
        self._telnet: TelnetService | None = None
        self._ssh: SshService | None = None
        self._snmp: asyncio.DatagramTransport | None = None
        self._drift: asyncio.Task[None] | None = None
        self.agent: SnmpAgent | None = None

    def new_shell(self) -> Shell:
        """A fresh CLI session on the state, in the vendor's dialect."""
        if self.vendor == "huawei":
            return HuaweiShell(self.state)
        return ZteShell(self.state, enable_password=self.enable_password)

    async def start(self) -> None:
        """Listen for SSH and SNMP and start drifting the optics."""
        self._ssh = await start_ssh(
            self.state,
            self.new_shell,
            host=self.host,
            port=self.ssh_port,
            username=self.username,
            password=self.password,
        )
        self.ssh_port = self._ssh.port
        if self.telnet_port is not None:
            self._telnet = await start_telnet(
                self.state,
                self.new_shell,
                host=self.host,
                port=self.telnet_port,
                username=self.username,
                password=self.password,
            )
            self.telnet_port = self._telnet.port
        self._snmp, self.agent = await start_snmp(
            self.state, host=self.host, port=self.snmp_port, community=self.community
        )
        self.snmp_port = int(self._snmp.get_extra_info("sockname")[1])
        self.state.listeners.append(self._send_trap)
        if self.drift_interval > 0:
            self._drift = asyncio.create_task(self._drift_forever())

    async def stop(self) -> None:
        """Stop listening; open SSH sessions are closed."""
        if self._drift is not None:
            self._drift.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._drift
            self._drift = None
        if self._send_trap in self.state.listeners:
            self.state.listeners.remove(self._send_trap)
        if self._snmp is not None:
            self._snmp.close()
            self._snmp = None
        if self._ssh is not None:
            await self._ssh.close()
            self._ssh = None
        if self._telnet is not None:
            await self._telnet.close()
            self._telnet = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    def _send_trap(self, event: str, subject: Onu | UnconfiguredOnu) -> None:
        """Notify the trap target of LOS, dying gasp, offline, back online and auto-find."""
        if self.trap_target is None or self._snmp is None:
            return
        message = trap_message(self.state, event, subject, self.community)
        if message is not None:
            self._snmp.sendto(message, self.trap_target)

    async def _drift_forever(self) -> None:
        while True:
            await asyncio.sleep(self.drift_interval)
            self.state.tick()

    # -- injections ---------------------------------------------------------------

    def los(self, port: int, onu_id: int | None = None, *, slot: int | None = None) -> list[Onu]:
        """Cut the fibre of one ONU, or of the whole port when ``onu_id`` is None."""
        return self.state.los(self._slot(slot), port, onu_id)

    def dying_gasp(
        self, port: int, onu_id: int | None = None, *, slot: int | None = None
    ) -> list[Onu]:
        """Cut the power of one ONU, or of every ONU of the port."""
        return self.state.dying_gasp(self._slot(slot), port, onu_id)

    def offline(
        self, port: int, onu_id: int | None = None, *, slot: int | None = None
    ) -> list[Onu]:
        """Take the ONU offline without a fault."""
        return self.state.offline(self._slot(slot), port, onu_id)

    def recover(
        self, port: int, onu_id: int | None = None, *, slot: int | None = None
    ) -> list[Onu]:
        """Bring the ONU, or every ONU of the port, back online."""
        return self.state.recover(self._slot(slot), port, onu_id)

    def new_unconfigured(
        self,
        port: int,
        serial: str | None = None,
        equipment: str | None = None,
        *,
        slot: int | None = None,
    ) -> UnconfiguredOnu:
        """Plug a new ONU into a port: it shows in the auto-find list until authorised."""
        return self.state.add_unconfigured(self._slot(slot), port, serial, equipment)

    def _slot(self, slot: int | None) -> int:
        return self.state.slot if slot is None else slot
