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
    hook = getattr(caller, hook_name)

    async def run(impl: Any) -> Any:
        args = {name: kwargs[name] for name in impl.argnames}
        try:
            return await asyncio.wait_for(await_me_maybe(impl.function(**args)), timeout)
        except Exception:
            log.exception("plugin %s failed in %s", impl.plugin_name, hook_name)
            return None

    impls = list(reversed(hook.get_hookimpls()))
    return [r for r in await asyncio.gather(*(run(i) for i in impls)) if r is not None]
