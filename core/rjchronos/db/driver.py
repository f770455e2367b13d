"""Hot statements run by psycopg itself, inside a SQLAlchemy transaction (PostgreSQL only).

For the few statements a busy protocol runs at every message (the ACS's
routine Inform): SQLAlchemy's work per execution (cache key, execution
context, bind and result processing) costs more than psycopg's own, about
115 microseconds of CPU against 85 for the device's ``UPDATE ... RETURNING``.
The statement is still written with SQLAlchemy Core, compiled once.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.rows import namedtuple_row
from sqlalchemy import Connection, Engine
from sqlalchemy.dialects.postgresql import psycopg as psycopg_dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.expression import Executable

_DIALECT = psycopg_dialect.dialect()


class DriverStatement:
    """A Core statement compiled once for PostgreSQL and executed on the driver connection.

    Values go to psycopg as they are, so only types psycopg adapts itself may
    be passed: strings, numbers, timezone-aware datetimes, lists of those, and
    JSON text for a JSON column (the statement casts it). Rows come back as
    named tuples. The engine's ``before_cursor_execute`` listeners still hear
    of each execution, and errors are SQLAlchemy's (a lost connection is
    invalidated, as SQLAlchemy does when it runs a statement).
    """

    def __init__(self, statement: Executable) -> None:
        compiled = statement.compile(dialect=_DIALECT)  # type: ignore[attr-defined]
        self.sql = str(compiled)
        #: Values bound in the statement itself (literals such as a status compared to).
        self.constants = {k: v for k, v in compiled.params.items() if v is not None}

    def execute(self, connection: Connection, values: Mapping[str, Any]) -> Any:
        """Run in ``connection``'s transaction; the psycopg cursor, its rows to fetch."""
        driver = connection.connection.driver_connection
        assert driver is not None
        cursor = driver.cursor(row_factory=namedtuple_row)
        parameters = {**self.constants, **values}
        dispatch = connection.dispatch
        if dispatch.before_cursor_execute:
            dispatch.before_cursor_execute(connection, cursor, self.sql, parameters, None, False)
        try:
            return cursor.execute(self.sql, parameters)
        except psycopg.Error as exc:
            lost = connection.dialect.is_disconnect(exc, driver, cursor)  # type: ignore[arg-type]
            if lost:
                connection.invalidate(exc)
            raise DBAPIError.instance(
                self.sql, parameters, exc, psycopg.Error, connection_invalidated=lost
            ) from exc


@contextmanager
def autocommitted(engine: Engine) -> Iterator[Connection]:
    """A pooled connection on which each statement commits on its own (PostgreSQL).

    No BEGIN and no COMMIT: one round trip per statement. For a short run of
    statements each of which stands on its own, such as the ACS's routine
    Inform (touch the device, then take its session row).
    """
    with engine.connect() as connection:
        driver = connection.connection.driver_connection
        assert isinstance(driver, psycopg.Connection)
        driver.autocommit = True
        try:
            yield connection
        finally:
            if not driver.closed:
                driver.autocommit = False
