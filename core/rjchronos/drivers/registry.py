"""Find drivers through stevedore and pick exactly one per device."""

from __future__ import annotations

import logging
from importlib import metadata
from typing import TYPE_CHECKING, Any

from stevedore import ExtensionManager

from rjchronos.drivers.contracts import (
    Analyzer,
    DeviceFacts,
    Driver,
    Notifier,
    OltDriver,
    ProtocolDriver,
)

if TYPE_CHECKING:
    from rjchronos.kernel import Kernel

log = logging.getLogger(__name__)

#: Each driver namespace and the contract its drivers implement.
NAMESPACES: dict[str, type[Driver]] = {
    "rjchronos.drivers.olt": OltDriver,
    "rjchronos.protocols": ProtocolDriver,
    "rjchronos.notifiers": Notifier,
    "rjchronos.analyzers": Analyzer,
}


def _distribution_of(namespace: str, entry_point: Any) -> str:
    """The distribution that declares ``entry_point``.

    stevedore serves entry points from its own cache, without their
    distribution, so look it up in the installed metadata.
    """
    if getattr(entry_point, "dist", None) is not None:
        return str(entry_point.dist.metadata["Name"])
    for dist in metadata.distributions():
        for declared in dist.entry_points:
            if (declared.group, declared.name, declared.value) == (
                namespace,
                entry_point.name,
                entry_point.value,
            ):
                return str(dist.metadata["Name"])
    return ""


class NoDriverError(LookupError):
    """No driver matches a device (or none has the pinned name)."""


class AmbiguousDriverError(LookupError):
    """Two or more drivers match one device: an error, not a guess."""


class Drivers:
    """The drivers of every namespace, loaded on first use and recorded per plugin."""

    def __init__(self, kernel: Kernel | None = None) -> None:
        self.kernel = kernel
        self._drivers: dict[str, dict[str, type[Driver]]] = {}
        self.errors: dict[str, dict[str, str]] = {}

    def _load(self, namespace: str) -> dict[str, type[Driver]]:
        if namespace in self._drivers:
            return self._drivers[namespace]
        if namespace not in NAMESPACES:
            raise KeyError(f"unknown driver namespace {namespace!r}; known: {sorted(NAMESPACES)}")
        contract = NAMESPACES[namespace]
        found: dict[str, type[Driver]] = {}
        errors = self.errors.setdefault(namespace, {})

        def failed(_manager: Any, entry_point: Any, exc: BaseException) -> None:
            errors[entry_point.name] = f"{type(exc).__name__}: {exc}"
            log.error("driver %s in %s failed to load: %s", entry_point.name, namespace, exc)

        # stevedore keeps one entry point list per namespace for the whole process;
        # each kernel reads what is installed now (its own cache is keyed by sys.path).
        ExtensionManager.ENTRY_POINT_CACHE.pop(namespace, None)
        manager = ExtensionManager(namespace, on_load_failure_callback=failed)
        blocked = set(self.kernel.settings.blocked_plugins) if self.kernel else set()
        for extension in manager:
            distribution = _distribution_of(namespace, extension.entry_point)
            owner = self._owner(distribution)
            if owner in blocked:
                continue
            driver = extension.plugin
            if not (isinstance(driver, type) and issubclass(driver, contract)):
                errors[extension.name] = f"does not implement {contract.__name__}"
                continue
            found[extension.name] = driver
            if owner and self.kernel:
                self.kernel.host.records[owner].drivers.append(f"{namespace}:{extension.name}")
        self._drivers[namespace] = found
        return found

    def _owner(self, distribution: str) -> str | None:
        if not self.kernel or not distribution:
            return None
        for record in self.kernel.host.records.values():
            if record.distribution == distribution:
                return record.name
        return None

    def add(self, namespace: str, name: str, driver: type[Driver]) -> None:
        """Register a driver without an entry point (tests, built-ins)."""
        contract = NAMESPACES[namespace]
        if not issubclass(driver, contract):
            raise TypeError(f"{driver.__name__} does not implement {contract.__name__}")
        self._load(namespace)[name] = driver

    def names(self, namespace: str) -> list[str]:
        return sorted(self._load(namespace))

    def get(self, namespace: str, name: str) -> type[Driver]:
        """The driver called ``name`` (configuration or an operator's pin picked it)."""
        drivers = self._load(namespace)
        if name not in drivers:
            raise NoDriverError(f"no driver {name!r} in {namespace}; installed: {sorted(drivers)}")
        return drivers[name]

    def select(self, namespace: str, facts: DeviceFacts, pinned: str | None = None) -> type[Driver]:
        """The one driver for a device: the pinned one, else the single match."""
        if pinned:
            return self.get(namespace, pinned)
        matches = sorted(
            name for name, driver in self._load(namespace).items() if driver.matches(facts)
        )
        if not matches:
            raise NoDriverError(f"no driver in {namespace} matches {facts}")
        if len(matches) > 1:
            raise AmbiguousDriverError(
                f"drivers {', '.join(matches)} in {namespace} all match {facts}: "
                "pin one for this device or narrow their matches"
            )
        return self._load(namespace)[matches[0]]

    def listing(self) -> dict[str, Any]:
        """Driver names per namespace, with load errors."""
        return {
            namespace: {
                "drivers": self.names(namespace),
                "errors": dict(self.errors.get(namespace, {})),
            }
            for namespace in NAMESPACES
        }
