"""Latency per neighbourhood: the ``acs.latency.sample`` job.

Every ``latency_sample_seconds`` the job draws, in each neighbourhood, up to
``latency_sample_size`` online CPEs at random (a CPE's neighbourhood is its
own site's, else its customer's), queues an IPPing diagnostic of
``latency_ping_host`` on each through the ACS's diagnostics path, and sends
them connection requests. A CPE whose previous sample is still pending or
running is not drawn again. When a CPE reports the test complete, its round
trips and loss become telemetry (:mod:`latency_samples`), which
``GET /api/v1/telemetry/query?group_by=neighbourhood&kind=cpe`` aggregates.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from rjchronos.telemetry import aggregates
from rjchronos_acs_tr069 import PLUGIN, api_diagnostics, campaigns
from rjchronos_acs_tr069.models import task_rows

if TYPE_CHECKING:
    from rjchronos.kernel import Kernel

JOB_TYPE = "acs.latency.sample"
ACTOR = "acs.latency"
DEFAULT_SIZE = 5
DEFAULT_COUNT = 5
DEFAULT_TIMEOUT_MS = 1000
#: Every CPE, whatever the scopes of anyone: the job runs for the whole network.
_ALL: list[str | None] = [None]


@dataclass
class Draw:
    """What one run queued: task ids per neighbourhood, and the CPEs to wake."""

    tasks: dict[str, list[str]] = field(default_factory=dict)
    devices: list[str] = field(default_factory=list)
    busy: int = 0
    refused: int = 0


def interval(kernel: Kernel) -> float:
    """``latency_sample_seconds``: how often the job runs (0: never)."""
    return float(kernel.plugin_settings(PLUGIN).get("latency_sample_seconds", 0) or 0)


def ping_body(settings: Mapping[str, Any]) -> dict[str, Any]:
    """The IPPing the settings ask for, as the diagnostics API takes it."""
    return {
        "type": "ping",
        "host": str(settings["latency_ping_host"]),
        "count": int(settings.get("latency_ping_count", DEFAULT_COUNT)),
        "timeout_ms": int(settings.get("latency_ping_timeout_ms", DEFAULT_TIMEOUT_MS)),
    }


def draw(kernel: Kernel, rng: random.Random) -> Draw:
    """Queue this run's IPPing diagnostics (see the module's description)."""
    settings = kernel.plugin_settings(PLUGIN)
    body = ping_body(settings)
    size = int(settings.get("latency_sample_size", DEFAULT_SIZE))
    every = interval(kernel)
    # A sample not run by the next draw is stale: it expires then.
    ttl = float(settings.get("diagnostics_ttl_seconds", api_diagnostics.DEFAULT_DIAGNOSTICS_TTL))
    ttl = min(ttl, every) if every > 0 else ttl
    with kernel.db.session() as session:
        hoods = aggregates.members(session, "neighbourhood", "cpe", _ALL, status="online")
        regions = {
            m.device_id: m.key
            for m in aggregates.members(session, "region", "cpe", _ALL, status="online")
        }
        busy = _sampling(session)
    candidates: dict[str, list[str]] = {}
    for member in hoods:
        if member.key != aggregates.NONE_KEY:
            candidates.setdefault(member.key, []).append(member.device_id)
    found = Draw()
    for hood, device_ids in sorted(candidates.items()):
        free = [d for d in device_ids if d not in busy]
        found.busy += len(device_ids) - len(free)
        for device_id in rng.sample(free, min(size, len(free))):
            sample = {
                "neighbourhood": hood,
                "region": regions.get(device_id, ""),
                "host": body["host"],
            }
            try:
                task = api_diagnostics.queue_diagnostics(
                    kernel, device_id, body, actor=ACTOR, ttl=ttl, extra={"sample": sample}
                )
            except api_diagnostics.NoDataModel:
                found.refused += 1
                continue
            found.tasks.setdefault(hood, []).append(task.id)
            found.devices.append(device_id)
    return found


def _sampling(session: Any) -> set[str]:
    """CPEs with a latency sample pending or running."""
    rows = session.execute(
        select(task_rows.c.device_id, task_rows.c.params).where(
            task_rows.c.type == "diagnostics", task_rows.c.status.in_(("pending", "running"))
        )
    )
    return {device_id for device_id, params in rows if (params or {}).get("sample")}


async def run_job(kernel: Kernel, params: Mapping[str, Any]) -> dict[str, Any]:
    """The ``acs.latency.sample`` job: queue the draw, wake the CPEs, audit what was done."""
    settings = kernel.plugin_settings(PLUGIN)
    if not settings.get("latency_ping_host"):
        return {"queued": 0, "skipped": "latency_ping_host is not set"}
    rng = random.Random(params.get("seed"))  # noqa: S311 - a sample, not a secret
    found = await asyncio.to_thread(draw, kernel, rng)
    reached = await campaigns.reach(kernel, found.devices) if found.devices else 0
    summary = {
        "neighbourhoods": {hood: len(ids) for hood, ids in found.tasks.items()},
        "queued": len(found.devices),
        "busy": found.busy,
        "no_data_model": found.refused,
        "connection_requests": reached,
        "host": settings["latency_ping_host"],
    }
    await asyncio.to_thread(
        kernel.audit.record,
        actor=ACTOR,
        action="acs.latency.sample",
        target="devices",
        params={**summary, "tasks": [t for ids in found.tasks.values() for t in ids]},
    )
    return summary
