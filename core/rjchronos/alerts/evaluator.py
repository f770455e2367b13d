"""One thread per kernel evaluates device events in arrival order, many at a time.

A burst (a PON going down, a thousand ONUs rebooting) is drained from the
queue in batches of up to :data:`MAX_BATCH` events and evaluated with bulk
reads and writes (:func:`rjchronos.alerts.engine.on_events`); a quiet stream
goes one event at a time with no added wait. Events are submitted as they
were committed, many at once, with one future for each submission: a burst
costs the submitting loop and this thread one hand-off per commit, not one
per event.
"""

from __future__ import annotations

import logging
import queue
import threading
import weakref
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rjchronos.alerts import engine, outages
from rjchronos.alerts.models import evaluated_events
from rjchronos.events import DeviceEvent

if TYPE_CHECKING:
    from rjchronos.kernel import Kernel

log = logging.getLogger(__name__)
MAX_BATCH = 500
#: How often an idle evaluator checks whether its kernel is gone.
IDLE_CHECK_SECONDS = 30.0


@dataclass
class Item:
    """An event to evaluate: for the outage analysis, the rules, or both."""

    event: DeviceEvent
    outage: bool
    rules: bool


def item_of(kernel: Kernel, event: DeviceEvent) -> Item | None:
    """``event`` as the evaluator takes it; None when neither the rules nor outages concern it."""
    if event.type.startswith(engine.OWN_PREFIXES):
        return None
    outage, rules = outages.concerns(event), engine.may_concern(kernel, event)
    return Item(event, outage, rules) if outage or rules else None


@dataclass
class _Submission:
    items: list[Item]
    done: Future[None] = field(default_factory=Future)


class Evaluator:
    """Evaluates the events submitted to it on a thread of its own, in order."""

    def __init__(self, kernel: Kernel) -> None:
        # Weak: an evaluator must not keep a kernel nobody shut down alive.
        self._kernel = weakref.ref(kernel)
        self._queue: queue.SimpleQueue[_Submission | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="rjc-alerts", daemon=True)
        self._thread.start()

    def submit(self, items: Sequence[Item]) -> Future[None]:
        """Queue ``items`` in order; the future is done once all of them are evaluated."""
        submission = _Submission(list(items))
        self._queue.put(submission)
        return submission.done

    def shutdown(self) -> None:
        """Evaluate what is queued, then stop the thread."""
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=IDLE_CHECK_SECONDS)
            except queue.Empty:
                if self._kernel() is None:
                    return
                continue
            if first is None:
                return
            taken, stop = [first], False
            size = len(first.items)
            while size < MAX_BATCH:
                try:
                    submission = self._queue.get_nowait()
                except queue.Empty:
                    break
                if submission is None:
                    stop = True
                    break
                taken.append(submission)
                size += len(submission.items)
            try:
                self._evaluate([item for submission in taken for item in submission.items])
            finally:
                for submission in taken:
                    submission.done.set_result(None)
            if stop:
                return

    def _evaluate(self, batch: list[Item]) -> None:
        kernel = self._kernel()
        if kernel is None:
            return
        evaluate(kernel, batch)
        try:
            mark(kernel, [item.event.id for item in batch])
        except Exception:
            # The minute's recovery pass replays them: an occurrence more, nothing lost.
            log.exception("alerts: marking %d evaluated events failed", len(batch))


def evaluate(kernel: Kernel, batch: Sequence[Item]) -> None:
    """Evaluate ``batch`` in order: the outage analysis of each event, then the rules."""
    for item in batch:
        if item.outage:
            try:
                outages.on_event(kernel, item.event)
            except Exception:
                log.exception("alerts: outage analysis of event %s failed", item.event.id)
    events = [item.event for item in batch if item.rules]
    try:
        engine.on_events(kernel, events)
    except Exception:
        if len(events) == 1:
            log.exception("alerts: evaluating event %s failed", events[0].id)
            return
        # One bad event must not cost the others their evaluation.
        for event in events:
            try:
                engine.on_events(kernel, [event])
            except Exception:
                log.exception("alerts: evaluating event %s (%s) failed", event.id, event.type)


def mark(kernel: Kernel, event_ids: Sequence[int]) -> None:
    """Record ``event_ids`` as evaluated, so that the recovery pass does not replay them."""
    if not event_ids:
        return
    statement = kernel.db.insert(evaluated_events).on_conflict_do_nothing()
    with kernel.db.engine.begin() as connection:
        connection.execute(statement, [{"event_id": event_id} for event_id in event_ids])
