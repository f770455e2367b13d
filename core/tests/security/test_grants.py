"""Grants: built-in roles, custom roles, scoped bindings and API tokens that narrow them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.testclient import TestClient


def _client(kernel: Any, headers: dict[str, str] | None = None) -> TestClient:
    client = TestClient(kernel.asgi(lifespan=False), base_url="http://127.0.0.1")
    client.headers.update(headers or {})
    return client


def test_builtin_roles_follow_declared_permissions(
    probe_kernel: Any, add_user: Callable[..., Any], bearer: Callable[..., dict[str, str]]
) -> None:
    add_user(probe_kernel, "vera", roles=("viewer",))
    add_user(probe_kernel, "otto", roles=("operator",))
    add_user(probe_kernel, "ada", roles=("admin",))
    client = _client(probe_kernel)
    viewer, operator, admin = (bearer(client, name) for name in ("vera", "otto", "ada"))
    assert client.get("/api/v1/probe", headers=viewer).json() == {"scopes": ["*"]}
    assert client.post("/api/v1/probe", headers=viewer).status_code == 403
    assert client.post("/api/v1/probe", headers=operator).status_code == 200
    assert client.get("/api/v1/users", headers=operator).status_code == 403
    assert client.get("/api/v1/users", headers=admin).status_code == 200
    roles = {r["name"]: r for r in client.get("/api/v1/roles", headers=admin).json()["items"]}
    assert set(roles) == {"admin", "operator", "viewer"}
    assert set(roles["admin"]["permissions"]) == set(probe_kernel.permissions)
    assert "probe.write" in roles["operator"]["permissions"]
    assert "probe.write" not in roles["viewer"]["permissions"]


def test_scoped_binding_grants_only_scopable_permissions_there(
    probe_kernel: Any, add_user: Callable[..., Any], bearer: Callable[..., dict[str, str]]
) -> None:
    add_user(probe_kernel, "ada", roles=("admin",))
    user = add_user(probe_kernel, "rita", roles=())
    client = _client(probe_kernel)
    admin = bearer(client, "ada")
    for scope in ("region:Centro", "olt:01J0000000000000000000OLT1"):
        response = client.post(
            f"/api/v1/users/{user.id}/bindings",
            headers=admin,
            json={"role": "operator", "scope": scope},
        )
        assert response.status_code == 201, response.text
    # An admin role in one region: scopable permissions there, never the global ones.
    assert (
        client.post(
            f"/api/v1/users/{user.id}/bindings",
            headers=admin,
            json={"role": "admin", "scope": "region:Norte"},
        ).status_code
        == 201
    )
    rita = bearer(client, "rita")
    assert client.get("/api/v1/probe", headers=rita).json() == {
        "scopes": ["olt:01J0000000000000000000OLT1", "region:Centro", "region:Norte"]
    }
    me = client.get("/api/v1/users/me", headers=rita).json()
    assert "roles.read" not in me["permissions"]  # operator's, but not scopable
    assert "users.write" not in me["permissions"]  # admin's, but not scopable
    assert client.get("/api/v1/users", headers=rita).status_code == 403


def test_bad_scope_and_unknown_role_are_named(
    probe_kernel: Any, rjc_client_factory: Callable[..., Any], add_user: Callable[..., Any]
) -> None:
    admin = rjc_client_factory("admin", kernel=probe_kernel)
    user = add_user(probe_kernel, "sam")
    response = admin.post(
        f"/api/v1/users/{user.id}/bindings", json={"role": "viewer", "scope": "city:Rio"}
    )
    assert response.status_code == 422
    assert response.json()["invalid_params"][0]["name"] == "body.scope"
    response = admin.post(f"/api/v1/users/{user.id}/bindings", json={"role": "ghost"})
    assert response.status_code == 422
    assert "ghost" in response.json()["detail"]
    dup = admin.post(f"/api/v1/users/{user.id}/bindings", json={"role": "viewer"})
    assert dup.status_code == 409


def test_api_token_narrows_to_its_permissions(
    probe_kernel: Any, rjc_client_factory: Callable[..., Any]
) -> None:
    admin = rjc_client_factory("admin", kernel=probe_kernel)
    created = admin.post(
        "/api/v1/tokens", json={"name": "reader", "permissions": ["probe.read", "users.read"]}
    )
    assert created.status_code == 201, created.text
    token = _client(probe_kernel, {"Authorization": f"Bearer {created.json()['token']}"})
    assert token.get("/api/v1/probe").json() == {"scopes": ["*"]}
    assert token.get("/api/v1/users").status_code == 200
    assert token.post("/api/v1/probe").status_code == 403
    assert token.get("/api/v1/audit").status_code == 403
    assert (
        token.post(
            "/api/v1/users", json={"username": "x", "password": "long enough pw"}
        ).status_code
        == 403
    )


def test_api_token_narrows_to_its_scopes(
    probe_kernel: Any,
    rjc_client_factory: Callable[..., Any],
    add_user: Callable[..., Any],
    bearer: Callable[..., dict[str, str]],
) -> None:
    admin = rjc_client_factory("admin", kernel=probe_kernel)
    created = admin.post(
        "/api/v1/tokens", json={"name": "norte", "scopes": ["region:Norte"]}
    ).json()
    token = _client(probe_kernel, {"Authorization": f"Bearer {created['token']}"})
    assert token.get("/api/v1/probe").json() == {"scopes": ["region:Norte"]}
    assert token.get("/api/v1/users").status_code == 403  # not scopable: dropped
    # A token never widens its user: an operator of Centro asking for Norte gets nothing there.
    admin.post("/api/v1/roles", json={"name": "token-user", "permissions": ["tokens.manage"]})
    user = add_user(probe_kernel, "celia", roles=("token-user",))
    admin.post(
        f"/api/v1/users/{user.id}/bindings", json={"role": "operator", "scope": "region:Centro"}
    )
    celia = _client(probe_kernel, bearer(admin, "celia"))
    narrowed = celia.post(
        "/api/v1/tokens", json={"name": "x", "scopes": ["region:Centro", "region:Norte"]}
    ).json()
    celia_token = _client(probe_kernel, {"Authorization": f"Bearer {narrowed['token']}"})
    assert celia_token.get("/api/v1/probe").json() == {"scopes": ["region:Centro"]}


def test_token_with_unknown_permission_or_bad_scope_is_refused(rjc_client: Any) -> None:
    response = rjc_client.post(
        "/api/v1/tokens", json={"name": "x", "permissions": ["users.read", "nope.x"]}
    )
    assert response.status_code == 422
    assert response.json()["invalid_params"] == [
        {"name": "body.permissions", "reason": "unknown permissions: nope.x"}
    ]
    response = rjc_client.post(
        "/api/v1/tokens", json={"name": "x", "scopes": ["region:A", "planet:Mars"]}
    )
    assert response.status_code == 422
    assert response.json()["invalid_params"][0]["name"] == "body.scopes.1"
    assert rjc_client.get("/api/v1/tokens").json()["items"] == []


def test_api_token_cannot_mint_tokens(rjc_client: Any, probe_kernel: Any) -> None:
    secret = rjc_client.post("/api/v1/tokens", json={"name": "automation"}).json()["token"]
    rjc_client.headers["Authorization"] = f"Bearer {secret}"
    response = rjc_client.post("/api/v1/tokens", json={"name": "wider"})
    assert response.status_code == 403


def test_custom_role_from_declared_permissions(
    probe_kernel: Any,
    rjc_client_factory: Callable[..., Any],
    add_user: Callable[..., Any],
    bearer: Callable[..., dict[str, str]],
) -> None:
    admin = rjc_client_factory("admin", kernel=probe_kernel)
    bad = admin.post(
        "/api/v1/roles", json={"name": "auditor", "permissions": ["audit.read", "x.y", "a.b"]}
    )
    assert bad.status_code == 422
    assert bad.json()["invalid_params"] == [
        {"name": "body.permissions", "reason": "unknown permissions: a.b, x.y"}
    ]
    created = admin.post(
        "/api/v1/roles",
        json={
            "name": "auditor",
            "description": "reads the log",
            "permissions": ["audit.read", "probe.read"],
        },
    )
    assert created.status_code == 201
    assert created.json()["permissions"] == ["audit.read", "probe.read"]
    assert (
        admin.post("/api/v1/roles", json={"name": "auditor", "permissions": []}).status_code == 409
    )
    assert (
        admin.post("/api/v1/roles", json={"name": "viewer", "permissions": []}).status_code == 422
    )
    add_user(probe_kernel, "aud", roles=("auditor",))
    auditor = _client(probe_kernel, bearer(admin, "aud"))
    assert auditor.get("/api/v1/audit").status_code == 200
    assert auditor.get("/api/v1/users").status_code == 403

    changed = admin.patch("/api/v1/roles/auditor", json={"permissions": ["probe.read"]})
    assert changed.status_code == 200
    assert auditor.get("/api/v1/audit").status_code == 403  # takes effect at once
    assert admin.patch("/api/v1/roles/viewer", json={"description": "x"}).status_code == 409
    assert admin.delete("/api/v1/roles/admin").status_code == 409
    assert admin.delete(f"/api/v1/roles/{created.json()['id']}").status_code == 204
    assert auditor.get("/api/v1/probe").status_code == 403
    assert admin.get("/api/v1/roles/auditor").status_code == 404


def test_a_user_cannot_grant_more_than_they_hold(
    probe_kernel: Any,
    rjc_client_factory: Callable[..., Any],
    add_user: Callable[..., Any],
    bearer: Callable[..., dict[str, str]],
) -> None:
    admin = rjc_client_factory("admin", kernel=probe_kernel)
    admin.post(
        "/api/v1/roles", json={"name": "helpdesk", "permissions": ["users.read", "users.write"]}
    )
    add_user(probe_kernel, "hd", roles=("helpdesk",))
    target = add_user(probe_kernel, "newbie", roles=())
    helpdesk = _client(probe_kernel, bearer(admin, "hd"))
    escalate = helpdesk.post(f"/api/v1/users/{target.id}/bindings", json={"role": "admin"})
    assert escalate.status_code == 403
    assert "audit.read" in escalate.json()["detail"]
    created = helpdesk.post(
        "/api/v1/users", json={"username": "boss", "password": "long enough pw", "roles": ["admin"]}
    )
    assert created.status_code == 403
    assert (
        helpdesk.post(f"/api/v1/users/{target.id}/bindings", json={"role": "helpdesk"}).status_code
        == 201
    )


def test_the_last_administrator_stays(
    rjc_client: Any, rjc_kernel: Any, add_user: Callable[..., Any]
) -> None:
    me = rjc_client.get("/api/v1/users/me").json()
    binding = me["roles"][0]["id"]
    assert rjc_client.patch(f"/api/v1/users/{me['id']}", json={"disabled": True}).status_code == 409
    assert rjc_client.delete(f"/api/v1/users/{me['id']}/bindings/{binding}").status_code == 409
    add_user(rjc_kernel, "second", roles=("admin",))
    assert rjc_client.delete(f"/api/v1/users/{me['id']}/bindings/{binding}").status_code == 204
    assert rjc_client.get("/api/v1/users/me").json()["roles"] == []
