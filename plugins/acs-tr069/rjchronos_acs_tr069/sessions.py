"""CWMP sessions: one per device at a time, found by cookie, ended by timeout.

State lives behind :class:`SessionStore`: :class:`MemorySessionStore` keeps
it in one process (the embedded default), and
:class:`~rjchronos_acs_tr069.session_store.DatabaseSessionStore` in the
database, so that several ACS processes behind a load balancer share it and
a session survives its process. The cookie carries the session's id and the
number of times it was saved (``id.seq``): a process that holds an older
copy of the session reads it again.

A process knows whether work for the CPE was queued while the session ran:
the Inform's transaction checks the device's queue once, and later messages
ask the database again only when :func:`work_queued` has been called since
(a task or provisioning request created by this process). Work queued by
another process runs at the CPE's next session, which a connection request
starts at once; a session picked up from another process reads the queue.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

COOKIE = "rjc_cwmp"
_last_queued = 0.0


def work_queued() -> None:
    """Note that a task or provisioning request was just committed for some CPE."""
    global _last_queued
    _last_queued = time.monotonic()


def queued_since(mark: float) -> bool:
    """Whether :func:`work_queued` was called at or after ``mark`` (``time.monotonic()``)."""
    return _last_queued >= mark


@dataclass
class CwmpSession:
    """What the ACS remembers between the HTTP messages of one CWMP session."""

    device_key: str
    device_id: str
    namespace: str
    version: str | None = None
    id: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    last_activity: float = field(default_factory=time.monotonic)
    #: The task being run, the ``cwmp:ID`` of the request sent for it, and its step.
    task_id: str | None = None
    request_id: str | None = None
    step: str = ""
    state: dict[str, Any] = field(default_factory=dict)
    sent: int = 0
    #: The provisioning engine's state in this session (``provisioning.Run``).
    provisioning: Any = None
    #: Whether the device had tasks when its queue was checked at ``queue_mark``.
    tasks_queued: bool = True
    queue_mark: float = 0.0
    #: The URL the CPE reached the ACS at (the base of firmware download URLs).
    acs_url: str = ""
    #: The Inform said ``8 DIAGNOSTICS COMPLETE``: a requested diagnostic has results to read.
    diagnostics_complete: bool = False
    #: The telemetry read of this session: ``due``, ``sent``, or ``""`` (none).
    telemetry: str = ""
    #: The RPC awaiting the CPE's answer and when it was sent (for the RPC latency metric).
    rpc_method: str = ""
    rpc_sent_at: float = 0.0
    #: How many times the session was saved to a shared store.
    seq: int = 0

    @property
    def cookie(self) -> str:
        """The value of the session cookie: ``id.seq``."""
        return f"{self.id}.{self.seq}"

    def may_have_tasks(self) -> bool:
        """Whether the task queue is worth reading now."""
        return self.tasks_queued or queued_since(self.queue_mark)


def parse_cookie(value: str) -> tuple[str, int]:
    """The session id and save count of a cookie (``-1`` when it has none)."""
    session_id, _, seq = value.rpartition(".")
    if not session_id or not seq.isdigit():
        return value, -1
    return session_id, int(seq)


class SessionStore(Protocol):
    """Where sessions live: this process's memory, or the database shared by every process."""

    def begin(self, session: CwmpSession, db: Any = None) -> bool:
        """Start ``session``; ``False`` while its device has another live session.

        Called in the Inform's transaction (``db``, a SQLAlchemy session, or for a routine
        Inform an autocommitted connection), in a worker thread.
        """

    async def get(self, cookie: str) -> CwmpSession | None:
        """The live session a cookie names (touched), or ``None``."""

    async def save(self, session: CwmpSession) -> bool:
        """Keep ``session``'s state for its next message; ``False`` if it is no longer live."""

    async def end(self, session_id: str) -> None:
        """Forget a session."""

    def active(self) -> int:
        """How many sessions are live in this process now."""


class MemorySessionStore:
    """Sessions in this process's memory, expired ``timeout`` seconds after their last message."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._sessions: dict[str, CwmpSession] = {}
        self._by_device: dict[str, str] = {}
        self._lock = threading.Lock()

    def _live(self, session: CwmpSession | None) -> CwmpSession | None:
        if session is None:
            return None
        if time.monotonic() - session.last_activity > self.timeout:
            self._forget(session.id)
            return None
        return session

    def begin(self, session: CwmpSession, db: Any = None) -> bool:
        with self._lock:
            if self.device_session(session.device_key) is not None:
                return False
            self._sessions[session.id] = session
            self._by_device[session.device_key] = session.id
            return True

    async def get(self, cookie: str) -> CwmpSession | None:
        session = self._live(self._sessions.get(parse_cookie(cookie)[0]))
        if session is not None:
            session.last_activity = time.monotonic()
        return session

    async def save(self, session: CwmpSession) -> bool:
        return session.id in self._sessions

    async def end(self, session_id: str) -> None:
        self._forget(session_id)

    def _forget(self, session_id: str) -> None:
        session = self._sessions.pop(session_id, None)
        if session is not None and self._by_device.get(session.device_key) == session_id:
            del self._by_device[session.device_key]

    def device_session(self, device_key: str) -> CwmpSession | None:
        session_id = self._by_device.get(device_key)
        return self._live(self._sessions.get(session_id)) if session_id else None

    def active(self) -> int:
        now = time.monotonic()
        return sum(
            1 for s in list(self._sessions.values()) if now - s.last_activity <= self.timeout
        )
