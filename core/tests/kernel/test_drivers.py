"""Driver selection: one match, a pin, none, or an ambiguity that is an error."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from rjchronos.drivers import (
    AmbiguousDriverError,
    DeviceFacts,
    DriverMatch,
    Drivers,
    NoDriverError,
    OltDriver,
)


class _Base(OltDriver):
    async def identify(self) -> DeviceFacts:
        return DeviceFacts()

    async def list_onus(self, port: str | None = None) -> Sequence[Mapping[str, Any]]:
        return []

    async def list_unconfigured_onus(self) -> Sequence[Mapping[str, Any]]:
        return []


class Huawei(_Base):
    name = "huawei"
    match = DriverMatch(vendors=("Huawei",), sys_object_ids=("1.3.6.1.4.1.2011.",))


class HuaweiToo(_Base):
    name = "huawei-too"
    match = DriverMatch(vendors=("huawei",))


class Zte(_Base):
    name = "zte"
    match = DriverMatch(vendors=("ZTE",), models=r"C(300|320|6\d0)")


@pytest.fixture
def drivers() -> Drivers:
    registry = Drivers()
    registry.add("rjchronos.drivers.olt", "huawei", Huawei)
    registry.add("rjchronos.drivers.olt", "zte", Zte)
    return registry


def test_the_single_matching_driver_is_chosen(drivers: Drivers) -> None:
    facts = DeviceFacts(vendor="ZTE", model="C320")
    assert drivers.select("rjchronos.drivers.olt", facts) is Zte
    facts = DeviceFacts(vendor="Huawei", sys_object_id="1.3.6.1.4.1.2011.2.248")
    assert drivers.select("rjchronos.drivers.olt", facts) is Huawei


def test_two_matches_are_an_error_naming_both(drivers: Drivers) -> None:
    drivers.add("rjchronos.drivers.olt", "huawei-too", HuaweiToo)
    facts = DeviceFacts(vendor="Huawei", sys_object_id="1.3.6.1.4.1.2011.2.248")
    with pytest.raises(AmbiguousDriverError, match="huawei, huawei-too"):
        drivers.select("rjchronos.drivers.olt", facts)
    assert drivers.select("rjchronos.drivers.olt", facts, pinned="huawei-too") is HuaweiToo


def test_no_match_and_unknown_pin_are_errors(drivers: Drivers) -> None:
    with pytest.raises(NoDriverError, match="no driver in rjchronos.drivers.olt matches"):
        drivers.select("rjchronos.drivers.olt", DeviceFacts(vendor="Fiberhome"))
    with pytest.raises(NoDriverError, match="installed: \\['huawei', 'zte'\\]"):
        drivers.select("rjchronos.drivers.olt", DeviceFacts(), pinned="vsol")


def test_an_empty_match_matches_nothing() -> None:
    assert not DriverMatch().matches(DeviceFacts(vendor="Huawei"))


def test_a_class_outside_the_contract_is_refused(drivers: Drivers) -> None:
    with pytest.raises(TypeError, match="does not implement Notifier"):
        drivers.add("rjchronos.notifiers", "huawei", Huawei)  # type: ignore[arg-type]


def test_installed_example_notifier_is_found_through_stevedore() -> None:
    assert "log-file" in Drivers().names("rjchronos.notifiers")
