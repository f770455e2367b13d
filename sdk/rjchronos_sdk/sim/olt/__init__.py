"""A virtual OLT (Huawei MA5800 or ZTE C320) for driver tests and demos.

:class:`OltSimulator` serves one :class:`OltState` over SSH (the vendor's CLI,
prompts, pager and errors) and SNMPv2c (the vendor's OIDs and index
encodings) on 127.0.0.1. Inject faults with its ``los``, ``dying_gasp``,
``offline``, ``recover`` and ``new_unconfigured`` methods; both protocols show
them at once.
"""

from rjchronos_sdk.sim.olt.simulator import OltSimulator
from rjchronos_sdk.sim.olt.state import (
    OltError,
    OltState,
    Onu,
    OnuStatus,
    PonPort,
    ServicePort,
    UnconfiguredOnu,
    Vendor,
    new_state,
)

__all__ = [
    "OltError",
    "OltSimulator",
    "OltState",
    "Onu",
    "OnuStatus",
    "PonPort",
    "ServicePort",
    "UnconfiguredOnu",
    "Vendor",
    "new_state",
]
