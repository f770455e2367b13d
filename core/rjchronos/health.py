"""Liveness and readiness: what ``/healthz``, ``/readyz`` and ``rjchronos ready`` report.

Liveness says only that the process answers. Readiness checks that the
database answers, that its schema is at the heads of every installed
history (``rjchronos db upgrade`` or the migrate job has run), and that the
broker answers. Neither reveals more than ``ok`` or the kind of failure.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send

    from rjchronos.kernel import Kernel

PROBE_PATHS = ("/healthz", "/readyz")
_HEADS: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()


def liveness(kernel: Kernel) -> dict[str, Any]:
    """The liveness document: the process answers."""
    return {"status": "ok", "version": kernel.version}


def _migration_heads(kernel: Kernel) -> set[str]:
    if kernel not in _HEADS:
        from rjchronos.db.migrate import heads

        _HEADS[kernel] = set(heads(kernel))
    return _HEADS[kernel]


def pending_migrations(kernel: Kernel) -> set[str]:
    """The head revisions of installed histories the database has not reached."""
    from rjchronos.db.migrate import current

    return _migration_heads(kernel) - set(current(kernel))


def readiness(kernel: Kernel) -> tuple[bool, dict[str, str]]:
    """Whether ``kernel`` can serve: database, migrations and broker; each check's result."""
    checks: dict[str, str] = {}
    try:
        with kernel.db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"unavailable: {type(exc).__name__}"
    if checks["database"] == "ok":
        try:
            pending = pending_migrations(kernel)
            checks["migrations"] = f"pending: {len(pending)} histories behind" if pending else "ok"
        except Exception as exc:
            checks["migrations"] = f"unknown: {type(exc).__name__}"
    else:
        checks["migrations"] = "unknown: no database"
    try:
        kernel.jobs.ping()
        checks["broker"] = "ok"
    except Exception as exc:
        checks["broker"] = f"unavailable: {type(exc).__name__}"
    return all(value == "ok" for value in checks.values()), checks


async def probe_response(kernel: Kernel, path: str) -> JSONResponse:
    """The answer to ``GET /healthz`` or ``GET /readyz``."""
    if path == "/healthz":
        return JSONResponse(liveness(kernel))
    ready, checks = await run_in_threadpool(readiness, kernel)
    return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)


class WithProbes:
    """An ASGI app that answers ``GET /healthz`` and ``/readyz`` itself, the rest through ``app``.

    ``serve`` wraps every protocol listener (the ACS's CWMP port among them)
    in it, so load balancers and orchestrators probe each port the same way.
    """

    def __init__(self, app: ASGIApp, kernel: Kernel) -> None:
        self.app = app
        self.kernel = kernel

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] in ("GET", "HEAD")
            and scope["path"] in PROBE_PATHS
        ):
            response = await probe_response(self.kernel, scope["path"])
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
