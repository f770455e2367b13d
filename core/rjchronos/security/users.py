"""Users: create, find, change passwords, grant roles, and check credentials at login."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from rjchronos.db.types import utcnow
from rjchronos.http.problems import Problem
from rjchronos.security import totp
from rjchronos.security.models import ApiToken, Role, RoleBinding, UiSession, User
from rjchronos.security.passwords import hash_password, password_problem, verify_password
from rjchronos.security.roles import check_scope, ensure_builtin_roles, find_role

if TYPE_CHECKING:
    from rjchronos.kernel import Kernel

LOCALES = ("pt-BR", "en")
FIRST_ADMIN = "admin"
_USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
#: Empty, or something@somewhere: catches a slip; no full RFC 5322 parser.
EMAIL_PATTERN = r"^$|^[^@\s]+@[^@\s]+$"
_EMAIL = re.compile(r"([^@\s]+@[^@\s]+)?")
_PROFILE_FIELDS = frozenset({"display_name", "email", "locale", "disabled"})


def invalid(field: str, reason: str) -> Problem:
    """A 422 problem naming ``field``."""
    return Problem(
        422,
        "Invalid input",
        f"{field}: {reason}",
        invalid_params=[{"name": field, "reason": reason}],
    )


def check_password(password: str, field: str = "body.password") -> None:
    """Raise a 422 naming ``field`` when ``password`` breaks the password rules."""
    problem = password_problem(password)
    if problem:
        raise invalid(field, problem)


def check_profile(fields: dict[str, Any]) -> None:
    """Raise a 422 naming the first profile field with a bad value."""
    unknown = set(fields) - _PROFILE_FIELDS
    if unknown:
        raise invalid(f"body.{sorted(unknown)[0]}", "not a user field")
    if "email" in fields and not _EMAIL.fullmatch(fields["email"]):
        raise invalid("body.email", "not an e-mail address")
    if "locale" in fields and fields["locale"] not in LOCALES:
        raise invalid("body.locale", f"use one of {', '.join(LOCALES)}")


def create_user(
    kernel: Kernel,
    username: str,
    password: str,
    roles: Iterable[str] = ("admin",),
    **fields: Any,
) -> User:
    """Create a user holding ``roles`` everywhere.

    :param fields: ``display_name``, ``email``, ``locale``, ``disabled``.
    :raises Problem: 422 naming a bad field or unknown role, 409 when the
        username is taken.
    """
    if not _USERNAME.fullmatch(username):
        raise invalid(
            "body.username",
            "1-64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit",
        )
    check_password(password)
    check_profile(fields)
    ensure_builtin_roles(kernel)
    with kernel.db.session() as session:
        role_rows = []
        for name in roles:
            role = find_role(session, name)
            if role is None:
                raise invalid("body.roles", f"no role named {name!r}")
            role_rows.append(role)
        user = User(username=username, password_hash=hash_password(password), **fields)
        session.add(user)
        try:
            session.flush()
        except IntegrityError:
            raise Problem(409, "Conflict", f"the username {username!r} is taken") from None
        assert user.id is not None
        for role in role_rows:
            session.add(RoleBinding(user_id=user.id, role_id=role.id))
    return user


def ensure_first_admin(kernel: Kernel) -> str | None:
    """Create user ``admin`` with a random password when there is no user at all.

    :return: the new password (to show once), or ``None`` when users exist.
    """
    with kernel.db.session() as session:
        if session.exec(select(User.id).limit(1)).first() is not None:
            return None
    password = secrets.token_urlsafe(12)
    try:
        create_user(kernel, FIRST_ADMIN, password, roles=("admin",), display_name="Administrator")
    except Problem as problem:
        if problem.status == 409:  # another process created it first
            return None
        raise
    return password


def get_user(session: Session, user_id: int) -> User:
    """The user with ``user_id`` or a 404."""
    user = session.get(User, user_id)
    if user is None:
        raise Problem(404, "Not found", f"no user with id {user_id}")
    return user


def find_user(session: Session, username: str) -> User | None:
    """The user called ``username`` (exact match)."""
    return session.exec(select(User).where(User.username == username)).first()


def set_password(
    kernel: Kernel, user_id: int, password: str, *, field: str = "body.password"
) -> None:
    """Replace a user's password and end their sessions and access tokens."""
    check_password(password, field)
    with kernel.db.session() as session:
        user = get_user(session, user_id)
        user.password_hash = hash_password(password)
        session.add(user)
        end_sign_ins(session, user_id, api_tokens=False)
    kernel.auth.forget()


def update_user(kernel: Kernel, user_id: int, fields: dict[str, Any]) -> User:
    """Change profile fields; disabling a user ends their sessions and tokens."""
    check_profile(fields)
    with kernel.db.session() as session:
        user = get_user(session, user_id)
        if fields.get("disabled") and not user.disabled:
            ensure_other_admin(session, user_id)
            end_sign_ins(session, user_id, api_tokens=True)
        for name, value in fields.items():
            setattr(user, name, value)
        session.add(user)
    kernel.auth.forget()
    return user


def delete_user(kernel: Kernel, user_id: int) -> User:
    """Remove a user with their role bindings, tokens and sessions."""
    with kernel.db.session() as session:
        user = get_user(session, user_id)
        ensure_other_admin(session, user_id)
        session.execute(delete(RoleBinding).where(col(RoleBinding.user_id) == user_id))
        session.execute(delete(ApiToken).where(col(ApiToken.user_id) == user_id))
        session.execute(delete(UiSession).where(col(UiSession.user_id) == user_id))
        session.delete(user)
    kernel.auth.forget()
    return user


def end_sign_ins(session: Session, user_id: int, *, api_tokens: bool) -> None:
    """Delete a user's UI sessions and revoke their access (and, if asked, API) tokens."""
    session.execute(delete(UiSession).where(col(UiSession.user_id) == user_id))
    kinds = ["access", "api"] if api_tokens else ["access"]
    for token in session.exec(
        select(ApiToken).where(
            ApiToken.user_id == user_id,
            col(ApiToken.kind).in_(kinds),
            col(ApiToken.revoked_at).is_(None),
        )
    ):
        token.revoked_at = utcnow()
        session.add(token)


def bind_role(kernel: Kernel, user_id: int, role_key: str, scope: str | None) -> RoleBinding:
    """Grant a role (by id or name) to a user, everywhere or in one scope."""
    check_scope(scope)
    ensure_builtin_roles(kernel)
    with kernel.db.session() as session:
        get_user(session, user_id)
        role = find_role(session, role_key)
        if role is None:
            raise invalid("body.role", f"no role named {role_key!r}")
        duplicate = session.exec(
            select(RoleBinding).where(
                RoleBinding.user_id == user_id,
                RoleBinding.role_id == role.id,
                col(RoleBinding.scope).is_(None) if scope is None else RoleBinding.scope == scope,
            )
        ).first()
        if duplicate is not None:
            raise Problem(
                409, "Conflict", f"the user already holds {role.name} in {scope or 'every scope'}"
            )
        binding = RoleBinding(user_id=user_id, role_id=role.id, scope=scope)
        session.add(binding)
    kernel.auth.forget()
    return binding


def unbind_role(kernel: Kernel, user_id: int, binding_id: str) -> RoleBinding:
    """Remove one role binding of a user."""
    with kernel.db.session() as session:
        binding = session.get(RoleBinding, binding_id)
        if binding is None or binding.user_id != user_id:
            raise Problem(404, "Not found", f"user {user_id} has no role binding {binding_id!r}")
        if _is_global_admin_binding(session, binding):
            ensure_other_admin(session, user_id)
        session.delete(binding)
    kernel.auth.forget()
    return binding


def ensure_other_admin(session: Session, user_id: int) -> None:
    """Refuse (409) to remove the last enabled user who is an administrator everywhere."""
    admin = find_role(session, "admin")
    if admin is None:
        return
    others = session.exec(
        select(func.count())
        .select_from(RoleBinding)
        .join(User, col(User.id) == RoleBinding.user_id)
        .where(
            RoleBinding.role_id == admin.id,
            col(RoleBinding.scope).is_(None),
            RoleBinding.user_id != user_id,
            col(User.disabled).is_(False),
        )
    ).one()
    if not others:
        raise Problem(
            409, "Conflict", "this is the last enabled administrator: make another user admin first"
        )


def _is_global_admin_binding(session: Session, binding: RoleBinding) -> bool:
    admin = find_role(session, "admin")
    return admin is not None and binding.role_id == admin.id and binding.scope is None


@dataclass(frozen=True)
class LoginCheck:
    """The outcome of checking credentials: the user, or why they were refused."""

    user: User | None
    failure: str = ""
    totp_required: bool = False


def check_login(kernel: Kernel, username: str, password: str, code: str | None) -> LoginCheck:
    """Verify a username, password and (when enrolled) TOTP code.

    On success records the login time and upgrades an outdated password hash.
    """
    with kernel.db.session() as session:
        user = find_user(session, username)
        matches, new_hash = verify_password(user.password_hash if user else None, password)
        if user is None:
            return LoginCheck(None, "unknown user")
        if not matches:
            return LoginCheck(None, "wrong password")
        if user.disabled:
            return LoginCheck(None, "user disabled")
        if user.totp_enabled:
            if not code:
                return LoginCheck(None, totp_required=True)
            if not totp.accept_code(kernel, user, code):
                return LoginCheck(None, "wrong TOTP code")
        if new_hash:
            user.password_hash = new_hash
        user.last_login_at = utcnow()
        session.add(user)
    return LoginCheck(user)


def user_view(session: Session, user: User) -> dict[str, Any]:
    """A user as the API shows it, with role bindings."""
    return user_views(session, [user])[0]


def user_views(session: Session, users: Sequence[User]) -> list[dict[str, Any]]:
    """Users as the API shows them, their role bindings read in one query."""
    bindings: dict[int, list[dict[str, Any]]] = {}
    rows = session.exec(
        select(RoleBinding, Role)
        .join(Role, col(Role.id) == RoleBinding.role_id)
        .where(col(RoleBinding.user_id).in_([u.id for u in users]))
        .order_by(col(RoleBinding.id))
    ).all()
    for binding, role in rows:
        bindings.setdefault(binding.user_id, []).append(
            {"id": binding.id, "role": role.name, "scope": binding.scope}
        )
    return [
        {
            "id": user.id,
            "username": user.username,
            "display_name": user.display_name,
            "email": user.email,
            "locale": user.locale,
            "disabled": user.disabled,
            "totp_enabled": user.totp_enabled,
            "created_at": user.created_at.isoformat(),
            "last_login_at": user.last_login_at.isoformat() if user.last_login_at else None,
            "roles": bindings.get(user.id or 0, []),
        }
        for user in users
    ]
