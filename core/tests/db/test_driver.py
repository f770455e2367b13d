"""Statements run by psycopg itself: rows, listeners, errors and a lost connection."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from sqlalchemy import bindparam, event, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError

from rjchronos.db.driver import DriverStatement
from rjchronos.inventory import service
from rjchronos.inventory.models import devices

TOUCH = (
    update(devices)
    .where(devices.c.identity == bindparam("identity"), devices.c.kind == "cpe")
    .values(name=bindparam("name"))
    .returning(devices.c.id, devices.c.name, devices.c.tags)
)


def test_a_statement_is_compiled_once_for_postgresql_with_its_constants() -> None:
    statement = DriverStatement(TOUCH)
    assert "%(identity)s" in statement.sql and "RETURNING" in statement.sql
    assert statement.constants == {"kind_1": "cpe"}


@pytest.mark.rjc_backends("postgresql")
def test_rows_listeners_and_errors(rjc_kernel: Any) -> None:
    device, _ = service.upsert_device(
        rjc_kernel, {"kind": "cpe", "identity": "A-B-C", "serial": "C", "tags": ["x"]}
    )
    heard: list[str] = []
    event.listen(rjc_kernel.db.engine, "before_cursor_execute", lambda *a: heard.append(a[2]))
    statement = DriverStatement(TOUCH)
    with rjc_kernel.db.session() as session:
        row = statement.execute(session.connection(), {"identity": "A-B-C", "name": "renamed"})
        assert row.fetchone() == (device.id, "renamed", ["x"])
    assert heard == [statement.sql]
    # Committed with the session's transaction.
    with rjc_kernel.db.session() as session:
        assert session.execute(select(devices.c.name)).scalar_one() == "renamed"
    clash = DriverStatement(update(devices).values(id=bindparam("id")))
    service.upsert_device(rjc_kernel, {"kind": "cpe", "identity": "D-E-F", "serial": "F"})
    with pytest.raises(IntegrityError), rjc_kernel.db.session() as session:
        clash.execute(session.connection(), {"id": device.id})


@pytest.mark.rjc_backends("postgresql")
def test_a_lost_connection_is_invalidated_and_the_next_session_works(rjc_kernel: Any) -> None:
    statement = DriverStatement(select(devices.c.id).where(devices.c.identity == bindparam("i")))
    url = make_url(rjc_kernel.db.url).set(drivername="postgresql")
    with pytest.raises(DBAPIError) as raised, rjc_kernel.db.session() as session:
        connection = session.connection()
        pid = connection.connection.driver_connection.info.backend_pid
        with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as other:
            other.execute("SELECT pg_terminate_backend(%s)", (pid,))
        statement.execute(connection, {"i": "nobody"})
    assert raised.value.connection_invalidated
    with rjc_kernel.db.session() as session:
        assert statement.execute(session.connection(), {"i": "nobody"}).fetchone() is None
