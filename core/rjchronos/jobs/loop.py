"""The maintenance loop: reconcile jobs and run due schedules, over and over, in a thread."""

from __future__ import annotations

import logging
import random
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rjchronos.jobs.queue import JobQueue

log = logging.getLogger("rjchronos.jobs")


class MaintenanceLoop(threading.Thread):
    """One reconciler pass and one scheduler pass every ``tick_seconds`` (jittered) until stopped.

    :param first_grace: the grace period of the first reconciler pass (``0``
        re-sends every queued job at once), then the configured one.
    """

    def __init__(self, queue: JobQueue, first_grace: float | None, stop_timeout: float) -> None:
        super().__init__(name="rjc-jobs-maintenance", daemon=True)
        self.queue = queue
        self.first_grace = first_grace
        self.stop_timeout = stop_timeout
        self._stop_event = threading.Event()

    def run(self) -> None:
        grace = self.first_grace
        while not self._stop_event.is_set():
            try:
                self.queue.reconcile(grace=grace)
                self.queue.run_schedules()
            except Exception:
                log.exception("jobs maintenance pass failed; trying again next tick")
            grace = None
            # Jittered, so processes started together do not query in step.
            tick = self.queue.config.tick_seconds * random.uniform(0.8, 1.2)  # noqa: S311 - not a secret
            self._stop_event.wait(tick)

    def stop(self) -> None:
        self._stop_event.set()
        if self is not threading.current_thread():
            self.join(timeout=self.stop_timeout)
