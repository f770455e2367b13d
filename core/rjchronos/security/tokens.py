"""Bearer tokens and UI sessions: issue, look up by hash, revoke.

Secrets are random (256 bits) and only their SHA-256 is stored, so a
database leak yields no usable credential. A plain hash (not argon2) is
right here: the secret has full entropy, and it is checked on every request.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete
from sqlmodel import col, select

from rjchronos.db.types import utcnow
from rjchronos.http.problems import Problem
from rjchronos.security.models import ApiToken, UiSession, User

if TYPE_CHECKING:
    from rjchronos.kernel import Kernel

ACCESS_PREFIX = "rjca_"
API_PREFIX = "rjct_"
SESSION_PREFIX = "rjcs_"
#: Characters of a token shown in lists so a user can tell tokens apart.
SHOWN_PREFIX = 12


def digest(secret: str) -> str:
    """The SHA-256 (hex) a secret is stored and looked up as."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _new_secret(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def issue_access_token(kernel: Kernel, user: User) -> tuple[str, int]:
    """A short-lived bearer token for ``user`` (``settings.access_token_ttl``).

    Also deletes the user's expired access tokens, so the table holds only
    live ones and those revoked before they expired.

    :return: the token and its lifetime in seconds.
    """
    assert user.id is not None
    ttl = kernel.settings.access_token_ttl
    token = _new_secret(ACCESS_PREFIX)
    now = utcnow()
    with kernel.db.session() as session:
        session.execute(
            delete(ApiToken).where(
                col(ApiToken.user_id) == user.id,
                col(ApiToken.kind) == "access",
                col(ApiToken.expires_at) < now,
            )
        )
        session.add(
            ApiToken(
                kind="access",
                user_id=user.id,
                name="access token",
                token_hash=digest(token),
                prefix=token[:SHOWN_PREFIX],
                expires_at=now + timedelta(seconds=ttl),
            )
        )
    return token, ttl


def create_api_token(
    kernel: Kernel,
    user_id: int,
    name: str,
    *,
    permissions: Sequence[str] | None = None,
    scopes: Sequence[str] | None = None,
    expires_at: datetime | None = None,
) -> tuple[str, ApiToken]:
    """A long-lived API token acting for ``user_id``, optionally narrowed.

    :return: the secret (shown once) and the stored row.
    """
    token = _new_secret(API_PREFIX)
    row = ApiToken(
        kind="api",
        user_id=user_id,
        name=name,
        token_hash=digest(token),
        prefix=token[:SHOWN_PREFIX],
        permissions=sorted(set(permissions)) if permissions is not None else None,
        scopes=sorted(set(scopes)) if scopes is not None else None,
        expires_at=expires_at,
    )
    with kernel.db.session() as session:
        session.add(row)
    return token, row


def revoke_token(kernel: Kernel, token_id: str, *, user_id: int | None = None) -> ApiToken:
    """Revoke a token (of ``user_id`` when given); it stops working at once in this process."""
    with kernel.db.session() as session:
        row = session.get(ApiToken, token_id)
        if row is None or (user_id is not None and row.user_id != user_id):
            raise Problem(404, "Not found", f"no token with id {token_id!r}")
        if row.revoked_at is None:
            row.revoked_at = utcnow()
            session.add(row)
    kernel.auth.forget()
    return row


def token_view(row: ApiToken) -> dict[str, Any]:
    """An API token as the API lists it (never the secret)."""
    return {
        "id": row.id,
        "user_id": row.user_id,
        "name": row.name,
        "prefix": row.prefix,
        "permissions": row.permissions,
        "scopes": row.scopes,
        "created_at": row.created_at.isoformat(),
        "expires_at": row.expires_at.isoformat() if row.expires_at else None,
        "last_used_at": row.last_used_at.isoformat() if row.last_used_at else None,
        "revoked": row.revoked_at is not None,
    }


def create_session(kernel: Kernel, user: User, source_ip: str = "") -> tuple[str, str, int]:
    """Start a UI session (``settings.session_ttl``).

    :return: the session secret (the cookie), its CSRF token, and its lifetime in seconds.
    """
    assert user.id is not None
    secret, csrf = _new_secret(SESSION_PREFIX), secrets.token_urlsafe(32)
    ttl = kernel.settings.session_ttl
    now = utcnow()
    with kernel.db.session() as session:
        session.execute(
            delete(UiSession).where(
                col(UiSession.user_id) == user.id, col(UiSession.expires_at) < now
            )
        )
        session.add(
            UiSession(
                session_hash=digest(secret),
                user_id=user.id,
                csrf_token=csrf,
                source_ip=source_ip,
                expires_at=now + timedelta(seconds=ttl),
            )
        )
    return secret, csrf, ttl


def end_session(kernel: Kernel, secret: str) -> None:
    """Sign a UI session out."""
    with kernel.db.session() as session:
        session.execute(delete(UiSession).where(col(UiSession.session_hash) == digest(secret)))
    kernel.auth.forget()


def list_tokens_query(user_id: int | None) -> Any:
    """The statement listing API tokens (of one user, when given)."""
    statement = select(ApiToken).where(ApiToken.kind == "api")
    if user_id is not None:
        statement = statement.where(ApiToken.user_id == user_id)
    return statement
