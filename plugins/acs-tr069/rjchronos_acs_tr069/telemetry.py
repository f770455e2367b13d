"""Telemetry from CWMP sessions: the parameters of interest become samples.

Every value a session learns (the Inform's parameters, answers to
GetParameterValues) is looked up in :data:`names.METRICS` and the Wi-Fi
client tables, and the WAN connections' status (:mod:`wan_errors`); matches
go to ``kernel.telemetry.write``. With
``telemetry_read_seconds`` above 0, a session also reads those parameters
itself (one GetParameterValues at the end of the session) when this process
last read the device longer ago than that.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

from sqlalchemy import select

from rjchronos.db.types import utcnow
from rjchronos.telemetry.store import Sample
from rjchronos_acs_tr069 import PLUGIN, names, wan_errors
from rjchronos_acs_tr069.models import parameters
from rjchronos_acs_tr069.soap import AcsRequest

if TYPE_CHECKING:
    from rjchronos.kernel import Kernel
    from rjchronos_acs_tr069.sessions import CwmpSession

log = logging.getLogger(__name__)
#: Device id -> ``time.monotonic()`` of this process's last telemetry read of it.
_last_read: dict[str, float] = {}


def samples_of(device_id: str, values: Mapping[str, str | None]) -> list[Sample]:
    """The telemetry samples ``values`` carry, stamped now (PPPoE and DHCP errors included)."""
    now = utcnow()
    found = [Sample(device_id + sfx, metric, now, v) for sfx, metric, v in names.samples(values)]
    found += [
        Sample(device_id, r.metric, now, r.value, r.labels) for r in wan_errors.readings(values)
    ]
    return found


def write(kernel: Kernel, batch: list[Sample]) -> int:
    """Hand samples to the telemetry store; a failure is logged, never raised into the session."""
    try:
        return kernel.telemetry.write(batch)
    except Exception:
        log.exception("ACS: %d telemetry samples were not stored", len(batch))
        return 0


def due(kernel: Kernel, device_id: str) -> bool:
    """Whether this session should read the device's telemetry parameters itself."""
    every = float(kernel.plugin_settings(PLUGIN).get("telemetry_read_seconds", 0) or 0)
    if every <= 0:
        return False
    last = _last_read.get(device_id)
    return last is None or time.monotonic() - last >= every


def request(kernel: Kernel, session: CwmpSession) -> AcsRequest | None:
    """The GetParameterValues of the telemetry parameters the stored tree holds, if any.

    Only paths the device is known to have are asked for: one unknown path
    would make the CPE refuse the whole request (fault 9005).
    """
    _last_read[session.device_id] = time.monotonic()
    with kernel.db.session() as db:
        stored = db.execute(
            select(parameters.c.path).where(parameters.c.device_id == session.device_id).limit(1)
        ).scalar()
        root = names.root_of([stored]) if stored else None
        if root is None:
            return None
        wanted = names.telemetry_paths(root)
        leaves = [p for p in wanted if not p.endswith(".")]
        tables = [p for p in wanted if p.endswith(".")]
        known = set(
            db.execute(
                select(parameters.c.path).where(
                    parameters.c.device_id == session.device_id, parameters.c.path.in_(wanted)
                )
            ).scalars()
        )
    paths = [p for p in leaves if p in known] + [p for p in tables if p in known]
    return AcsRequest("GetParameterValues", {"names": paths}) if paths else None
