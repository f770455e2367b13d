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
from rjchronos.events import DeviceEvent

if TYPE_CHECKING:
    from rjchronos.kernel import Kernel

log = logging.getLogger(__name__)
MAX_BATCH = 500
#: How often an idle evaluator checks whether its kernel is gone.
IDLE_CHECK_SECONDS = 30.0


@dataclass
class _Item:
    event: DeviceEvent
    outage: bool
    rules: bool


@dataclass
class _Submission:
    items: list[_Item]
    done: Future[None] = field(default_factory=Future)


class Evaluator:
    """Evaluates the events submitted to it on a thread of its own, in order."""

    def __init__(self, kernel: Kernel) -> None:
        # Weak: an evaluator must not keep a kernel nobody shut down alive.
        self._kernel = weakref.ref(kernel)
        self._queue: queue.SimpleQueue[_Submission | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="rjc-alerts", daemon=True)
        self._thread.start()

    def submit(self, events: Sequence[tuple[DeviceEvent, bool, bool]]) -> Future[None]:
        """Queue ``(event, outage, rules)`` in order: each event for the outage analysis
        and/or the rules. The future is done once all of them are evaluated."""
        submission = _Submission([_Item(*entry) for entry in events])
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

    def _evaluate(self, batch: list[_Item]) -> None:
        kernel = self._kernel()
        if kernel is None:
            return
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
