"""Device status over a period, rebuilt from the ``device.status_changed`` timeline.

The inventory service emits ``device.status_changed`` (``from``, ``to``) on
every transition, whoever reported it (the OLT collector, traps, the ACS),
so the timeline is the one record of how long each device was in each
state. A device's status at the period's start is the ``from`` of its
first transition in the period; without one, the ``from`` of its first
transition after the period; without any, its current status. A device
counts only from its creation.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlmodel import Session

from rjchronos.inventory.models import device_events, devices

EVENT = "device.status_changed"
#: States in which a device delivers service.
UP = frozenset({"online", "degraded"})
#: States in which it does not. Anything else (unknown, disabled) is not measured.
DOWN = frozenset({"offline", "los", "dying_gasp"})
_CHUNK = 900


@dataclass(frozen=True)
class Timeline:
    """A device's status from ``start`` on: ``times[i]`` begins ``statuses[i]``."""

    times: Sequence[datetime]
    statuses: Sequence[str | None]

    def status_at(self, when: datetime) -> str | None:
        index = bisect.bisect_right(self.times, when) - 1
        return self.statuses[index] if index >= 0 else None

    def seconds(self, start: datetime, end: datetime) -> tuple[float, float]:
        """Seconds up and seconds down within ``[start, end)``."""
        up = down = 0.0
        bounds = [*self.times[1:], end]
        for begin, stop, status in zip(self.times, bounds, self.statuses, strict=True):
            lo, hi = max(begin, start), min(stop, end)
            if hi <= lo:
                continue
            if status in UP:
                up += (hi - lo).total_seconds()
            elif status in DOWN:
                down += (hi - lo).total_seconds()
        return up, down


def _chunks(ids: Sequence[str]) -> Iterable[Sequence[str]]:
    for offset in range(0, len(ids), _CHUNK):
        yield ids[offset : offset + _CHUNK]


def timelines(
    session: Session, device_ids: Sequence[str], start: datetime, end: datetime
) -> dict[str, Timeline]:
    """The timeline of each device over ``[start, end)``.

    Reads only the transitions from ``start`` on: the status a device
    entered the period with is the ``from`` of its first transition in the
    period, or else of its first one after the period (nothing changed in
    between), or else its current status. The cost follows the events since
    the period began, never the whole history.
    """
    e = device_events.c
    wanted = set(device_ids)
    created: dict[str, datetime] = {}
    current: dict[str, str] = {}
    for chunk in _chunks(sorted(wanted)):
        rows = session.execute(
            select(devices.c.id, devices.c.created_at, devices.c.status).where(
                devices.c.id.in_(chunk)
            )
        )
        for device_id, created_at, status in rows:
            created[device_id], current[device_id] = created_at, status
    changes: dict[str, list[tuple[datetime, str, str]]] = {}
    in_period = (
        select(e.device_id, e.time, e.payload)
        .where(e.type == EVENT, e.time >= start, e.time < end)
        .order_by(e.time, e.id)
    )
    for device_id, time, payload in session.execute(in_period):
        if device_id in wanted:
            changes.setdefault(device_id, []).append(
                (time, str(payload.get("from")), str(payload.get("to")))
            )
    after: dict[str, str] = {}
    if len(changes) < len(created):
        first_after = (
            select(func.min(e.id)).where(e.type == EVENT, e.time >= end).group_by(e.device_id)
        )
        for device_id, payload in session.execute(
            select(e.device_id, e.payload).where(e.id.in_(first_after))
        ):
            after[device_id] = str(payload.get("from"))
    found: dict[str, Timeline] = {}
    for device_id, created_at in created.items():
        own = changes.get(device_id, [])
        first = own[0][1] if own else after.get(device_id, current[device_id])
        times: list[datetime] = [start]
        statuses: list[str | None] = [first]
        if created_at > start:
            # Not there yet: nothing to measure until it was created.
            times, statuses = [start, created_at], [None, first]
        for time, _, to in own:
            if time <= times[-1]:
                statuses[-1] = to
            else:
                times.append(time)
                statuses.append(to)
        found[device_id] = Timeline(times, statuses)
    return found


def combined_seconds(
    lines: Sequence[Timeline], start: datetime, end: datetime
) -> tuple[float, float]:
    """Seconds up and down of a group that is down while any measured member is down.

    A customer with two ONUs is out of service while either is; the group
    is measured whenever at least one member is.
    """
    points = sorted({start, *(t for line in lines for t in line.times if start < t < end)})
    up = down = 0.0
    for begin, stop in zip(points, [*points[1:], end], strict=True):
        states = [line.status_at(begin) for line in lines]
        width = (stop - begin).total_seconds()
        if any(s in DOWN for s in states):
            down += width
        elif any(s in UP for s in states):
            up += width
    return up, down


def availability(up: float, down: float) -> float | None:
    """Percent of the measured time in service; ``None`` when nothing was measured."""
    measured = up + down
    return round(100.0 * up / measured, 4) if measured > 0 else None
