"""The OLT driver conformance suite: a driver against the simulated OLT, over SSH and SNMP.

An OLT driver package writes::

    from rjchronos_sdk.conformance_olt import OltDriverConformance

    class TestMyDriver(OltDriverConformance):
        driver_class = MyDriver
        vendor = "huawei"                  # the simulator's dialect

        def port_name(self, slot, port):   # how the driver names a PON port
            return f"0/{slot}/{port}"

        def authorize_request(self, port, serial, onu_id=None):
            return AuthorizeRequest(port=port, serial=serial, ...)

and pytest runs every ``test_*`` method below. Each test starts its own
simulated OLT (``ports`` x ``onus_per_port``) on 127.0.0.1 and builds the
driver from connection settings only, as the platform does.
"""

from __future__ import annotations

import asyncio
import socket
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, TypeVar

import pytest

from rjchronos.drivers.contracts import OltCapability, OltDriver, UnsupportedOperation
from rjchronos.drivers.olt_model import (
    AuthorizeRequest,
    FirmwareUpgrade,
    OltConnectionError,
    Onu,
    OnuStatus,
)
from rjchronos_sdk.sim.olt import OltSimulator, Vendor, huawei, zte

T = TypeVar("T")

#: What each simulated CLI prints when it refuses an authorization, by cause.
REFUSALS = {"huawei": huawei.FAILURES, "zte": zte.ERRORS}
#: Optics the driver reports may differ from the simulator's by the vendor's rounding.
OPTICS_TOLERANCE_DB = 0.06


class OltDriverConformance(ABC):
    """The contract of a ``rjchronos.drivers.olt`` driver, proven against :class:`OltSimulator`.

    Set :attr:`driver_class` and :attr:`vendor`; implement :meth:`port_name`
    and :meth:`authorize_request`. Override :meth:`connection` for settings
    the driver needs beyond host, ports, credentials and community.
    """

    driver_class: ClassVar[type[OltDriver]]
    vendor: ClassVar[Vendor]
    ports: ClassVar[int] = 2
    onus_per_port: ClassVar[int] = 4
    seed: ClassVar[int] = 7
    #: Over SNMP the driver's ``inventory()`` reports every PON port (states, ONU counts).
    pon_ports_over_snmp: ClassVar[bool] = True
    #: Over SNMP ``list_onus()`` without a port reads every ONU of the OLT at once.
    lists_all_onus_over_snmp: ClassVar[bool] = True

    # -- what a driver package provides ---------------------------------------------

    @abstractmethod
    def port_name(self, slot: int, port: int) -> str:
        """The driver's name of the simulator's PON port ``slot``/``port``."""

    @abstractmethod
    def authorize_request(
        self, port: str, serial: str, onu_id: int | None = None
    ) -> AuthorizeRequest:
        """A request that authorizes ``serial`` on ``port`` with a working service profile."""

    def cli_port(self, sim: OltSimulator) -> int:
        """The port the driver's CLI connects to (SSH unless the connection says otherwise)."""
        return sim.ssh_port

    def simulator(self) -> OltSimulator:
        """The simulated OLT each test runs against (drift off, so values stay put)."""
        return OltSimulator(
            self.vendor,
            ports=self.ports,
            onus_per_port=self.onus_per_port,
            seed=self.seed,
            drift_interval=0,
        )

    def connection(
        self, sim: OltSimulator, *, snmp: bool = True, **overrides: Any
    ) -> dict[str, Any]:
        """The settings the platform would store for the simulated OLT."""
        settings: dict[str, Any] = {
            "host": sim.host,
            "ssh_port": sim.ssh_port,
            "username": sim.username,
            "password": sim.password,
            "timeout": 5,
            "default_vlan": 100,
        }
        if snmp:
            settings |= {"snmp_port": sim.snmp_port, "community": sim.community, "snmp_timeout": 2}
        return settings | overrides

    # -- plumbing -------------------------------------------------------------------

    def run(self, scenario: Callable[[OltSimulator], Awaitable[T]]) -> T:
        """Run ``scenario`` with a started simulator, in one event loop."""

        async def main() -> T:
            async with self.simulator() as sim:
                return await scenario(sim)

        return asyncio.run(main())

    async def _with_driver(
        self, sim: OltSimulator, use: Callable[[OltDriver], Awaitable[T]], **settings: Any
    ) -> T:
        driver = self.driver_class(self.connection(sim, **settings))
        try:
            return await use(driver)
        finally:
            await driver.close()

    def _supports(self, capability: OltCapability) -> bool:
        return capability in self.driver_class.capabilities

    def _first_port(self, sim: OltSimulator) -> tuple[int, int]:
        return next(iter(sim.state.ports))

    # -- the contract -----------------------------------------------------------------

    def test_identify(self) -> None:
        async def scenario(sim: OltSimulator) -> None:
            async def use(driver: OltDriver) -> None:
                if not self._supports(OltCapability.IDENTIFY):
                    with pytest.raises(UnsupportedOperation):
                        await driver.identify()
                    return
                facts = await driver.identify()
                assert facts.vendor.lower() == self.vendor
                assert facts.model, facts
                assert self.driver_class.matches(facts), facts

            await self._with_driver(sim, use)

        self.run(scenario)

    def test_inventory(self) -> None:
        async def scenario(sim: OltSimulator) -> None:
            async def use(driver: OltDriver) -> None:
                if not self._supports(OltCapability.INVENTORY):
                    with pytest.raises(UnsupportedOperation):
                        await driver.inventory()
                    return
                inventory = await driver.inventory()
                assert inventory.boards, inventory
                assert {board.slot for board in inventory.boards} >= {
                    slot for slot, _ in sim.state.ports
                }
                if self.pon_ports_over_snmp:
                    self.check_pon_ports(inventory.pon_ports, sim)

            slot, port = self._first_port(sim)
            sim.los(port, next(iter(sim.state.port(slot, port).onus)), slot=slot)
            await self._with_driver(sim, use)

        self.run(scenario)

    @pytest.mark.parametrize("snmp", [True, False], ids=["snmp", "cli"])
    def test_list_onus_matches_the_olt(self, snmp: bool) -> None:
        async def scenario(sim: OltSimulator) -> None:
            async def use(driver: OltDriver) -> None:
                for (slot, port), pon in sim.state.ports.items():
                    listed = await driver.list_onus(self.port_name(slot, port))
                    assert not listed.issues, listed.issues
                    assert {o.onu_id: o.serial for o in listed} == {
                        o.onu_id: o.serial for o in pon.onus.values()
                    }
                    for onu in listed:
                        self.check_onu(onu, pon.onus[onu.onu_id])

            await self._with_driver(sim, use, snmp=snmp)

        self.run(scenario)

    def check_pon_ports(self, ports: Any, sim: OltSimulator) -> None:
        """``ports`` are the simulator's PON ports: up, with its ONU and online counts."""
        by_name = {port.name: port for port in ports}
        assert set(by_name) == {self.port_name(s, p) for s, p in sim.state.ports}, by_name
        for (slot, number), pon in sim.state.ports.items():
            port = by_name[self.port_name(slot, number)]
            assert port.admin_up is True and port.oper_up is True, port
            assert port.onu_count == len(pon.onus), port
            assert port.online_count == sum(onu.online for onu in pon.onus.values()), port
            if port.tx_dbm is not None:
                assert abs(port.tx_dbm - pon.tx_dbm) <= OPTICS_TOLERANCE_DB, port

    def test_list_every_onu_at_once(self) -> None:
        async def scenario(sim: OltSimulator) -> None:
            async def use(driver: OltDriver) -> None:
                if not self.lists_all_onus_over_snmp:
                    with pytest.raises(UnsupportedOperation):
                        await driver.list_onus()
                    return
                listed = await driver.list_onus()
                assert not listed.issues, listed.issues
                expected = {
                    (self.port_name(slot, port), onu.onu_id): onu
                    for (slot, port), pon in sim.state.ports.items()
                    for onu in pon.onus.values()
                }
                assert {(onu.port, onu.onu_id) for onu in listed} == set(expected)
                for onu in listed:
                    assert onu.serial == expected[onu.port, onu.onu_id].serial
                    self.check_onu(onu, expected[onu.port, onu.onu_id])

            await self._with_driver(sim, use)

        self.run(scenario)

    def check_onu(self, listed: Onu, truth: Any) -> None:
        """``listed`` reports the simulated ONU ``truth``: status and optics."""
        assert listed.status == OnuStatus(truth.status), (listed, truth.status)
        optics = truth.optics
        if optics is None:
            assert listed.rx_dbm is None
            return
        assert listed.rx_dbm is not None
        assert abs(listed.rx_dbm - optics[0]) <= OPTICS_TOLERANCE_DB, (listed.rx_dbm, optics)
        if listed.tx_dbm is not None:
            assert abs(listed.tx_dbm - optics[1]) <= OPTICS_TOLERANCE_DB, (listed.tx_dbm, optics)

    def test_a_new_onu_is_found_authorized_and_comes_online(self) -> None:
        async def scenario(sim: OltSimulator) -> None:
            slot, port = self._first_port(sim)
            found = sim.new_unconfigured(port, slot=slot)
            name = self.port_name(slot, port)

            async def use(driver: OltDriver) -> None:
                unconfigured = await driver.list_unconfigured_onus()
                assert found.serial in {onu.serial for onu in unconfigured}
                request = self.authorize_request(name, found.serial)
                result = await driver.authorize(request)
                assert result.ok, result
                assert not result.not_run
                assert len(result.applied) == len(result.outputs) >= 1
                listed = {onu.serial: onu for onu in await driver.list_onus(name)}
                assert listed[found.serial].status == OnuStatus.ONLINE
                assert found.serial not in {o.serial for o in await driver.list_unconfigured_onus()}

            await self._with_driver(sim, use)
            onu = sim.state.find_serial(found.serial)
            assert onu is not None and onu.online

        self.run(scenario)

    @pytest.mark.parametrize("clash", ["onu_id", "serial"])
    def test_a_refused_authorize_records_what_ran_and_the_olt_error(self, clash: str) -> None:
        async def scenario(sim: OltSimulator) -> None:
            slot, port = self._first_port(sim)
            existing = next(iter(sim.state.port(slot, port).onus.values()))
            name = self.port_name(slot, port)
            if clash == "onu_id":
                request = self.authorize_request(name, sim.state.new_serial(), existing.onu_id)
            else:
                request = self.authorize_request(name, existing.serial)
            refusal = REFUSALS[self.vendor]["id-used" if clash == "onu_id" else "serial-used"]
            before = {onu.serial for onu in sim.state.all_onus()}

            async def use(driver: OltDriver) -> None:
                result = await driver.authorize(request)
                assert not result.ok
                assert result.failed is not None
                assert result.error, result
                assert request.serial in result.failed.command
                assert len(result.applied) == len(result.outputs)
                # The OLT's own words travel with the result, not a paraphrase.
                assert refusal in result.error, result.error
                # The driver still works after the refusal: the session left config mode.
                assert len(await driver.list_onus(name)) == len(sim.state.port(slot, port).onus)

            await self._with_driver(sim, use)
            assert {onu.serial for onu in sim.state.all_onus()} == before

        self.run(scenario)

    def test_deauthorize_removes_the_onu(self) -> None:
        async def scenario(sim: OltSimulator) -> None:
            slot, port = self._first_port(sim)
            victim = next(iter(sim.state.port(slot, port).onus.values()))
            name = self.port_name(slot, port)

            async def use(driver: OltDriver) -> None:
                result = await driver.deauthorize(name, victim.onu_id)
                assert result.ok, result
                assert victim.serial not in {onu.serial for onu in await driver.list_onus(name)}

            await self._with_driver(sim, use)
            assert sim.state.find_serial(victim.serial) is None

        self.run(scenario)

    def test_reboot_restarts_the_onu(self) -> None:
        async def scenario(sim: OltSimulator) -> None:
            slot, port = self._first_port(sim)
            target = next(iter(sim.state.port(slot, port).onus.values()))
            assert target.last_down_cause != "reset"

            async def use(driver: OltDriver) -> None:
                result = await driver.reboot(self.port_name(slot, port), target.onu_id)
                assert result.ok, result

            await self._with_driver(sim, use)
            assert target.last_down_cause == "reset"
            assert target.online

        self.run(scenario)

    def test_disable_and_enable_the_onu(self) -> None:
        async def scenario(sim: OltSimulator) -> None:
            slot, port = self._first_port(sim)
            target = next(iter(sim.state.port(slot, port).onus.values()))
            name = self.port_name(slot, port)

            async def use(driver: OltDriver) -> None:
                disabled = await driver.set_enabled(name, target.onu_id, False)
                assert disabled.ok and disabled.applied, disabled
                assert not target.online
                listed = {onu.onu_id: onu for onu in await driver.list_onus(name)}
                assert listed[target.onu_id].status is not OnuStatus.ONLINE
                enabled = await driver.set_enabled(name, target.onu_id, True)
                assert enabled.ok, enabled
                listed = {onu.onu_id: onu for onu in await driver.list_onus(name)}
                assert listed[target.onu_id].status is OnuStatus.ONLINE

            await self._with_driver(sim, use)
            assert target.online

        self.run(scenario)

    def test_running_config_is_read_whole_and_follows_writes(self) -> None:
        async def scenario(sim: OltSimulator) -> None:
            slot, port = self._first_port(sim)
            victim = next(iter(sim.state.port(slot, port).onus.values()))

            async def use(driver: OltDriver) -> None:
                if not self._supports(OltCapability.RUNNING_CONFIG):
                    with pytest.raises(UnsupportedOperation):
                        await driver.running_config()
                    return
                before = await driver.running_config()
                # Longer than a screen: a pager left on would have cut it.
                assert len(before.splitlines()) > 24, before
                assert "More" not in before, before
                assert before == await driver.running_config()
                removed = await driver.deauthorize(self.port_name(slot, port), victim.onu_id)
                assert removed.ok, removed
                after = await driver.running_config()
                assert after != before

            await self._with_driver(sim, use)

        self.run(scenario)

    def firmware_request(self, targets: list[tuple[str, int]]) -> FirmwareUpgrade:
        """A firmware load of ``targets`` from an FTP server (the simulator fetches nothing)."""
        return FirmwareUpgrade(
            file="ONT_V5R021C00S200.bin",
            server="127.0.0.1",
            targets=tuple(targets),
            protocol="ftp",
            username="ftpuser",
            password="ftp-s3cret",  # noqa: S106 - a test file server's login
        )

    def test_firmware_upgrade_through_the_olt(self) -> None:
        async def scenario(sim: OltSimulator) -> None:
            slot, port = self._first_port(sim)
            first, second, *_ = sim.state.port(slot, port).onus.values()
            name = self.port_name(slot, port)
            request = self.firmware_request([(name, first.onu_id), (name, second.onu_id)])

            async def use(driver: OltDriver) -> None:
                if not self._supports(OltCapability.UPGRADE_FIRMWARE):
                    with pytest.raises(UnsupportedOperation):
                        await driver.upgrade_firmware(request)
                    return
                result = await driver.upgrade_firmware(request)
                assert result.ok, result
                assert all("ftp-s3cret" not in step.shown for step in result.applied)
                assert first.software_version == second.software_version == "V5R021C00S200"
                assert first.online and first.last_down_cause == "reset"
                sim.los(port, second.onu_id, slot=slot)
                refused = await driver.upgrade_firmware(request)
                assert not refused.ok and refused.error, refused
                assert refused.failed is not None and "start" in refused.failed.command

            await self._with_driver(sim, use)

        self.run(scenario)

    @pytest.mark.parametrize("snmp", [True, False], ids=["snmp", "cli"])
    def test_los_shows_in_the_listing(self, snmp: bool) -> None:
        async def scenario(sim: OltSimulator) -> None:
            slot, port = self._first_port(sim)
            target = next(iter(sim.state.port(slot, port).onus.values()))
            sim.los(port, target.onu_id, slot=slot)

            async def use(driver: OltDriver) -> None:
                listed = {o.onu_id: o for o in await driver.list_onus(self.port_name(slot, port))}
                assert listed[target.onu_id].status == OnuStatus.LOS
                others = [o for key, o in listed.items() if key != target.onu_id]
                assert all(o.status == OnuStatus.ONLINE for o in others)

            await self._with_driver(sim, use, snmp=snmp)

        self.run(scenario)

    def test_a_wrong_password_is_a_clear_error(self) -> None:
        async def scenario(sim: OltSimulator) -> None:
            async def use(driver: OltDriver) -> None:
                with pytest.raises(OltConnectionError) as raised:
                    await driver.list_unconfigured_onus()
                assert f"{sim.host}:{self.cli_port(sim)}" in str(raised.value)
                assert "credentials" in str(raised.value)

            await self._with_driver(sim, use, password="not-the-password")  # noqa: S106 - a wrong one on purpose

        self.run(scenario)

    def test_an_unreachable_olt_is_a_clear_error(self) -> None:
        with socket.socket() as probe:  # a port nobody listens on
            probe.bind(("127.0.0.1", 0))
            closed = probe.getsockname()[1]

        async def scenario(sim: OltSimulator) -> None:
            async def use(driver: OltDriver) -> None:
                with pytest.raises(OltConnectionError) as raised:
                    await driver.list_unconfigured_onus()
                assert f"127.0.0.1:{closed}" in str(raised.value)
                assert "unreachable" in str(raised.value)

            await self._with_driver(sim, use, ssh_port=closed)

        self.run(scenario)

    def test_an_snmp_timeout_is_a_clear_error(self) -> None:
        async def scenario(sim: OltSimulator) -> None:
            slot, port = self._first_port(sim)

            async def use(driver: OltDriver) -> None:
                with pytest.raises(OltConnectionError) as raised:
                    await driver.list_onus(self.port_name(slot, port))
                assert f"{sim.host}:{sim.snmp_port}" in str(raised.value)
                assert "no SNMP answer" in str(raised.value)

            # A wrong community gets no answer at all, as on a real agent.
            await self._with_driver(sim, use, community="wrong", snmp_timeout=0.2, snmp_retries=0)

        self.run(scenario)
