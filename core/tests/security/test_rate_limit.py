"""Login rate limiting per username and per client address, and the audit of failures."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.testclient import TestClient

from rjchronos.security.ratelimit import LoginRateLimiter


def test_failures_per_username_are_limited_with_retry_after(
    rjc_kernel_factory: Callable[..., Any], add_user: Callable[..., Any], password: str
) -> None:
    kernel = rjc_kernel_factory(login_attempts_per_minute=3)
    add_user(kernel, "mallory-target")
    app = kernel.asgi(lifespan=False)
    # Each attempt from another address: the username limit still applies.
    for n in range(3):
        client = TestClient(app, client=(f"10.0.0.{n}", 4000))
        wrong = client.post(
            "/api/v1/auth/token", json={"username": "mallory-target", "password": f"guess-{n}"}
        )
        assert wrong.status_code == 401
    client = TestClient(app, client=("10.0.0.99", 4000))
    limited = client.post(
        "/api/v1/auth/token", json={"username": "mallory-target", "password": password}
    )
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert limited.headers["content-type"] == "application/problem+json"
    # Another user from a fresh address is unaffected.
    add_user(kernel, "bystander")
    assert (
        client.post(
            "/api/v1/auth/login", json={"username": "bystander", "password": password}
        ).status_code
        == 200
    )


def test_failures_per_address_are_limited(
    rjc_kernel_factory: Callable[..., Any], add_user: Callable[..., Any], password: str
) -> None:
    kernel = rjc_kernel_factory(login_attempts_per_minute=2)
    add_user(kernel, "victim")
    client = TestClient(kernel.asgi(lifespan=False), client=("203.0.113.7", 4000))
    for name in ("a", "b"):
        assert (
            client.post("/api/v1/auth/login", json={"username": name, "password": "x"}).status_code
            == 401
        )
    assert (
        client.post(
            "/api/v1/auth/login", json={"username": "victim", "password": password}
        ).status_code
        == 429
    )
    other = TestClient(kernel.asgi(lifespan=False), client=("203.0.113.8", 4000))
    assert (
        other.post(
            "/api/v1/auth/login", json={"username": "victim", "password": password}
        ).status_code
        == 200
    )


def test_failed_login_is_audited_without_the_password(
    rjc_kernel: Any, anonymous: Any, rjc_client: Any, add_user: Callable[..., Any]
) -> None:
    add_user(rjc_kernel, "wendy")
    anonymous.post(
        "/api/v1/auth/token", json={"username": "wendy", "password": "Tr0ub4dor&3-guess"}
    )
    entries = rjc_client.get("/api/v1/audit", params={"action": "auth.sign_in"}).json()["items"]
    assert len(entries) == 1
    entry = entries[0]
    assert entry["result"] == "denied"
    assert entry["target"] == "user:wendy"
    assert entry["actor"] == "anonymous@testclient"
    assert entry["params"] == {"reason": "wrong password"}
    assert "Tr0ub4dor" not in json.dumps(rjc_client.get("/api/v1/audit").json())


def test_limiter_window_counts_only_recent_failures() -> None:
    limiter = LoginRateLimiter(2)
    limiter.failed("user:a")
    assert limiter.retry_after("user:a", "ip:1") == 0
    limiter.failed("user:a", "ip:1")
    assert limiter.retry_after("user:a") > 0
    assert limiter.retry_after("ip:1") == 0
    assert limiter.retry_after("user:b", "ip:2") == 0
