"""What plugins declare through hooks about protocols, analyzers, notifiers and quirks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ProtocolEndpoint:
    """A device-facing listener, such as the CWMP ACS, served on its own port.

    :param name: short name, also the server role that runs it alone.
    :param app_factory: builds the ASGI application from the kernel.
    :param port_option: the ``Settings.options`` key holding its port.
    :param default_port: the port when the option is not set.
    :param certfile: with ``keyfile``, a PEM certificate (chain) to serve HTTPS with.
    :param keyfile: the PEM private key of ``certfile``.
    """

    name: str
    app_factory: Callable[[Any], Any]
    port_option: str
    default_port: int
    certfile: str = ""
    keyfile: str = ""


@dataclass(frozen=True)
class AnalyzerSpec:
    """An analyzer that scores telemetry or events.

    :param name: the analyzer's name (also its ``rjchronos.analyzers`` driver).
    :param metrics: the metrics it scores; empty means any.
    :param mode: ``streaming`` (score each sample) or ``batch``.
    :param expensive: a series costs it milliseconds or more (training a model): the
        ``ai.scan`` job runs it within its time budget, taking the devices it did not
        reach first in the next scan.
    """

    name: str
    metrics: tuple[str, ...] = ()
    mode: str = "streaming"
    description: str = ""
    expensive: bool = False


@dataclass(frozen=True)
class NotifierType:
    """A notification channel type.

    :param name: the channel type (``email``, ``webhook``, ...), also its
        ``rjchronos.notifiers`` driver name.
    :param config_schema: JSON Schema of a channel's configuration.
    :param secret_fields: configuration keys stored encrypted.
    :param attachments: its notifier sends ``Notification.attachments`` (email does).
    """

    name: str
    title: str
    config_schema: Mapping[str, Any] = field(default_factory=dict)
    secret_fields: tuple[str, ...] = ()
    attachments: bool = False


@dataclass(frozen=True)
class CpeQuirk:
    """A declared deviation of a CPE family from the protocol.

    Matching is by OUI, ProductClass (``None`` matches any) and a software
    version prefix; ``behaviours`` names the workarounds to apply.
    """

    name: str
    oui: str
    product_class: str | None = None
    software_prefix: str = ""
    behaviours: Mapping[str, Any] = field(default_factory=dict)
    defined_in: str = ""

    def matches(self, oui: str, product_class: str, software_version: str) -> bool:
        """Whether this quirk applies to a device with these identities."""
        return (
            self.oui.upper() == oui.upper()
            and (self.product_class is None or self.product_class == product_class)
            and software_version.startswith(self.software_prefix)
        )


@dataclass(frozen=True)
class ProvisioningExtension:
    """Adds to a device's desired state before the provisioning engine converges it.

    ``extend`` receives the device and the desired state (a mapping of
    parameter paths to values) and returns the state to use.
    """

    name: str
    extend: Callable[[Any, Mapping[str, Any]], Awaitable[Mapping[str, Any]]]
