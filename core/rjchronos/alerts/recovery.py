"""Events whose evaluation a crash cut off are evaluated by the minute's pass.

An event is stored and committed before any evaluator sees it, and a process
can die in between (or with events still queued on its evaluator). Evaluators
mark what they evaluated (``alert_evaluated_events``). The recovery pass, run
by the ``alerts.evaluate`` job, reads the events stored after its cursor
(``alert_recovery_cursors``) that are older than :data:`GRACE`, replays those
the rules or the outage analysis concern and no evaluator marked, then moves
the cursor past them and forgets the marks behind it.

An unmarked event is not replayed when a later event of the same device was
evaluated: replaying it could undo what the later one did (a LOS after its
recovery would reopen the alert). A replayed event that an evaluator had in
fact evaluated but not yet marked counts as one more occurrence of its alert,
never as a second alert: an alert's dedup key allows one unresolved alert.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from rjchronos.alerts.evaluator import evaluate, item_of
from rjchronos.alerts.models import evaluated_events, recovery_cursors
from rjchronos.db.types import utcnow
from rjchronos.events import DeviceEvent
from rjchronos.inventory.models import device_events

if TYPE_CHECKING:
    from rjchronos.kernel import Kernel

log = logging.getLogger(__name__)
#: Events younger than this are left to the evaluator of the process that stored them.
GRACE = timedelta(seconds=120)
#: Events read at a time; a pass reads on until it reaches the young ones.
MAX_EVENTS = 20_000
CURSOR = "events"


def recover(kernel: Kernel, now: datetime | None = None, limit: int = MAX_EVENTS) -> dict[str, int]:
    """Replay the unevaluated events stored since the last pass, ``limit`` events at a time.

    How many were replayed, and how many skipped because a later event of
    their device was evaluated.
    """
    cutoff = (now or utcnow()) - GRACE
    totals = {"replayed": 0, "superseded": 0}
    more = True
    while more:
        replayed, superseded, more = _recover_span(kernel, cutoff, limit)
        totals["replayed"] += replayed
        totals["superseded"] += superseded
    counted = kernel.metrics.counter(
        "rjc_alert_events_recovered",
        "Device events no evaluator finished, replayed or skipped by the recovery pass",
        ["outcome"],
    )
    for outcome, count in totals.items():
        counted.labels(outcome).inc(count)
    return totals


def _recover_span(kernel: Kernel, cutoff: datetime, limit: int) -> tuple[int, int, bool]:
    """Replay up to ``limit`` events after the cursor; (replayed, superseded, more to read)."""
    with kernel.db.session() as session:
        through = session.execute(
            select(recovery_cursors.c.through).where(recovery_cursors.c.name == CURSOR)
        ).scalar_one_or_none()
        if through is None:
            return 0, 0, False
        rows = session.execute(
            select(device_events)
            .where(device_events.c.id > through)
            .order_by(device_events.c.id)
            .limit(limit)
        ).all()
        # The cursor stops before the first event that is too young: ids come in insert order.
        span = []
        for row in rows:
            if row.time >= cutoff:
                break
            span.append(DeviceEvent.of_row(row))
        if not span:
            return 0, 0, False
        last = span[-1].id
        marked = set(
            session.execute(
                select(evaluated_events.c.event_id).where(
                    evaluated_events.c.event_id > through, evaluated_events.c.event_id <= last
                )
            ).scalars()
        )
        concerned = [
            item
            for item in (item_of(kernel, event) for event in span if event.id not in marked)
            if item is not None
        ]
        latest = _latest_evaluated(session, through, {i.event.device_id for i in concerned})
    items = [i for i in concerned if latest.get(i.event.device_id or "", 0) < i.event.id]
    superseded = len(concerned) - len(items)
    if items:
        log.warning(
            "alerts: replaying %d events no evaluator finished (ids %d to %d)",
            len(items),
            items[0].event.id,
            items[-1].event.id,
        )
        evaluate(kernel, items)
    with kernel.db.engine.begin() as connection:
        moved = connection.execute(
            update(recovery_cursors)
            .where(recovery_cursors.c.name == CURSOR, recovery_cursors.c.through == through)
            .values(through=last)
        ).rowcount
        if moved:
            connection.execute(delete(evaluated_events).where(evaluated_events.c.event_id <= last))
    # Another pass moved the cursor meanwhile, or a young event ends the span: done for now.
    return len(items), superseded, bool(moved) and len(span) == limit


def _latest_evaluated(
    session: Session, through: int, device_ids: set[str | None]
) -> dict[str, int]:
    """Per device, the id of its last event after ``through`` that an evaluator marked."""
    wanted = [device_id for device_id in device_ids if device_id]
    if not wanted:
        return {}
    rows = session.execute(
        select(device_events.c.device_id, func.max(device_events.c.id))
        .join(evaluated_events, evaluated_events.c.event_id == device_events.c.id)
        .where(device_events.c.id > through, device_events.c.device_id.in_(wanted))
        .group_by(device_events.c.device_id)
    ).all()
    return {device_id: latest for device_id, latest in rows}
