"""The abstract contracts of each driver namespace.

A driver class declares ``name`` and what it ``match``-es; core picks the one
driver for a device from those facts (or the driver an operator pinned).
The issues that add each kind of device flesh out their contract here.
"""

from __future__ import annotations

import asyncio
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar

from rjchronos.drivers.olt_model import (
    AuthorizeRequest,
    FirmwareUpgrade,
    Inventory,
    Listing,
    Onu,
    UnconfiguredOnu,
    WriteResult,
)


@dataclass(frozen=True)
class DeviceFacts:
    """What is known of a device when its driver is chosen."""

    vendor: str = ""
    model: str = ""
    firmware: str = ""
    sys_object_id: str = ""
    sys_descr: str = ""
    oui: str = ""
    product_class: str = ""


@dataclass(frozen=True)
class DriverMatch:
    """What a driver handles. Empty fields match anything; regexes match from the start.

    A match with no field set matches nothing, so a driver is only chosen
    for a device when it says so.
    """

    vendors: tuple[str, ...] = ()
    models: str = ""
    firmware: str = ""
    sys_object_ids: tuple[str, ...] = ()
    ouis: tuple[str, ...] = ()

    def matches(self, facts: DeviceFacts) -> bool:
        if not (self.vendors or self.models or self.firmware or self.sys_object_ids or self.ouis):
            return False
        checks = [
            not self.vendors or facts.vendor.lower() in {v.lower() for v in self.vendors},
            not self.models or bool(re.match(self.models, facts.model, re.IGNORECASE)),
            not self.firmware or bool(re.match(self.firmware, facts.firmware, re.IGNORECASE)),
            not self.sys_object_ids
            or any(facts.sys_object_id.startswith(prefix) for prefix in self.sys_object_ids),
            not self.ouis or facts.oui.upper() in {o.upper() for o in self.ouis},
        ]
        return all(checks)


class Driver(ABC):
    """Base of every driver: a name and a match."""

    name: ClassVar[str]
    match: ClassVar[DriverMatch] = DriverMatch()
    capabilities: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def matches(cls, facts: DeviceFacts) -> bool:
        return cls.match.matches(facts)


class OltCapability(StrEnum):
    """What an OLT driver can do for one firmware family."""

    IDENTIFY = "identify"
    INVENTORY = "inventory"
    LIST_ONUS = "list_onus"
    LIST_UNCONFIGURED = "list_unconfigured"
    AUTHORIZE = "authorize"
    DEAUTHORIZE = "deauthorize"
    REBOOT = "reboot"
    RESYNC = "resync"
    SET_ENABLED = "set_enabled"
    RUNNING_CONFIG = "running_config"
    UPGRADE_FIRMWARE = "upgrade_firmware"


@dataclass(frozen=True)
class FirmwareFamily:
    """A group of OLT models and firmware a driver handles the same way."""

    name: str
    match: DriverMatch
    capabilities: frozenset[OltCapability]


class UnsupportedOperation(RuntimeError):
    """The driver does not offer this operation for this OLT."""


class OltDriver(Driver):
    """Talks to one vendor's OLTs (``rjchronos.drivers.olt``).

    Constructed with the OLT's connection settings (host, credentials,
    ports); every method is async and raises an error naming the OLT on
    failure. Reads return the common model of :mod:`rjchronos.drivers.olt_model`
    with the rows they could not read; writes return a
    :class:`~rjchronos.drivers.olt_model.WriteResult`. A driver declares its
    :attr:`families`; an operation it does not offer raises
    :class:`UnsupportedOperation`.
    """

    families: ClassVar[tuple[FirmwareFamily, ...]] = ()

    def __init__(self, connection: Mapping[str, Any]) -> None:
        self.connection = connection

    @classmethod
    def matches(cls, facts: DeviceFacts) -> bool:
        return cls.match.matches(facts) or any(f.match.matches(facts) for f in cls.families)

    @classmethod
    def family_for(cls, facts: DeviceFacts) -> FirmwareFamily | None:
        """The first declared family that matches ``facts``."""
        return next((family for family in cls.families if family.match.matches(facts)), None)

    @classmethod
    def capabilities_for(cls, facts: DeviceFacts) -> frozenset[OltCapability]:
        """What the driver can do on this OLT (nothing when no family matches)."""
        family = cls.family_for(facts)
        return family.capabilities if family else frozenset()

    def _unsupported(self, operation: str) -> UnsupportedOperation:
        host = self.connection.get("host", "?")
        return UnsupportedOperation(f"driver {self.name} cannot {operation} on OLT {host}")

    @abstractmethod
    async def identify(self) -> DeviceFacts:
        """Read the OLT's vendor, model, firmware and sysObjectID."""

    @abstractmethod
    async def list_onus(self, port: str | None = None) -> Listing[Onu]:
        """Every authorized ONU (of ``port``, or of the OLT) in the common model."""

    @abstractmethod
    async def list_unconfigured_onus(self) -> Listing[UnconfiguredOnu]:
        """ONUs the OLT sees but that are not authorized."""

    async def inventory(self) -> Inventory:
        """Boards and PON ports with their states, ONU counts and optics."""
        raise self._unsupported("read the inventory")

    async def authorize(self, request: AuthorizeRequest) -> WriteResult:
        """Authorize one ONU with its service; the result records every command."""
        raise self._unsupported("authorize ONUs")

    async def deauthorize(self, port: str, onu_id: int) -> WriteResult:
        """Remove an ONU and its service ports."""
        raise self._unsupported("deauthorize ONUs")

    async def reboot(self, port: str, onu_id: int) -> WriteResult:
        """Restart an ONU."""
        raise self._unsupported("reboot ONUs")

    async def resync(self, port: str, onu_id: int) -> WriteResult:
        """Push the ONU's stored configuration to it again."""
        raise self._unsupported("resync ONUs")

    async def set_enabled(self, port: str, onu_id: int, enabled: bool) -> WriteResult:
        """Activate or deactivate an ONU without removing it."""
        raise self._unsupported("enable or disable ONUs")

    async def upgrade_firmware(self, request: FirmwareUpgrade) -> WriteResult:
        """Load a firmware file onto ONUs through the OLT (OMCI)."""
        raise self._unsupported("upgrade ONU firmware")

    async def running_config(self) -> str:
        """The OLT's running configuration, as its CLI prints it (paging off)."""
        raise self._unsupported("read the running configuration")

    async def close(self) -> None:
        """Release connections."""


class ProtocolDriver(Driver):
    """A device management protocol (``rjchronos.protocols``): TR-069 now, TR-369 later."""

    @abstractmethod
    async def request_connection(self, device: Mapping[str, Any]) -> bool:
        """Ask the device to open a management session now; whether it answered."""


@dataclass(frozen=True)
class Attachment:
    """A file sent with a notification, on channels whose type accepts attachments."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Notification:
    """A message for one recipient on one channel."""

    subject: str
    body: str
    recipient: str
    template: str = ""
    variables: Mapping[str, Any] = field(default_factory=dict)
    #: Stable across retries of this notification, so a receiver can drop duplicates.
    key: str = ""
    #: Files to send along; only notifiers whose ``NotifierType.attachments`` is set get any.
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class DeliveryResult:
    """What became of one delivery.

    ``retryable`` says whether sending the same notification again may succeed
    (the endpoint was down or throttled); ``retry_after`` is the wait in seconds
    the provider asked for, when it asked.
    """

    delivered: bool
    detail: str = ""
    provider_id: str = ""
    retryable: bool = False
    retry_after: float | None = None


class Notifier(Driver):
    """Delivers notifications on one channel type (``rjchronos.notifiers``)."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = config

    #: How many sends :meth:`send_many` runs at once by default.
    max_concurrency: int = 16

    @abstractmethod
    async def send(self, notification: Notification) -> DeliveryResult:
        """Deliver one notification; never raise for a delivery failure."""

    async def send_many(self, notifications: Sequence[Notification]) -> list[DeliveryResult]:
        """Deliver several on this channel; each one's result, in order.

        By default :meth:`send` each, :attr:`max_concurrency` at a time. A
        notifier overrides it to share what sends have in common (one HTTP
        client and its kept-alive connections, one SMTP session).
        """
        limit = asyncio.Semaphore(self.max_concurrency)

        async def one(notification: Notification) -> DeliveryResult:
            async with limit:
                return await self.send(notification)

        return list(await asyncio.gather(*(one(n) for n in notifications)))


class Analyzer(Driver):
    """Scores telemetry (``rjchronos.analyzers``).

    Streaming: :meth:`score` sees each sample once, in time order, with no
    look-ahead. Batch: :meth:`train` learns from history before streaming,
    :meth:`score_series` scores a whole series as the stream would (an
    analyzer may do it faster, never with look-ahead).
    """

    @abstractmethod
    def score(self, entity: str, metric: str, timestamp: float, value: float) -> float | None:
        """Anomaly score in [0, 1] for this sample, or None while still learning."""

    def score_series(
        self, entity: str, metric: str, timestamps: Sequence[float], values: Sequence[float]
    ) -> list[float | None]:
        """The scores :meth:`score` gives each sample of a series, in time order."""
        score = self.score
        return [score(entity, metric, t, v) for t, v in zip(timestamps, values, strict=True)]

    def train(
        self, entity: str, metric: str, timestamps: Sequence[float], values: Sequence[float]
    ) -> Mapping[str, Any]:
        """Learn from a past series; returns what was learned (empty: nothing to learn)."""
        return {}
