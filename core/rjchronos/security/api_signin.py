"""REST endpoints of signing in and out, the caller's own profile, TOTP and API tokens."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import col
from starlette.responses import JSONResponse, Response

from rjchronos.db.types import utcnow
from rjchronos.http.pagination import PAGE_QUERY, paginate
from rjchronos.http.problems import Problem, forbidden, unauthenticated
from rjchronos.http.routing import AUTHENTICATED, ApiCall, ApiRoute
from rjchronos.security import totp
from rjchronos.security.auth import CSRF_COOKIE, SESSION_COOKIE
from rjchronos.security.models import ApiToken, User
from rjchronos.security.passwords import verify_password
from rjchronos.security.roles import check_permission_names, check_scope
from rjchronos.security.tokens import (
    create_api_token,
    create_session,
    end_session,
    issue_access_token,
    list_tokens_query,
    revoke_token,
    token_view,
)
from rjchronos.security.users import (
    EMAIL_PATTERN,
    check_login,
    get_user,
    invalid,
    set_password,
    update_user,
    user_view,
)

TAGS = ("auth",)

CREDENTIALS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["username", "password"],
    "properties": {
        "username": {"type": "string", "minLength": 1, "maxLength": 64},
        "password": {"type": "string", "minLength": 1, "maxLength": 1024},
        "totp": {
            "type": "string",
            "pattern": "^[0-9 ]{6,8}$",
            "description": "code of the second factor",
        },
    },
    "additionalProperties": False,
}
PROFILE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "display_name": {"type": "string", "maxLength": 128},
        "email": {"type": "string", "maxLength": 254, "pattern": EMAIL_PATTERN},
        "locale": {"enum": ["pt-BR", "en"]},
    },
    "additionalProperties": False,
}
PASSWORD_CHANGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["current_password", "new_password"],
    "properties": {
        "current_password": {"type": "string", "maxLength": 1024},
        "new_password": {"type": "string", "maxLength": 1024},
    },
    "additionalProperties": False,
}
CODE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["code"],
    "properties": {"code": {"type": "string", "pattern": "^[0-9 ]{6,8}$"}},
    "additionalProperties": False,
}
TOKEN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 100},
        "permissions": {
            "type": ["array", "null"],
            "items": {"type": "string"},
            "maxItems": 500,
            "description": "only these of the user's permissions (all when absent)",
        },
        "scopes": {
            "type": ["array", "null"],
            "items": {"type": "string"},
            "maxItems": 100,
            "description": (
                "only in these scopes ('region:<name>', 'olt:<device id>'); everywhere when absent"
            ),
        },
        "expires_in_days": {"type": ["integer", "null"], "minimum": 1, "maximum": 3650},
    },
    "additionalProperties": False,
}


def _sign_in(call: ApiCall) -> User:
    """Check credentials under the rate limit; audit and count a failure."""
    username, ip = call.body["username"], call.client_ip
    limiter = call.kernel.auth.login_limiter
    keys = (f"user:{username}", f"ip:{ip}")
    wait = limiter.retry_after(*keys)
    if wait:
        raise Problem(
            429,
            "Too many requests",
            f"too many failed sign-ins: try again in {wait} seconds",
            headers={"Retry-After": str(wait)},
        )
    outcome = check_login(call.kernel, username, call.body["password"], call.body.get("totp"))
    if outcome.totp_required:
        raise Problem(
            401,
            "Unauthorized",
            "this account needs a TOTP code: send it as totp",
            totp_required=True,
        )
    if outcome.user is None:
        limiter.failed(*keys)
        call.audit("auth.sign_in", f"user:{username}", {"reason": outcome.failure}, result="denied")
        raise unauthenticated("wrong username, password or TOTP code")
    return outcome.user


def _audit_as(call: ApiCall, user: User, action: str, params: dict[str, Any] | None = None) -> None:
    call.kernel.audit.record(
        actor=f"user:{user.username}",
        action=action,
        target=f"user:{user.id}",
        params=params or {},
        source_ip=call.client_ip,
    )


def token(call: ApiCall) -> dict[str, Any]:
    user = _sign_in(call)
    secret, expires_in = issue_access_token(call.kernel, user)
    _audit_as(call, user, "auth.token")
    return {"access_token": secret, "token_type": "bearer", "expires_in": expires_in}


def login(call: ApiCall) -> Response:
    user = _sign_in(call)
    secret, csrf, ttl = create_session(call.kernel, user, call.client_ip)
    _audit_as(call, user, "auth.login")
    with call.kernel.db.session() as session:
        view = user_view(session, get_user(session, user.id or 0))
    response = JSONResponse({"user": view, "csrf_token": csrf, "expires_in": ttl})
    secure = call.request.url.scheme == "https"
    response.set_cookie(
        SESSION_COOKIE, secret, max_age=ttl, httponly=True, samesite="lax", secure=secure
    )
    response.set_cookie(
        CSRF_COOKIE, csrf, max_age=ttl, httponly=False, samesite="lax", secure=secure
    )
    return response


def logout(call: ApiCall) -> Response:
    principal = call.user
    if principal.via == "api_token":
        raise Problem(
            409, "Conflict", "an API token is not signed out: revoke it with DELETE /tokens/{id}"
        )
    if principal.via == "session":
        end_session(call.kernel, call.request.cookies.get(SESSION_COOKIE, ""))
    elif principal.token_id:
        revoke_token(call.kernel, principal.token_id)
    call.audit("auth.logout", f"user:{principal.user_id}")
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)
    return response


def me(call: ApiCall) -> dict[str, Any]:
    principal = call.user
    with call.kernel.db.session() as session:
        view = user_view(session, get_user(session, principal.user_id))
    view["permissions"] = {
        name: sorted(scopes, key=lambda s: (s is not None, s or ""))
        for name, scopes in sorted(principal.grants.items())
    }
    view["via"] = principal.via
    return view


def update_me(call: ApiCall) -> dict[str, Any]:
    user = update_user(call.kernel, call.user.user_id, dict(call.body))
    call.audit("users.update", f"user:{user.id}", dict(call.body))
    return me(call)


def change_password(call: ApiCall) -> None:
    with call.kernel.db.session() as session:
        stored = get_user(session, call.user.user_id).password_hash
    matches, _ = verify_password(stored, call.body["current_password"])
    if not matches:
        call.audit("users.change_password", f"user:{call.user.user_id}", result="denied")
        raise invalid("body.current_password", "wrong password")
    set_password(
        call.kernel, call.user.user_id, call.body["new_password"], field="body.new_password"
    )
    call.audit("users.change_password", f"user:{call.user.user_id}")


def totp_enroll(call: ApiCall) -> dict[str, Any]:
    with call.kernel.db.session() as session:
        user = get_user(session, call.user.user_id)
        seed, uri = totp.enroll(call.kernel, user)
        session.add(user)
    call.audit("users.totp_enroll", f"user:{user.id}")
    return {"secret": seed, "otpauth_uri": uri}


def totp_confirm(call: ApiCall) -> dict[str, Any]:
    with call.kernel.db.session() as session:
        user = get_user(session, call.user.user_id)
        totp.confirm(call.kernel, user, call.body["code"])
        session.add(user)
    call.audit("users.totp_enable", f"user:{user.id}")
    return {"totp_enabled": True}


def totp_disable(call: ApiCall) -> None:
    with call.kernel.db.session() as session:
        user = get_user(session, call.user.user_id)
        if not user.totp_enabled:
            raise Problem(409, "Conflict", "TOTP is not enabled")
        if not totp.accept_code(call.kernel, user, call.body["code"]):
            raise invalid("body.code", "wrong or expired code")
        totp.disable(user)
        session.add(user)
    call.audit("users.totp_disable", f"user:{user.id}")


# -- API tokens ---------------------------------------------------------------


def list_tokens(call: ApiCall) -> dict[str, Any]:
    principal = call.user
    owner = call.query.get("user_id", principal.user_id)
    if owner != principal.user_id and not principal.has("users.read"):
        raise forbidden("users.read")
    statement = list_tokens_query(owner)
    if not call.query.get("include_revoked"):
        statement = statement.where(col(ApiToken.revoked_at).is_(None))
    with call.kernel.db.session() as session:
        return paginate(
            session, statement, col(ApiToken.id), call.query, token_view, descending=True
        )


def create_token(call: ApiCall) -> dict[str, Any]:
    principal = call.user
    if principal.via == "api_token":
        raise Problem(
            403, "Forbidden", "an API token cannot create API tokens: sign in with a password"
        )
    body = call.body
    if body.get("permissions") is not None:
        check_permission_names(body["permissions"], call.kernel.permissions, "body.permissions")
    for index, scope in enumerate(body.get("scopes") or []):
        check_scope(scope, f"body.scopes.{index}")
    days = body.get("expires_in_days")
    secret, row = create_api_token(
        call.kernel,
        principal.user_id,
        body["name"],
        permissions=body.get("permissions"),
        scopes=body.get("scopes"),
        expires_at=utcnow() + timedelta(days=days) if days else None,
    )
    view = token_view(row)
    call.audit(
        "tokens.create",
        f"token:{row.id}",
        {k: view[k] for k in ("name", "permissions", "scopes", "expires_at")},
    )
    return {**view, "token": secret}


def delete_token(call: ApiCall) -> None:
    principal = call.user
    owner = None if principal.has("users.write") else principal.user_id
    row = revoke_token(call.kernel, call.path["token_id"], user_id=owner)
    call.audit("tokens.revoke", f"token:{row.id}", {"user_id": row.user_id})


def routes() -> list[ApiRoute]:
    """The sign-in, profile, TOTP and token routes."""
    page = {
        **PAGE_QUERY,
        "user_id": {"type": "integer", "description": "another user's tokens (needs users.read)"},
        "include_revoked": {"type": "boolean", "default": False},
    }
    return [
        ApiRoute(
            "POST",
            "/auth/token",
            token,
            public=True,
            body_schema=CREDENTIALS_SCHEMA,
            tags=TAGS,
            summary="Exchange username and password (and TOTP code) for a bearer access token",
        ),
        ApiRoute(
            "POST",
            "/auth/login",
            login,
            public=True,
            body_schema=CREDENTIALS_SCHEMA,
            tags=TAGS,
            summary="Sign the web UI in: sets the rjc_session and rjc_csrf cookies",
        ),
        ApiRoute(
            "POST",
            "/auth/logout",
            logout,
            permission=AUTHENTICATED,
            status_code=204,
            tags=TAGS,
            summary="End this session or access token",
        ),
        ApiRoute(
            "GET",
            "/users/me",
            me,
            permission=AUTHENTICATED,
            tags=TAGS,
            summary="The signed-in user, roles and effective permissions",
        ),
        ApiRoute(
            "PATCH",
            "/users/me",
            update_me,
            permission=AUTHENTICATED,
            body_schema=PROFILE_SCHEMA,
            tags=TAGS,
            summary="Change your display name, e-mail or language",
        ),
        ApiRoute(
            "POST",
            "/users/me/password",
            change_password,
            permission=AUTHENTICATED,
            status_code=204,
            body_schema=PASSWORD_CHANGE_SCHEMA,
            tags=TAGS,
            summary="Change your password (ends your sessions and access tokens)",
        ),
        ApiRoute(
            "POST",
            "/users/me/totp",
            totp_enroll,
            permission=AUTHENTICATED,
            tags=TAGS,
            summary="Start TOTP enrolment: returns the seed and otpauth URI",
        ),
        ApiRoute(
            "POST",
            "/users/me/totp/confirm",
            totp_confirm,
            permission=AUTHENTICATED,
            body_schema=CODE_SCHEMA,
            tags=TAGS,
            summary="Turn TOTP on with a code from the app",
        ),
        ApiRoute(
            "POST",
            "/users/me/totp/disable",
            totp_disable,
            permission=AUTHENTICATED,
            status_code=204,
            body_schema=CODE_SCHEMA,
            tags=TAGS,
            summary="Turn TOTP off with a current code",
        ),
        ApiRoute(
            "GET",
            "/tokens",
            list_tokens,
            permission="tokens.manage",
            query=page,
            tags=TAGS,
            summary="Your API tokens (never their secrets)",
        ),
        ApiRoute(
            "POST",
            "/tokens",
            create_token,
            permission="tokens.manage",
            body_schema=TOKEN_SCHEMA,
            status_code=201,
            tags=TAGS,
            summary="Create an API token, optionally narrowed; the secret is returned only here",
        ),
        ApiRoute(
            "DELETE",
            "/tokens/{token_id}",
            delete_token,
            permission="tokens.manage",
            status_code=204,
            tags=TAGS,
            summary="Revoke an API token (yours, or anyone's with users.write)",
        ),
    ]
