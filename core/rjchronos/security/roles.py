"""Roles, their permissions, and the grants a user's role bindings add up to."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from rjchronos.http.problems import Problem
from rjchronos.security.models import Role, RoleBinding
from rjchronos.security.permissions import BUILTIN_ROLES

if TYPE_CHECKING:
    from rjchronos.kernel import Kernel
    from rjchronos.security.permissions import Permission

Grants = dict[str, frozenset[str | None]]

_SCOPE = re.compile(r"(region|olt):\S.{0,190}")
_ROLE_NAME = re.compile(r"[a-z][a-z0-9_.-]{1,63}")

_DESCRIPTIONS = {
    "admin": "Every permission, including users, roles and the audit log",
    "operator": "Day-to-day network operation: the permissions plugins give operators",
    "viewer": "Read-only access: the permissions plugins give viewers",
}


def ensure_builtin_roles(kernel: Kernel) -> None:
    """Create the rows of the built-in roles that are missing (first use of a database)."""
    with kernel.db.session() as session:
        present = set(
            session.exec(select(Role.name).where(col(Role.name).in_(BUILTIN_ROLES))).all()
        )
    missing = [name for name in BUILTIN_ROLES if name not in present]
    for name in missing:
        try:
            with kernel.db.session() as session:
                session.add(Role(name=name, description=_DESCRIPTIONS[name], builtin=True))
        except IntegrityError:
            pass  # another process seeded it at the same moment


def role_permissions(role: Role, declared: Mapping[str, Permission]) -> list[str]:
    """The permissions ``role`` holds now: built-ins follow the declarations."""
    if role.builtin:
        if role.name == "admin":
            return sorted(declared)
        return sorted(name for name, p in declared.items() if role.name in p.default_roles)
    return sorted(role.permissions)


def unknown_permissions(names: Iterable[str], declared: Mapping[str, Permission]) -> list[str]:
    """The names in ``names`` that no plugin declares."""
    return sorted(set(names) - set(declared))


def check_permission_names(
    names: Sequence[str], declared: Mapping[str, Permission], field: str
) -> None:
    """Raise a 422 naming every undeclared permission in ``names``."""
    unknown = unknown_permissions(names, declared)
    if unknown:
        reason = f"unknown permissions: {', '.join(unknown)}"
        raise Problem(
            422,
            "Invalid body",
            f"{field}: {reason}",
            invalid_params=[{"name": field, "reason": reason}],
        )


def check_scope(scope: str | None, field: str = "body.scope") -> None:
    """Raise a 422 unless ``scope`` is None, ``region:<name>`` or ``olt:<device id>``."""
    if scope is not None and not _SCOPE.fullmatch(scope):
        reason = "use null (everywhere), 'region:<name>' or 'olt:<device id>'"
        raise Problem(
            422,
            "Invalid body",
            f"{field}: {reason}",
            invalid_params=[{"name": field, "reason": reason}],
        )


def check_role_name(name: str) -> None:
    """Raise a 422 unless ``name`` is a valid, non-built-in role name."""
    reason = None
    if name in BUILTIN_ROLES:
        reason = f"{name} is a built-in role"
    elif not _ROLE_NAME.fullmatch(name):
        reason = (
            "2-64 characters: lower-case letters, digits, '_', '.', '-', starting with a letter"
        )
    if reason:
        raise Problem(
            422,
            "Invalid body",
            f"body.name: {reason}",
            invalid_params=[{"name": "body.name", "reason": reason}],
        )


def find_role(session: Session, key: str) -> Role | None:
    """A role by id or by name."""
    return session.get(Role, key) or session.exec(select(Role).where(Role.name == key)).first()


def user_grants(
    session: Session, user_id: int, declared: Mapping[str, Permission]
) -> tuple[tuple[str, ...], Grants]:
    """The role names of a user and the grants their bindings add up to.

    A binding limited to a region or an OLT grants only the role's
    *scopable* permissions there: a scope cannot hold a global right.
    """
    rows = session.exec(
        select(RoleBinding.scope, Role)
        .join(Role, col(Role.id) == RoleBinding.role_id)
        .where(RoleBinding.user_id == user_id)
    ).all()
    grants: dict[str, set[str | None]] = {}
    roles: list[str] = []
    for scope, role in rows:
        if role.name not in roles:
            roles.append(role.name)
        for name in role_permissions(role, declared):
            if scope is not None and not _scopable(name, declared):
                continue
            grants.setdefault(name, set()).add(scope)
    return tuple(sorted(roles)), {name: frozenset(scopes) for name, scopes in grants.items()}


def narrow_grants(
    grants: Mapping[str, frozenset[str | None]],
    permissions: Sequence[str] | None,
    scopes: Sequence[str] | None,
    declared: Mapping[str, Permission],
) -> Grants:
    """What an API token may do: its user's grants cut down to its permissions and scopes.

    A token limited to scopes keeps a scopable permission only in the scopes
    both it and its user hold (the user's "everywhere" covers any scope), and
    drops non-scopable permissions.
    """
    narrowed: Grants = {}
    for name, held in grants.items():
        if permissions is not None and name not in permissions:
            continue
        if scopes is None:
            narrowed[name] = held
            continue
        if not _scopable(name, declared):
            continue
        kept = frozenset(s for s in scopes if None in held or s in held)
        if kept:
            narrowed[name] = kept
    return narrowed


def _scopable(name: str, declared: Mapping[str, Permission]) -> bool:
    permission = declared.get(name)
    return permission is not None and permission.scopable
