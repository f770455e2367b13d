"""REST endpoints that administer users, role bindings, roles and permissions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from rjchronos.http.pagination import PAGE_QUERY, paginate
from rjchronos.http.principal import Principal
from rjchronos.http.problems import Problem
from rjchronos.http.routing import ApiCall, ApiRoute
from rjchronos.security import totp
from rjchronos.security.models import Role, RoleBinding, User
from rjchronos.security.roles import (
    check_permission_names,
    check_role_name,
    ensure_builtin_roles,
    find_role,
    role_permissions,
)
from rjchronos.security.users import (
    EMAIL_PATTERN,
    bind_role,
    create_user,
    delete_user,
    get_user,
    set_password,
    unbind_role,
    update_user,
    user_view,
    user_views,
)

USER_TAGS = ("users",)
ROLE_TAGS = ("roles",)

USER_FIELDS: dict[str, Any] = {
    "display_name": {"type": "string", "maxLength": 128},
    "email": {"type": "string", "maxLength": 254, "pattern": EMAIL_PATTERN},
    "locale": {"enum": ["pt-BR", "en"]},
    "disabled": {"type": "boolean"},
}
NEW_USER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["username", "password"],
    "properties": {
        "username": {"type": "string", "minLength": 1, "maxLength": 64},
        "password": {"type": "string", "maxLength": 1024},
        "roles": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["viewer"],
            "maxItems": 50,
        },
        **USER_FIELDS,
    },
    "additionalProperties": False,
}
USER_PATCH_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": USER_FIELDS,
    "additionalProperties": False,
}
PASSWORD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["password"],
    "properties": {"password": {"type": "string", "maxLength": 1024}},
    "additionalProperties": False,
}
BINDING_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["role"],
    "properties": {
        "role": {"type": "string", "description": "role name or id"},
        "scope": {
            "type": ["string", "null"],
            "description": "null (everywhere), 'region:<name>' or 'olt:<device id>'",
        },
    },
    "additionalProperties": False,
}
PERMISSIONS_FIELD: dict[str, Any] = {"type": "array", "items": {"type": "string"}, "maxItems": 1000}
NEW_ROLE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "permissions"],
    "properties": {
        "name": {"type": "string", "maxLength": 64},
        "description": {"type": "string", "maxLength": 500},
        "permissions": PERMISSIONS_FIELD,
    },
    "additionalProperties": False,
}
ROLE_PATCH_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "description": {"type": "string", "maxLength": 500},
        "permissions": PERMISSIONS_FIELD,
    },
    "additionalProperties": False,
}


def _check_can_grant(call: ApiCall, role_key: str, scope: str | None) -> None:
    """Refuse (403) to grant a role holding permissions the caller lacks there: no escalation."""
    with call.kernel.db.session() as session:
        role = find_role(session, role_key)
    if role is None:
        return  # the grant itself reports the unknown role
    declared = call.kernel.permissions
    granted = [
        name
        for name in role_permissions(role, declared)
        if name in declared and (scope is None or declared[name].scopable)
    ]
    principal: Principal = call.user
    lacking = [name for name in granted if not principal.has(name, scope)]
    if lacking:
        raise Problem(
            403,
            "Forbidden",
            f"you cannot grant {role.name}: it holds permissions you lack there: "
            + ", ".join(lacking),
        )


# -- users ------------------------------------------------------------------


def list_users(call: ApiCall) -> dict[str, Any]:
    statement = select(User)
    if call.query.get("username"):
        statement = statement.where(
            col(User.username).icontains(call.query["username"], autoescape=True)
        )
    if "disabled" in call.query:
        statement = statement.where(User.disabled == call.query["disabled"])
    if call.query.get("role"):
        statement = statement.where(
            col(User.id).in_(
                select(RoleBinding.user_id)
                .join(Role, col(Role.id) == RoleBinding.role_id)
                .where(Role.name == call.query["role"])
            )
        )
    with call.kernel.db.session() as session:
        page = paginate(session, statement, col(User.id), call.query, lambda user: user)
        page["items"] = user_views(session, page["items"])
    return page


def create(call: ApiCall) -> dict[str, Any]:
    body = dict(call.body)
    roles = body.pop("roles", ["viewer"])
    for role in roles:
        _check_can_grant(call, role, None)
    user = create_user(call.kernel, body.pop("username"), body.pop("password"), roles=roles, **body)
    call.audit(
        "users.create", f"user:{user.id}", {"username": user.username, "roles": roles, **body}
    )
    return show(call, user.id)


def show(call: ApiCall, user_id: int | None = None) -> dict[str, Any]:
    with call.kernel.db.session() as session:
        return user_view(session, get_user(session, user_id or call.path["user_id"]))


def update(call: ApiCall) -> dict[str, Any]:
    user_id = call.path["user_id"]
    update_user(call.kernel, user_id, dict(call.body))
    call.audit("users.update", f"user:{user_id}", dict(call.body))
    return show(call)


def remove(call: ApiCall) -> None:
    user_id = call.path["user_id"]
    if user_id == call.user.user_id:
        raise Problem(409, "Conflict", "you cannot delete yourself")
    user = delete_user(call.kernel, user_id)
    call.audit("users.delete", f"user:{user_id}", {"username": user.username})


def reset_password(call: ApiCall) -> None:
    user_id = call.path["user_id"]
    set_password(call.kernel, user_id, call.body["password"])
    call.audit("users.reset_password", f"user:{user_id}")


def reset_totp(call: ApiCall) -> None:
    user_id = call.path["user_id"]
    with call.kernel.db.session() as session:
        user = get_user(session, user_id)
        totp.disable(user)
        session.add(user)
    call.audit("users.totp_reset", f"user:{user_id}")


# -- role bindings ----------------------------------------------------------


def list_bindings(call: ApiCall) -> dict[str, Any]:
    user_id = call.path["user_id"]
    with call.kernel.db.session() as session:
        get_user(session, user_id)
        names = dict(session.exec(select(Role.id, Role.name)).all())
        statement = select(RoleBinding).where(RoleBinding.user_id == user_id)
        return paginate(
            session,
            statement,
            col(RoleBinding.id),
            call.query,
            lambda b: {
                "id": b.id,
                "role": names.get(b.role_id),
                "scope": b.scope,
                "created_at": b.created_at.isoformat(),
            },
        )


def add_binding(call: ApiCall) -> dict[str, Any]:
    user_id, role, scope = call.path["user_id"], call.body["role"], call.body.get("scope")
    _check_can_grant(call, role, scope)
    binding = bind_role(call.kernel, user_id, role, scope)
    call.audit(
        "users.grant_role", f"user:{user_id}", {"role": role, "scope": scope, "binding": binding.id}
    )
    return {
        "id": binding.id,
        "role": role,
        "scope": scope,
        "created_at": binding.created_at.isoformat(),
    }


def remove_binding(call: ApiCall) -> None:
    user_id, binding_id = call.path["user_id"], call.path["binding_id"]
    binding = unbind_role(call.kernel, user_id, binding_id)
    call.audit(
        "users.revoke_role", f"user:{user_id}", {"binding": binding_id, "scope": binding.scope}
    )


# -- roles ------------------------------------------------------------------


def _role_view(call: ApiCall, role: Role) -> dict[str, Any]:
    return {
        "id": role.id,
        "name": role.name,
        "description": role.description,
        "builtin": role.builtin,
        "permissions": role_permissions(role, call.kernel.permissions),
        "created_at": role.created_at.isoformat(),
    }


def _role(call: ApiCall) -> Role:
    with call.kernel.db.session() as session:
        role = find_role(session, call.path["role"])
    if role is None:
        raise Problem(404, "Not found", f"no role with id or name {call.path['role']!r}")
    return role


def list_roles(call: ApiCall) -> dict[str, Any]:
    ensure_builtin_roles(call.kernel)
    with call.kernel.db.session() as session:
        return paginate(
            session, select(Role), col(Role.id), call.query, lambda r: _role_view(call, r)
        )


def create_role(call: ApiCall) -> dict[str, Any]:
    body = call.body
    check_role_name(body["name"])
    check_permission_names(body["permissions"], call.kernel.permissions, "body.permissions")
    ensure_builtin_roles(call.kernel)
    role = Role(
        name=body["name"],
        description=body.get("description", ""),
        permissions=sorted(set(body["permissions"])),
    )
    try:
        with call.kernel.db.session() as session:
            session.add(role)
    except IntegrityError:
        raise Problem(409, "Conflict", f"a role named {role.name!r} exists") from None
    call.audit("roles.create", f"role:{role.name}", {"permissions": role.permissions})
    return _role_view(call, role)


def show_role(call: ApiCall) -> dict[str, Any]:
    return _role_view(call, _role(call))


def update_role(call: ApiCall) -> dict[str, Any]:
    role = _role(call)
    if role.builtin:
        raise Problem(
            409, "Conflict", f"{role.name} is built in: it follows the permissions plugins declare"
        )
    if "permissions" in call.body:
        check_permission_names(
            call.body["permissions"], call.kernel.permissions, "body.permissions"
        )
        role.permissions = sorted(set(call.body["permissions"]))
    role.description = call.body.get("description", role.description)
    with call.kernel.db.session() as session:
        session.add(role)
    call.kernel.auth.forget()
    call.audit("roles.update", f"role:{role.name}", dict(call.body))
    return _role_view(call, role)


def delete_role(call: ApiCall) -> None:
    role = _role(call)
    if role.builtin:
        raise Problem(409, "Conflict", f"{role.name} is built in and cannot be deleted")
    with call.kernel.db.session() as session:
        session.execute(delete(RoleBinding).where(col(RoleBinding.role_id) == role.id))
        session.execute(delete(Role).where(col(Role.id) == role.id))
    call.kernel.auth.forget()
    call.audit("roles.delete", f"role:{role.name}")


def list_permissions(call: ApiCall) -> dict[str, Any]:
    return {
        "items": [
            {
                "name": p.name,
                "description": p.description,
                "default_roles": list(p.default_roles),
                "scopable": p.scopable,
            }
            for p in sorted(call.kernel.permissions.values(), key=lambda p: p.name)
        ]
    }


def routes() -> list[ApiRoute]:
    """The user, role binding, role and permission routes."""
    user = "/users/{user_id:int}"
    users_query = {
        **PAGE_QUERY,
        "username": {"type": "string", "description": "part of the username"},
        "disabled": {"type": "boolean"},
        "role": {"type": "string", "description": "holding this role (name), in any scope"},
    }
    return [
        ApiRoute(
            "GET",
            "/users",
            list_users,
            permission="users.read",
            query=users_query,
            tags=USER_TAGS,
            summary="Users with their role bindings",
        ),
        ApiRoute(
            "POST",
            "/users",
            create,
            permission="users.write",
            body_schema=NEW_USER_SCHEMA,
            status_code=201,
            tags=USER_TAGS,
            summary="Create a user",
        ),
        ApiRoute("GET", user, show, permission="users.read", tags=USER_TAGS, summary="One user"),
        ApiRoute(
            "PATCH",
            user,
            update,
            permission="users.write",
            body_schema=USER_PATCH_SCHEMA,
            tags=USER_TAGS,
            summary="Change a user's profile, or disable them (ends their sessions and tokens)",
        ),
        ApiRoute(
            "DELETE",
            user,
            remove,
            permission="users.write",
            status_code=204,
            tags=USER_TAGS,
            summary="Delete a user with their bindings, tokens and sessions",
        ),
        ApiRoute(
            "POST",
            f"{user}/password",
            reset_password,
            permission="users.write",
            status_code=204,
            body_schema=PASSWORD_SCHEMA,
            tags=USER_TAGS,
            summary="Set a user's password (ends their sessions and access tokens)",
        ),
        ApiRoute(
            "DELETE",
            f"{user}/totp",
            reset_totp,
            permission="users.write",
            status_code=204,
            tags=USER_TAGS,
            summary="Turn a user's TOTP off (a lost phone)",
        ),
        ApiRoute(
            "GET",
            f"{user}/bindings",
            list_bindings,
            permission="users.read",
            query=PAGE_QUERY,
            tags=USER_TAGS,
            summary="A user's role bindings",
        ),
        ApiRoute(
            "POST",
            f"{user}/bindings",
            add_binding,
            permission="users.write",
            body_schema=BINDING_SCHEMA,
            status_code=201,
            tags=USER_TAGS,
            summary="Grant a role everywhere or in a region or OLT",
        ),
        ApiRoute(
            "DELETE",
            f"{user}/bindings/{{binding_id}}",
            remove_binding,
            permission="users.write",
            status_code=204,
            tags=USER_TAGS,
            summary="Remove a role binding",
        ),
        ApiRoute(
            "GET",
            "/roles",
            list_roles,
            permission="roles.read",
            query=PAGE_QUERY,
            tags=ROLE_TAGS,
            summary="Roles and the permissions they hold",
        ),
        ApiRoute(
            "POST",
            "/roles",
            create_role,
            permission="roles.write",
            body_schema=NEW_ROLE_SCHEMA,
            status_code=201,
            tags=ROLE_TAGS,
            summary="Create a custom role from declared permissions",
        ),
        ApiRoute(
            "GET",
            "/roles/{role}",
            show_role,
            permission="roles.read",
            tags=ROLE_TAGS,
            summary="One role, by id or name",
        ),
        ApiRoute(
            "PATCH",
            "/roles/{role}",
            update_role,
            permission="roles.write",
            body_schema=ROLE_PATCH_SCHEMA,
            tags=ROLE_TAGS,
            summary="Change a custom role",
        ),
        ApiRoute(
            "DELETE",
            "/roles/{role}",
            delete_role,
            permission="roles.write",
            status_code=204,
            tags=ROLE_TAGS,
            summary="Delete a custom role and its bindings",
        ),
        ApiRoute(
            "GET",
            "/permissions",
            list_permissions,
            permission="roles.read",
            tags=ROLE_TAGS,
            summary="Every permission the installed plugins declare",
        ),
    ]
