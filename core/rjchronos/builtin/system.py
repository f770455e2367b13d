"""Built-in plugin: health, readiness, metrics, the OpenAPI document and the plugin list."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.responses import HTMLResponse, JSONResponse, Response

from rjchronos import hookimpl
from rjchronos.health import liveness, readiness
from rjchronos.http.openapi import docs_page, openapi_document
from rjchronos.http.routing import ApiCall, ApiRoute
from rjchronos.security.permissions import Permission

if TYPE_CHECKING:
    from rjchronos.kernel import Kernel


@hookimpl
def rjc_permissions() -> list[Permission]:
    return [
        Permission("plugins.read", "List installed plugins and their state", ("admin", "operator")),
        Permission("metrics.read", "Scrape Prometheus metrics", ("admin",)),
    ]


def healthz(call: ApiCall) -> dict[str, Any]:
    return liveness(call.kernel)


def readyz(call: ApiCall) -> Response:
    ready, checks = readiness(call.kernel)
    return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)


def metrics(call: ApiCall) -> Response:
    return Response(call.kernel.metrics.exposition(), media_type="text/plain; version=0.0.4")


def openapi(call: ApiCall) -> dict[str, Any]:
    return openapi_document(call.request.app.state.api_routes, call.kernel.version)


def docs(call: ApiCall) -> Response:
    return HTMLResponse(
        docs_page(openapi_document(call.request.app.state.api_routes, call.kernel.version))
    )


def plugins(call: ApiCall) -> dict[str, Any]:
    return {"items": call.kernel.host.listing(), "drivers": call.kernel.drivers.listing()}


@hookimpl
def rjc_api_routes(kernel: Kernel) -> list[ApiRoute]:
    return [
        ApiRoute(
            "GET", "/healthz", healthz, public=True, prefix="", summary="Liveness", tags=("system",)
        ),
        ApiRoute(
            "GET",
            "/readyz",
            readyz,
            public=True,
            prefix="",
            summary="Readiness: database reachable and migrated, broker reachable",
            tags=("system",),
        ),
        ApiRoute(
            "GET",
            "/metrics",
            metrics,
            permission="metrics.read",
            prefix="",
            summary="Prometheus metrics",
            tags=("system",),
        ),
        ApiRoute(
            "GET",
            "/openapi.json",
            openapi,
            public=True,
            summary="This API's OpenAPI document",
            tags=("system",),
        ),
        ApiRoute(
            "GET", "/docs", docs, public=True, summary="This API's reference page", tags=("system",)
        ),
        ApiRoute(
            "GET",
            "/plugins",
            plugins,
            permission="plugins.read",
            summary="Installed plugins: version, hooks, drivers, state, load error",
            tags=("system",),
        ),
    ]
