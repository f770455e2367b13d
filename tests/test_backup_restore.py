"""Back up a running demo instance and restore it into a fresh data directory and database.

The demo (``rjchronos demo``) seeds sites, customers, an OLT, ONUs, routers, a
day of telemetry and timeline events, then serves them while simulated CPEs
keep informing the ACS. The backup is taken from a separate process while
that goes on; the restore goes into a new data directory and an empty
database, and everything the instance held before the backup began must be
there, with nothing that appeared after it ended.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from starlette.testclient import TestClient

from rjchronos.config import Settings
from rjchronos.kernel import Kernel

RJCHRONOS = str(Path(sys.executable).parent / "rjchronos")
WEBHOOK_SECRET = "whsec-kept-across-the-restore"
NEW_USER_PASSWORD = "a long password for bia"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def environment(home: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RJC_", "PYTEST_"))}
    env.update(
        RJC_HOME=str(home),
        RJC_DATABASE_URL=database_url,
        RJC_CONFIG=str(home.parent / "absent.toml"),
        PYTHONUNBUFFERED="1",
        NO_COLOR="1",
    )
    return env


def rjchronos(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [RJCHRONOS, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


class Demo:
    """``rjchronos demo`` in a process of its own, its output collected as it comes."""

    def __init__(self, home: Path, database_url: str) -> None:
        self.port, self.acs_port = free_port(), free_port()
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [
                RJCHRONOS,
                "demo",
                "--port",
                str(self.port),
                "--acs-port",
                str(self.acs_port),
                "--cpes",
                "3",
                "--inform-interval",
                "10",
            ],
            env=environment(home, database_url),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def admin_password(self, deadline: float) -> str:
        while time.monotonic() < deadline:
            for line in self.lines:
                found = re.search(r"user 'admin', password '([^']+)'", line)
                if found:
                    return found.group(1)
            assert self.process.poll() is None, "".join(self.lines)
            time.sleep(0.2)
        raise AssertionError("the demo printed no administrator password:\n" + "".join(self.lines))

    def wait_ready(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "".join(self.lines)
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        raise AssertionError("the demo never became ready:\n" + "".join(self.lines))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class State:
    """What a database holds, as sets that can be compared."""

    devices: set[tuple[str, str]]
    events: set[int]
    telemetry: set[tuple[str, str, str]]
    users: set[tuple[str, str]]

    def within(self, later: State) -> bool:
        return all(getattr(self, f) <= getattr(later, f) for f in self.__dataclass_fields__)


def read_state(database_url: str) -> State:
    engine = create_engine(make_url(database_url).set(drivername=_driver(database_url)))
    try:
        with engine.connect() as connection:

            def rows(query: str) -> list[Any]:
                return list(connection.execute(text(query)))

            return State(
                devices={(r[0], r[1]) for r in rows("SELECT id, serial FROM devices")},
                events={r[0] for r in rows("SELECT id FROM device_events")},
                telemetry={
                    (r[0], r[1], str(r[2]))
                    for r in rows("SELECT entity, metric, time FROM telemetry_samples")
                },
                users={(r[0], r[1]) for r in rows("SELECT username, password_hash FROM users")},
            )
    finally:
        engine.dispose()


def _driver(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql+psycopg"


@pytest.fixture
def restore_database(rjc_backend: str, rjc_empty_database_url: str, tmp_path: Path) -> str:
    """An empty database (PostgreSQL) or a path in the fresh data directory (SQLite)."""
    if rjc_backend == "sqlite":
        return f"sqlite:///{tmp_path / 'restored' / 'rjchronos.db'}"
    return rjc_empty_database_url


def _seed_through_the_api(demo: Demo, password: str) -> str:
    """A user, a firmware image and a channel with an encrypted secret; the channel's id."""
    with httpx.Client(base_url=demo.url, timeout=30) as client:
        token = client.post(
            "/api/v1/auth/token", json={"username": "admin", "password": password}
        ).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        created = client.post(
            "/api/v1/users",
            json={"username": "bia", "password": NEW_USER_PASSWORD, "roles": ["operator"]},
        )
        assert created.status_code == 201, created.text
        channel = client.post(
            "/api/v1/notification-channels",
            json={
                "name": "noc-webhook",
                "type": "webhook",
                "config": {"url": "https://noc.example.net/hooks", "secret": WEBHOOK_SECRET},
            },
        )
        assert channel.status_code in (200, 201), channel.text
        return str(channel.json()["id"])


def _informed(database_url: str) -> int:
    """Devices that informed over CWMP (they have a CWMP identity; the seeded lab's do not)."""
    engine = create_engine(make_url(database_url).set(drivername=_driver(database_url)))
    try:
        with engine.connect() as connection:
            query = text("SELECT count(*) FROM devices WHERE identity IS NOT NULL")
            return int(connection.execute(query).scalar_one())
    finally:
        engine.dispose()


def _wait_for_cpes(database_url: str, deadline: float) -> None:
    """Until the three simulated CPEs have informed and are in the inventory."""
    while time.monotonic() < deadline:
        if _informed(database_url) >= 3:
            return
        time.sleep(0.5)
    raise AssertionError("the simulated CPEs never showed up in the inventory")


def test_backup_of_a_running_demo_restores_into_a_fresh_instance(
    rjc_database_url: str, restore_database: str, tmp_path: Path
) -> None:
    source_home = tmp_path / "source"
    demo = Demo(source_home, rjc_database_url)
    try:
        deadline = time.monotonic() + 180
        password = demo.admin_password(deadline)
        demo.wait_ready(deadline)
        channel_id = _seed_through_the_api(demo, password)
        _wait_for_cpes(rjc_database_url, deadline)
        firmware = source_home / "firmware" / "01-test-image"
        firmware.parent.mkdir(parents=True, exist_ok=True)
        firmware.write_bytes(os.urandom(200_000))

        before = read_state(rjc_database_url)
        archive = tmp_path / "backups" / "rjchronos.tar.gz"
        passphrase = tmp_path / "passphrase"
        passphrase.write_text("the backup passphrase of the test\n")
        made = rjchronos(
            "backup",
            str(archive),
            "--passphrase-file",
            str(passphrase),
            env=environment(source_home, rjc_database_url),
        )
        assert made.returncode == 0, made.stderr
        after = read_state(rjc_database_url)
        assert demo.process.poll() is None, "the demo stopped during the backup"
    finally:
        demo.stop()

    restored_home = tmp_path / "restored"
    restored = rjchronos(
        "restore",
        str(archive),
        "--passphrase-file",
        str(passphrase),
        env=environment(restored_home, restore_database),
    )
    assert restored.returncode == 0, restored.stderr + restored.stdout
    again = rjchronos(
        "restore",
        str(archive),
        "--passphrase-file",
        str(passphrase),
        env=environment(restored_home, restore_database),
    )
    assert again.returncode == 1 and "not empty" in again.stderr + again.stdout

    state = read_state(restore_database)
    assert before.within(state), "something the instance held before the backup is missing"
    assert state.within(after), "the restore holds what the instance never had"
    assert _informed(restore_database) >= 3
    assert state.events and len(state.telemetry) > 1000
    assert {"admin", "bia"} <= {username for username, _ in state.users}
    assert (restored_home / "firmware" / "01-test-image").read_bytes() == firmware.read_bytes()

    kernel = Kernel(Settings(home=restored_home, database_url=restore_database), entrypoints=True)
    try:
        with kernel.db.engine.connect() as connection:
            sealed = connection.execute(
                text("SELECT secrets_encrypted FROM notification_channels WHERE id = :id"),
                {"id": channel_id},
            ).scalar_one()
        token = (sealed if isinstance(sealed, dict) else json.loads(sealed))["secret"]
        assert kernel.secrets.decrypt(token) == WEBHOOK_SECRET
        assert kernel.audit.check().ok
        actions = [entry["action"] for entry in kernel.audit.tail(5)]
        assert "backup.restore" in actions
        with TestClient(kernel.asgi(), base_url="http://127.0.0.1") as client:
            signed_in = client.post(
                "/api/v1/auth/token", json={"username": "bia", "password": NEW_USER_PASSWORD}
            )
            assert signed_in.status_code == 200, signed_in.text
    finally:
        kernel.db.dispose()
