"""Passwords: argon2id hashes, rehash on login when parameters change, the password rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from argon2 import PasswordHasher
from sqlmodel import select

from rjchronos.security.models import User
from rjchronos.security.passwords import hash_password, password_problem, verify_password


def test_hash_is_argon2id_salted_and_verifies() -> None:
    first, second = hash_password("s3cret-pass"), hash_password("s3cret-pass")
    assert first.startswith("$argon2id$")
    assert first != second
    assert verify_password(first, "s3cret-pass") == (True, None)
    assert verify_password(first, "s3cret-Pass") == (False, None)
    assert verify_password(None, "anything") == (False, None)
    assert verify_password("not a hash", "anything") == (False, None)


def test_outdated_parameters_are_reported_for_rehash() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash("s3cret-pass")
    matches, new_hash = verify_password(weak, "s3cret-pass")
    assert matches and new_hash is not None
    assert verify_password(new_hash, "s3cret-pass") == (True, None)


def test_password_rules() -> None:
    assert password_problem("short") == "must have at least 8 characters"
    assert password_problem(" " * 9) == "must not be only spaces"
    assert password_problem("x" * 1025) == "must have at most 1024 characters"
    assert password_problem("long enough") is None


def test_login_upgrades_an_outdated_hash(
    rjc_kernel: Any, anonymous: Any, add_user: Callable[..., Any], password: str
) -> None:
    add_user(rjc_kernel, "old-hash")
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(password)
    with rjc_kernel.db.session() as session:
        user = session.exec(select(User).where(User.username == "old-hash")).one()
        user.password_hash = weak
        session.add(user)
    response = anonymous.post(
        "/api/v1/auth/token", json={"username": "old-hash", "password": password}
    )
    assert response.status_code == 200
    with rjc_kernel.db.session() as session:
        user = session.exec(select(User).where(User.username == "old-hash")).one()
    assert user.password_hash != weak
    assert not PasswordHasher().check_needs_rehash(user.password_hash)
    assert user.last_login_at is not None


def test_weak_password_is_refused_naming_the_field(rjc_client: Any) -> None:
    response = rjc_client.post("/api/v1/users", json={"username": "bob", "password": "short"})
    assert response.status_code == 422
    assert response.json()["invalid_params"] == [
        {"name": "body.password", "reason": "must have at least 8 characters"}
    ]
    assert rjc_client.get("/api/v1/users", params={"username": "bob"}).json()["items"] == []


def test_stored_hash_is_never_the_password(
    rjc_kernel: Any, add_user: Callable[..., Any], password: str
) -> None:
    user = add_user(rjc_kernel, "carol")
    assert password not in user.password_hash
    assert verify_password(user.password_hash, password)[0]
