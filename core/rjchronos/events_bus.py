"""The event bus: store device events on the timeline and hand them to listeners.

An event is stored in the database transaction that caused it and handed on
only after that transaction commits (a rolled-back change emits nothing):

1. ``kernel.metrics.events`` counts it;
2. live subscribers (:meth:`EventBus.subscribe`, the SSE stream) get it
   through a bounded buffer each; a slow subscriber loses its oldest events
   and is told how many, and never slows the emitter;
3. plugins' ``rjc_device_event`` listeners get it, concurrently and under a
   timeout, through :func:`rjchronos.plugins.await_hook`;
4. plugins' ``rjc_device_events`` listeners get the events of its commit in
   one plain call on the committing thread, and hand the work on (a listener
   may return a ``concurrent.futures.Future`` of it, which :meth:`EventBus.drain`
   waits for).

Listeners are coroutines, so they need an event loop. The server binds its
loop at start-up (``rjc_startup`` of the inventory plugin). An event
committed on a worker thread (plain ``def`` endpoints, job workers inside
``serve``) is scheduled onto that loop with ``run_coroutine_threadsafe`` and
the thread carries on without waiting. Committed on the loop's own thread,
delivery becomes a task of that loop. With no running loop bound (the CLI,
a separate ``rjchronos worker``, a script) the emitting thread runs the
listeners itself with ``asyncio.run`` and waits for them, bounded by the
timeout. Live subscribers are served in-process only.

Events emitted on their own (:meth:`EventBus.emit` without a session) from
many threads at once are stored by group commit: while two batches are being
written, the events emitted meanwhile wait and are then written together in
one INSERT (a transaction of its own), each emitter getting its own stored
event back (an error only for its own row). The events of one batch reach
the loop together.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections import deque
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import jsonschema
from sqlalchemy import DateTime, String, bindparam, insert, text
from sqlalchemy import event as sa_event
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from rjchronos.db.types import utcnow
from rjchronos.events import DeviceEvent, EventType
from rjchronos.inventory.models import DeviceEventRecord
from rjchronos.plugins.awaiting import await_hook, call_each

if TYPE_CHECKING:
    from rjchronos.kernel import Kernel

log = logging.getLogger(__name__)

#: ``session.info`` key of the events waiting for their transaction to commit.
_PENDING = "rjc_pending_events"
_EVENTS = DeviceEventRecord.__table__  # type: ignore[attr-defined]
#: Built once: an event is one INSERT, its statement compiled and cached once.
_INSERT = insert(_EVENTS).returning(_EVENTS.c.id)
_INSERT_MANY = insert(_EVENTS).returning(_EVENTS.c.id, sort_by_parameter_order=True)
#: PostgreSQL's many-row INSERT: one array per column, so one statement text for every
#: batch size (psycopg parses a long multi-row VALUES text again on every execution).
#: The rows take their ids in the arrays' order; the ids come back sorted to match.
_INSERT_ARRAYS = text(
    "INSERT INTO device_events (type, device_id, time, payload, actor)"
    " SELECT type, device_id, time, payload, actor"
    " FROM unnest(:type, :device_id, :time, :payload, :actor)"
    " WITH ORDINALITY AS rows(type, device_id, time, payload, actor, n)"
    " ORDER BY n RETURNING id"
).bindparams(
    bindparam("type", type_=ARRAY(String)),
    bindparam("device_id", type_=ARRAY(String)),
    bindparam("time", type_=ARRAY(DateTime(timezone=True))),
    bindparam("payload", type_=ARRAY(JSONB)),
    bindparam("actor", type_=ARRAY(String)),
)
_COMMITTED = "rjc_committed_events"
DEFAULT_LISTENER_TIMEOUT = 10.0
DEFAULT_QUEUE_SIZE = 1000
DEFAULT_KEEPALIVE = 15.0
#: Events of one group commit at most (see :class:`_GroupCommit`).
GROUP_COMMIT_MAX = 500
#: Group commits written at the same time, each on a connection of its own.
GROUP_COMMIT_WRITERS = 2


def _insert_many(connection: Connection, rows: list[dict[str, Any]]) -> list[int]:
    """Insert event rows in one statement; their ids, in the rows' order."""
    if connection.dialect.name != "postgresql":
        return list(connection.execute(_INSERT_MANY, rows).scalars().all())
    columns = {name: [row[name] for row in rows] for name in rows[0]}
    return sorted(connection.execute(_INSERT_ARRAYS, columns).scalars().all())


class UnknownEventType(ValueError):
    """An event type no plugin declared through ``rjc_event_types``."""


@dataclass(frozen=True)
class Missed:
    """Told to a live subscriber in place of the ``count`` oldest events it was too slow for."""

    count: int


class Subscription:
    """Live events for one consumer, in emission order, from a bounded buffer.

    Iterate with ``async for`` or call :meth:`get`; yields
    :class:`~rjchronos.events.DeviceEvent` and, after an overflow,
    :class:`Missed`. Close it (or use ``async with``) when done.
    """

    def __init__(
        self,
        bus: EventBus,
        loop: asyncio.AbstractEventLoop,
        maxsize: int,
        types: frozenset[str] | None,
        device_ids: frozenset[str] | None,
    ) -> None:
        self._bus = bus
        self.loop = loop
        self.maxsize = maxsize
        self.types = types
        self.device_ids = device_ids
        self._items: deque[DeviceEvent] = deque()
        self._missed = 0
        self._ready = asyncio.Event()

    def wants(self, event: DeviceEvent) -> bool:
        return (self.types is None or event.type in self.types) and (
            self.device_ids is None or event.device_id in self.device_ids
        )

    def offer(self, event: DeviceEvent) -> None:
        """Buffer ``event`` (on this subscription's loop), dropping the oldest when full."""
        if len(self._items) >= self.maxsize:
            self._items.popleft()
            self._missed += 1
        self._items.append(event)
        self._ready.set()

    async def get(self, timeout: float | None = None) -> DeviceEvent | Missed | None:
        """The next item, or ``None`` when ``timeout`` seconds pass without one."""
        while not self._items and not self._missed:
            self._ready.clear()
            try:
                # Not wait_for: on 3.11 it can swallow a cancellation that meets an offer.
                async with asyncio.timeout(timeout):
                    await self._ready.wait()
            except TimeoutError:
                return None
        if self._missed:
            missed, self._missed = self._missed, 0
            return Missed(missed)
        return self._items.popleft()

    def close(self) -> None:
        self._bus._subscribers.discard(self)

    def __aiter__(self) -> AsyncIterator[DeviceEvent | Missed]:
        return self

    async def __anext__(self) -> DeviceEvent | Missed:
        item = await self.get()
        assert item is not None
        return item

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()


class EventBus:
    """Stores, counts and delivers device events; built lazily as ``kernel.events``."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        settings = kernel.plugin_settings("builtin.inventory")
        self.listener_timeout = float(
            settings.get("listener_timeout_seconds", DEFAULT_LISTENER_TIMEOUT)
        )
        self.queue_size = int(settings.get("subscriber_queue_size", DEFAULT_QUEUE_SIZE))
        #: Seconds of silence after which a live stream sends a keep-alive comment.
        self.keepalive = float(settings.get("stream_keepalive_seconds", DEFAULT_KEEPALIVE))
        self._loop: asyncio.AbstractEventLoop | None = None
        self._subscribers: set[Subscription] = set()
        self._deliveries: set[concurrent.futures.Future[Any] | asyncio.Future[Any]] = set()
        self._lock = threading.Lock()
        self._validators: dict[str, jsonschema.protocols.Validator | None] = {}
        self._group = _GroupCommit(self)

    # -- declared types -------------------------------------------------------

    @property
    def types(self) -> Mapping[str, EventType]:
        """Every event type the plugins declare, by name (from the kernel's catalog)."""
        return self.kernel.catalog.event_types

    def _validate(self, type: str, payload: Mapping[str, Any]) -> None:
        if type not in self.types:
            raise UnknownEventType(
                f"event type {type!r} is not declared; a plugin declares it with rjc_event_types"
            )
        if type not in self._validators:
            schema = self.types[type].payload_schema
            self._validators[type] = jsonschema.Draft202012Validator(schema) if schema else None
        validator = self._validators[type]
        if validator is not None:
            error = jsonschema.exceptions.best_match(validator.iter_errors(payload))
            if error is not None:
                where = ".".join(map(str, error.absolute_path)) or "(payload)"
                raise ValueError(f"event {type}: payload {where}: {error.message}")

    # -- emitting -------------------------------------------------------------

    def emit(
        self,
        type: str,
        device_id: str | None,
        payload: Mapping[str, Any] | None = None,
        actor: str | None = None,
        *,
        session: Session | None = None,
    ) -> DeviceEvent:
        """Store an event and deliver it once stored; callable from any thread.

        :param session: join this transaction: the event is delivered when it
            commits and forgotten if it rolls back. Without one the event is
            stored in a transaction of its own.
        :raises UnknownEventType: ``type`` is not declared.
        :raises ValueError: the payload does not match the type's schema.
        """
        if session is not None:
            return self._record(session, type, device_id, payload or {}, actor)
        payload = dict(payload or {})
        self._validate(type, payload)
        # Its own transaction, shared with the events other threads emit at the same
        # moment: one INSERT, no ORM unit of work (events come in bursts).
        now = utcnow()
        row = {
            "type": type,
            "device_id": device_id,
            "time": now,
            "payload": payload,
            "actor": actor,
        }
        return self._group.store(row)

    async def publish(
        self,
        type: str,
        device_id: str | None,
        payload: Mapping[str, Any] | None = None,
        actor: str | None = None,
    ) -> DeviceEvent:
        """:meth:`emit` from the event loop: the database work runs in a worker thread."""
        self.bind_loop(asyncio.get_running_loop(), replace=False)
        return await asyncio.to_thread(partial(self.emit, type, device_id, payload, actor))

    def emit_many(
        self,
        events: Sequence[tuple[str, str | None, Mapping[str, Any]]],
        actor: str | None = None,
        *,
        session: Session,
    ) -> list[DeviceEvent]:
        """:meth:`emit` for many ``(type, device_id, payload)`` in ``session``'s transaction.

        One flush for them all: what a burst (an alert storm, a PON going down) costs.
        """
        return self._record_many(session, events, actor)

    def _record(
        self,
        session: Session,
        type: str,
        device_id: str | None,
        payload: Mapping[str, Any],
        actor: str | None,
    ) -> DeviceEvent:
        return self._record_many(session, [(type, device_id, payload)], actor)[0]

    def _record_many(
        self,
        session: Session,
        events: Sequence[tuple[str, str | None, Mapping[str, Any]]],
        actor: str | None,
    ) -> list[DeviceEvent]:
        if not events:
            return []
        for type, _, payload in events:
            self._validate(type, payload)
        now = utcnow()
        rows = [
            {"type": type, "device_id": device_id, "time": now, "payload": dict(payload),
             "actor": actor}
            for type, device_id, payload in events
        ]  # fmt: skip
        # Plain rows, not ORM objects: a burst records hundreds in one statement.
        ids = _insert_many(session.connection(), rows)
        stored = [
            DeviceEvent(event_id, type, device_id, now, dict(payload), actor)
            for event_id, (type, device_id, payload) in zip(ids, events, strict=True)
        ]
        session.info.setdefault(_PENDING, []).extend((self, event) for event in stored)
        return stored

    # -- delivering -----------------------------------------------------------

    def bind_loop(self, loop: asyncio.AbstractEventLoop | None, *, replace: bool = True) -> None:
        """Deliver to listeners on ``loop`` (the server's); ``None`` unbinds."""
        if replace or self._loop is None or self._loop.is_closed():
            self._loop = loop

    def deliver(self, event: DeviceEvent) -> None:
        """Count ``event`` and hand it to subscribers and listeners (after it is stored)."""
        self.deliver_many([event])

    def deliver_many(self, events: Sequence[DeviceEvent]) -> None:
        """Hand the events of one commit to subscribers and listeners.

        ``rjc_device_events`` listeners are called at once on this thread, once
        for them all; ``rjc_device_event`` listeners run as one batch on the loop.
        """
        for event in events:
            self.kernel.metrics.events.labels(event.type).inc()
            self._offer(event)
        if not events:
            return
        self._call_batch_listeners(events)
        if self.kernel.hook.rjc_device_event.get_hookimpls():
            self._start_listeners(events)

    def _call_batch_listeners(self, events: Sequence[DeviceEvent]) -> None:
        if not self.kernel.hook.rjc_device_events.get_hookimpls():
            return
        # The events are stored: a listener that raises is logged and never fails the emitter.
        called = call_each(
            self.kernel.hook, "rjc_device_events", kernel=self.kernel, events=list(events)
        )
        waiting = [r for _, r in called if isinstance(r, concurrent.futures.Future)]
        here = _running_loop()
        if here is not None:  # a job's loop closes when it returns: drain(this_loop=True) waits
            for future in waiting:
                self._track(asyncio.wrap_future(future, loop=here))
        elif self.delivers_later():
            for future in waiting:
                self._track(future)
        elif waiting:  # no loop (CLI, worker, script): wait here, as for the other listeners
            concurrent.futures.wait(waiting, timeout=self.listener_timeout)

    def _offer(self, event: DeviceEvent) -> None:
        here = _running_loop()
        for subscription in list(self._subscribers):
            if not subscription.wants(event):
                continue
            if subscription.loop is here:
                subscription.offer(event)
                continue
            try:
                subscription.loop.call_soon_threadsafe(subscription.offer, event)
            except RuntimeError:  # its loop is closed: nobody reads it any more
                subscription.close()

    def delivers_later(self) -> bool:
        """Whether listeners run on the bound loop, after the emitting thread moves on."""
        loop = self._loop
        return _running_loop() is None and loop is not None and loop.is_running()

    def _start_listeners(self, events: Sequence[DeviceEvent]) -> None:
        here = _running_loop()
        if here is not None:
            self._track(here.create_task(self._call_listeners(events)))
            return
        loop = self._loop
        if loop is not None and loop.is_running():
            try:
                self._track(asyncio.run_coroutine_threadsafe(self._call_listeners(events), loop))
                return
            except RuntimeError:  # closed between the check and the call
                pass
        asyncio.run(self._call_listeners(events))

    async def _call_listeners(self, events: Sequence[DeviceEvent]) -> None:
        # One wake-up of the loop for the whole commit; each event's listeners still run
        # concurrently with the others', each under its own timeout.
        calls = [
            await_hook(
                self.kernel.hook,
                "rjc_device_event",
                timeout=self.listener_timeout,
                kernel=self.kernel,
                event=event,
            )
            for event in events
        ]
        if len(calls) == 1:
            await calls[0]
        else:
            await asyncio.gather(*calls)

    def _track(self, delivery: concurrent.futures.Future[Any] | asyncio.Future[Any]) -> None:
        with self._lock:
            self._deliveries.add(delivery)
        delivery.add_done_callback(self._untrack)

    def _untrack(self, delivery: Any) -> None:
        with self._lock:
            self._deliveries.discard(delivery)

    async def drain(self, timeout: float | None = None, *, this_loop: bool = False) -> None:
        """Wait until every delivery started so far has finished (shutdown, tests).

        :param this_loop: only those running as tasks of the current loop (a job's
            loop, which closes when its handler returns).
        """
        with self._lock:
            pending = list(self._deliveries)
        if this_loop:
            here = asyncio.get_running_loop()
            pending = [d for d in pending if isinstance(d, asyncio.Future) and d.get_loop() is here]
        if not pending:
            return
        waiting = [d if isinstance(d, asyncio.Future) else asyncio.wrap_future(d) for d in pending]
        await asyncio.wait(waiting, timeout=timeout)

    # -- live subscribers -----------------------------------------------------

    def subscribe(
        self,
        *,
        types: Iterable[str] | None = None,
        device_ids: Iterable[str] | None = None,
        maxsize: int | None = None,
    ) -> Subscription:
        """Live events from now on (call from the event loop).

        :param types: only these event types; all when ``None``.
        :param device_ids: only events of these devices; all when ``None``.
        :param maxsize: buffer size; the oldest events are dropped past it.
        """
        loop = asyncio.get_running_loop()
        self.bind_loop(loop, replace=False)
        subscription = Subscription(
            self,
            loop,
            maxsize or self.queue_size,
            frozenset(types) if types is not None else None,
            frozenset(device_ids) if device_ids is not None else None,
        )
        self._subscribers.add(subscription)
        return subscription


@dataclass
class _Waiting:
    """One event waiting to be stored by a group commit."""

    row: dict[str, Any]
    woken: threading.Event
    #: Set on the emitter chosen to write this batch.
    batch: list[_Waiting] | None = None
    stored: DeviceEvent | None = None
    error: BaseException | None = None


class _GroupCommit:
    """Stores the events many threads emit at once in shared transactions.

    No thread of its own: an emitter that finds fewer than
    :data:`GROUP_COMMIT_WRITERS` batches being written writes at once;
    otherwise it queues, and the next writer to finish takes everything
    queued (up to :data:`GROUP_COMMIT_MAX`) and hands it to the first of
    them to write. A batch that fails is retried row by row, so an error
    reaches only the emitter of the bad row.
    """

    def __init__(self, bus: EventBus) -> None:
        self.bus = bus
        self._lock = threading.Lock()
        self._queue: list[_Waiting] = []
        self._writers = 0

    def store(self, row: dict[str, Any]) -> DeviceEvent:
        """Store ``row`` (with whatever else is waiting), deliver it; the stored event."""
        me = _Waiting(row, threading.Event())
        with self._lock:
            self._queue.append(me)
            if self._writers < GROUP_COMMIT_WRITERS:
                self._writers += 1
                me.batch = self._take()
        while me.stored is None and me.error is None:
            if me.batch is not None:
                batch, me.batch = me.batch, None
                self._write(batch)
            else:
                me.woken.wait()
                me.woken.clear()
        if me.error is not None:
            raise me.error
        assert me.stored is not None
        return me.stored

    def _take(self) -> list[_Waiting]:
        batch = self._queue[:GROUP_COMMIT_MAX]
        del self._queue[:GROUP_COMMIT_MAX]
        return batch

    def _write(self, batch: list[_Waiting]) -> None:
        try:
            try:
                stored = self._insert(batch)
            finally:
                with self._lock:
                    if self._queue:  # the next batch, to the first of its emitters
                        following = self._take()
                        following[0].batch = following
                        following[0].woken.set()
                    else:
                        self._writers -= 1
            if self.bus.delivers_later():  # the emitters need not wait for the hand-off
                self._wake(batch)
            # After the connection went back to the pool (see _deliver_committed).
            try:
                self.bus.deliver_many(stored)
            except Exception:  # the events are stored; a failed delivery must not fail emitters
                log.exception("delivering %d events failed", len(stored))
        finally:
            self._wake(batch)

    @staticmethod
    def _wake(batch: list[_Waiting]) -> None:
        for waiting in batch:
            if waiting.stored is None and waiting.error is None:
                waiting.error = RuntimeError("the event was not stored")
            waiting.woken.set()

    def _insert(self, batch: list[_Waiting]) -> list[DeviceEvent]:
        engine = self.bus.kernel.db.engine
        try:
            # One statement is its own transaction: no COMMIT round trip after it.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                if len(batch) == 1:
                    ids = [connection.execute(_INSERT, batch[0].row).scalar_one()]
                else:
                    ids = _insert_many(connection, [waiting.row for waiting in batch])
        except Exception as exc:
            if len(batch) == 1:
                batch[0].error = exc
                return []
            stored: list[DeviceEvent] = []
            for waiting in batch:  # one bad row must not fail the others
                stored += self._insert([waiting])
            return stored
        stored = []
        for waiting, event_id in zip(batch, ids, strict=True):
            row = waiting.row
            waiting.stored = DeviceEvent(
                event_id, row["type"], row["device_id"], row["time"], row["payload"], row["actor"]
            )
            stored.append(waiting.stored)
        return stored


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


@sa_event.listens_for(Session, "after_commit")
def _mark_committed(session: Session) -> None:
    session.info.setdefault(_COMMITTED, []).extend(session.info.pop(_PENDING, ()))


@sa_event.listens_for(Session, "after_transaction_end")
def _deliver_committed(session: Session, transaction: Any) -> None:
    # Delivered once the outermost transaction has handed its connection back to the
    # pool: a listener that opens a session of its own must never wait for a connection
    # while the caller still holds one (a pool of N, N committing threads: a deadlock).
    if transaction.parent is not None:
        return
    committed = session.info.pop(_COMMITTED, ())
    by_bus: dict[int, tuple[EventBus, list[DeviceEvent]]] = {}
    for bus, stored in committed:
        by_bus.setdefault(id(bus), (bus, []))[1].append(stored)
    for bus, events in by_bus.values():
        try:
            bus.deliver_many(events)
        except Exception:  # the change is committed; a delivery failure must not undo the caller
            log.exception("delivering %d events (%s...) failed", len(events), events[0].type)


@sa_event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(_PENDING, None)
