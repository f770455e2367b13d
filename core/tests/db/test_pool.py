"""The connection pool: a connection broken while idle is replaced before anyone uses it."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from rjchronos.db import engine as db_engine


def _backend_pid(kernel: Any) -> int:
    with kernel.db.engine.connect() as connection:
        if kernel.db.is_sqlite:
            return 0
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_a_connection_killed_while_idle_is_replaced_on_checkout(
    rjc_kernel: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_engine, "PING_AFTER_IDLE_SECONDS", 0.0)
    pool = rjc_kernel.db.engine.pool
    before = _backend_pid(rjc_kernel)
    if rjc_kernel.db.is_postgres:
        # What a database restart or a dropped link does to a pooled connection.
        url = make_url(rjc_kernel.db.url).set(drivername="postgresql")
        with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as other:
            other.execute("SELECT pg_terminate_backend(%s)", (before,))
    # The next statement works: the dead connection was found and replaced on checkout.
    with rjc_kernel.db.session() as session:
        assert session.execute(text("SELECT 1")).scalar_one() == 1
    after = _backend_pid(rjc_kernel)
    assert (after != before) == rjc_kernel.db.is_postgres
    assert pool.checkedout() == 0
