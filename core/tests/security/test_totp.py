"""The optional TOTP second factor: enrol, confirm, sign in with a code, no replays, disable."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
import pytest
from sqlmodel import select

from rjchronos.security import totp as totp_module
from rjchronos.security.models import User

NOW = datetime(2025, 3, 1, 12, 0, 10, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Codes are checked against a fixed moment, so a 30 s boundary never splits a test."""
    monkeypatch.setattr(totp_module, "utcnow", lambda: NOW)


def _code(seed: str, steps: int = 0) -> str:
    return pyotp.TOTP(seed).at(NOW + timedelta(seconds=30 * steps))


def test_enrol_confirm_sign_in_and_disable(
    monkeypatch: pytest.MonkeyPatch,
    rjc_kernel: Any,
    anonymous: Any,
    add_user: Callable[..., Any],
    bearer: Callable[..., dict[str, str]],
    password: str,
) -> None:
    add_user(rjc_kernel, "tina")
    headers = bearer(anonymous, "tina")
    enrolled = anonymous.post("/api/v1/users/me/totp", headers=headers).json()
    seed = enrolled["secret"]
    assert enrolled["otpauth_uri"].startswith("otpauth://totp/RJChronos:tina?")
    with rjc_kernel.db.session() as session:
        stored = session.exec(select(User).where(User.username == "tina")).one().totp_secret
    assert stored and seed not in stored
    assert rjc_kernel.secrets.decrypt(stored) == seed

    # Not yet confirmed: a password alone still signs in.
    bearer(anonymous, "tina")
    wrong = anonymous.post(
        "/api/v1/users/me/totp/confirm", headers=headers, json={"code": "000000"}
    )
    assert wrong.status_code == 422
    assert wrong.json()["invalid_params"][0]["name"] == "body.code"
    confirmed = anonymous.post(
        "/api/v1/users/me/totp/confirm", headers=headers, json={"code": _code(seed, -1)}
    )
    assert confirmed.status_code == 200

    credentials = {"username": "tina", "password": password}
    needs_code = anonymous.post("/api/v1/auth/token", json=credentials)
    assert needs_code.status_code == 401
    assert needs_code.json()["totp_required"] is True
    assert (
        anonymous.post("/api/v1/auth/token", json={**credentials, "totp": "123456"}).status_code
        == 401
    )
    assert (
        anonymous.post("/api/v1/auth/token", json={**credentials, "totp": _code(seed)}).status_code
        == 200
    )
    replay = anonymous.post("/api/v1/auth/token", json={**credentials, "totp": _code(seed)})
    assert replay.status_code == 401
    assert (
        anonymous.post(
            "/api/v1/auth/login", json={**credentials, "totp": _code(seed, 1)}
        ).status_code
        == 200
    )
    anonymous.cookies.clear()

    assert anonymous.post("/api/v1/users/me/totp", headers=headers).status_code == 409
    disable = anonymous.post(
        "/api/v1/users/me/totp/disable", headers=headers, json={"code": _code(seed, 1)}
    )
    assert disable.status_code == 422  # already used
    monkeypatch.setattr(totp_module, "utcnow", lambda: NOW + timedelta(seconds=60))
    disable = anonymous.post(
        "/api/v1/users/me/totp/disable", headers=headers, json={"code": _code(seed, 3)}
    )
    assert disable.status_code == 204
    bearer(anonymous, "tina")


def test_admin_resets_a_lost_second_factor(
    rjc_kernel: Any,
    rjc_client: Any,
    anonymous: Any,
    add_user: Callable[..., Any],
    bearer: Callable[..., dict[str, str]],
    password: str,
) -> None:
    user = add_user(rjc_kernel, "lost")
    headers = bearer(anonymous, "lost")
    seed = anonymous.post("/api/v1/users/me/totp", headers=headers).json()["secret"]
    anonymous.post("/api/v1/users/me/totp/confirm", headers=headers, json={"code": _code(seed)})
    assert (
        anonymous.post(
            "/api/v1/auth/token", json={"username": "lost", "password": password}
        ).status_code
        == 401
    )
    assert rjc_client.delete(f"/api/v1/users/{user.id}/totp").status_code == 204
    bearer(anonymous, "lost")
    actions = [
        e["action"]
        for e in rjc_client.get("/api/v1/audit", params={"target": f"user:{user.id}"}).json()[
            "items"
        ]
    ]
    assert "users.totp_reset" in actions and "users.totp_enable" in actions
