"""Run one attempt of a job's handler: sync in this thread, async on an event loop of it."""

from __future__ import annotations

import asyncio
import inspect
import json
import random
from collections.abc import Coroutine, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from rjchronos.jobs.spec import TaskHandler


def run_handler(handler: TaskHandler, kernel: Any, params: Mapping[str, Any]) -> Any:
    """Call ``handler.run`` and return its JSON-able result.

    An ``async`` handler runs on a fresh event loop of the calling thread under
    ``handler.timeout`` (``TimeoutError`` when it runs over). A sync handler's
    time limit is enforced by the dramatiq worker that runs it.
    """
    outcome = handler.run(kernel, params)
    if inspect.isawaitable(outcome):
        outcome = _run_coroutine(_bounded(outcome, handler.timeout, kernel))
    try:
        json.dumps(outcome)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"the handler of {handler.type} returned a result that is not JSON: {exc}"
        ) from exc
    return outcome


async def _bounded(awaitable: Any, timeout: float, kernel: Any) -> Any:
    try:
        return await asyncio.wait_for(awaitable, timeout)
    finally:
        # Listeners of events the handler emitted run as tasks of this loop, which closes
        # when the handler returns: let them finish first (each is bounded by its timeout).
        events = getattr(kernel, "events", None)
        if events is not None and hasattr(events, "drain"):
            await events.drain(events.listener_timeout, this_loop=True)


def _run_coroutine(coroutine: Coroutine[Any, Any, Any]) -> Any:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    # Inline jobs enqueued from async code: this thread's loop is busy, use another thread's.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="rjc-inline-job") as pool:
        return pool.submit(asyncio.run, coroutine).result()


def backoff(attempt: int, base: float, cap: float) -> float:
    """Seconds to wait before retrying after ``attempt`` failed: exponential, capped, jittered."""
    ceiling = min(cap, base * 2 ** max(attempt - 1, 0))
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - spreading retries, not a secret
