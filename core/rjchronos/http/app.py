"""Assemble the Starlette application from what the plugins declare."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from rjchronos import logs
from rjchronos.http.problems import Problem
from rjchronos.http.public import check_public
from rjchronos.http.routing import ApiRoute, build_route, check_unique

if TYPE_CHECKING:
    from rjchronos.kernel import Kernel

log = logging.getLogger(__name__)

#: Where a plugin's ``static/`` folder is served, by plugin name.
PLUGIN_STATIC_PREFIX = "/-/static-plugins"


def collect_routes(kernel: Kernel) -> list[tuple[str, ApiRoute]]:
    """Every API route with the name of the plugin that declared it."""
    pairs = [
        (plugin, route)
        for plugin, routes in kernel.host.results_with_plugins("rjc_api_routes", kernel=kernel)
        for route in routes
    ]
    check_unique(pairs)
    check_public(pairs)
    return pairs


def build_app(kernel: Kernel, *, lifespan: bool = True) -> Starlette:
    """The HTTP application of ``kernel``: API, plugin static files, web UI."""
    api_routes = collect_routes(kernel)
    routes: list[BaseRoute] = [build_route(kernel, route) for _, route in api_routes]
    routes.extend(_plugin_static_mounts(kernel))
    webui = _webui_dir()
    if webui is not None:
        routes.append(Mount("/", app=_WebUiFiles(directory=webui, html=True), name="webui"))
    else:
        # Until the web UI is built, the front door leads to the API reference.
        routes.append(Route("/", lambda request: RedirectResponse("/api/v1/docs"), name="home"))

    middleware = [Middleware(_RequestMetrics, kernel=kernel), Middleware(_SecurityHeaders)]
    for extra in kernel.hook.rjc_middleware(kernel=kernel):
        middleware.extend(extra)

    @contextlib.asynccontextmanager
    async def run_kernel(app: Starlette) -> AsyncIterator[None]:
        await kernel.start()
        try:
            yield
        finally:
            await kernel.stop()

    app = Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=run_kernel if lifespan else None,
        exception_handlers={Problem: _problem_handler, 404: _not_found, 405: _not_allowed},
    )
    app.state.kernel = kernel
    app.state.api_routes = api_routes
    return app


async def _problem_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    return exc.response()


async def _not_found(request: Request, exc: Exception) -> Response:
    return Problem(404, "Not found", f"no route for {request.url.path}").response()


async def _not_allowed(request: Request, exc: Exception) -> Response:
    return Problem(
        405, "Method not allowed", f"{request.method} is not allowed on {request.url.path}"
    ).response()


def _plugin_static_mounts(kernel: Kernel) -> list[Mount]:
    mounts = []
    for record in kernel.host.records.values():
        plugin = kernel.host.plugin(record.name)
        origin = getattr(plugin, "__file__", None)
        if not origin:
            continue
        static = Path(origin).parent / "static"
        if static.is_dir():
            mounts.append(
                Mount(f"{PLUGIN_STATIC_PREFIX}/{record.name}", app=StaticFiles(directory=static))
            )
    return mounts


class _WebUiFiles(StaticFiles):
    """The web UI's files; a path the shell routes (no dot, not the API) gets ``index.html``."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            return await super().get_response(path, scope)
        except HTTPException as exc:
            asset = "." in path.rsplit("/", 1)[-1] or path.startswith(("api/", "-/"))
            if exc.status_code != 404 or asset:
                raise
            return await super().get_response("index.html", scope)


def _webui_dir() -> Path | None:
    """The built web UI shipped inside the core package, when it has been built."""
    candidate = Path(__file__).resolve().parent.parent / "webui_dist"
    return candidate if (candidate / "index.html").exists() else None


class _SecurityHeaders:
    """Headers every response carries: no sniffing, no framing, no referrer leaks."""

    HEADERS = [
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"same-origin"),
    ]

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + self.HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers)


class _RequestMetrics:
    """Count requests and time them per route template for ``/metrics``; give each an id.

    The id (``X-Request-ID``, the client's when well formed) is echoed in the
    response and is on every log line written while the request runs.
    """

    def __init__(self, app: ASGIApp, kernel: Kernel) -> None:
        self.app = app
        self.kernel = kernel

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}
        offered = Headers(scope=scope).get("x-request-id")
        request = logs.new_request_id(offered)
        token = logs.request_id.set(request)

        async def capture(message: Any) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            logs.request_id.reset(token)
            route = scope.get("route")
            template = getattr(route, "path", "unmatched")
            self.kernel.metrics.observe_request(
                scope["method"], template, status["code"], time.perf_counter() - started
            )
