"""Drivers: one named implementation picked per device or per configuration (stevedore)."""

from rjchronos.drivers.contracts import (
    Analyzer,
    DeviceFacts,
    Driver,
    DriverMatch,
    FirmwareFamily,
    Notifier,
    OltCapability,
    OltDriver,
    ProtocolDriver,
    UnsupportedOperation,
)
from rjchronos.drivers.registry import NAMESPACES, AmbiguousDriverError, Drivers, NoDriverError

__all__ = [
    "NAMESPACES",
    "AmbiguousDriverError",
    "Analyzer",
    "DeviceFacts",
    "Driver",
    "DriverMatch",
    "Drivers",
    "FirmwareFamily",
    "NoDriverError",
    "Notifier",
    "OltCapability",
    "OltDriver",
    "ProtocolDriver",
    "UnsupportedOperation",
]
