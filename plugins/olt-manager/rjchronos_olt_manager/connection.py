"""From a stored OLT to a working driver: connection settings, identification, selection."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rjchronos.drivers.contracts import DeviceFacts, OltDriver, UnsupportedOperation
from rjchronos.drivers.olt_model import OltCommandError
from rjchronos.drivers.registry import AmbiguousDriverError, NoDriverError
from rjchronos.inventory.models import Device
from rjchronos_olt_manager.models import OltConnection

if TYPE_CHECKING:
    from rjchronos.kernel import Kernel

NAMESPACE = "rjchronos.drivers.olt"


class DriverChoiceError(LookupError):
    """No driver, or more than one, fits the OLT; the message says which and what to do."""


@dataclass(frozen=True)
class Olt:
    """An OLT as the collectors and the API use it: the device and its connection row."""

    device: Device
    settings: OltConnection

    @property
    def id(self) -> str:
        return self.device.id


def connection_settings(kernel: Kernel, olt: Olt) -> dict[str, Any]:
    """The settings a driver is built from, secrets decrypted."""
    row = olt.settings
    settings: dict[str, Any] = {
        "host": olt.device.management_address,
        "ssh_port": row.ssh_port,
        "username": row.username,
        "password": kernel.secrets.decrypt(row.password_encrypted)
        if row.password_encrypted
        else "",
        "timeout": row.timeout_seconds,
        "transport": row.transport,
        "telnet_port": row.telnet_port,
    }
    if row.enable_password_encrypted:
        settings["enable_password"] = kernel.secrets.decrypt(row.enable_password_encrypted)
    if row.snmp_tree:
        settings["snmp_tree"] = row.snmp_tree
    if row.default_vlan is not None:
        settings["default_vlan"] = row.default_vlan
    if row.community_encrypted:
        settings |= {
            "snmp_port": row.snmp_port,
            "community": kernel.secrets.decrypt(row.community_encrypted),
            "snmp_timeout": min(row.timeout_seconds, 5.0),
        }
    return settings


def stored_facts(device: Device) -> DeviceFacts:
    return DeviceFacts(vendor=device.vendor, model=device.model, firmware=device.firmware)


def _candidates(kernel: Kernel, olt: Olt) -> list[type[OltDriver]]:
    """Drivers worth asking to identify the OLT: the pinned one, else those its record fits."""
    if olt.settings.driver:
        return [_driver(kernel, olt.settings.driver)]
    names = kernel.drivers.names(NAMESPACE)
    drivers = [_driver(kernel, name) for name in names]
    fitting = [d for d in drivers if d.matches(stored_facts(olt.device))]
    vendor = olt.device.vendor.lower()
    same_vendor = [d for d in drivers if vendor and vendor in d.name.lower()]
    return fitting or same_vendor or drivers


def _driver(kernel: Kernel, name: str) -> type[OltDriver]:
    try:
        driver = kernel.drivers.get(NAMESPACE, name)
    except NoDriverError as exc:
        raise DriverChoiceError(str(exc)) from None
    assert issubclass(driver, OltDriver)
    return driver


def select(kernel: Kernel, olt: Olt, facts: DeviceFacts) -> type[OltDriver]:
    """The driver for ``facts``, or the pinned one; :class:`DriverChoiceError` if none or many."""
    try:
        driver = kernel.drivers.select(NAMESPACE, facts, olt.settings.driver or None)
    except (NoDriverError, AmbiguousDriverError) as exc:
        raise DriverChoiceError(str(exc)) from None
    assert issubclass(driver, OltDriver)
    return driver


async def identify(kernel: Kernel, olt: Olt) -> tuple[DeviceFacts, type[OltDriver]]:
    """Ask the OLT who it is, then pick its driver from the answer.

    A connection error (unreachable, refused login, SNMP timeout) is raised
    as it comes; a driver that cannot identify this OLT gives way to the
    next candidate, and when none can the stored vendor and model decide.
    """
    settings = connection_settings(kernel, olt)
    facts: DeviceFacts | None = None
    for candidate in _candidates(kernel, olt):
        driver = candidate(settings)
        try:
            facts = await driver.identify()
            break
        except (UnsupportedOperation, OltCommandError):
            continue
        finally:
            await driver.close()
    facts = facts or stored_facts(olt.device)
    return facts, select(kernel, olt, facts)


@contextlib.asynccontextmanager
async def open_driver(kernel: Kernel, olt: Olt) -> AsyncIterator[OltDriver]:
    """The OLT's driver, built from its settings and closed afterwards.

    The stored vendor and model choose it (set by the last identification);
    when they do not, the OLT is asked.
    """
    try:
        driver_class = select(kernel, olt, stored_facts(olt.device))
    except DriverChoiceError:
        _, driver_class = await identify(kernel, olt)
    driver = driver_class(connection_settings(kernel, olt))
    try:
        yield driver
    finally:
        await driver.close()
