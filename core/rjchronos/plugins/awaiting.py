"""Await the results of the hooks that may be ``async def``."""

from __future__ import annotations

import asyncio
import inspect
import logging
from typing import Any

from rjchronos.hookspecs import ASYNC_HOOKS

log = logging.getLogger(__name__)


async def await_me_maybe(value: Any) -> Any:
    """Return ``value``, awaiting it first when it is awaitable."""
    if inspect.isawaitable(value):
        return await value
    return value


def call_each(caller: Any, hook_name: str, **kwargs: Any) -> list[tuple[Any, Any]]:
    """Call every implementation of ``hook_name``, first registered first.

    ``(hookimpl, result)`` for each that returned; one that raised is logged
    with its plugin's name and left out, so one plugin never breaks the others.
    """
    called = []
    for impl in reversed(getattr(caller, hook_name).get_hookimpls()):
        try:
            called.append((impl, impl.function(**{name: kwargs[name] for name in impl.argnames})))
        except Exception:
            log.exception("plugin %s failed in %s", impl.plugin_name, hook_name)
    return called


async def await_hook(
    caller: Any, hook_name: str, *, timeout: float = 30.0, **kwargs: Any
) -> list[Any]:
    """Call every implementation of an async-capable hook and await them concurrently.

    Each implementation runs under ``timeout``; an exception or a timeout is
    logged with the implementing plugin's name and left out of the results,
    so one plugin never breaks the others or the caller.
    """
    if hook_name not in ASYNC_HOOKS:
        raise ValueError(f"{hook_name} is not one of the async hooks {sorted(ASYNC_HOOKS)}")
    called = call_each(caller, hook_name, **kwargs)
    impls = [impl for impl, _ in called]
    results: list[Any] = [None] * len(impls)
    waiting: dict[asyncio.Future[Any], int] = {}
    for index, (_, value) in enumerate(called):
        if inspect.isawaitable(value):
            waiting[asyncio.ensure_future(value)] = index
        else:
            results[index] = value
    # A plain result needs no task; the awaitable ones share one wait and one timeout.
    if waiting:
        done, late = await asyncio.wait(waiting, timeout=timeout)
        for future in late:
            future.cancel()
            log.error(
                "plugin %s timed out in %s after %gs",
                impls[waiting[future]].plugin_name,
                hook_name,
                timeout,
            )
        for future in done:
            if future.cancelled():
                continue
            if (error := future.exception()) is not None:
                log.error(
                    "plugin %s failed in %s",
                    impls[waiting[future]].plugin_name,
                    hook_name,
                    exc_info=error,
                )
                continue
            results[waiting[future]] = future.result()
    return [r for r in results if r is not None]
