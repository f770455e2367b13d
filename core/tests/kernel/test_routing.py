"""Declared routes: validation, problem responses, uniqueness, security headers."""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from rjchronos import hookimpl
from rjchronos.http.problems import Problem
from rjchronos.http.routing import AUTHENTICATED, ApiCall, ApiRoute

ORDER_SCHEMA = {
    "type": "object",
    "required": ["serial", "count"],
    "properties": {
        "serial": {"type": "string", "pattern": "^[A-Z]{4}[0-9A-F]{8}$"},
        "count": {"type": "integer", "minimum": 1},
        "vlan": {"type": "integer", "maximum": 4094},
    },
    "additionalProperties": False,
}


def echo(call: ApiCall) -> dict[str, Any]:
    return {"body": call.body, "query": call.query}


async def teapot(call: ApiCall) -> None:
    raise Problem(418, "I'm a teapot", "short and stout", brewing=True)


def routes_plugin(*routes: ApiRoute) -> types.ModuleType:
    module = types.ModuleType("routes_plugin")

    @hookimpl
    def rjc_api_routes(kernel: Any) -> list[ApiRoute]:
        return list(routes)

    module.rjc_api_routes = rjc_api_routes  # type: ignore[attr-defined]
    return module


@pytest.fixture
def client(
    rjc_kernel_factory: Callable[..., Any], rjc_client_factory: Callable[..., Any]
) -> TestClient:
    plugin = routes_plugin(
        ApiRoute(
            "POST",
            "/orders",
            echo,
            permission=AUTHENTICATED,
            body_schema=ORDER_SCHEMA,
            max_body=512,
        ),
        ApiRoute(
            "GET",
            "/search",
            echo,
            permission=AUTHENTICATED,
            query={
                "limit": {"type": "integer", "minimum": 1, "maximum": 10, "default": 5},
                "online": {"type": "boolean"},
                "tag": {"type": "array", "items": {"type": "string"}},
            },
        ),
        ApiRoute("GET", "/teapot", teapot, permission=AUTHENTICATED),
    )
    kernel = rjc_kernel_factory(plugins={"routes": plugin})
    client: TestClient = rjc_client_factory("viewer", kernel=kernel)
    return client


def test_a_valid_body_reaches_the_endpoint(client: TestClient) -> None:
    answer = client.post("/api/v1/orders", json={"serial": "HWTC11E70E9A", "count": 2})
    assert answer.status_code == 200
    assert answer.json()["body"] == {"serial": "HWTC11E70E9A", "count": 2}


def test_invalid_body_names_every_failing_field(client: TestClient) -> None:
    answer = client.post("/api/v1/orders", json={"serial": "bad", "vlan": 5000, "colour": 1})
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    names = {p["name"] for p in answer.json()["invalid_params"]}
    assert names == {"body.serial", "body.vlan", "body.count", "body.colour"}


@pytest.mark.parametrize(
    ("content", "headers", "status", "title"),
    [
        (b"{not json", {"content-type": "application/json"}, 400, "Malformed JSON"),
        (b'{"serial": "\xff"}', {"content-type": "application/json"}, 400, "Malformed JSON"),
        (
            b"serial=x",
            {"content-type": "application/x-www-form-urlencoded"},
            415,
            "Unsupported media type",
        ),
        (b"{" + b" " * 600 + b"}", {"content-type": "application/json"}, 413, "Payload too large"),
    ],
)
def test_bad_bodies_get_a_clear_problem(
    client: TestClient, content: bytes, headers: dict[str, str], status: int, title: str
) -> None:
    answer = client.post("/api/v1/orders", content=content, headers=headers)
    assert answer.status_code == status
    assert answer.json()["title"] == title


def test_query_parameters_are_converted_and_validated(client: TestClient) -> None:
    answer = client.get("/api/v1/search?online=true&tag=a,b&tag=c")
    assert answer.json()["query"] == {"limit": 5, "online": True, "tag": ["a", "b", "c"]}
    answer = client.get("/api/v1/search?limit=50&online=perhaps")
    assert answer.status_code == 422
    assert {p["name"] for p in answer.json()["invalid_params"]} == {"query.limit", "query.online"}


def test_problems_raised_by_endpoints_keep_their_fields(client: TestClient) -> None:
    answer = client.get("/api/v1/teapot")
    assert answer.status_code == 418
    assert answer.json() == {
        "type": "about:blank",
        "title": "I'm a teapot",
        "status": 418,
        "detail": "short and stout",
        "brewing": True,
    }


def test_unknown_route_and_method_are_problems(client: TestClient) -> None:
    assert client.get("/api/v1/nothing-here").json()["status"] == 404
    answer = client.delete("/api/v1/teapot")
    assert answer.status_code == 405
    assert answer.headers["content-type"] == "application/problem+json"


def test_security_headers_on_every_response(client: TestClient) -> None:
    headers = client.get("/healthz").headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"


def test_a_route_must_name_a_permission_or_be_public() -> None:
    with pytest.raises(ValueError, match="declare a permission or public=True"):
        ApiRoute("GET", "/open", echo)


def test_a_public_route_outside_the_list_stops_start_up(
    rjc_kernel_factory: Callable[..., Any],
) -> None:
    kernel = rjc_kernel_factory(
        plugins={"leaky": routes_plugin(ApiRoute("GET", "/open", echo, public=True))}
    )
    with pytest.raises(RuntimeError, match="plugin leaky declares GET /api/v1/open public"):
        kernel.asgi()


def test_a_path_registered_twice_names_both_plugins(rjc_kernel_factory: Callable[..., Any]) -> None:
    first = routes_plugin(ApiRoute("GET", "/dup", echo, permission=AUTHENTICATED))
    second = routes_plugin(ApiRoute("GET", "/dup", echo, permission=AUTHENTICATED))
    kernel = rjc_kernel_factory(plugins={"first": first, "second": second})
    with pytest.raises(
        RuntimeError, match="GET /api/v1/dup is registered by both (first|second) and"
    ):
        kernel.asgi()


def test_health_and_openapi_are_public(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    document = client.get("/api/v1/openapi.json").json()
    assert document["openapi"] == "3.1.0"
    operation = document["paths"]["/api/v1/orders"]["post"]
    assert operation["requestBody"]["content"]["application/json"]["schema"] == ORDER_SCHEMA
    assert operation["x-rjc-plugin"] == "routes"
    page = client.get("/api/v1/docs")
    assert page.headers["content-type"].startswith("text/html")
    assert "/api/v1/orders" in page.text
    assert "<script" not in page.text


def test_the_front_door_leads_to_the_api_reference_without_a_built_ui(
    rjc_kernel_factory: Callable[..., Any],
    rjc_client_factory: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from rjchronos.http import app

    monkeypatch.setattr(app, "_webui_dir", lambda: None)
    client = rjc_client_factory(None, kernel=rjc_kernel_factory())
    answer = client.get("/", follow_redirects=False)
    assert answer.status_code == 307
    assert answer.headers["location"] == "/api/v1/docs"
