"""Built-in plugin: users, roles, tokens, sessions and their REST and CLI."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rjchronos import hookimpl
from rjchronos.security import api_admin, api_signin
from rjchronos.security.permissions import Permission

if TYPE_CHECKING:
    import click

    from rjchronos.http.routing import ApiRoute
    from rjchronos.kernel import Kernel


@hookimpl
def rjc_permissions() -> list[Permission]:
    return [
        Permission("users.read", "See users and their roles", ("admin",)),
        Permission(
            "users.write",
            "Create, change, disable and delete users; grant roles; reset passwords and TOTP",
            ("admin",),
        ),
        Permission(
            "roles.read", "See roles and the permissions plugins declare", ("admin", "operator")
        ),
        Permission("roles.write", "Create, change and delete custom roles", ("admin",)),
        Permission(
            "tokens.manage",
            "Create, list and revoke your own API tokens",
            ("admin", "operator", "viewer"),
        ),
    ]


@hookimpl
def rjc_api_routes(kernel: Kernel) -> list[ApiRoute]:
    return [*api_signin.routes(), *api_admin.routes()]


@hookimpl
def rjc_startup(kernel: Kernel) -> None:
    from rjchronos.security.roles import ensure_builtin_roles

    ensure_builtin_roles(kernel)


@hookimpl
def rjc_cli_commands() -> list[click.Command]:
    from rjchronos.security.commands import users

    return [users]
