"""CPE quirks applied per device: the behaviours of the one ``rjc_cpe_quirks`` entry that matches.

Quirks are declared by plugins (``CpeQuirk``: OUI, ProductClass, software
version prefix, ``behaviours``) and matched on each Inform. The ACS knows
these behaviours:

- ``no_401_challenge`` (bool): the CPE crashes on a 401. An Inform without
  credentials is accepted without a challenge; wrong credentials get 403.
- ``max_envelopes`` (int): the ``MaxEnvelopes`` of the InformResponse (1 by default).
- ``no_gpn_next_level`` (bool): the CPE mishandles ``GetParameterNames`` with
  ``NextLevel`` true; provisioning lists tables with the whole subtree.

Two quirks matching one CPE is an error: the session goes on without
either, the log says which two, and the device gets a ``cpe.quirk_conflict``
event.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rjchronos.catalog import AmbiguousQuirkError

if TYPE_CHECKING:
    from rjchronos.kernel import Kernel
    from rjchronos_acs_tr069.messages import Inform

log = logging.getLogger(__name__)
KNOWN = frozenset({"no_401_challenge", "max_envelopes", "no_gpn_next_level"})
_SOFTWARE = ("DeviceInfo.SoftwareVersion",)


@dataclass(frozen=True)
class Applied:
    """The quirk a CPE gets: its name and behaviours, or the conflict that left it without."""

    name: str | None = None
    behaviours: dict[str, Any] = field(default_factory=dict)
    conflict: str | None = None

    @property
    def no_401_challenge(self) -> bool:
        return bool(self.behaviours.get("no_401_challenge"))

    @property
    def max_envelopes(self) -> int:
        return int(self.behaviours.get("max_envelopes", 1))

    @property
    def gpn_next_level(self) -> bool:
        return not self.behaviours.get("no_gpn_next_level")


NONE = Applied()


class QuirkCache:
    """Quirk lookups per (OUI, ProductClass, software version), for the life of the ACS app."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self._found: dict[tuple[str, str, str], Applied] = {}
        self.any_declared = bool(kernel.catalog.cpe_quirks)

    def for_inform(self, inform: Inform) -> Applied:
        if not self.any_declared:
            return NONE
        key = (inform.oui, inform.product_class, inform.parameter(*_SOFTWARE) or "")
        applied = self._found.get(key)
        if applied is None:
            applied = self._found[key] = self._lookup(*key)
        return applied

    def _lookup(self, oui: str, product_class: str, software: str) -> Applied:
        try:
            quirk = self.kernel.catalog.quirk_for(oui, product_class, software)
        except AmbiguousQuirkError as exc:
            log.error("ACS: %s; the CPE is served without quirks", exc)
            return Applied(conflict=str(exc))
        if quirk is None:
            return NONE
        unknown = set(quirk.behaviours) - KNOWN
        if unknown:
            log.warning(
                "ACS: quirk %r names behaviours the ACS does not know: %s (known: %s)",
                quirk.name,
                ", ".join(sorted(unknown)),
                ", ".join(sorted(KNOWN)),
            )
        return Applied(quirk.name, dict(quirk.behaviours))
