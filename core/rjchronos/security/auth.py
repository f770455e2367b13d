"""Who is calling: bearer tokens and UI session cookies turned into a :class:`Principal`.

Lookups are cached for :attr:`Authenticator.CACHE_SECONDS` per credential,
so a busy list endpoint does not pay several queries per request. The cost
of the cache is a short window: a token revoked, a user disabled or a role
removed through *another* process keeps working for at most that long (and
never past the credential's own expiry). Changes made through this process
clear the cache at once (:meth:`Authenticator.forget`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import timedelta
from time import monotonic
from typing import TYPE_CHECKING

from sqlmodel import Session, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from rjchronos.db.types import utcnow
from rjchronos.http.principal import Principal
from rjchronos.security.models import ApiToken, UiSession, User
from rjchronos.security.ratelimit import LoginRateLimiter
from rjchronos.security.roles import narrow_grants, user_grants
from rjchronos.security.tokens import digest

if TYPE_CHECKING:
    from datetime import datetime

    from rjchronos.kernel import Kernel

SESSION_COOKIE = "rjc_session"
CSRF_COOKIE = "rjc_csrf"
CSRF_HEADER = "X-CSRF-Token"
#: How often an API token's ``last_used_at`` is written at most.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class Authenticator:
    """Authenticate requests for one kernel (``kernel.auth``)."""

    CACHE_SECONDS = 5.0
    CACHE_SIZE = 10_000

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self._cache: OrderedDict[str, tuple[float, Principal]] = OrderedDict()
        self._lock = threading.Lock()
        self.login_limiter = LoginRateLimiter(kernel.settings.login_attempts_per_minute)

    async def authenticate(self, request: HTTPConnection) -> Principal | None:
        """The caller of ``request``, or ``None`` when it carries no valid credential.

        ``Authorization: Bearer <token>`` (an access or API token) wins over
        the ``rjc_session`` cookie. A session principal carries its CSRF
        token; the router requires it in ``X-CSRF-Token`` on unsafe methods.
        """
        header = request.headers.get("authorization")
        if header is not None:
            scheme, _, credential = header.partition(" ")
            if scheme.lower() != "bearer" or not credential.strip():
                return None
            return await self._principal("token", credential.strip())
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            return await self._principal("session", cookie)
        return None

    def forget(self) -> None:
        """Drop every cached lookup (after a revocation, a role change, a disabled user)."""
        with self._lock:
            self._cache.clear()

    async def _principal(self, kind: str, secret: str) -> Principal | None:
        hashed = digest(secret)
        key = f"{kind}:{hashed}"
        now = monotonic()
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None and cached[0] > now:
                return cached[1]
        loaded = await run_in_threadpool(self._load, kind, hashed)
        if loaded is None:
            return None
        principal, expires_at = loaded
        until = now + self.CACHE_SECONDS
        if expires_at is not None:
            until = min(until, now + (expires_at - utcnow()).total_seconds())
        with self._lock:
            self._cache[key] = (until, principal)
            self._cache.move_to_end(key)
            while len(self._cache) > self.CACHE_SIZE:
                self._cache.popitem(last=False)
        return principal

    def _load(self, kind: str, hashed: str) -> tuple[Principal, datetime | None] | None:
        with self.kernel.db.session() as session:
            if kind == "session":
                return self._load_session(session, hashed)
            return self._load_token(session, hashed)

    def _load_session(
        self, session: Session, hashed: str
    ) -> tuple[Principal, datetime | None] | None:
        row = session.exec(select(UiSession).where(UiSession.session_hash == hashed)).first()
        if row is None or row.expires_at <= utcnow():
            return None
        user = session.get(User, row.user_id)
        if user is None or user.disabled:
            return None
        roles, grants = user_grants(session, row.user_id, self.kernel.permissions)
        principal = Principal(
            user_id=row.user_id,
            username=user.username,
            roles=roles,
            grants=grants,
            via="session",
            csrf_token=row.csrf_token,
        )
        return principal, row.expires_at

    def _load_token(
        self, session: Session, hashed: str
    ) -> tuple[Principal, datetime | None] | None:
        row = session.exec(select(ApiToken).where(ApiToken.token_hash == hashed)).first()
        now = utcnow()
        if (
            row is None
            or row.revoked_at is not None
            or (row.expires_at is not None and row.expires_at <= now)
        ):
            return None
        user = session.get(User, row.user_id)
        if user is None or user.disabled:
            return None
        declared = self.kernel.permissions
        roles, grants = user_grants(session, row.user_id, declared)
        if row.kind == "api":
            grants = narrow_grants(grants, row.permissions, row.scopes, declared)
            if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
                row.last_used_at = now
                session.add(row)
        principal = Principal(
            user_id=row.user_id,
            username=user.username,
            roles=roles,
            grants=grants,
            via="api_token" if row.kind == "api" else "token",
            token_id=row.id,
        )
        return principal, row.expires_at
