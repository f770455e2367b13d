"""Alert latency: a device event to the notification's arrival at a local webhook receiver.

1. creates a fresh PostgreSQL database and migrates it;
2. starts a webhook receiver (Starlette under uvicorn on 127.0.0.1, in a process of its own)
   that notes each arrival;
3. builds a kernel as ``rjchronos serve --role all`` runs it: the event bus bound to a
   running loop, the embedded job worker, one event rule with one channel of the
   ``webhook`` notifier plugin posting to the receiver;
4. emits ``--rate`` events per second for ``--seconds`` seconds, each on its own device,
   so each opens an alert and queues one delivery, and times event -> arrival and
   counts the CPU the emitting process and any worker processes spent meanwhile;
5. baseline, in the same run: a bare httpx client POSTs the same number of messages to the
   same receiver at the same rate over a kept-alive connection, timed send -> arrival.

The last line is one JSON object with both sets of figures and their ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from _procfs import cpu_seconds
from _scratch import scratch_database
from sqlalchemy import insert
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from rjchronos import hookimpl
from rjchronos.alerts.models import AlertRule, alerts
from rjchronos.config import Settings
from rjchronos.db.ids import new_id
from rjchronos.db.migrate import upgrade
from rjchronos.db.types import utcnow
from rjchronos.events import EventType
from rjchronos.inventory.models import devices
from rjchronos.kernel import Kernel
from rjchronos.notifications.models import NotificationChannel
from rjchronos_notify_webhook.notifier import WebhookNotifier
from rjchronos_sdk.testing import LoopThread, serve_asgi

EVENT = "bench.link_down"
TARGET_P99_MS = 1000.0


class Receiver:
    """Notes the arrival time of every message, keyed by the ``key`` it carries.

    It runs in a process of its own (``--serve-receiver``), as a real endpoint
    would, so its CPU is not the benchmark's; ``time.monotonic`` is the same
    system-wide clock in both processes.
    """

    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}

    async def post(self, request: Request) -> JSONResponse:
        body = await request.json()
        now = time.monotonic()
        key = body.get("variables", {}).get("device_id") or body.get("key")
        self.arrivals.setdefault(str(key), now)
        return JSONResponse({"id": str(key)})

    async def count(self, request: Request) -> JSONResponse:
        return JSONResponse(len(self.arrivals))

    async def dump(self, request: Request) -> JSONResponse:
        arrivals, self.arrivals = self.arrivals, {}
        return JSONResponse(arrivals)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/hook", self.post, methods=["POST"]),
                Route("/count", self.count),
                Route("/arrivals", self.dump, methods=["POST"]),
            ]
        )


def serve_receiver(port_file: str) -> None:
    """The receiver process: serve, write the base URL to ``port_file``, run until killed."""
    with serve_asgi(Receiver().app()) as base:
        Path(port_file).write_text(base)
        threading.Event().wait()


@contextmanager
def receiver_process() -> Iterator[str]:
    """Start the receiver in a process of its own; yield its base URL."""
    with tempfile.TemporaryDirectory() as folder:
        port_file = Path(folder) / "url"
        process = subprocess.Popen([sys.executable, __file__, "--serve-receiver", str(port_file)])
        try:
            deadline = time.monotonic() + 30
            while not port_file.exists() or not port_file.read_text():
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the webhook receiver did not start")
                time.sleep(0.05)
            yield port_file.read_text()
        finally:
            process.terminate()
            process.wait(10)


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
    begin = time.monotonic()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for index in range(count):
            delay = begin + index / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            started[str(index)] = time.monotonic()
            pool.submit(send, index)
    return started


def collect(base: str, count: int, timeout: float) -> dict[str, float]:
    """Wait until ``count`` messages arrived (or ``timeout``); their arrival times."""
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=base, timeout=10) as client:
        while client.get("/count").json() < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return dict(client.post("/arrivals").json())


def start_workers(
    home: str, url: str, broker: str, jobs: dict[str, Any], options: dict[str, Any]
) -> list[subprocess.Popen[bytes]]:
    """``rjchronos worker`` processes on ``broker``, as a scaled-out deployment runs them."""
    config = Path(home) / "rjchronos.toml"
    config.write_text(
        f'database_url = "{url}"\nbroker_url = "{broker}"\n\n[plugins."builtin.jobs"]\n'
        f'queue_prefix = "{jobs["queue_prefix"]}"\n'
    )
    command = [str(Path(sys.executable).with_name("rjchronos")), "worker"]
    command += ["--threads", str(options["workers"]), "--queue", "notifications"]
    environ = {**os.environ, "RJC_HOME": home, "RJC_CONFIG": str(config)}
    workers = [subprocess.Popen(command, env=environ) for _ in range(options["worker_processes"])]
    return workers


def wait_for_workers(kernel: Kernel) -> None:
    """Wait until a worker runs a delivery job: their start-up is not what is measured.

    A fixed sleep is not enough on a loaded machine, where imports alone can take longer.
    The job names no delivery, so it finishes at once without sending anything.
    """
    job_id = kernel.jobs.enqueue("notifications.deliver", {"delivery": "warm-up"})
    kernel.jobs.wait(job_id, timeout=120, interval=0.1)


def prepare(kernel: Kernel, hook: str) -> None:
    """Migrate; one event rule on :data:`EVENT` with one webhook channel posting to ``hook``."""
    upgrade(kernel)
    kernel.drivers.add("rjchronos.notifiers", WebhookNotifier.name, WebhookNotifier)
    with kernel.db.session() as session:
        channel = NotificationChannel(name="bench", type=WebhookNotifier.name, config={"url": hook})
        session.add(channel)
        session.flush()
        condition = {"type": "event", "event": EVENT}
        document = {"name": "bench", "severity": "major", "condition": condition}
        session.add(AlertRule(name="bench", document={**document, "channels": [channel.id]}))


def add_devices(kernel: Kernel, count: int) -> list[str]:
    """``count`` new devices; their ids."""
    ids = [new_id() for _ in range(count)]
    with kernel.db.engine.begin() as connection:
        connection.execute(
            insert(devices),
            [
                {"id": device_id, "kind": "cpe", "name": f"bench-{device_id}", "tags": [],
                 "attributes": {}, "status": "online"}
                for device_id in ids
            ],
        )  # fmt: skip
    return ids


def open_alerts(kernel: Kernel, count: int) -> None:
    """``count`` alerts already open when the burst starts, as in an outage that goes on."""
    now = utcnow()
    for start in range(0, count, 5000):
        with kernel.db.engine.begin() as connection:
            connection.execute(
                insert(alerts),
                [
                    {"id": new_id(), "rule_name": "earlier", "dedup_key": f"earlier:{n}",
                     "status": "open", "severity": "major", "title": "earlier", "details": {},
                     "opened_at": now, "last_seen_at": now}
                    for n in range(start, min(count, start + 5000))
                ],
            )  # fmt: skip


def measure_alerts(url: str, home: str, hook: str, options: dict[str, Any]) -> dict[str, Any]:
    count = int(options["rate"] * options["seconds"])
    broker = options["broker"] if options["worker_processes"] else ""
    jobs = {"embedded_threads": options["workers"], "queue_prefix": f"bench{uuid.uuid4().hex[:8]}."}
    kernel = Kernel(
        Settings(
            home=Path(home), database_url=url, broker_url=broker, plugins={"builtin.jobs": jobs}
        ),
        plugins={"bench": BenchEvents()},
    )
    prepare(kernel, hook)
    ids = add_devices(kernel, count)
    open_alerts(kernel, options["open_alerts"])
    loop = LoopThread()
    kernel.events.bind_loop(loop.loop)
    workers = start_workers(home, url, broker, jobs, options) if broker else []
    if not broker:
        kernel.jobs.start_in_process()
    wait_for_workers(kernel)
    cpu = time.process_time()
    workers_cpu = sum(cpu_seconds(worker.pid) for worker in workers)
    try:

        def send(index: int) -> None:
            kernel.events.emit(EVENT, ids[index], {})

        started = paced(count, options["rate"], send, options["emitters"])
        arrivals = collect(options["base"], count, options["drain"])
        workers_cpu = sum(cpu_seconds(worker.pid) for worker in workers) - workers_cpu
        emitter_cpu = time.process_time() - cpu
    finally:
        for worker in workers:
            worker.terminate()
            worker.wait(30)
        kernel.jobs.stop()
        loop.close()
        kernel.db.dispose()
    latencies = [arrivals[ids[int(i)]] - t for i, t in started.items() if ids[int(i)] in arrivals]
    return {
        "events": count,
        "delivered": len(latencies),
        "cpu_s": round(emitter_cpu, 2),
        "worker_cpu_s": round(workers_cpu, 2),
        "cpu_ms_per_event": round((emitter_cpu + workers_cpu) * 1000 / count, 3),
        **percentiles(latencies),
    }


def measure_bare(hook: str, options: dict[str, Any]) -> dict[str, Any]:
    count = int(options["rate"] * options["seconds"])
    client = httpx.Client(timeout=10, limits=httpx.Limits(max_connections=options["emitters"]))
    try:
        started = paced(
            count,
            options["rate"],
            lambda i: client.post(hook, json={"key": f"b{i}"}),
            options["emitters"],
        )
        arrivals = collect(options["base"], count, options["drain"])
    finally:
        client.close()
    latencies = [arrivals[f"b{i}"] - t for i, t in started.items() if f"b{i}" in arrivals]
    return {"events": count, "delivered": len(latencies), **percentiles(latencies)}


def main() -> None:
    if sys.argv[1:2] == ["--serve-receiver"]:
        serve_receiver(sys.argv[2])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=1000.0, help="events per second")
    parser.add_argument("--seconds", type=float, default=3.0, help="seconds of events")
    parser.add_argument("--workers", type=int, default=4, help="embedded job worker threads")
    parser.add_argument("--emitters", type=int, default=8, help="threads emitting events")
    parser.add_argument(
        "--worker-processes",
        type=int,
        default=0,
        help="deliver from this many `rjchronos worker` processes on --broker (0: embedded)",
    )
    parser.add_argument(
        "--open-alerts", type=int, default=0, help="alerts already open when the burst starts"
    )
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/0", help="their broker")
    parser.add_argument("--drain", type=float, default=120.0, help="seconds to wait for the rest")
    options: dict[str, Any] = vars(parser.parse_args())

    with (
        scratch_database() as url,
        receiver_process() as base,
        tempfile.TemporaryDirectory() as home,
    ):
        options["base"] = base
        hook = base + "/hook"
        bare = measure_bare(hook, options)
        app = measure_alerts(url, home, hook, options)

    where = (
        f"{options['worker_processes']} worker processes of {options['workers']} threads"
        if options["worker_processes"]
        else f"embedded worker with {options['workers']} threads"
    )
    ratio = round(app["p99_ms"] / bare["p99_ms"], 2) if app["p99_ms"] and bare["p99_ms"] else None
    print(
        f"device event -> webhook delivery, {options['rate']:.0f} events/s for "
        f"{options['seconds']:.0f} s ({app['events']:,} events, PostgreSQL, {where}, "
        f"{options['open_alerts']:,} alerts already open):"
    )
    for label, row in (("RJChronos", app), ("bare POST", bare)):
        print(
            f"  {label:<10} p50 {row['p50_ms']} ms   p99 {row['p99_ms']} ms"
            f"   max {row['max_ms']} ms"
            f"   ({row['delivered']:,} of {row['events']:,} arrived)"
        )
    print(
        f"  CPU        {app['cpu_ms_per_event']} ms per event (emitting process {app['cpu_s']} s,"
        f" worker processes {app['worker_cpu_s']} s)"
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
                "worker_processes": options["worker_processes"],
                "open_alerts": options["open_alerts"],
                "app": app,
                "baseline": bare,
                "p99_ratio": ratio,
                "target_p99_under_1s": met,
            }
        )
    )


if __name__ == "__main__":
    main()
