"""Users: the first administrator, CRUD through the API, filters and pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import select

from rjchronos.http.problems import Problem
from rjchronos.security.models import Role
from rjchronos.security.users import create_user, ensure_first_admin


def test_first_admin_is_created_once_with_a_random_password(
    rjc_kernel: Any, anonymous: Any
) -> None:
    password = ensure_first_admin(rjc_kernel)
    assert password and len(password) >= 16
    assert ensure_first_admin(rjc_kernel) is None
    token = anonymous.post("/api/v1/auth/token", json={"username": "admin", "password": password})
    assert token.status_code == 200
    me = anonymous.get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {token.json()['access_token']}"}
    )
    assert [r["role"] for r in me.json()["roles"]] == ["admin"]
    with rjc_kernel.db.session() as session:
        roles = session.exec(select(Role).where(Role.builtin == True)).all()  # noqa: E712
    assert sorted(r.name for r in roles) == ["admin", "operator", "viewer"]


def test_create_user_refuses_bad_names_and_duplicates(
    rjc_kernel: Any, add_user: Callable[..., Any]
) -> None:
    add_user(rjc_kernel, "ana")
    with pytest.raises(Problem) as taken:
        add_user(rjc_kernel, "ana")
    assert taken.value.status == 409
    with pytest.raises(Problem) as bad:
        create_user(rjc_kernel, "no spaces allowed", "long enough pw")
    assert bad.value.invalid_params[0]["name"] == "body.username"
    with pytest.raises(Problem) as locale:
        create_user(rjc_kernel, "bia", "long enough pw", locale="fr")
    assert locale.value.invalid_params[0]["name"] == "body.locale"
    with pytest.raises(Problem) as email:
        create_user(rjc_kernel, "bia", "long enough pw", email="bia at isp")
    assert email.value.invalid_params[0]["name"] == "body.email"


def test_users_crud(rjc_client: Any, anonymous: Any, bearer: Callable[..., dict[str, str]]) -> None:
    created = rjc_client.post(
        "/api/v1/users",
        json={
            "username": "ivo",
            "password": "ivo's password",
            "display_name": "Ivo",
            "locale": "en",
            "roles": ["operator"],
        },
    )
    assert created.status_code == 201
    ivo = created.json()
    assert ivo["display_name"] == "Ivo" and ivo["locale"] == "en"
    assert [r["role"] for r in ivo["roles"]] == ["operator"]
    assert "password_hash" not in ivo and "totp_secret" not in ivo
    assert (
        rjc_client.post("/api/v1/users", json={"username": "ivo", "password": "x" * 10}).status_code
        == 409
    )
    assert rjc_client.get(f"/api/v1/users/{ivo['id']}").json()["username"] == "ivo"
    bad = rjc_client.patch(f"/api/v1/users/{ivo['id']}", json={"locale": "de"})
    assert bad.status_code == 422 and bad.json()["invalid_params"][0]["name"] == "body.locale"
    assert (
        rjc_client.post(
            f"/api/v1/users/{ivo['id']}/password", json={"password": "reset by admin"}
        ).status_code
        == 204
    )
    bearer(anonymous, "ivo", "reset by admin")
    me = rjc_client.get("/api/v1/users/me").json()
    assert rjc_client.delete(f"/api/v1/users/{me['id']}").status_code == 409  # not yourself
    assert rjc_client.delete(f"/api/v1/users/{ivo['id']}").status_code == 204
    assert rjc_client.get(f"/api/v1/users/{ivo['id']}").status_code == 404
    assert rjc_client.get("/api/v1/users/not-a-number").status_code == 404


def test_user_list_filters_and_pages(
    rjc_client: Any, rjc_kernel: Any, add_user: Callable[..., Any]
) -> None:
    for n in range(5):
        add_user(rjc_kernel, f"tech-{n}", roles=("operator",) if n % 2 else ("viewer",))
    add_user(rjc_kernel, "gone", disabled=True)
    ops = rjc_client.get("/api/v1/users", params={"role": "operator"}).json()["items"]
    assert [u["username"] for u in ops] == ["tech-1", "tech-3"]
    assert [
        u["username"]
        for u in rjc_client.get("/api/v1/users", params={"disabled": "true"}).json()["items"]
    ] == ["gone"]
    found = rjc_client.get("/api/v1/users", params={"username": "TECH-"}).json()["items"]
    assert len(found) == 5
    wildcard = rjc_client.get("/api/v1/users", params={"username": "%"}).json()["items"]
    assert wildcard == []
    pages, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = rjc_client.get("/api/v1/users", params=params).json()
        pages.append([u["username"] for u in page["items"]])
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [name for page in pages for name in page][1:] == [f"tech-{n}" for n in range(5)] + [
        "gone"
    ]


def test_viewer_cannot_administer(rjc_client_factory: Callable[..., Any]) -> None:
    viewer = rjc_client_factory("viewer")
    assert viewer.get("/api/v1/users").status_code == 403
    assert (
        viewer.post("/api/v1/users", json={"username": "x", "password": "long enough"}).status_code
        == 403
    )
    assert viewer.post("/api/v1/roles", json={"name": "x", "permissions": []}).status_code == 403
    assert viewer.get("/api/v1/audit").status_code == 403
    assert viewer.get("/api/v1/users/me").status_code == 200
    assert viewer.post("/api/v1/tokens", json={"name": "mine"}).status_code == 201


def test_permissions_listing(rjc_client: Any) -> None:
    names = {p["name"]: p for p in rjc_client.get("/api/v1/permissions").json()["items"]}
    assert names["audit.read"]["default_roles"] == ["admin"]
    assert names["tokens.manage"]["default_roles"] == ["admin", "operator", "viewer"]
