"""CWMP sessions in the database, shared by every ACS process (``session_store = "database"``).

A session is a row of ``acs_sessions``: taken by the Inform that starts it,
in the Inform's own transaction, saved each time the ACS sends the CPE a
request, deleted when it ends. A row holds a lease: ``session_timeout_seconds``
after its last save another process may take the device over, so a session
whose process died blocks its device no longer than that.

Each process keeps the sessions it served last in memory. The cookie says how
many times a session was saved (``id.seq``): when it matches the copy in
memory no query is made, and when it does not (the previous message went to
another process) the row is read again. So a load balancer may pin sessions by
cookie or not, and a session goes on in another process when its own is
replaced.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import threading
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, String, Update, any_, bindparam, delete, select, update
from sqlalchemy.dialects.postgresql import ARRAY

from rjchronos.db.driver import DriverStatement, autocommitted
from rjchronos.db.types import utcnow
from rjchronos_acs_tr069.models import session_rows
from rjchronos_acs_tr069.profiles import Facts
from rjchronos_acs_tr069.provisioning import KeyedObject, Run
from rjchronos_acs_tr069.sessions import CwmpSession, parse_cookie
from rjchronos_acs_tr069.workers import run_sync

if TYPE_CHECKING:
    from rjchronos.db.engine import Database

#: Fields that only mean something in the process that set them (monotonic clocks).
_LOCAL = {"last_activity", "queue_mark", "rpc_sent_at", "provisioning", "seq", "tasks_queued"}


_SESSION_FIELDS = tuple(f.name for f in dataclasses.fields(CwmpSession) if f.name not in _LOCAL)
_RUN_FIELDS = tuple(f.name for f in dataclasses.fields(Run))
_FACT_FIELDS = tuple(f.name for f in dataclasses.fields(Facts))


def encode(session: CwmpSession) -> dict[str, Any]:
    """The session's state as a JSON document (serialised at once: values are not copied)."""
    data = {name: getattr(session, name) for name in _SESSION_FIELDS}
    run: Run | None = session.provisioning
    if run is not None:
        encoded = {name: getattr(run, name) for name in _RUN_FIELDS}
        encoded["triggers"] = sorted(run.triggers)
        encoded["objects"] = [dataclasses.asdict(o) for o in run.objects]
        facts = run.facts
        if facts is not None:
            encoded["facts"] = {name: getattr(facts, name) for name in _FACT_FIELDS}
            encoded["facts"]["tags"] = sorted(facts.tags)
        data["provisioning"] = encoded
    return data


def decode(data: dict[str, Any], seq: int) -> CwmpSession:
    """A session read back from :func:`encode`'s document, saved ``seq`` times.

    Work queued by another process is not known here: the task queue is read
    at the next turn, and the RPC in flight is not timed.
    """
    fields = {k: v for k, v in data.items() if k not in _LOCAL}
    session = CwmpSession(**fields, tasks_queued=True, seq=seq)
    session.rpc_method = ""
    run = data.get("provisioning")
    if run is not None:
        facts = run["facts"]
        session.provisioning = Run(
            **{
                **run,
                "triggers": set(run["triggers"]),
                "objects": [KeyedObject(**o) for o in run["objects"]],
                "facts": facts and Facts(**{**facts, "tags": frozenset(facts["tags"])}),
            }
        )
    return session


class DatabaseSessionStore:
    """Sessions in ``acs_sessions``, with this process's latest copies in memory."""

    def __init__(self, db: Database, timeout: float) -> None:
        self.db = db
        self.timeout = timeout
        # Built once, so that their SQL is compiled once (statement cache).
        insert = db.insert(session_rows)
        self._take = insert.on_conflict_do_update(
            index_elements=["device_key"],
            set_={k: insert.excluded[k] for k in ("id", "seq", "expires_at", "data")},
            where=session_rows.c.expires_at < bindparam("now"),
        ).returning(session_rows.c.id)
        #: On PostgreSQL the Inform's INSERT is run by psycopg itself (``DriverStatement``).
        self._take_fast = DriverStatement(self._take) if db.is_postgres else None
        self._delete_rows = delete(session_rows).where(
            session_rows.c.id.in_(bindparam("sessions", expanding=True))
        )
        #: On PostgreSQL the ended sessions go as one array, deleted by psycopg itself.
        self._delete_fast = (
            DriverStatement(
                delete(session_rows).where(
                    session_rows.c.id == any_(bindparam("sessions", type_=ARRAY(String)))
                )
            )
            if db.is_postgres
            else None
        )
        self._autocommit = db.engine.execution_options(isolation_level="AUTOCOMMIT")
        self._copies: dict[str, CwmpSession] = {}
        self._claims: dict[Update, DriverStatement] = {}
        self._lock = threading.Lock()
        self._swept = time.monotonic()
        #: Ended sessions whose rows wait for the next DELETE, and the future it completes.
        self._ending: list[str] = []
        self._ended: asyncio.Future[None] | None = None
        self._deleting: asyncio.Task[None] | None = None

    def _lease(self) -> Any:
        return utcnow() + timedelta(seconds=self.timeout)

    def _keep(self, session: CwmpSession) -> None:
        now = time.monotonic()
        with self._lock:
            self._copies[session.id] = session
            if now - self._swept > self.timeout:
                # Copies of sessions that went on, or ended, in another process.
                self._swept = now
                for stale in [s for s in self._copies.values() if self._stale(s, now)]:
                    del self._copies[stale.id]

    def _stale(self, session: CwmpSession, now: float) -> bool:
        return now - session.last_activity > self.timeout

    def _drop(self, session_id: str) -> None:
        with self._lock:
            self._copies.pop(session_id, None)

    def _fresh(self, session: CwmpSession | None) -> CwmpSession | None:
        if session is not None and self._stale(session, time.monotonic()):
            self._drop(session.id)
            return None
        return session

    def begin(self, session: CwmpSession, db: Any = None) -> bool:
        """Take the device's row in the Inform's transaction ``db``: free, or its lease run out.

        ``db`` is a SQLAlchemy session, or a connection (autocommitted, for a routine Inform).
        """
        if db is None:
            with self.db.session() as own:
                return self.begin(session, own)
        values = self._take_values(session)
        connection = db if isinstance(db, Connection) else db.connection()
        if self._take_fast is not None:
            taken = self._take_fast.execute(connection, values).fetchone()
        else:
            taken = connection.execute(self._take, values).first()
        if taken is None:
            return False
        self._keep(session)
        return True

    def _take_values(self, session: CwmpSession) -> dict[str, Any]:
        now = utcnow()
        session.seq = 1
        data: Any = encode(session)
        if self.db.is_postgres:
            # JSON text, cast by psycopg's statements: cheaper than its Jsonb adapter.
            data = json.dumps(data)
        return {
            "id": session.id,
            "device_key": session.device_key,
            "seq": session.seq,
            "expires_at": now + timedelta(seconds=self.timeout),
            "data": data,
            "now": now,
        }

    def claim(
        self, session: CwmpSession, statement: Update
    ) -> tuple[DriverStatement, dict[str, Any]]:
        """``statement`` (an ``UPDATE ... RETURNING``, PostgreSQL) taking ``session``'s row too.

        The statement's rows end with ``taken``: the session's id if its row was
        taken, else NULL. Then :meth:`claimed` (it was) or :meth:`release` (it is
        not wanted after all).
        """
        if statement not in self._claims:
            taken = self._take.cte("taken")
            self._claims[statement] = DriverStatement(
                statement.add_cte(taken).returning(
                    select(taken.c.id).scalar_subquery().label("taken")
                )
            )
        return self._claims[statement], self._take_values(session)

    def claimed(self, session: CwmpSession) -> None:
        """``session``'s row was taken by its :meth:`claim`."""
        self._keep(session)

    def release(self, session: CwmpSession, connection: Connection) -> None:
        """Give back the row a :meth:`claim` may have taken (autocommitted ``connection``)."""
        assert self._delete_fast is not None
        self._delete_fast.execute(connection, {"sessions": [session.id]})

    async def get(self, cookie: str) -> CwmpSession | None:
        session_id, seq = parse_cookie(cookie)
        copy = self._fresh(self._copies.get(session_id))
        if copy is None or copy.seq != seq:
            copy = await run_sync(self._read, session_id)
            if copy is None:
                self._drop(session_id)
                return None
            self._keep(copy)
        copy.last_activity = time.monotonic()
        return copy

    def _read(self, session_id: str) -> CwmpSession | None:
        columns = (session_rows.c.data, session_rows.c.seq)
        with self.db.session() as db:
            row = db.execute(
                select(*columns).where(
                    session_rows.c.id == session_id, session_rows.c.expires_at >= utcnow()
                )
            ).first()
        return None if row is None else decode(dict(row.data), row.seq)

    async def save(self, session: CwmpSession) -> bool:
        session.seq += 1
        saved = await run_sync(self._write, session.id, session.seq, encode(session))
        if not saved:
            self._drop(session.id)
        return saved

    def _write(self, session_id: str, seq: int, data: dict[str, Any]) -> bool:
        with self.db.session() as db:
            result = db.execute(
                update(session_rows)
                .where(session_rows.c.id == session_id)
                .values(seq=seq, data=data, expires_at=self._lease())
            )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def end(self, session_id: str) -> None:
        """Delete the session's row; returns once it is deleted.

        Ends that come while a DELETE runs wait for the next one, which takes
        them all: under load one statement (and one worker hop) ends many sessions.
        """
        self._drop(session_id)
        loop = asyncio.get_running_loop()
        if self._deleting is not None and self._deleting.get_loop() is not loop:
            # The loop of the last batch stopped (a server restarted in this process): its
            # sessions are deleted with this one, and their waiters are gone with their loop.
            self._ended = self._deleting = None
        if self._ended is None:
            self._ended = loop.create_future()
        deleted = self._ended
        self._ending.append(session_id)
        if self._deleting is None:
            self._deleting = loop.create_task(self._delete_ended())
        await deleted

    async def _delete_ended(self) -> None:
        try:
            while self._ending:
                batch, deleted = self._ending, self._ended
                self._ending, self._ended = [], None
                assert deleted is not None
                try:
                    await run_sync(self._delete, batch)
                except Exception as exc:
                    deleted.set_exception(exc)
                else:
                    deleted.set_result(None)
        finally:
            self._deleting = None

    def _delete(self, session_ids: list[str]) -> None:
        # One statement, committed on its own: no BEGIN and COMMIT round trips around it.
        if self._delete_fast is not None:
            with autocommitted(self.db.engine) as connection:
                self._delete_fast.execute(connection, {"sessions": session_ids})
            return
        with self._autocommit.connect() as connection:
            connection.execute(self._delete_rows, {"sessions": session_ids})

    def active(self) -> int:
        now = time.monotonic()
        return sum(1 for s in list(self._copies.values()) if not self._stale(s, now))
