"""What plugins declare for work outside the request: handlers, schedules, collectors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

#: A job handler receives the kernel and the job's parameters and returns a JSON-able result.
JobFunction = Callable[[Any, Mapping[str, Any]], Awaitable[Any] | Any]


@dataclass(frozen=True)
class TaskHandler:
    """Runs durable jobs of one ``type``.

    ``run(kernel, params)`` may be ``async def`` (it then runs on an event loop
    of the worker thread). Whatever it returns must be JSON-able and becomes
    the job's result; an exception fails the attempt.

    :param max_attempts: attempts before the job is marked failed; retries
        wait an exponential, jittered backoff.
    :param timeout: seconds one attempt may take.
    :param queue: the broker queue its triggers go to.
    """

    type: str
    run: JobFunction
    max_attempts: int = 3
    timeout: float = 300.0
    queue: str = "default"


@dataclass(frozen=True)
class Schedule:
    """Enqueue a job of ``job_type`` every ``every``, shifted by up to ``jitter``.

    Across many processes each due run is enqueued once (a lease in the
    database). The job's dedup key is ``schedule:<name>``: while one run is
    unfinished the next is not enqueued beside it. Missed runs are skipped.
    """

    name: str
    job_type: str
    every: timedelta
    jitter: timedelta = timedelta(0)
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CollectorSpec:
    """A periodic read of the devices of one kind (every OLT, every CPE, ...).

    Core schedules one job of ``job_type`` per matching device every
    ``every`` with ``jitter``, so polls spread out instead of bursting: each
    device's first run falls at random within ``jitter`` (within ``every``
    when there is none). The job has ``device_id`` set and the parameters
    ``{"device_id": ..., "collector": name}``; its dedup key
    ``collector:<name>:<device id>`` keeps one poll per device at a time.
    """

    name: str
    device_kind: str
    job_type: str
    every: timedelta
    jitter: timedelta = timedelta(0)
