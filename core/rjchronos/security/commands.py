"""``rjchronos users`` and ``rjchronos audit``: manage accounts and check the audit log."""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Table
from sqlmodel import col, select

from rjchronos.cli.context import open_kernel, settings_from
from rjchronos.http.problems import Problem

T = TypeVar("T")


@contextmanager
def _kernel(ctx: click.Context) -> Iterator[Any]:
    from rjchronos.db.migrate import upgrade

    with open_kernel(settings_from(ctx)) as kernel:
        upgrade(kernel)
        yield kernel


def _run(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call a security helper; its problem becomes a clean CLI error."""
    try:
        return function(*args, **kwargs)
    except Problem as problem:
        raise click.ClickException(problem.detail or problem.title) from None


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise click.ClickException("--password-stdin: standard input held no password")
        return password
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


def _user_id(kernel: Any, username: str) -> int:
    from rjchronos.security.users import find_user

    with kernel.db.session() as session:
        user = find_user(session, username)
    if user is None or user.id is None:
        raise click.ClickException(f"no user named {username!r}")
    return user.id


_STDIN_HELP = "Read the password from the first line of standard input instead of prompting."


@click.group("users")
def users() -> None:
    """Manage users: create, list, disable, set passwords.

    Passwords are prompted for (twice) or read with --password-stdin, never
    taken as an option, so they stay out of shell history and process lists.
    """


@users.command("create")
@click.option("--username", required=True, help="Login name.")
@click.option(
    "--role",
    "roles",
    multiple=True,
    default=("viewer",),
    show_default=True,
    help="Role granted everywhere (repeatable): admin, operator, viewer or a custom role.",
)
@click.option("--display-name", default="", help="Name shown in the UI.")
@click.option("--email", default="", help="E-mail address.")
@click.option("--locale", type=click.Choice(["pt-BR", "en"]), default="pt-BR", show_default=True)
@click.option("--password-stdin", is_flag=True, help=_STDIN_HELP)
@click.pass_context
def create(
    ctx: click.Context,
    username: str,
    roles: tuple[str, ...],
    display_name: str,
    email: str,
    locale: str,
    password_stdin: bool,
) -> None:
    """Create a user."""
    from rjchronos.security.users import create_user

    password = _read_password(password_stdin)
    with _kernel(ctx) as kernel:
        user = _run(
            create_user,
            kernel,
            username,
            password,
            roles=roles,
            display_name=display_name,
            email=email,
            locale=locale,
        )
        kernel.audit.record(
            actor=_actor(),
            action="users.create",
            target=f"user:{user.id}",
            params={"username": username, "roles": list(roles)},
        )
    click.echo(f"created user {username} (id {user.id}) with roles: {', '.join(roles)}")


@users.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def list_users(ctx: click.Context, as_json: bool) -> None:
    """List every user with roles, state and last sign-in."""
    from rjchronos.security.models import User
    from rjchronos.security.users import user_views

    with _kernel(ctx) as kernel, kernel.db.session() as session:
        views = user_views(session, session.exec(select(User).order_by(col(User.id))).all())
    if as_json:
        click.echo(json.dumps(views, indent=2))
        return
    table = Table(title="RJChronos users")
    for column in ("id", "username", "name", "roles", "state", "totp", "last sign-in"):
        table.add_column(column, overflow="fold")
    for view in views:
        roles = ", ".join(
            r["role"] + (f"@{r['scope']}" if r["scope"] else "") for r in view["roles"]
        )
        table.add_row(
            str(view["id"]),
            view["username"],
            view["display_name"],
            roles,
            "disabled" if view["disabled"] else "enabled",
            "on" if view["totp_enabled"] else "off",
            view["last_login_at"] or "never",
            style="dim" if view["disabled"] else "",
        )
    Console().print(table)


def _set_disabled(ctx: click.Context, username: str, disabled: bool) -> None:
    from rjchronos.security.users import update_user

    with _kernel(ctx) as kernel:
        user_id = _user_id(kernel, username)
        _run(update_user, kernel, user_id, {"disabled": disabled})
        kernel.audit.record(
            actor=_actor(),
            action="users.update",
            target=f"user:{user_id}",
            params={"disabled": disabled},
        )
    click.echo(f"user {username} {'disabled' if disabled else 'enabled'}")


@users.command("disable")
@click.argument("username")
@click.pass_context
def disable(ctx: click.Context, username: str) -> None:
    """Disable a user: they cannot sign in, and their sessions and tokens end."""
    _set_disabled(ctx, username, True)


@users.command("enable")
@click.argument("username")
@click.pass_context
def enable(ctx: click.Context, username: str) -> None:
    """Enable a disabled user again."""
    _set_disabled(ctx, username, False)


@users.command("set-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help=_STDIN_HELP)
@click.pass_context
def set_password_command(ctx: click.Context, username: str, password_stdin: bool) -> None:
    """Set a user's password (ends their sessions and access tokens)."""
    from rjchronos.security.users import set_password

    password = _read_password(password_stdin)
    with _kernel(ctx) as kernel:
        user_id = _user_id(kernel, username)
        _run(set_password, kernel, user_id, password)
        kernel.audit.record(actor=_actor(), action="users.reset_password", target=f"user:{user_id}")
    click.echo(f"password of {username} changed")


@click.group("audit")
def audit() -> None:
    """The hash-chained audit log: verify it, show its newest entries."""


@audit.command("verify")
@click.pass_context
def verify(ctx: click.Context) -> None:
    """Check every row against the hash chain; exit 1 naming the rows that do not match."""
    with _kernel(ctx) as kernel:
        report = kernel.audit.check()
    if report.ok:
        click.echo(
            f"audit log intact: {report.rows} rows, last row {report.last_seq}, "
            f"last hash {report.last_hash}"
        )
        return
    first = report.problems[0]
    click.echo(
        f"audit log TAMPERED: {len(report.problems)} problem(s), first at row {first.seq}", err=True
    )
    for problem in report.problems:
        click.echo(f"  {problem}", err=True)
    ctx.exit(1)


@audit.command("tail")
@click.option(
    "-n",
    "--lines",
    "count",
    type=click.IntRange(1, 10_000),
    default=20,
    show_default=True,
    help="How many of the newest entries.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines instead of a table.")
@click.pass_context
def tail(ctx: click.Context, count: int, as_json: bool) -> None:
    """Show the newest audit entries, oldest first."""
    with _kernel(ctx) as kernel:
        entries = kernel.audit.tail(count)
    if as_json:
        for entry in entries:
            click.echo(json.dumps(entry, ensure_ascii=False))
        return
    table = Table(title="RJChronos audit log")
    for column in ("seq", "time", "actor", "action", "target", "result", "params"):
        table.add_column(column, overflow="fold")
    for entry in entries:
        table.add_row(
            str(entry["seq"]),
            entry["time"],
            entry["actor"],
            entry["action"],
            entry["target"],
            entry["result"],
            json.dumps(entry["params"], ensure_ascii=False),
            style="" if entry["result"] == "ok" else "yellow",
        )
    Console().print(table)
