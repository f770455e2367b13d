"""What plugins declare that no single built-in owns, collected and checked.

Event types, notifier types, analyzer specs, CPE quirks and provisioning
extensions come from any number of plugins. The :class:`Catalog` of a kernel
gathers each kind once, checks that every entry has the right type and that
no name is declared twice, and answers the questions core asks of them:
which quirk applies to this CPE, what is this device's desired state after
every extension has had its say.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from rjchronos.events import EventType
from rjchronos.plugins.declarations import (
    AnalyzerSpec,
    CpeQuirk,
    NotifierType,
    ProvisioningExtension,
)
from rjchronos.plugins.host import PluginError

if TYPE_CHECKING:
    from rjchronos.kernel import Kernel


class _Named(Protocol):
    @property
    def name(self) -> str: ...


T = TypeVar("T", bound=_Named)


class CatalogError(PluginError):
    """A declaration is malformed or clashes with another; the message names the plugins."""


class AmbiguousQuirkError(CatalogError):
    """Two quirks match one CPE: an error, not a guess."""


class Catalog:
    """The declarations of one kernel's plugins, collected on first use."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        #: ``(kind, name) -> plugin`` of every entry collected so far.
        self.owner: dict[tuple[str, str], str] = {}

    # -- collections ----------------------------------------------------------

    @cached_property
    def event_types(self) -> dict[str, EventType]:
        """Every declared device event type, by name."""
        return self._unique("rjc_event_types", EventType, "event type")

    @cached_property
    def notifier_types(self) -> dict[str, NotifierType]:
        """Every declared notification channel type, by name."""
        return self._unique("rjc_notifier_types", NotifierType, "notifier type")

    @cached_property
    def analyzers(self) -> dict[str, AnalyzerSpec]:
        """Every declared analyzer, by name."""
        return self._unique("rjc_analyzers", AnalyzerSpec, "analyzer")

    @cached_property
    def cpe_quirks(self) -> dict[str, CpeQuirk]:
        """Every declared CPE quirk by name, ``defined_in`` set to its plugin when left empty."""
        quirks = self._unique("rjc_cpe_quirks", CpeQuirk, "CPE quirk")
        return {
            name: quirk
            if quirk.defined_in
            else dataclasses.replace(quirk, defined_in=self.owner[("CPE quirk", name)])
            for name, quirk in quirks.items()
        }

    @cached_property
    def provisioning_extensions(self) -> list[tuple[str, ProvisioningExtension]]:
        """Provisioning extensions with their plugin, in plugin registration order."""
        label = "provisioning extension"
        named = self._unique("rjc_provisioning_extensions", ProvisioningExtension, label)
        # Hooks answer later plugins first; the chain runs core's and early plugins' first.
        return [(self.owner[(label, name)], ext) for name, ext in reversed(named.items())]

    def check(self) -> None:
        """Collect every kind now, so a clash stops start-up instead of a later request."""
        for attribute in (
            "event_types",
            "notifier_types",
            "analyzers",
            "cpe_quirks",
            "provisioning_extensions",
        ):
            getattr(self, attribute)

    # -- questions ------------------------------------------------------------

    def quirk_for(self, oui: str, product_class: str, software_version: str) -> CpeQuirk | None:
        """The one quirk that applies to a CPE, or ``None``.

        :raises AmbiguousQuirkError: when two quirks match, naming both and
            the plugins that defined them.
        """
        matches = [
            quirk
            for quirk in self.cpe_quirks.values()
            if quirk.matches(oui, product_class, software_version)
        ]
        if len(matches) > 1:
            described = " and ".join(self._describe_quirk(q) for q in matches)
            raise AmbiguousQuirkError(
                f"CPE {oui}/{product_class}/{software_version} matches quirks {described}: "
                "narrow their OUI, ProductClass or software prefix"
            )
        return matches[0] if matches else None

    def _describe_quirk(self, quirk: CpeQuirk) -> str:
        plugin = self.owner[("CPE quirk", quirk.name)]
        where = f", defined in {quirk.defined_in}" if quirk.defined_in != plugin else ""
        return f"{quirk.name!r} (plugin {plugin}{where})"

    async def apply_provisioning_extensions(
        self, device: Any, desired: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Pass the desired state through every extension in turn and return the result.

        Each extension gets a copy of the state the previous one returned.

        :raises CatalogError: when an extension fails or returns something
            other than a mapping, naming the extension and its plugin.
        """
        state: dict[str, Any] = dict(desired)
        for plugin, extension in self.provisioning_extensions:
            try:
                result = await extension.extend(device, dict(state))
            except Exception as exc:
                raise CatalogError(
                    f"provisioning extension {extension.name!r} of plugin {plugin} failed: "
                    f"{type(exc).__name__}: {exc}"
                ) from exc
            if not isinstance(result, Mapping):
                raise CatalogError(
                    f"provisioning extension {extension.name!r} of plugin {plugin} returned "
                    f"{type(result).__name__}, expected a mapping of parameter paths to values"
                )
            state = dict(result)
        return state

    # -- collection helper ------------------------------------------------------

    def _unique(self, hook_name: str, kind: type[T], label: str) -> dict[str, T]:
        collected: dict[str, T] = {}
        pairs = self.kernel.host.results_with_plugins(hook_name, kernel=self.kernel)
        for plugin, declared in pairs:
            for entry in declared:
                if not isinstance(entry, kind):
                    raise CatalogError(
                        f"plugin {plugin}: {hook_name} returned {entry!r}, expected {kind.__name__}"
                    )
                name = entry.name
                if name in collected:
                    first = self.owner[(label, name)]
                    raise CatalogError(
                        f"{label} {name!r} is declared by both {first} and {plugin}"
                        if first != plugin
                        else f"{label} {name!r} is declared twice by {plugin}"
                    )
                collected[name] = entry
                self.owner[(label, name)] = plugin
        return collected


async def apply_provisioning_extensions(
    kernel: Kernel, device: Any, desired: Mapping[str, Any]
) -> dict[str, Any]:
    """Chain the kernel's provisioning extensions over ``desired`` for ``device``."""
    catalog: Catalog = kernel.catalog
    return await catalog.apply_provisioning_extensions(device, desired)


__all__ = ["AmbiguousQuirkError", "Catalog", "CatalogError", "apply_provisioning_extensions"]
