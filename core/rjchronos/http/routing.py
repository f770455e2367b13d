"""Declared API routes, and the wrapper that authenticates, authorises and validates them.

A plugin returns :class:`ApiRoute` objects from ``rjc_api_routes``. Every
route is authenticated unless it is ``public``, and a non-public route must
name the permission it needs: forgetting it is a start-up error, so no route
is open by accident. Endpoints receive an :class:`ApiCall`; a plain ``def``
endpoint runs in the thread pool (database work is synchronous), an
``async def`` one on the event loop.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import jsonschema
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from rjchronos.http.principal import Principal
from rjchronos.http.problems import Problem, forbidden, unauthenticated

if TYPE_CHECKING:
    from rjchronos.kernel import Kernel

API_PREFIX = "/api/v1"
#: The permission of routes any signed-in user may call (their own profile, logout).
AUTHENTICATED = "authenticated"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
DEFAULT_MAX_BODY = 1 << 20

Endpoint = Callable[["ApiCall"], Any | Awaitable[Any]]


@dataclass(frozen=True)
class ApiRoute:
    """One operation of the REST API, declared by a plugin.

    :param path: relative to ``/api/v1``, with ``{name}`` parameters.
    :param permission: what the caller must hold (anywhere; scoped data is
        filtered by the endpoint); :data:`AUTHENTICATED` for any user.
    :param public: no authentication at all. Only the routes listed in
        ``docs/security.md`` are public.
    :param body_schema: JSON Schema the request body must satisfy.
    :param query: JSON Schemas of query parameters (``integer``, ``boolean``,
        ``string``, ``array`` of strings), validated and converted.
    :param prefix: ``/api/v1``; the empty string only for ``/healthz``-like
        operational endpoints.
    :param body_media_type: for endpoints that read a non-JSON body themselves
        (``text/csv``), the media type the OpenAPI document announces.
    """

    method: str
    path: str
    endpoint: Endpoint
    permission: str | None = None
    public: bool = False
    summary: str = ""
    description: str = ""
    tags: tuple[str, ...] = ()
    body_schema: Mapping[str, Any] | None = None
    query: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    response_schema: Mapping[str, Any] | None = None
    status_code: int = 200
    max_body: int = DEFAULT_MAX_BODY
    name: str = ""
    prefix: str = API_PREFIX
    body_media_type: str = ""

    def __post_init__(self) -> None:
        if not self.path.startswith("/"):
            raise ValueError(f"route {self.method} {self.path}: path must start with '/'")
        if not self.public and not self.permission:
            raise ValueError(
                f"route {self.method} {self.path}: declare a permission or public=True"
            )

    @property
    def full_path(self) -> str:
        return self.prefix + self.path

    @property
    def operation_id(self) -> str:
        if self.name:
            return self.name
        words = [p.strip("{}") for p in self.path.strip("/").split("/") if p]
        return "_".join([self.method.lower(), *words]).replace("-", "_")

    @cached_property
    def body_validator(self) -> jsonschema.protocols.Validator | None:
        if self.body_schema is None:
            return None
        return jsonschema.Draft202012Validator(self.body_schema)


@dataclass
class ApiCall:
    """What an endpoint gets: the request, the kernel, the caller and the validated input."""

    request: Request
    kernel: Kernel
    principal: Principal | None
    body: Any
    query: dict[str, Any]

    @property
    def path(self) -> Mapping[str, Any]:
        return self.request.path_params

    @property
    def user(self) -> Principal:
        """The authenticated caller (endpoints of non-public routes always have one)."""
        if self.principal is None:
            raise unauthenticated()
        return self.principal

    @property
    def client_ip(self) -> str:
        return self.request.client.host if self.request.client else ""

    def audit(
        self,
        action: str,
        target: str,
        params: Mapping[str, Any] | None = None,
        result: str = "ok",
    ) -> None:
        """Append this call's change to the audit log (secrets in ``params`` are masked)."""
        actor = self.principal.actor if self.principal else f"anonymous@{self.client_ip}"
        self.kernel.audit.record(
            actor=actor,
            action=action,
            target=target,
            params=params or {},
            result=result,
            source_ip=self.client_ip,
        )


def build_route(kernel: Kernel, route: ApiRoute) -> Route:
    """The Starlette route that runs ``route`` behind authentication and validation."""
    is_async = inspect.iscoroutinefunction(route.endpoint)

    async def handle(request: Request) -> Response:
        try:
            principal = None
            if not route.public:
                principal = await kernel.auth.authenticate(request)
                if principal is None:
                    raise unauthenticated()
                _authorise(route, request, principal)
            query = _validate_query(route, request)
            body = await _read_body(route, request)
            call = ApiCall(request, kernel, principal, body, query)
            result = (
                await route.endpoint(call)
                if is_async
                else await run_in_threadpool(route.endpoint, call)
            )
        except Problem as problem:
            return problem.response()
        if isinstance(result, Response):
            return result
        if result is None and route.status_code == 204:
            return Response(status_code=204)
        return JSONResponse(result, status_code=route.status_code)

    return Route(route.full_path, handle, methods=[route.method], name=route.operation_id)


def _authorise(route: ApiRoute, request: Request, principal: Principal) -> None:
    if principal.via == "session" and request.method not in SAFE_METHODS:
        sent = request.headers.get("x-csrf-token", "")
        if not principal.csrf_token or sent != principal.csrf_token:
            raise Problem(
                403, "Forbidden", "CSRF token missing or wrong: send the X-CSRF-Token header"
            )
    if route.permission == AUTHENTICATED:
        return
    assert route.permission is not None
    if not principal.scopes(route.permission):
        raise forbidden(route.permission)


async def _read_body(route: ApiRoute, request: Request) -> Any:
    if route.body_validator is None:
        return None
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > route.max_body:
        raise Problem(413, "Payload too large", f"the body may hold at most {route.max_body} bytes")
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > route.max_body:
            raise Problem(
                413, "Payload too large", f"the body may hold at most {route.max_body} bytes"
            )
    media_type = request.headers.get("content-type", "").split(";")[0].strip()
    if media_type not in ("application/json", ""):
        raise Problem(415, "Unsupported media type", "send the body as application/json")
    try:
        body = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise Problem(400, "Malformed JSON", f"the body is not valid JSON: {exc}") from exc
    errors = sorted(route.body_validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    if errors:
        raise Problem(
            422,
            "Invalid body",
            "; ".join(f"{_field_name('body', e)}: {e.message}" for e in errors[:5]),
            invalid_params=[{"name": _field_name("body", e), "reason": e.message} for e in errors],
        )
    return body


def _field_name(prefix: str, error: jsonschema.ValidationError) -> str:
    path = list(error.absolute_path)
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        path.append(missing)
    elif error.validator == "additionalProperties" and "'" in error.message:
        path.append(error.message.split("'")[1])
    return ".".join([prefix, *map(str, path)])


def _validate_query(route: ApiRoute, request: Request) -> dict[str, Any]:
    values: dict[str, Any] = {}
    problems: list[dict[str, str]] = []
    for name, schema in route.query.items():
        if schema.get("type") == "array":
            raw_list = request.query_params.getlist(name)
            if raw_list:
                values[name] = [v for item in raw_list for v in item.split(",") if v]
            continue
        raw = request.query_params.get(name)
        if raw is None:
            if "default" in schema:
                values[name] = schema["default"]
            continue
        try:
            value = _convert(raw, schema)
            jsonschema.validate(value, schema)
        except (ValueError, jsonschema.ValidationError) as exc:
            reason = exc.message if isinstance(exc, jsonschema.ValidationError) else str(exc)
            problems.append({"name": f"query.{name}", "reason": reason})
            continue
        values[name] = value
    if problems:
        raise Problem(
            422,
            "Invalid query",
            "; ".join(f"{p['name']}: {p['reason']}" for p in problems),
            invalid_params=problems,
        )
    return values


def _convert(raw: str, schema: Mapping[str, Any]) -> Any:
    kind = schema.get("type", "string")
    if kind == "integer":
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"{raw!r} is not an integer") from None
    if kind == "number":
        return float(raw)
    if kind == "boolean":
        if raw.lower() not in {"true", "false", "1", "0"}:
            raise ValueError(f"{raw!r} is not true or false")
        return raw.lower() in {"true", "1"}
    return raw


def check_unique(routes: Sequence[tuple[str, ApiRoute]]) -> None:
    """Fail start-up when two plugins register one method and path, naming both."""
    seen: dict[tuple[str, str], str] = {}
    for plugin, route in routes:
        key = (route.method, route.full_path)
        if key in seen:
            raise RuntimeError(
                f"route {route.method} {route.full_path} is registered by both "
                f"{seen[key]} and {plugin}"
            )
        seen[key] = plugin
