"""What a periodic session costs the database, and that the savings lose nothing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from acs_testkit import DEFAULT_PARAMETERS, ScriptedCpe, acs_settings, read
from sqlalchemy import event, func, select, text

from rjchronos.inventory import service
from rjchronos_acs_tr069 import PLUGIN, hooks
from rjchronos_acs_tr069.models import session_rows
from rjchronos_acs_tr069.session_store import DatabaseSessionStore
from rjchronos_acs_tr069.sessions import CwmpSession

IDENTITY = "00259E-HG8245-485754430A1B2C3D"
SSID = "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.SSID"
INTERVAL = "InternetGatewayDevice.ManagementServer.PeriodicInformInterval"


@contextmanager
def statements(kernel: Any) -> Iterator[list[str]]:
    """The SQL statements the kernel's database runs inside the block."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement.split(None, 1)[0].upper())

    event.listen(kernel.db.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(kernel.db.engine, "before_cursor_execute", note)


def known_device(cpe: ScriptedCpe, kernel: Any) -> str:
    cpe.inform()
    assert cpe.post().status_code == 204
    device = service.find_device(kernel, identity=IDENTITY)
    assert device is not None
    return device.id


def event_types(kernel: Any, device_id: str) -> list[str]:
    with kernel.db.session() as session:
        query = text("SELECT type FROM device_events WHERE device_id = :d ORDER BY id")
        rows = session.execute(query, {"d": device_id})
        return [t for (t,) in rows]


def read_at(kernel: Any, device_id: str, path: str) -> Any:
    with kernel.db.session() as session:
        return session.execute(
            text("SELECT read_at FROM acs_parameters WHERE device_id = :d AND path = :p"),
            {"d": device_id, "p": path},
        ).scalar_one()


def test_a_periodic_session_with_nothing_queued_is_one_short_transaction(
    cpe: ScriptedCpe, acs_kernel: Any
) -> None:
    device_id = known_device(cpe, acs_kernel)
    before = event_types(acs_kernel, device_id)
    with statements(acs_kernel) as inform:
        assert read(cpe.inform(events=("2 PERIODIC",))).method == "InformResponse"
    with statements(acs_kernel) as end:
        assert cpe.post().status_code == 204
    # The device touched and read (row locked) with its queue, the reported parameters read: on
    # PostgreSQL one UPDATE ... RETURNING, elsewhere SELECT, UPDATE and SELECT.
    postgres = acs_kernel.db.is_postgres
    assert inform.count("SELECT") == (0 if postgres else 2), inform
    # On PostgreSQL sessions are shared (session_store auto): the Inform's transaction takes the
    # session's row, and the end deletes it.
    shared = postgres
    assert inform.count("UPDATE") == 1 and inform.count("INSERT") == int(shared), inform
    assert len(inform) == (2 if shared else 3), inform
    assert end == (["DELETE"] if shared else [])
    # A periodic Inform alone leaves no timeline row (periodic_inform_events is off).
    assert event_types(acs_kernel, device_id) == before
    device = service.get_device(acs_kernel, device_id)
    assert device is not None and device.status == "online"


@contextmanager
def autocommitted_statements(kernel: Any) -> Iterator[tuple[list[tuple[str, bool]], list[Any]]]:
    """The statements run inside the block (first word, whether autocommitted) and commits."""
    ran: list[tuple[str, bool]] = []
    commits: list[Any] = []

    def note(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        autocommit = conn.connection.driver_connection.autocommit
        ran.append((statement.split(None, 1)[0].upper(), autocommit))

    def committed(conn: Any) -> None:
        commits.append(conn)

    engine = kernel.db.engine
    event.listen(engine, "before_cursor_execute", note)
    event.listen(engine, "commit", committed)
    try:
        yield ran, commits
    finally:
        event.remove(engine, "before_cursor_execute", note)
        event.remove(engine, "commit", committed)


@pytest.mark.rjc_backends("postgresql")
def test_a_routine_inform_on_postgresql_commits_each_statement_on_its_own(
    cpe: ScriptedCpe, acs_kernel: Any
) -> None:
    known_device(cpe, acs_kernel)
    with autocommitted_statements(acs_kernel) as (ran, commits):
        assert read(cpe.inform(events=("2 PERIODIC",))).method == "InformResponse"
    # Touch the device, take the session's row: no BEGIN, no COMMIT around them.
    assert ran == [("UPDATE", True), ("INSERT", True)]
    assert commits == []
    assert cpe.post().status_code == 204
    # The next one, the device unchanged, is one statement: the row taken in the UPDATE's.
    with autocommitted_statements(acs_kernel) as (ran, commits):
        assert read(cpe.inform(events=("2 PERIODIC",))).method == "InformResponse"
    assert ran == [("WITH", True)] and commits == []
    assert cpe.post().status_code == 204
    # The pooled connection went back to transactions for everyone else.
    with acs_kernel.db.engine.connect() as connection:
        assert connection.connection.driver_connection.autocommit is False


@pytest.mark.rjc_backends("postgresql")
def test_a_routine_session_of_a_changed_device_sees_the_change(
    cpe: ScriptedCpe, acs_kernel: Any, api: Any
) -> None:
    device_id = known_device(cpe, acs_kernel)
    for _ in range(2):  # routine sessions: this process now expects the device as it was
        cpe.inform(events=("2 PERIODIC",))
        assert cpe.post().status_code == 204
    body = {
        "name": "vip-interval",
        "preconditions": {"tags": ["vip"]},
        "triggers": ["2 PERIODIC"],
        "desired": {"parameters": {"periodic_inform_interval": 900}},
    }
    assert api.post("/api/v1/profiles", json=body).status_code == 201
    cpe.inform(events=("2 PERIODIC",))
    assert cpe.post().status_code == 204  # not a VIP yet: nothing to do
    service.update_device(acs_kernel, device_id, {"tags": ["vip"]}, actor="test")
    with autocommitted_statements(acs_kernel) as (ran, _commits):
        assert read(cpe.inform(events=("2 PERIODIC",))).method == "InformResponse"
    # The guess was wrong: its row given back, the session opened as the device now is.
    assert ran == [("WITH", True), ("DELETE", True), ("INSERT", True)]
    request = read(cpe.post())
    assert request.method in ("GetParameterValues", "SetParameterValues")
    assert INTERVAL in cpe.last.text
    with acs_kernel.db.session() as db:
        assert db.execute(select(func.count()).select_from(session_rows)).scalar_one() == 1


def test_a_routine_inform_of_a_device_in_session_elsewhere_is_refused(
    rjc_kernel_factory: Any,
) -> None:
    from starlette.testclient import TestClient

    from rjchronos_acs_tr069.server import build_app

    settings = acs_settings(session_store="database")
    kernel = rjc_kernel_factory(plugins={PLUGIN: hooks}, plugin_settings={PLUGIN: settings})
    with TestClient(build_app(kernel), base_url="http://127.0.0.1:7547") as http:
        cpe = ScriptedCpe(http)
        device_id = known_device(cpe, kernel)
        cpe.inform(events=("2 PERIODIC",))  # on PostgreSQL the next one takes its row in one go
        assert cpe.post().status_code == 204
        # Another ACS process holds a live session of the device.
        elsewhere = CwmpSession(IDENTITY, device_id, "urn:dslforum-org:cwmp-1-2", "1.4")
        assert DatabaseSessionStore(kernel.db, 30).begin(elsewhere)
        refused = cpe.inform(events=("2 PERIODIC",))
        assert refused.status_code == 503 and refused.headers["retry-after"]
    with kernel.db.session() as db:
        held = db.execute(select(session_rows.c.id)).scalars().all()
        assert held == [elsewhere.id]
        assert db.execute(select(func.count()).select_from(session_rows)).scalar_one() == 1


def test_unchanged_values_keep_read_at_until_it_is_stale(cpe: ScriptedCpe, acs_kernel: Any) -> None:
    device_id = known_device(cpe, acs_kernel)
    cpe.inform(events=("2 PERIODIC",), parameters={**DEFAULT_PARAMETERS, SSID: ("home", "string")})
    cpe.post()
    first = read_at(acs_kernel, device_id, SSID)
    cpe.inform(events=("2 PERIODIC",), parameters={**DEFAULT_PARAMETERS, SSID: ("home", "string")})
    cpe.post()
    assert read_at(acs_kernel, device_id, SSID) == first
    cpe.inform(events=("2 PERIODIC",), parameters={SSID: ("elsewhere", "string")})
    cpe.post()
    assert read_at(acs_kernel, device_id, SSID) > first


def test_periodic_inform_events_can_be_turned_on(rjc_kernel_factory: Any) -> None:
    from starlette.testclient import TestClient

    from rjchronos_acs_tr069 import PLUGIN, hooks
    from rjchronos_acs_tr069.server import build_app

    settings = {**acs_settings(), "periodic_inform_events": True}
    kernel = rjc_kernel_factory(plugins={PLUGIN: hooks}, plugin_settings={PLUGIN: settings})
    with TestClient(build_app(kernel), base_url="http://127.0.0.1:7547") as http:
        cpe = ScriptedCpe(http)
        device_id = known_device(cpe, kernel)
        cpe.inform(events=("2 PERIODIC",))
        cpe.post()
    assert event_types(kernel, device_id).count("cpe.inform") == 2


def test_a_task_queued_during_a_session_runs_in_it(
    cpe: ScriptedCpe, acs_kernel: Any, api: Any
) -> None:
    device_id = known_device(cpe, acs_kernel)
    cpe.inform(events=("2 PERIODIC",))  # the queue is empty when the Inform is recorded
    response = api.post(
        f"/api/v1/devices/{device_id}/tasks", json={"type": "get_parameter_values", "paths": [SSID]}
    )
    assert response.status_code == 201, response.text
    request = read(cpe.post())
    assert request.method == "GetParameterValues"
    assert [s.text for s in request.body[0]] == [SSID]


def test_a_profile_created_after_sessions_applies_at_the_next(
    cpe: ScriptedCpe, acs_kernel: Any, api: Any
) -> None:
    known_device(cpe, acs_kernel)
    cpe.inform(events=("2 PERIODIC",))
    assert cpe.post().status_code == 204  # no profile: nothing to do (and none cached)
    body = {
        "name": "interval",
        "triggers": ["2 PERIODIC"],
        "desired": {"parameters": {"periodic_inform_interval": 900}},
    }
    assert api.post("/api/v1/profiles", json=body).status_code == 201
    cpe.inform(events=("2 PERIODIC",))
    request = read(cpe.post())
    assert request.method in ("GetParameterValues", "SetParameterValues")
    assert INTERVAL in cpe.last.text
