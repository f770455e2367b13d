"""Access tokens from /auth/token and long-lived API tokens: issue, expiry, revocation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from rjchronos.db.types import utcnow
from rjchronos.security import auth as auth_module
from rjchronos.security.models import ApiToken
from rjchronos.security.tokens import digest


def test_token_endpoint_answers_a_bearer_token(
    rjc_kernel: Any, anonymous: Any, add_user: Callable[..., Any], password: str
) -> None:
    add_user(rjc_kernel, "alice", roles=("operator",))
    response = anonymous.post(
        "/api/v1/auth/token", json={"username": "alice", "password": password}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == rjc_kernel.settings.access_token_ttl
    me = anonymous.get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert me.status_code == 200
    assert me.json()["username"] == "alice"
    assert me.json()["roles"] == [
        {"id": me.json()["roles"][0]["id"], "role": "operator", "scope": None}
    ]
    assert "users.write" not in me.json()["permissions"]
    with rjc_kernel.db.session() as session:
        stored = session.exec(select(ApiToken).where(ApiToken.kind == "access")).one()
    assert stored.token_hash == digest(body["access_token"])
    assert body["access_token"] not in stored.token_hash


@pytest.mark.parametrize(
    "body",
    [
        {"username": "alice", "password": "wrong password"},
        {"username": "nobody", "password": "correct horse battery"},
    ],
)
def test_wrong_credentials_get_401(
    rjc_kernel: Any, anonymous: Any, add_user: Callable[..., Any], body: dict[str, str]
) -> None:
    add_user(rjc_kernel, "alice")
    response = anonymous.post("/api/v1/auth/token", json=body)
    assert response.status_code == 401
    assert response.json()["detail"] == "wrong username, password or TOTP code"


def test_missing_field_is_named(anonymous: Any) -> None:
    response = anonymous.post("/api/v1/auth/token", json={"username": "alice"})
    assert response.status_code == 422
    assert response.json()["invalid_params"][0]["name"] == "body.password"


def test_disabled_user_cannot_sign_in_and_loses_tokens(
    rjc_kernel: Any,
    rjc_client: Any,
    anonymous: Any,
    add_user: Callable[..., Any],
    bearer: Callable[..., dict[str, str]],
    password: str,
) -> None:
    user = add_user(rjc_kernel, "dave")
    headers = bearer(anonymous, "dave")
    assert anonymous.get("/api/v1/users/me", headers=headers).status_code == 200
    assert rjc_client.patch(f"/api/v1/users/{user.id}", json={"disabled": True}).status_code == 200
    assert anonymous.get("/api/v1/users/me", headers=headers).status_code == 401
    response = anonymous.post("/api/v1/auth/token", json={"username": "dave", "password": password})
    assert response.status_code == 401


def test_expired_access_token_is_refused(
    rjc_kernel: Any,
    anonymous: Any,
    add_user: Callable[..., Any],
    bearer: Callable[..., dict[str, str]],
) -> None:
    add_user(rjc_kernel, "erin")
    headers = bearer(anonymous, "erin")
    with rjc_kernel.db.session() as session:
        row = session.exec(select(ApiToken).where(ApiToken.kind == "access")).one()
        row.expires_at = utcnow() - timedelta(seconds=1)
        session.add(row)
    response = anonymous.get("/api/v1/users/me", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_malformed_authorization_is_401(anonymous: Any) -> None:
    for header in ("Basic YWRtaW46YWRtaW4=", "Bearer", "Bearer not-a-token"):
        assert (
            anonymous.get("/api/v1/users/me", headers={"Authorization": header}).status_code == 401
        )


def test_logout_revokes_the_access_token(
    rjc_kernel: Any,
    anonymous: Any,
    add_user: Callable[..., Any],
    bearer: Callable[..., dict[str, str]],
) -> None:
    add_user(rjc_kernel, "fay")
    headers = bearer(anonymous, "fay")
    assert anonymous.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert anonymous.get("/api/v1/users/me", headers=headers).status_code == 401


def test_api_token_secret_shown_once_listed_by_prefix_and_revocable(
    rjc_client: Any, anonymous: Any
) -> None:
    created = rjc_client.post("/api/v1/tokens", json={"name": "grafana", "expires_in_days": 30})
    assert created.status_code == 201
    token = created.json()
    secret = token["token"]
    assert secret.startswith(token["prefix"])
    listed = rjc_client.get("/api/v1/tokens").json()["items"]
    assert [t["name"] for t in listed] == ["grafana"]
    assert "token" not in listed[0]
    headers = {"Authorization": f"Bearer {secret}"}
    me = anonymous.get("/api/v1/users/me", headers=headers)
    assert me.status_code == 200 and me.json()["via"] == "api_token"
    assert rjc_client.get("/api/v1/tokens").json()["items"][0]["last_used_at"] is not None

    assert rjc_client.delete(f"/api/v1/tokens/{token['id']}").status_code == 204
    assert anonymous.get("/api/v1/users/me", headers=headers).status_code == 401
    assert rjc_client.get("/api/v1/tokens").json()["items"] == []
    revoked = rjc_client.get("/api/v1/tokens", params={"include_revoked": "true"}).json()["items"]
    assert revoked[0]["revoked"] is True


def test_users_cannot_revoke_or_list_each_others_tokens(
    rjc_kernel: Any, rjc_client: Any, rjc_client_factory: Callable[..., Any]
) -> None:
    token_id = rjc_client.post("/api/v1/tokens", json={"name": "admin's"}).json()["id"]
    viewer = rjc_client_factory("viewer")
    assert viewer.delete(f"/api/v1/tokens/{token_id}").status_code == 404
    admin_id = rjc_client.get("/api/v1/users/me").json()["id"]
    assert viewer.get("/api/v1/tokens", params={"user_id": admin_id}).status_code == 403
    assert viewer.get("/api/v1/tokens").json()["items"] == []


def test_revocation_elsewhere_takes_effect_when_the_cache_window_ends(
    rjc_kernel: Any,
    rjc_kernel_factory: Callable[..., Any],
    rjc_client: Any,
    anonymous: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secret = rjc_client.post("/api/v1/tokens", json={"name": "ci"}).json()["token"]
    headers = {"Authorization": f"Bearer {secret}"}
    assert anonymous.get("/api/v1/users/me", headers=headers).status_code == 200
    # Another process (its own kernel on the same database) revokes the token.
    other = rjc_kernel_factory()
    with other.db.session() as session:
        row = session.exec(select(ApiToken).where(ApiToken.kind == "api")).one()
        row.revoked_at = utcnow()
        session.add(row)
    assert anonymous.get("/api/v1/users/me", headers=headers).status_code == 200  # cached
    later = auth_module.monotonic() + auth_module.Authenticator.CACHE_SECONDS + 1
    monkeypatch.setattr(auth_module, "monotonic", lambda: later)
    assert anonymous.get("/api/v1/users/me", headers=headers).status_code == 401


def test_expired_api_token_is_refused(rjc_kernel: Any, rjc_client: Any, anonymous: Any) -> None:
    secret = rjc_client.post("/api/v1/tokens", json={"name": "old"}).json()["token"]
    with rjc_kernel.db.session() as session:
        row = session.exec(select(ApiToken).where(ApiToken.kind == "api")).one()
        row.expires_at = utcnow() - timedelta(minutes=1)
        session.add(row)
    assert (
        anonymous.get("/api/v1/users/me", headers={"Authorization": f"Bearer {secret}"}).status_code
        == 401
    )
