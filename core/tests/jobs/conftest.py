"""Fixtures for the job queue: a plugin whose handlers record their runs, kernels, brokers."""

from __future__ import annotations

import asyncio
import os
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from rjchronos import hookimpl
from rjchronos.config import Role, Settings
from rjchronos.db.migrate import upgrade
from rjchronos.jobs.spec import CollectorSpec, Schedule, TaskHandler
from rjchronos.kernel import Kernel


def _test_broker(scheme: str, specific: str, default: str) -> str:
    """The test server of one broker: its own variable, else RJC_TEST_BROKER_URL of that scheme."""
    shared = os.environ.get("RJC_TEST_BROKER_URL", "")
    return os.environ.get(specific) or (shared if shared.startswith(scheme) else default)


REDIS_URL = _test_broker("redis", "RJC_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
RABBITMQ_URL = _test_broker("amqp", "RJC_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/")
#: Queues the lab's handlers use (cleaned up on the real brokers).
LAB_QUEUES = ("default", "maintenance", "lab-slow")


class Lab:
    """A plugin whose job handlers record each run (type, params, kernel)."""

    def __init__(
        self,
        schedules: list[Schedule] | None = None,
        collectors: list[CollectorSpec] | None = None,
    ) -> None:
        self.schedules = schedules or []
        self.collectors = collectors or []
        self.runs: list[tuple[str, dict[str, Any], Kernel]] = []
        self.flaky_failures = 2
        self.release = threading.Event()
        self.entered = threading.Event()
        self._lock = threading.Lock()

    def _record(self, job_type: str, kernel: Kernel, params: Mapping[str, Any]) -> int:
        with self._lock:
            self.runs.append((job_type, dict(params), kernel))
            return sum(1 for run in self.runs if run[0] == job_type)

    def count(self, job_type: str) -> int:
        with self._lock:
            return sum(1 for run in self.runs if run[0] == job_type)

    def kernels(self, job_type: str) -> list[Kernel]:
        with self._lock:
            return [run[2] for run in self.runs if run[0] == job_type]

    def add(self, kernel: Kernel, params: Mapping[str, Any]) -> dict[str, Any]:
        self._record("lab.add", kernel, params)
        return {"sum": params["a"] + params["b"]}

    async def async_add(self, kernel: Kernel, params: Mapping[str, Any]) -> dict[str, Any]:
        await asyncio.sleep(0)
        self._record("lab.async_add", kernel, params)
        return {"sum": params["a"] + params["b"], "loop": type(asyncio.get_running_loop()).__name__}

    def flaky(self, kernel: Kernel, params: Mapping[str, Any]) -> str:
        attempt = self._record("lab.flaky", kernel, params)
        if attempt <= self.flaky_failures:
            raise ConnectionError(f"OLT did not answer (attempt {attempt})")
        return "ok"

    def broken(self, kernel: Kernel, params: Mapping[str, Any]) -> None:
        self._record("lab.broken", kernel, params)
        raise ValueError("bad vendor reply")

    async def hung(self, kernel: Kernel, params: Mapping[str, Any]) -> None:
        self._record("lab.hung", kernel, params)
        await asyncio.Event().wait()

    def gated(self, kernel: Kernel, params: Mapping[str, Any]) -> str:
        self._record("lab.gated", kernel, params)
        self.entered.set()
        if not self.release.wait(timeout=30):
            raise TimeoutError("the test never released the gate")
        return "released"

    def stuck(self, kernel: Kernel, params: Mapping[str, Any]) -> str:
        self._record("lab.stuck", kernel, params)
        for _ in range(600):  # a sync handler that never returns on its own
            if self.release.wait(0.05):
                return "released"
        return "gave up"

    def not_json(self, kernel: Kernel, params: Mapping[str, Any]) -> object:
        self._record("lab.not_json", kernel, params)
        return object()

    def poll(self, kernel: Kernel, params: Mapping[str, Any]) -> dict[str, Any]:
        self._record("lab.poll", kernel, params)
        return {"polled": params["device_id"]}

    def tick(self, kernel: Kernel, params: Mapping[str, Any]) -> None:
        self._record("lab.tick", kernel, params)

    @hookimpl
    def rjc_task_handlers(self, kernel: Kernel) -> list[TaskHandler]:
        return [
            TaskHandler("lab.add", self.add),
            TaskHandler("lab.async_add", self.async_add),
            TaskHandler("lab.flaky", self.flaky, max_attempts=3),
            TaskHandler("lab.broken", self.broken, max_attempts=3),
            TaskHandler("lab.hung", self.hung, timeout=0.2, max_attempts=1),
            TaskHandler("lab.gated", self.gated, queue="lab-slow"),
            TaskHandler("lab.stuck", self.stuck, timeout=0.3, max_attempts=1),
            TaskHandler("lab.not_json", self.not_json, max_attempts=1),
            TaskHandler("lab.poll", self.poll),
            TaskHandler("lab.tick", self.tick),
        ]

    @hookimpl
    def rjc_schedules(self, kernel: Kernel) -> list[Schedule]:
        return self.schedules

    @hookimpl
    def rjc_collectors(self, kernel: Kernel) -> list[CollectorSpec]:
        return self.collectors


@pytest.fixture
def lab() -> Lab:
    return Lab()


@pytest.fixture
def make_kernel(rjc_database_url: str, tmp_path: Path) -> Iterator[Callable[..., Kernel]]:
    """``make_kernel(lab, broker_url="inline:", role="all", **jobs_settings)``: a kernel.

    Kernels made here share the test's database, like processes of one site,
    unless given a ``database_url`` of their own.
    """
    kernels: list[Kernel] = []

    def factory(
        lab: Lab | None = None,
        broker_url: str = "inline:",
        role: Role = "all",
        database_url: str | None = None,
        **jobs: Any,
    ) -> Kernel:
        jobs.setdefault("tick_seconds", 0.2)
        settings = Settings(
            home=tmp_path / "home",
            database_url=database_url or rjc_database_url,
            broker_url=broker_url,
            role=role,
            plugins={"builtin.jobs": jobs},
        )
        kernel = Kernel(settings, plugins={"lab": lab} if lab else None, entrypoints=False)
        upgrade(kernel)
        kernels.append(kernel)
        return kernel

    yield factory
    for kernel in kernels:
        if "jobs" in kernel.__dict__:
            kernel.jobs.stop()
        kernel.db.dispose()


@pytest.fixture
def queue_prefix() -> str:
    """A queue name prefix of this test's own, so tests never share broker queues."""
    return f"t{uuid.uuid4().hex[:10]}."


@pytest.fixture
def redis_url(queue_prefix: str) -> Iterator[str]:
    """The test Redis server; fails the test saying so when it does not answer."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(
            f"Redis is not answering at {REDIS_URL} ({exc}): start redis-server on 127.0.0.1:6379 "
            "or point RJC_TEST_REDIS_URL at one",
            pytrace=False,
        )
    yield REDIS_URL
    for pattern in (f"rjchronos:{queue_prefix}*", f"rjchronos:__acks__.*.{queue_prefix}*"):
        keys = list(client.scan_iter(match=pattern))
        if keys:
            client.delete(*keys)
    client.close()


@pytest.fixture
def rabbitmq_url(queue_prefix: str) -> Iterator[str]:
    """The test RabbitMQ server; fails the test saying so when it does not answer."""
    import pika

    parameters = pika.URLParameters(RABBITMQ_URL)
    parameters.socket_timeout = 3
    try:
        connection = pika.BlockingConnection(parameters)
    except pika.exceptions.AMQPError as exc:
        pytest.fail(
            f"RabbitMQ is not answering at {RABBITMQ_URL} ({exc!r}): start rabbitmq-server on "
            "127.0.0.1:5672 (guest/guest) or point RJC_TEST_RABBITMQ_URL at one",
            pytrace=False,
        )
    connection.close()
    yield RABBITMQ_URL
    connection = pika.BlockingConnection(parameters)
    channel = connection.channel()
    for queue in LAB_QUEUES:
        for suffix in ("", ".DQ", ".XQ"):
            channel.queue_delete(queue=f"{queue_prefix}{queue}{suffix}")
    connection.close()
