"""The CWMP listener's worker threads: the blocking (database) work of sessions.

One small pool for the ACS instead of the event loop's default one: as many
threads as the database pool has connections (more would only wait for a
connection, or open and close overflow ones), and a plain executor hop,
cheaper than the general-purpose thread pool's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context
from typing import TypeVar

#: Threads doing sessions' database work (``rjchronos.db.engine.Database``'s pool size).
WORKERS = 10
_POOL = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="rjc-cwmp")
T = TypeVar("T")


async def run_sync(func: Callable[..., T], *args: object) -> T:
    """``func(*args)`` in a worker thread (in the caller's context), awaited."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_POOL, copy_context().run, func, *args)
