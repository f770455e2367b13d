"""The event bus: stored events reach listener plugins and live subscribers, once committed."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import func, select

from rjchronos import hookimpl
from rjchronos.events import DeviceEvent, EventType
from rjchronos.events_bus import Missed, UnknownEventType
from rjchronos.inventory import service
from rjchronos.inventory.models import device_events
from rjchronos_sdk.testing import LoopThread

API = "/api/v1"


class Recorder:
    """A listener plugin that keeps what it hears and on which loop it ran."""

    def __init__(self) -> None:
        self.events: list[DeviceEvent] = []
        self.loops: list[asyncio.AbstractEventLoop] = []
        self._changed = threading.Condition()

    @hookimpl
    async def rjc_device_event(self, kernel: Any, event: DeviceEvent) -> None:
        await asyncio.sleep(0)
        with self._changed:
            self.events.append(event)
            self.loops.append(asyncio.get_running_loop())
            self._changed.notify_all()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[DeviceEvent]:
        with self._changed:
            assert self._changed.wait_for(lambda: len(self.events) >= count, timeout), self.events
            return list(self.events)


class Failing:
    @hookimpl
    async def rjc_device_event(self, kernel: Any, event: DeviceEvent) -> None:
        raise RuntimeError("listener bug")


def _stored(kernel: Any) -> int:
    with kernel.db.session() as session:
        return int(session.execute(select(func.count()).select_from(device_events)).scalar_one())


def test_an_event_from_an_endpoint_reaches_listeners_on_the_servers_loop(
    rjc_kernel_factory: Callable[..., Any],
    rjc_client_factory: Callable[..., Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    recorder = Recorder()
    kernel = rjc_kernel_factory(plugins={"recorder": recorder, "failing": Failing()})
    client = rjc_client_factory("admin", kernel=kernel)
    with caplog.at_level(logging.ERROR, logger="rjchronos.plugins.awaiting"):
        created = client.post(f"{API}/devices", json={"kind": "onu", "serial": "HWTC11E70E9A"})
        assert created.status_code == 201
        client.patch(f"{API}/devices/{created.json()['id']}", json={"status": "los"})
        heard = recorder.wait_for(2)
    assert [(e.type, e.device_id) for e in heard] == [
        ("device.created", created.json()["id"]),
        ("device.status_changed", created.json()["id"]),
    ]
    assert heard[1].payload == {"from": "unknown", "to": "los"}
    assert heard[0].actor is not None and heard[0].actor.startswith("user:")
    # Endpoints run on worker threads; the listeners ran on the server's own loop.
    assert recorder.loops == [kernel.events._loop] * 2
    assert "plugin failing failed in rjc_device_event" in caplog.text
    counted = kernel.metrics.events.labels("device.status_changed")._value.get()
    assert counted == 1


def test_without_a_running_loop_the_emitter_runs_the_listeners_itself(
    rjc_kernel_factory: Callable[..., Any],
) -> None:
    recorder = Recorder()
    kernel = rjc_kernel_factory(plugins={"recorder": recorder})
    device = service.create_device(kernel, {"kind": "olt", "name": "OLT"})
    # No server: delivery finished before the call returned.
    assert [e.type for e in recorder.events] == ["device.created"]
    event = kernel.events.emit("device.status_changed", device.id, {"from": "a", "to": "b"}, "cli")
    assert recorder.events[-1] == event
    assert event.id > recorder.events[0].id


def test_undeclared_types_and_bad_payloads_are_refused_and_not_stored(rjc_kernel: Any) -> None:
    before = _stored(rjc_kernel)
    with pytest.raises(UnknownEventType, match="onu.exploded"):
        rjc_kernel.events.emit("onu.exploded", None, {})
    with pytest.raises(ValueError, match="device.status_changed: payload"):
        rjc_kernel.events.emit("device.status_changed", None, {"from": "online"})
    assert _stored(rjc_kernel) == before


def test_a_rolled_back_change_emits_nothing(rjc_kernel_factory: Callable[..., Any]) -> None:
    recorder = Recorder()
    kernel = rjc_kernel_factory(plugins={"recorder": recorder})
    with pytest.raises(RuntimeError, match="changed my mind"), kernel.db.session() as session:
        service.create_device(kernel, {"kind": "olt"}, session=session)
        raise RuntimeError("changed my mind")
    assert recorder.events == []
    assert _stored(kernel) == 0
    with kernel.db.session() as session:
        service.create_device(kernel, {"kind": "olt"}, session=session)
        assert recorder.events == []  # not before the commit
    assert [e.type for e in recorder.events] == ["device.created"]


def test_a_cancelled_wait_stays_cancelled_when_an_event_arrives_with_it(rjc_kernel: Any) -> None:
    device = service.create_device(rjc_kernel, {"kind": "onu"})

    async def scenario() -> None:
        bus = rjc_kernel.events
        subscription = bus.subscribe()
        await bus.publish("device.updated", device.id, {"fields": ["name"]})
        event = await subscription.get(timeout=5)
        assert isinstance(event, DeviceEvent)
        waiting = asyncio.ensure_future(subscription.get(timeout=60))
        await asyncio.sleep(0)
        # The event and the cancellation reach the waiting get in one turn of the loop.
        subscription.offer(event)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        subscription.close()

    asyncio.run(scenario())


def test_a_slow_subscriber_loses_its_oldest_events_and_is_told(rjc_kernel: Any) -> None:
    device = service.create_device(rjc_kernel, {"kind": "onu"})

    async def scenario() -> list[Any]:
        bus = rjc_kernel.events
        slow = bus.subscribe(maxsize=3)
        picky = bus.subscribe(types=["device.updated"])
        for n in range(5):
            await bus.publish(
                "device.status_changed", device.id, {"from": str(n), "to": str(n + 1)}
            )
        await bus.publish("device.updated", device.id, {"fields": ["name"]})
        received = [await slow.get(timeout=5) for _ in range(4)]
        received.append(await slow.get(timeout=0.05))
        received.append(await picky.get(timeout=5))
        slow.close()
        picky.close()
        assert not bus._subscribers
        return received

    missed, *kept, nothing, updated = asyncio.run(scenario())
    assert missed == Missed(3)
    assert [e.payload["to"] for e in kept[:2]] == ["4", "5"] and kept[2].type == "device.updated"
    assert nothing is None
    assert updated.type == "device.updated"


def test_status_changes_emit_only_on_transitions(rjc_kernel_factory: Callable[..., Any]) -> None:
    recorder = Recorder()
    kernel = rjc_kernel_factory(plugins={"recorder": recorder})
    device = service.create_device(kernel, {"kind": "onu", "serial": "ZTEGC0FFEE01"})
    assert service.set_status(kernel, device.id, "online")
    assert not service.set_status(kernel, device.id, "online")
    assert service.set_status(kernel, device.id, "dying_gasp", details={"reason": "power"})
    statuses = [e.payload for e in recorder.events if e.type == "device.status_changed"]
    assert statuses == [
        {"from": "unknown", "to": "online"},
        {"from": "online", "to": "dying_gasp", "reason": "power"},
    ]
    stored = service.get_device(kernel, device.id)
    assert stored is not None and stored.status == "dying_gasp" and stored.last_seen is not None
    with pytest.raises(ValueError, match="sleepy"):
        service.set_status(kernel, device.id, "sleepy")


class PoolWatcher:
    """A listener that notes how many pooled connections are out when it runs."""

    def __init__(self) -> None:
        self.checked_out: list[int] = []

    @hookimpl
    def rjc_device_event(self, kernel: Any, event: DeviceEvent) -> None:
        self.checked_out.append(kernel.db.engine.pool.checkedout())


def test_listeners_run_after_the_committing_session_gave_its_connection_back(
    rjc_kernel_factory: Callable[..., Any],
) -> None:
    # A listener that opens a session of its own must not need a second connection
    # while the emitter still holds one: N emitters on a pool of N would deadlock.
    watcher = PoolWatcher()
    kernel = rjc_kernel_factory(plugins={"watcher": watcher})
    with kernel.db.session() as session:
        service.create_device(kernel, {"kind": "olt", "name": "OLT"}, session=session)
        assert watcher.checked_out == []
    assert watcher.checked_out == [0]


class AnyPayload:
    """Declares an event type without a payload schema."""

    @hookimpl
    def rjc_event_types(self) -> list[EventType]:
        return [EventType("test.ping", "A test event with any payload")]


def test_events_emitted_from_many_threads_at_once_are_each_stored_and_heard_once(
    rjc_kernel_factory: Callable[..., Any],
) -> None:
    recorder = Recorder()
    kernel = rjc_kernel_factory(plugins={"recorder": recorder, "types": AnyPayload()})
    before = _stored(kernel)
    start = threading.Barrier(8)
    emitted: dict[int, list[DeviceEvent]] = {}
    failures: dict[int, BaseException] = {}

    def emit(thread: int) -> None:
        start.wait()
        emitted[thread] = []
        for n in range(25):
            # One row the database cannot take (a set is not JSON): only its emitter fails.
            payload: dict[str, Any] = {"thread": thread, "n": n}
            if thread == 3 and n == 10:
                payload["bad"] = {1, 2}
            try:
                emitted[thread].append(kernel.events.emit("test.ping", None, payload))
            except Exception as exc:
                failures[thread] = exc

    threads = [threading.Thread(target=emit, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert list(failures) == [3]
    events = [e for thread in sorted(emitted) for e in emitted[thread]]
    assert len(events) == 199
    assert len({e.id for e in events}) == 199
    for thread, own in emitted.items():  # each emitter's events in its own order
        assert [e.payload["n"] for e in own] == [n for n in range(25) if (thread, n) != (3, 10)]
        assert [e.id for e in own] == sorted(e.id for e in own)
    assert _stored(kernel) == before + 199
    heard = recorder.wait_for(199)
    assert sorted(e.id for e in heard) == sorted(e.id for e in events)


def test_the_event_history_of_every_device_newest_first_filtered_and_scoped(
    admin: Any, scoped_client: Any, network: Any
) -> None:
    n = network
    answer = admin.get("/api/v1/events", params={"limit": 500})
    assert answer.status_code == 200, answer.text
    events = answer.json()["items"]
    assert [e["id"] for e in events] == sorted((e["id"] for e in events), reverse=True)
    created = {e["device_id"] for e in events if e["type"] == "device.created"}
    assert {n.olt["id"], n.cpe["id"], n.south_onu["id"]} <= created

    only = admin.get("/api/v1/events", params={"type": "device.created", "device": n.cpe["id"]})
    assert [(e["type"], e["device_id"]) for e in only.json()["items"]] == [
        ("device.created", n.cpe["id"])
    ]
    first = admin.get("/api/v1/events", params={"limit": 2}).json()
    assert [e["id"] for e in first["items"]] == [e["id"] for e in events[:2]]
    rest = admin.get("/api/v1/events", params={"limit": 2, "cursor": first["next_cursor"]})
    assert [e["id"] for e in rest.json()["items"]] == [e["id"] for e in events[2:4]]

    newest = events[0]["time"]
    assert [e["id"] for e in admin.get(
        "/api/v1/events", params={"since": newest, "limit": 500}
    ).json()["items"]] == [e["id"] for e in events if e["time"] >= newest]  # fmt: skip
    assert admin.get("/api/v1/events", params={"until": events[-1]["time"]}).json()["items"] == []
    bad = admin.get("/api/v1/events", params={"since": "yesterday"})
    assert bad.status_code == 422
    assert bad.json()["invalid_params"][0]["name"] == "query.since"

    north = scoped_client("viewer", "region:Norte")
    seen = {
        e["device_id"] for e in north.get("/api/v1/events", params={"limit": 500}).json()["items"]
    }
    assert n.cpe["id"] in seen
    assert n.south_onu["id"] not in seen and None not in seen


class BatchListener:
    """An ``rjc_device_events`` listener handing each commit's events to a thread of its own."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[str], int]] = []
        self.done: list[str] = []
        self._pool = ThreadPoolExecutor(max_workers=1)

    @hookimpl
    def rjc_device_events(self, kernel: Any, events: Any) -> Future[None]:
        self.calls.append(([e.type for e in events], threading.get_ident()))

        def work() -> None:
            time.sleep(0.2)
            self.done += [e.id for e in events]

        return self._pool.submit(work)


class FailingBatch:
    @hookimpl
    def rjc_device_events(self, kernel: Any, events: Any) -> None:
        raise RuntimeError("batch listener bug")


def test_a_commits_events_reach_a_batch_listener_in_one_call_and_drain_waits_for_its_work(
    rjc_kernel_factory: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    listener = BatchListener()
    kernel = rjc_kernel_factory(
        plugins={"batch": listener, "failing": FailingBatch(), "types": AnyPayload()}
    )
    loop = LoopThread()
    try:
        kernel.events.bind_loop(loop.loop)
        with (
            caplog.at_level(logging.ERROR, logger="rjchronos.events_bus"),
            kernel.db.session() as session,
        ):
            stored = kernel.events.emit_many(
                [("test.ping", None, {"n": n}) for n in range(3)], session=session
            )
            session.commit()
        # One call for the commit, on the committing thread; the failing listener is only logged.
        assert listener.calls == [(["test.ping"] * 3, threading.get_ident())]
        assert "plugin failing failed in rjc_device_events" in caplog.text
        asyncio.run_coroutine_threadsafe(kernel.events.drain(10), loop.loop).result(15)
        assert listener.done == [e.id for e in stored]
    finally:
        loop.close()


def test_the_events_of_one_statement_get_their_own_ids_in_order(
    rjc_kernel_factory: Callable[..., Any],
) -> None:
    kernel = rjc_kernel_factory(plugins={"types": AnyPayload()})
    devices = [None, "dev-1", None, "dev-2"]
    with kernel.db.session() as session:
        stored = kernel.events.emit_many(
            [("test.ping", devices[n % 4], {"n": n, "text": "ação"}) for n in range(40)],
            "noc",
            session=session,
        )
        session.commit()
    assert [e.payload["n"] for e in stored] == list(range(40))
    assert [e.id for e in stored] == sorted(e.id for e in stored)
    with kernel.db.session() as session:
        rows = session.execute(
            select(device_events).where(device_events.c.id.in_([e.id for e in stored]))
        ).all()
    by_id = {row.id: row for row in rows}
    for event in stored:  # each id names the row of that event
        row = by_id[event.id]
        assert (row.payload, row.device_id, row.actor, row.time) == (
            event.payload,
            event.device_id,
            "noc",
            event.time,
        )
