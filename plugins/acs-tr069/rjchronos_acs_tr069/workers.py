"""The CWMP listener's worker threads: the blocking (database) work of sessions.

One small pool for the ACS instead of the event loop's default one: as many
threads as the database pool has connections (more would only wait for a
connection, or open and close overflow ones), fed by one queue, each result
handed back to the caller's event loop with one thread-safe call: a hop
costs less than through ``concurrent.futures`` or anyio's general pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from contextvars import Context, copy_context
from typing import Any, TypeVar

#: Threads doing sessions' database work (``rjchronos.db.engine.Database``'s pool size).
WORKERS = 10
T = TypeVar("T")
_Job = tuple[asyncio.AbstractEventLoop, "asyncio.Future[Any]", Context, Callable[..., Any], tuple]
_jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
_threads: list[threading.Thread] = []
_start_lock = threading.Lock()


async def run_sync(func: Callable[..., T], *args: object) -> T:
    """``func(*args)`` in a worker thread (in the caller's context), awaited.

    Cancelling the caller does not stop the call: its result is dropped.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()
    if len(_threads) < WORKERS:
        _start_workers()
    _jobs.put((loop, future, copy_context(), func, args))
    return await future


def _start_workers() -> None:
    with _start_lock:
        while len(_threads) < WORKERS:
            thread = threading.Thread(target=_work, name=f"rjc-cwmp-{len(_threads)}", daemon=True)
            thread.start()
            _threads.append(thread)


def _work() -> None:
    while True:
        loop, future, context, func, args = _jobs.get()
        try:
            result = context.run(func, *args)
        except BaseException as exc:  # handed to the caller, whatever it is
            _hand_back(loop, _set_exception, future, exc)
        else:
            _hand_back(loop, _set_result, future, result)
        del loop, future, context, func, args


def _hand_back(loop: asyncio.AbstractEventLoop, setter: Callable[..., None], *args: Any) -> None:
    with contextlib.suppress(RuntimeError):  # the loop was closed meanwhile: nobody waits
        loop.call_soon_threadsafe(setter, *args)


def _set_result(future: asyncio.Future[Any], result: Any) -> None:
    if not future.done():
        future.set_result(result)


def _set_exception(future: asyncio.Future[Any], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)
