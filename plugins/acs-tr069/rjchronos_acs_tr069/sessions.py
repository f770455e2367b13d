"""CWMP sessions: one per device at a time, found by cookie, ended by timeout.

State lives behind :class:`SessionStore` so that a shared store (Redis, the
database) can replace :class:`MemorySessionStore` when several ACS
processes sit behind one load balancer; today it is in memory, per process,
and a load balancer must pin a session by its cookie.

Because a session stays in one process, that process knows whether work
for the CPE was queued while the session ran: the Inform's transaction
checks the device's queue once, and later messages ask the database again
only when :func:`work_queued` has been called since (a task or provisioning
request created by this process). Work queued by another process runs at the
CPE's next session, which a connection request starts at once.
"""

from __future__ import annotations

import secrets
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

    def may_have_tasks(self) -> bool:
        """Whether the task queue is worth reading now."""
        return self.tasks_queued or queued_since(self.queue_mark)


class SessionStore(Protocol):
    """Where sessions live; one process's memory now, a shared store later."""

    def begin(self, session: CwmpSession) -> bool:
        """Start ``session``; ``False`` while its device has another live session."""

    def get(self, session_id: str) -> CwmpSession | None:
        """The live session with this id (touched), or ``None``."""

    def end(self, session_id: str) -> None:
        """Forget a session."""

    def device_session(self, device_key: str) -> CwmpSession | None:
        """The live session of a device, if any."""


class MemorySessionStore:
    """Sessions in this process's memory, expired ``timeout`` seconds after their last message."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._sessions: dict[str, CwmpSession] = {}
        self._by_device: dict[str, str] = {}

    def _live(self, session: CwmpSession | None) -> CwmpSession | None:
        if session is None:
            return None
        if time.monotonic() - session.last_activity > self.timeout:
            self.end(session.id)
            return None
        return session

    def begin(self, session: CwmpSession) -> bool:
        if self.device_session(session.device_key) is not None:
            return False
        self._sessions[session.id] = session
        self._by_device[session.device_key] = session.id
        return True

    def get(self, session_id: str) -> CwmpSession | None:
        session = self._live(self._sessions.get(session_id))
        if session is not None:
            session.last_activity = time.monotonic()
        return session

    def end(self, session_id: str) -> None:
        session = self._sessions.pop(session_id, None)
        if session is not None and self._by_device.get(session.device_key) == session_id:
            del self._by_device[session.device_key]

    def device_session(self, device_key: str) -> CwmpSession | None:
        session_id = self._by_device.get(device_key)
        return self._live(self._sessions.get(session_id)) if session_id else None

    def active(self) -> int:
        """How many sessions are live now."""
        now = time.monotonic()
        return sum(
            1 for s in list(self._sessions.values()) if now - s.last_activity <= self.timeout
        )
