"""Helpers of the security tests: users, sign-ins and a probe plugin with scopable permissions."""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

import pytest

from rjchronos import hookimpl
from rjchronos.http.routing import ApiCall, ApiRoute
from rjchronos.security.permissions import Permission
from rjchronos.security.users import create_user

PASSWORD = "correct horse battery"


def probe_plugin() -> types.ModuleType:
    """A plugin with one scopable permission and a route that shows its scopes."""
    module = types.ModuleType("probe")

    @hookimpl
    def rjc_permissions() -> list[Permission]:
        return [
            Permission("probe.read", "Read probes", ("admin", "operator", "viewer"), scopable=True),
            Permission("probe.write", "Change probes", ("admin", "operator"), scopable=True),
        ]

    def scopes(call: ApiCall) -> dict[str, Any]:
        held = call.user.scopes("probe.read")
        return {"scopes": sorted("*" if s is None else s for s in held)}

    def change(call: ApiCall) -> dict[str, Any]:
        return {"changed": True}

    @hookimpl
    def rjc_api_routes(kernel: Any) -> list[ApiRoute]:
        return [
            ApiRoute("GET", "/probe", scopes, permission="probe.read"),
            ApiRoute("POST", "/probe", change, permission="probe.write"),
        ]

    module.rjc_permissions = rjc_permissions  # type: ignore[attr-defined]
    module.rjc_api_routes = rjc_api_routes  # type: ignore[attr-defined]
    return module


@pytest.fixture
def probe_kernel(rjc_kernel_factory: Callable[..., Any]) -> Any:
    """A kernel with the built-ins and the probe plugin."""
    return rjc_kernel_factory(plugins={"probe": probe_plugin()})


@pytest.fixture
def anonymous(rjc_client_factory: Callable[..., Any], rjc_kernel: Any) -> Any:
    """A client of ``rjc_kernel`` that is not signed in."""
    return rjc_client_factory(role=None)


def _add_user(
    kernel: Any, username: str, roles: tuple[str, ...] = ("viewer",), **fields: Any
) -> Any:
    return create_user(kernel, username, fields.pop("password", PASSWORD), roles=roles, **fields)


def _bearer(client: Any, username: str, password: str = PASSWORD, **extra: Any) -> dict[str, str]:
    response = client.post(
        "/api/v1/auth/token", json={"username": username, "password": password, **extra}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
def add_user() -> Callable[..., Any]:
    """``add_user(kernel, username, roles=("viewer",), **fields)``: a user with :data:`PASSWORD`."""
    return _add_user


@pytest.fixture
def bearer() -> Callable[..., dict[str, str]]:
    """``bearer(client, username, password=PASSWORD)``: sign in, return the Authorization header."""
    return _bearer


@pytest.fixture
def password() -> str:
    """The password :func:`add_user` gives."""
    return PASSWORD
