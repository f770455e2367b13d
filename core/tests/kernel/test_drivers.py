"""Driver selection: one match, a pin, none, or an ambiguity that is an error."""

from __future__ import annotations

import asyncio

import pytest

from rjchronos.drivers import (
    AmbiguousDriverError,
    DeviceFacts,
    DriverMatch,
    Drivers,
    FirmwareFamily,
    NoDriverError,
    OltCapability,
    OltDriver,
    UnsupportedOperation,
)
from rjchronos.drivers.olt_model import Listing, Onu, UnconfiguredOnu


class _Base(OltDriver):
    async def identify(self) -> DeviceFacts:
        return DeviceFacts()

    async def list_onus(self, port: str | None = None) -> Listing[Onu]:
        return Listing()

    async def list_unconfigured_onus(self) -> Listing[UnconfiguredOnu]:
        return Listing()


# Fictional vendors: the vendor driver plugins installed in the workspace must not match them.
class Acme(_Base):
    name = "acme"
    match = DriverMatch(vendors=("Acme",), sys_object_ids=("1.3.6.1.4.1.99901.",))


class AcmeToo(_Base):
    name = "acme-too"
    match = DriverMatch(vendors=("acme",))


class Globex(_Base):
    name = "globex"
    match = DriverMatch(vendors=("Globex",), models=r"G(300|320|6\d0)")


@pytest.fixture
def drivers() -> Drivers:
    registry = Drivers()
    registry.add("rjchronos.drivers.olt", "acme", Acme)
    registry.add("rjchronos.drivers.olt", "globex", Globex)
    return registry


def test_the_single_matching_driver_is_chosen(drivers: Drivers) -> None:
    facts = DeviceFacts(vendor="Globex", model="G320")
    assert drivers.select("rjchronos.drivers.olt", facts) is Globex
    facts = DeviceFacts(vendor="Acme", sys_object_id="1.3.6.1.4.1.99901.2.248")
    assert drivers.select("rjchronos.drivers.olt", facts) is Acme


def test_two_matches_are_an_error_naming_both(drivers: Drivers) -> None:
    drivers.add("rjchronos.drivers.olt", "acme-too", AcmeToo)
    facts = DeviceFacts(vendor="Acme", sys_object_id="1.3.6.1.4.1.99901.2.248")
    with pytest.raises(AmbiguousDriverError, match="acme, acme-too"):
        drivers.select("rjchronos.drivers.olt", facts)
    assert drivers.select("rjchronos.drivers.olt", facts, pinned="acme-too") is AcmeToo


def test_no_match_and_unknown_pin_are_errors(drivers: Drivers) -> None:
    with pytest.raises(NoDriverError, match="no driver in rjchronos.drivers.olt matches"):
        drivers.select("rjchronos.drivers.olt", DeviceFacts(vendor="Initech"))
    with pytest.raises(NoDriverError, match="installed: \\['acme', .*'globex'"):
        drivers.select("rjchronos.drivers.olt", DeviceFacts(), pinned="vsol")


def test_an_empty_match_matches_nothing() -> None:
    assert not DriverMatch().matches(DeviceFacts(vendor="Huawei"))


def test_a_class_outside_the_contract_is_refused(drivers: Drivers) -> None:
    with pytest.raises(TypeError, match="does not implement Notifier"):
        drivers.add("rjchronos.notifiers", "acme", Acme)  # type: ignore[arg-type]


def test_installed_example_notifier_is_found_through_stevedore() -> None:
    assert "log-file" in Drivers().names("rjchronos.notifiers")


class Families(_Base):
    name = "families"
    families = (
        FirmwareFamily(
            "old",
            DriverMatch(vendors=("ACME",), models="A1"),
            frozenset({OltCapability.LIST_ONUS}),
        ),
        FirmwareFamily(
            "new",
            DriverMatch(vendors=("ACME",), models="A2"),
            frozenset({OltCapability.LIST_ONUS, OltCapability.REBOOT}),
        ),
    )


def test_capabilities_follow_the_firmware_family() -> None:
    assert Families.matches(DeviceFacts(vendor="ACME", model="A2"))
    assert not Families.matches(DeviceFacts(vendor="ACME", model="B7"))
    assert Families.capabilities_for(DeviceFacts(vendor="ACME", model="A1")) == {"list_onus"}
    new = Families.capabilities_for(DeviceFacts(vendor="ACME", model="A2"))
    assert OltCapability.REBOOT in new
    assert Families.capabilities_for(DeviceFacts(vendor="ACME", model="B7")) == frozenset()


def test_an_operation_a_driver_does_not_offer_is_a_clear_error() -> None:
    driver = Families({"host": "10.0.0.9"})
    with pytest.raises(UnsupportedOperation, match="families cannot reboot ONUs on OLT 10.0.0.9"):
        asyncio.run(driver.reboot("0/1/0", 3))
