"""Every route of the OpenAPI document is authenticated and authorised."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rjchronos.http.public import PUBLIC_ROUTES
from rjchronos.http.routing import AUTHENTICATED

SECURITY_DOC = Path(__file__).resolve().parents[3] / "docs" / "security.md"
SOME_ID = "01JZZZZZZZZZZZZZZZZZZZZZZZ"


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, methods in document["paths"].items()
        for method, op in methods.items()
    ]


def concrete(path: str, op: dict[str, Any]) -> str:
    """The path with an id of the right type in each parameter."""
    types = {p["name"]: p["schema"]["type"] for p in op["parameters"] if p["in"] == "path"}
    return re.sub(r"{([^}]+)}", lambda m: "1" if types[m[1]] == "integer" else SOME_ID, path)


def test_every_route_answers_401_without_a_token_and_403_without_its_permission(
    rjc_kernel_factory: Callable[..., Any], rjc_client_factory: Callable[..., Any]
) -> None:
    kernel = rjc_kernel_factory(entrypoints=True)
    admin = rjc_client_factory("admin", kernel=kernel)
    created = admin.post("/api/v1/roles", json={"name": "powerless", "permissions": []})
    assert created.status_code == 201, created.text
    powerless = rjc_client_factory("powerless", kernel=kernel)
    anonymous = rjc_client_factory(None, kernel=kernel)

    document = admin.get("/api/v1/openapi.json").json()
    checked = 0
    for method, path, op in operations(document):
        if op.get("x-rjc-public"):
            continue
        url = concrete(path, op)
        answer = anonymous.request(method, url)
        assert answer.status_code == 401, (
            f"{method} {path} answered {answer.status_code} without a token"
        )
        assert answer.headers["content-type"] == "application/problem+json"
        if op["x-rjc-permission"] == AUTHENTICATED:
            continue
        answer = powerless.request(method, url, json={})
        assert answer.status_code == 403, (
            f"{method} {path} answered {answer.status_code} without permission"
        )
        checked += 1
    assert checked > 30


def test_the_public_routes_are_exactly_the_listed_ones(rjc_client: Any) -> None:
    document = rjc_client.get("/api/v1/openapi.json").json()
    public = {(method, path) for method, path, op in operations(document) if op.get("x-rjc-public")}
    assert public == PUBLIC_ROUTES


def test_the_public_routes_are_documented() -> None:
    text = SECURITY_DOC.read_text(encoding="utf-8")
    for method, path in PUBLIC_ROUTES:
        assert f"`{method} {path}`" in text, f"{method} {path} missing from docs/security.md"
