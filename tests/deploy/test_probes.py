"""Liveness and readiness probes of the API and ACS listeners, and ``rjchronos ready``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import psycopg
from processes import Server, TcpRelay, environment, free_port, rjchronos
from sqlalchemy.engine import make_url

LIVENESS_KEYS = {"status", "version"}
READINESS_CHECKS = {"database", "migrations", "broker"}


def _serve_args(role: str, port: int, acs_port: int, *extra: str) -> list[str]:
    return [
        "serve",
        "--host",
        "127.0.0.1",
        "--role",
        role,
        "--port",
        str(port),
        "--acs-port",
        str(acs_port),
        *extra,
    ]


def test_api_and_acs_listeners_answer_probes_without_authentication(
    rjc_database_url: str, tmp_path: Path, launch: Callable[..., Server]
) -> None:
    env = environment(tmp_path / "home", rjc_database_url)
    # As in a deployment: one migrate step, then the listeners, which migrate nothing.
    assert rjchronos("db", "upgrade", env=env).returncode == 0
    api_port, acs_port = free_port(), free_port()
    api = launch(_serve_args("api", api_port, free_port(), "--no-migrate"), env)
    acs = launch(_serve_args("acs", free_port(), acs_port, "--no-migrate"), env)
    for server, port in ((api, api_port), (acs, acs_port)):
        live = server.get(f"http://127.0.0.1:{port}/healthz")
        assert live.status_code == 200
        assert set(live.json()) == LIVENESS_KEYS and live.json()["status"] == "ok"
        ready = server.get(f"http://127.0.0.1:{port}/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json() == {"ready": True, "checks": dict.fromkeys(READINESS_CHECKS, "ok")}
    # The ACS listener still speaks CWMP beside its probes; the API still wants a token.
    assert acs.get(f"http://127.0.0.1:{acs_port}/").status_code == 405
    assert api.get(f"http://127.0.0.1:{api_port}/api/v1/plugins").status_code == 401
    assert "acs listener on 127.0.0.1" in acs.output
    assert f"UI and API on http://127.0.0.1:{api_port}/" not in acs.output


def test_readiness_follows_the_broker_and_the_database_while_liveness_stays(
    rjc_backend: str, rjc_database_url: str, tmp_path: Path, launch: Callable[..., Server]
) -> None:
    relay = TcpRelay(("127.0.0.1", 6379))
    relay.start()
    broker = f"redis://127.0.0.1:{relay.port}/0"
    env = environment(tmp_path / "home", rjc_database_url, RJC_BROKER_URL=broker)
    port = free_port()
    api = launch(_serve_args("api", port, free_port()), env)
    readyz, healthz = f"http://127.0.0.1:{port}/readyz", f"http://127.0.0.1:{port}/healthz"
    try:
        assert api.get(readyz).status_code == 200
        relay.stop()
        cut = api.get(readyz)
        assert cut.status_code == 503
        assert cut.json()["checks"]["broker"].startswith("unavailable")
        assert cut.json()["checks"]["database"] == "ok"
        assert str(relay.port) not in cut.text
        assert api.get(healthz).status_code == 200
        relay.start()
        assert api.get(readyz).status_code == 200
    finally:
        relay.stop()
    if rjc_backend == "postgresql":
        url = make_url(rjc_database_url)
        admin = url.set(database="postgres").render_as_string(hide_password=False)
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE "{url.database}" WITH (FORCE)')
        gone = api.get(readyz)
        assert gone.status_code == 503
        assert gone.json()["checks"]["database"].startswith("unavailable")
        assert str(url.database) not in gone.text
        assert api.get(healthz).status_code == 200


def test_serve_no_migrate_waits_for_the_migrate_step(
    rjc_empty_database_url: str, tmp_path: Path, launch: Callable[..., Server]
) -> None:
    env = environment(tmp_path / "home", rjc_empty_database_url)
    not_ready = rjchronos("ready", env=env)
    assert not_ready.returncode == 1
    assert '"migrations": "pending' in not_ready.stdout

    port = free_port()
    api = launch(_serve_args("api", port, free_port(), "--no-migrate"), env)
    api.wait_for_output("waiting for the database schema to be migrated")
    assert rjchronos("ready", "--url", f"http://127.0.0.1:{port}/healthz", env=env).returncode == 1
    assert rjchronos("ready", env=env).returncode == 1  # serve migrated nothing

    migrated = rjchronos("db", "upgrade", env=env)
    assert migrated.returncode == 0, migrated.stderr
    assert api.get(f"http://127.0.0.1:{port}/readyz").status_code == 200
    ready = rjchronos("ready", env=env)
    assert ready.returncode == 0, ready.stdout + ready.stderr
    by_url = rjchronos("ready", "--url", f"http://127.0.0.1:{port}/readyz", env=env)
    assert by_url.returncode == 0 and ": 200" in by_url.stdout


def test_serve_no_migrate_gives_up_with_a_clear_message(
    rjc_empty_database_url: str, tmp_path: Path
) -> None:
    env = environment(tmp_path / "home", rjc_empty_database_url)
    args = _serve_args("api", free_port(), free_port(), "--no-migrate", "--migrate-wait", "0")
    result = rjchronos(*args, env=env)
    assert result.returncode == 1
    assert "run `rjchronos db upgrade`" in result.stderr


def test_ready_reports_an_unreachable_broker(rjc_database_url: str, tmp_path: Path) -> None:
    closed = free_port()
    env = environment(
        tmp_path / "home", rjc_database_url, RJC_BROKER_URL=f"redis://127.0.0.1:{closed}/0"
    )
    rjchronos("db", "upgrade", env=env)
    result = rjchronos("ready", env=env)
    assert result.returncode == 1
    assert '"broker": "unavailable' in result.stdout
    assert '"database": "ok"' in result.stdout


def test_worker_waits_for_the_migrate_step_and_says_what_to_run(
    rjc_empty_database_url: str, tmp_path: Path
) -> None:
    env = environment(
        tmp_path / "home", rjc_empty_database_url, RJC_BROKER_URL="redis://127.0.0.1:6379/15"
    )
    result = rjchronos("worker", "--migrate-wait", "0", env=env)
    assert result.returncode == 1
    assert "run `rjchronos db upgrade`" in result.stderr
    assert rjchronos("ready", env=env).returncode == 1  # the worker migrated nothing
