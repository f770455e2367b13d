"""``rjchronos users`` and ``rjchronos audit`` through click's CliRunner, on the test database."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import text
from starlette.testclient import TestClient

from rjchronos.cli.main import cli


@pytest.fixture
def run(rjc_database_url: str, tmp_path: Path) -> Callable[..., Result]:
    """Run ``rjchronos`` with RJC_HOME and RJC_DATABASE_URL on this test's database."""
    env = {
        "RJC_HOME": str(tmp_path / "home"),
        "RJC_DATABASE_URL": rjc_database_url,
        "RJC_AUTOLOAD_PLUGINS": "false",
        "RJC_CONFIG": str(tmp_path / "absent.toml"),
    }

    def invoke(*args: str, input: str | None = None) -> Result:
        return CliRunner(env=env).invoke(cli, list(args), input=input, catch_exceptions=False)

    return invoke


def _token(kernel: Any, username: str, password: str) -> int:
    with TestClient(kernel.asgi(lifespan=False)) as client:
        return client.post(
            "/api/v1/auth/token", json={"username": username, "password": password}
        ).status_code


def test_users_create_reads_the_password_from_stdin(
    run: Callable[..., Result], rjc_kernel: Any
) -> None:
    result = run(
        "users",
        "create",
        "--username",
        "noc-admin",
        "--role",
        "admin",
        "--password-stdin",
        input="a strong passphrase\n",
    )
    assert result.exit_code == 0, result.output
    assert "created user noc-admin" in result.output
    assert "a strong passphrase" not in result.output
    assert _token(rjc_kernel, "noc-admin", "a strong passphrase") == 200
    listed = json.loads(run("users", "list", "--json").output)
    assert [(u["username"], [r["role"] for r in u["roles"]]) for u in listed] == [
        ("noc-admin", ["admin"])
    ]
    entry = rjc_kernel.audit.tail(2)[0]
    assert entry["action"] == "users.create" and entry["actor"].startswith("cli")
    assert entry["params"] == {"username": "noc-admin", "roles": ["admin"]}


def test_users_create_prompts_twice(run: Callable[..., Result], rjc_kernel: Any) -> None:
    result = run(
        "users",
        "create",
        "--username",
        "op",
        "--role",
        "operator",
        input="first try here\nmismatch here\nsecond try ok\nsecond try ok\n",
    )
    assert result.exit_code == 0, result.output
    assert "match" in result.output  # the mismatch was reported and asked again
    assert _token(rjc_kernel, "op", "second try ok") == 200


def test_there_is_no_password_option(run: Callable[..., Result]) -> None:
    result = run("users", "create", "--username", "x", "--password", "on-the-command-line")
    assert result.exit_code == 2
    assert "No such option" in result.output


def test_users_create_reports_bad_input(run: Callable[..., Result]) -> None:
    weak = run("users", "create", "--username", "x", "--password-stdin", input="short\n")
    assert weak.exit_code == 1 and "body.password: must have at least 8 characters" in weak.output
    unknown = run(
        "users",
        "create",
        "--username",
        "x",
        "--role",
        "wizard",
        "--password-stdin",
        input="long enough pw\n",
    )
    assert unknown.exit_code == 1 and "no role named 'wizard'" in unknown.output
    empty = run("users", "create", "--username", "x", "--password-stdin", input="")
    assert empty.exit_code == 1 and "held no password" in empty.output


def test_disable_enable_and_set_password(run: Callable[..., Result], rjc_kernel: Any) -> None:
    run(
        "users",
        "create",
        "--username",
        "boss",
        "--role",
        "admin",
        "--password-stdin",
        input="boss password\n",
    )
    run("users", "create", "--username", "tech", "--password-stdin", input="tech password\n")
    assert run("users", "disable", "tech").exit_code == 0
    assert _token(rjc_kernel, "tech", "tech password") == 401
    assert run("users", "enable", "tech").exit_code == 0
    assert (
        run(
            "users", "set-password", "tech", "--password-stdin", input="new tech password\n"
        ).exit_code
        == 0
    )
    assert _token(rjc_kernel, "tech", "tech password") == 401
    assert _token(rjc_kernel, "tech", "new tech password") == 200
    missing = run("users", "disable", "ghost")
    assert missing.exit_code == 1 and "no user named 'ghost'" in missing.output
    last_admin = run("users", "disable", "boss")
    assert last_admin.exit_code == 1 and "last enabled administrator" in last_admin.output
    table = run("users", "list").output
    assert "boss" in table and "tech" in table


def test_audit_verify_passes_then_names_the_edited_row(
    run: Callable[..., Result], rjc_kernel: Any
) -> None:
    for n in range(3):
        rjc_kernel.audit.record(actor="user:ana", action="devices.reboot", target=f"device:{n}")
    clean = run("audit", "verify")
    assert clean.exit_code == 0, clean.output
    assert "audit log intact: 3 rows, last row 3" in clean.output
    with rjc_kernel.db.engine.begin() as connection:
        if rjc_kernel.db.is_sqlite:
            connection.execute(text("DROP TRIGGER audit_entries_no_update"))
        else:
            connection.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER USER"))
        connection.execute(text("UPDATE audit_entries SET target = 'device:99' WHERE seq = 2"))
    tampered = run("audit", "verify")
    assert tampered.exit_code == 1
    assert "first at row 2" in tampered.output
    assert "row 2: its content does not match its hash" in tampered.output


def test_audit_verify_names_a_deleted_row(run: Callable[..., Result], rjc_kernel: Any) -> None:
    for n in range(4):
        rjc_kernel.audit.record(actor="user:ana", action="devices.reboot", target=f"device:{n}")
    with rjc_kernel.db.engine.begin() as connection:
        if rjc_kernel.db.is_sqlite:
            connection.execute(text("DROP TRIGGER audit_entries_no_delete"))
        else:
            connection.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER USER"))
        connection.execute(text("DELETE FROM audit_entries WHERE seq = 3"))
    result = run("audit", "verify")
    assert result.exit_code == 1
    assert "row 3: missing" in result.output


def test_audit_tail(run: Callable[..., Result], rjc_kernel: Any) -> None:
    for n in range(5):
        rjc_kernel.audit.record(
            actor="user:ana",
            action="olts.update",
            target=f"device:{n}",
            params={"password": "hidden"},
        )
    lines = run("audit", "tail", "-n", "2", "--json").output.splitlines()
    entries = [json.loads(line) for line in lines]
    assert [e["target"] for e in entries] == ["device:3", "device:4"]
    assert all(e["params"] == {"password": "********"} for e in entries)
    assert "olts.update" in run("audit", "tail").output
