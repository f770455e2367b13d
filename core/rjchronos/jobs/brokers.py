"""dramatiq brokers by URL: in-memory, Redis or RabbitMQ, one per kernel.

Nothing here touches dramatiq's global broker: every broker is built for one
kernel and its actor is declared on it explicitly.
"""

from __future__ import annotations

import re
from typing import Any

from dramatiq import Broker, Worker
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import TimeLimit
from sqlalchemy.engine import make_url

from rjchronos.config import ConfigError
from rjchronos.jobs.errors import BrokerUnavailable

INLINE = "inline:"
REDIS_SCHEMES = ("redis", "rediss", "unix")
AMQP_SCHEMES = ("amqp", "amqps")
QUEUE_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9._-]*")


def broker_kind(url: str) -> str:
    """``embedded``, ``inline``, ``redis`` or ``amqp`` for a broker URL."""
    if not url:
        return "embedded"
    if url.strip() == INLINE:
        return "inline"
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme in REDIS_SCHEMES:
        return "redis"
    if scheme in AMQP_SCHEMES:
        return "amqp"
    raise ConfigError(
        f"setting broker_url: cannot use {safe_url(url)!r}; use redis://, amqp://, "
        "'inline:' (tests) or leave it empty for the in-process broker"
    )


def build_broker(url: str) -> Broker:
    """A dramatiq broker for ``url`` (not inline), with our own middleware.

    dramatiq's Retries middleware is left out: a job's attempts are counted
    and retried on its database row, not by re-delivering its message.
    """
    middleware: list[Any] = [TimeLimit()]
    kind = broker_kind(url)
    if kind == "embedded":
        return StubBroker(middleware=middleware)
    if kind == "redis":
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=5)
        return RedisBroker(client=client, middleware=middleware, namespace="rjchronos")
    if kind == "amqp":
        return RabbitmqBroker(url=url, middleware=middleware)
    raise ConfigError(f"setting broker_url: {kind} brokers have no dramatiq broker")


def start_worker(broker: Broker, threads: int, queues: set[str] | None, idle_ms: int) -> Worker:
    """Start a dramatiq worker on ``broker`` in threads of this process.

    :param queues: only these (broker) queue names; every declared queue by default.
    :param idle_ms: how long an idle thread waits before looking again (and
        so how long stopping may take).
    """
    for name in queues or ():
        broker.declare_queue(name)
    # Starts the TimeLimit middleware's watchdog, as dramatiq's own CLI does.
    broker.emit_after("process_boot")
    worker = Worker(broker, queues=queues, worker_threads=threads, worker_timeout=idle_ms)
    worker.start()
    return worker


def ping(broker: Broker, url: str) -> None:
    """Raise :class:`BrokerUnavailable` unless ``broker`` answers."""
    try:
        if isinstance(broker, RedisBroker):
            broker.client.ping()
        elif isinstance(broker, RabbitmqBroker) and not broker.connection.is_open:
            # Reading ``connection`` opens this thread's connection.
            raise ConnectionError("connection closed")
    except Exception as exc:
        raise BrokerUnavailable(
            f"the broker at {safe_url(url)} does not answer: {type(exc).__name__}: {exc}"
        ) from exc


def check_queue_name(name: str) -> str:
    """``name`` if dramatiq accepts it as a queue name, else a ``ValueError`` naming it."""
    if not QUEUE_NAME.fullmatch(name):
        raise ValueError(
            f"queue name {name!r}: use letters, digits, '.', '_' or '-', "
            "starting with a letter or '_'"
        )
    return name


def safe_url(url: str) -> str:
    """``url`` with any password masked, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return re.sub(r"://([^:/@]*):[^@]*@", r"://\1:***@", url)
