"""UI sessions: cookies, CSRF protection on unsafe methods, logout."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.testclient import TestClient


def _login(client: TestClient, username: str, password: str) -> Any:
    response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return response


def test_login_sets_a_private_session_cookie_and_a_readable_csrf_cookie(
    rjc_kernel: Any, anonymous: Any, add_user: Callable[..., Any], password: str
) -> None:
    add_user(rjc_kernel, "uma", roles=("operator",))
    response = _login(anonymous, "uma", password)
    body = response.json()
    assert body["user"]["username"] == "uma"
    cookies = {c.split("=", 1)[0]: c.lower() for c in response.headers.get_list("set-cookie")}
    assert "httponly" in cookies["rjc_session"] and "samesite=lax" in cookies["rjc_session"]
    assert "httponly" not in cookies["rjc_csrf"] and "samesite=lax" in cookies["rjc_csrf"]
    assert (
        "secure" not in cookies["rjc_session"]
    )  # plain http: a Secure cookie would never come back
    assert anonymous.cookies["rjc_csrf"] == body["csrf_token"]
    me = anonymous.get("/api/v1/users/me")
    assert me.status_code == 200 and me.json()["via"] == "session"


def test_session_cookie_is_secure_over_https(
    rjc_kernel: Any, add_user: Callable[..., Any], password: str
) -> None:
    add_user(rjc_kernel, "uma")
    with TestClient(rjc_kernel.asgi(), base_url="https://rjc.example") as client:
        response = _login(client, "uma", password)
        assert all("secure" in c.lower() for c in response.headers.get_list("set-cookie"))
        assert client.get("/api/v1/users/me").status_code == 200


def test_unsafe_methods_need_the_csrf_header(
    rjc_kernel: Any, anonymous: Any, add_user: Callable[..., Any], password: str
) -> None:
    add_user(rjc_kernel, "uma")
    csrf = _login(anonymous, "uma", password).json()["csrf_token"]
    missing = anonymous.patch("/api/v1/users/me", json={"locale": "en"})
    assert missing.status_code == 403
    assert "CSRF" in missing.json()["detail"]
    wrong = anonymous.patch(
        "/api/v1/users/me", json={"locale": "en"}, headers={"X-CSRF-Token": "guess"}
    )
    assert wrong.status_code == 403
    assert anonymous.get("/api/v1/users/me").json()["locale"] == "pt-BR"
    right = anonymous.patch(
        "/api/v1/users/me", json={"locale": "en"}, headers={"X-CSRF-Token": csrf}
    )
    assert right.status_code == 200
    assert right.json()["locale"] == "en"


def test_logout_ends_the_session(
    rjc_kernel: Any, anonymous: Any, add_user: Callable[..., Any], password: str
) -> None:
    add_user(rjc_kernel, "uma")
    csrf = _login(anonymous, "uma", password).json()["csrf_token"]
    session_cookie = anonymous.cookies["rjc_session"]
    assert anonymous.post("/api/v1/auth/logout").status_code == 403  # CSRF applies to logout too
    assert anonymous.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert "rjc_session" not in anonymous.cookies
    anonymous.cookies.set("rjc_session", session_cookie)  # replaying the old cookie
    assert anonymous.get("/api/v1/users/me").status_code == 401


def test_password_change_ends_sessions(
    rjc_kernel: Any, anonymous: Any, add_user: Callable[..., Any], password: str
) -> None:
    add_user(rjc_kernel, "uma")
    csrf = _login(anonymous, "uma", password).json()["csrf_token"]
    headers = {"X-CSRF-Token": csrf}
    wrong = anonymous.post(
        "/api/v1/users/me/password",
        headers=headers,
        json={"current_password": "not it at all", "new_password": "a new passphrase"},
    )
    assert wrong.status_code == 422
    assert wrong.json()["invalid_params"][0]["name"] == "body.current_password"
    changed = anonymous.post(
        "/api/v1/users/me/password",
        headers=headers,
        json={"current_password": password, "new_password": "a new passphrase"},
    )
    assert changed.status_code == 204
    assert anonymous.get("/api/v1/users/me").status_code == 401
    _login(anonymous, "uma", "a new passphrase")


def test_bearer_header_wins_over_a_session_cookie_and_skips_csrf(
    rjc_kernel: Any,
    anonymous: Any,
    add_user: Callable[..., Any],
    bearer: Callable[..., dict[str, str]],
    password: str,
) -> None:
    add_user(rjc_kernel, "uma")
    add_user(rjc_kernel, "vic")
    _login(anonymous, "uma", password)
    headers = bearer(anonymous, "vic")
    assert anonymous.get("/api/v1/users/me", headers=headers).json()["username"] == "vic"
    assert (
        anonymous.patch("/api/v1/users/me", json={"locale": "en"}, headers=headers).status_code
        == 200
    )
