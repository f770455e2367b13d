"""Alert latency: a device event to the notification's arrival at a local webhook receiver.

1. creates a fresh PostgreSQL database and migrates it;
2. starts a webhook receiver (Starlette under uvicorn on 127.0.0.1) that notes each arrival;
3. builds a kernel as ``rjchronos serve --role all`` runs it: the event bus bound to a
   running loop, the embedded job worker, one event rule with one channel whose notifier
   POSTs JSON to the receiver (one client per batch of deliveries, as the webhook
   notifier does);
4. emits ``--rate`` events per second for ``--seconds`` seconds, each on its own device,
   so each opens an alert and queues one delivery, and times event -> arrival;
5. baseline, in the same run: a bare httpx client POSTs the same number of messages to the
   same receiver at the same rate over a kept-alive connection, timed send -> arrival.

The last line is one JSON object with both sets of figures and their ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import ssl
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy import insert
from sqlalchemy.engine import make_url
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from rjchronos import hookimpl
from rjchronos.alerts.models import AlertRule
from rjchronos.config import Settings
from rjchronos.db.ids import new_id
from rjchronos.db.migrate import upgrade
from rjchronos.drivers.contracts import DeliveryResult, Notification, Notifier
from rjchronos.events import EventType
from rjchronos.inventory.models import devices
from rjchronos.kernel import Kernel
from rjchronos.notifications.models import NotificationChannel
from rjchronos_sdk.testing import LoopThread, serve_asgi

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
EVENT = "bench.link_down"
TARGET_P99_MS = 1000.0


def admin_url() -> str:
    return os.environ.get(
        "RJC_BENCH_DATABASE_URL", os.environ.get("RJC_TEST_DATABASE_URL", DEFAULT_ADMIN_URL)
    )


class Receiver:
    """Notes the arrival time of every message, keyed by the ``key`` it carries."""

    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}
        self.lock = threading.Lock()

    async def post(self, request: Request) -> JSONResponse:
        body = await request.json()
        now = time.perf_counter()
        key = body.get("variables", {}).get("device_id") or body.get("key")
        with self.lock:
            self.arrivals.setdefault(str(key), now)
        return JSONResponse({"id": str(key)})

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/hook", self.post, methods=["POST"])])


#: One TLS context for every client: building one per client costs about 40 ms of CPU.
TLS = ssl.create_default_context()


class WebhookNotifier(Notifier):
    """POSTs the notification as JSON to ``config["url"]``, a batch over one client."""

    name = "bench-webhook"

    client: httpx.AsyncClient | None = None

    async def send_many(self, notifications: Sequence[Notification]) -> list[DeliveryResult]:
        async with httpx.AsyncClient(timeout=10, verify=TLS) as client:
            self.client = client
            try:
                return await super().send_many(notifications)
            finally:
                self.client = None

    async def send(self, notification: Notification) -> DeliveryResult:
        payload = {"subject": notification.subject, "variables": dict(notification.variables)}
        try:
            if self.client is not None:
                response = await self.client.post(self.config["url"], json=payload)
            else:
                async with httpx.AsyncClient(timeout=10, verify=TLS) as client:
                    response = await client.post(self.config["url"], json=payload)
        except httpx.HTTPError as exc:
            return DeliveryResult(False, str(exc), retryable=True)
        return DeliveryResult(response.is_success, f"HTTP {response.status_code}", retryable=True)


class BenchEvents:
    @hookimpl
    def rjc_event_types(self) -> list[EventType]:
        return [EventType(EVENT, "A link went down (benchmark)", "major")]


def percentiles(latencies: list[float]) -> dict[str, float | None]:
    if not latencies:
        return {"p50_ms": None, "p99_ms": None, "max_ms": None}
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p99_ms": round(p99 * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


def paced(count: int, rate: float, send: Any, threads: int) -> dict[str, float]:
    """Call ``send(i)`` ``count`` times at ``rate`` per second; the start time of each."""
    started: dict[str, float] = {}
    begin = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for index in range(count):
            delay = begin + index / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            started[str(index)] = time.perf_counter()
            pool.submit(send, index)
    return started


def wait_for(receiver: Receiver, count: int, timeout: float) -> None:
    deadline = time.perf_counter() + timeout
    while len(receiver.arrivals) < count and time.perf_counter() < deadline:
        time.sleep(0.05)


def measure_alerts(url: str, home: str, hook: str, options: dict[str, Any]) -> dict[str, Any]:
    count = int(options["rate"] * options["seconds"])
    kernel = Kernel(
        Settings(
            home=Path(home),
            database_url=url,
            broker_url="",
            plugins={"builtin.jobs": {"embedded_threads": options["workers"]}},
        ),
        plugins={"bench": BenchEvents()},
    )
    upgrade(kernel)
    kernel.drivers.add("rjchronos.notifiers", WebhookNotifier.name, WebhookNotifier)
    ids = [new_id() for _ in range(count)]
    with kernel.db.engine.begin() as connection:
        connection.execute(
            insert(devices),
            [
                {"id": device_id, "kind": "cpe", "name": f"bench-{n}", "tags": [],
                 "attributes": {}, "status": "online"}
                for n, device_id in enumerate(ids)
            ],
        )  # fmt: skip
    with kernel.db.session() as session:
        channel = NotificationChannel(name="bench", type=WebhookNotifier.name, config={"url": hook})
        session.add(channel)
        session.flush()
        session.add(
            AlertRule(
                name="bench",
                document={
                    "name": "bench",
                    "severity": "major",
                    "condition": {"type": "event", "event": EVENT},
                    "channels": [channel.id],
                },
            )
        )
        session.commit()
    loop = LoopThread()
    kernel.events.bind_loop(loop.loop)
    kernel.jobs.start_in_process()
    receiver: Receiver = options["receiver"]
    receiver.arrivals.clear()
    cpu = time.process_time()
    try:

        def send(index: int) -> None:
            kernel.events.emit(EVENT, ids[index], {})

        started = paced(count, options["rate"], send, options["emitters"])
        wait_for(receiver, count, options["drain"])
    finally:
        kernel.jobs.stop()
        loop.close()
        kernel.db.dispose()
    latencies = [
        receiver.arrivals[ids[int(i)]] - t
        for i, t in started.items()
        if ids[int(i)] in receiver.arrivals
    ]
    return {
        "events": count,
        "delivered": len(latencies),
        "cpu_s": round(time.process_time() - cpu, 2),
        **percentiles(latencies),
    }


def measure_bare(hook: str, options: dict[str, Any]) -> dict[str, Any]:
    count = int(options["rate"] * options["seconds"])
    receiver: Receiver = options["receiver"]
    receiver.arrivals.clear()
    client = httpx.Client(timeout=10, limits=httpx.Limits(max_connections=options["emitters"]))
    try:
        started = paced(
            count,
            options["rate"],
            lambda i: client.post(hook, json={"key": f"b{i}"}),
            options["emitters"],
        )
        wait_for(receiver, count, options["drain"])
    finally:
        client.close()
    latencies = [
        receiver.arrivals[f"b{i}"] - t for i, t in started.items() if f"b{i}" in receiver.arrivals
    ]
    return {"events": count, "delivered": len(latencies), **percentiles(latencies)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=1000.0, help="events per second")
    parser.add_argument("--seconds", type=float, default=3.0, help="seconds of events")
    parser.add_argument("--workers", type=int, default=4, help="embedded job worker threads")
    parser.add_argument("--emitters", type=int, default=8, help="threads emitting events")
    parser.add_argument("--drain", type=float, default=120.0, help="seconds to wait for the rest")
    options: dict[str, Any] = vars(parser.parse_args())
    options["receiver"] = Receiver()

    database = f"rjc_bench_{uuid.uuid4().hex[:10]}"
    url = make_url(admin_url()).set(database=database).render_as_string(hide_password=False)
    with psycopg.connect(admin_url(), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{database}"')
    try:
        with serve_asgi(options["receiver"].app()) as base, tempfile.TemporaryDirectory() as home:
            hook = base + "/hook"
            bare = measure_bare(hook, options)
            app = measure_alerts(url, home, hook, options)
    finally:
        with psycopg.connect(admin_url(), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')

    ratio = round(app["p99_ms"] / bare["p99_ms"], 2) if app["p99_ms"] and bare["p99_ms"] else None
    print(
        f"device event -> webhook delivery, {options['rate']:.0f} events/s for "
        f"{options['seconds']:.0f} s ({app['events']:,} events, PostgreSQL, embedded worker "
        f"with {options['workers']} threads):"
    )
    for label, row in (("RJChronos", app), ("bare POST", bare)):
        print(
            f"  {label:<10} p50 {row['p50_ms']} ms   p99 {row['p99_ms']} ms"
            f"   max {row['max_ms']} ms"
            f"   ({row['delivered']:,} of {row['events']:,} arrived)"
        )
    print(f"  p99 ratio  {ratio}   target: p99 under {TARGET_P99_MS:.0f} ms")
    met = app["p99_ms"] is not None and app["p99_ms"] < TARGET_P99_MS
    print(
        json.dumps(
            {
                "benchmark": "alert_latency",
                "rate_per_s": options["rate"],
                "seconds": options["seconds"],
                "workers": options["workers"],
                "app": app,
                "baseline": bare,
                "p99_ratio": ratio,
                "target_p99_under_1s": met,
            }
        )
    )


if __name__ == "__main__":
    main()
