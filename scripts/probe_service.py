"""Exit 0 when the service at a URL answers: ``probe_service.py postgresql|redis|rabbitmq URL``.

Run with the workspace's Python (it needs psycopg, redis and pika).
"""

from __future__ import annotations

import sys


def answers(kind: str, url: str) -> None:
    if kind == "postgresql":
        import psycopg

        psycopg.connect(url, connect_timeout=3).close()
    elif kind == "redis":
        import redis

        redis.Redis.from_url(url, socket_timeout=3, socket_connect_timeout=3).ping()
    elif kind == "rabbitmq":
        import pika

        parameters = pika.URLParameters(url)
        parameters.connection_attempts = 1
        parameters.socket_timeout = 3
        parameters.blocked_connection_timeout = 3
        pika.BlockingConnection(parameters).close()
    else:
        raise SystemExit(f"probe_service.py: unknown service {kind!r}")


if __name__ == "__main__":
    try:
        answers(sys.argv[1], sys.argv[2])
    except SystemExit:
        raise
    except Exception as exc:  # any failure means "does not answer", with the reason
        print(f"{type(exc).__name__}: {exc or repr(exc.args) or 'no answer'}", file=sys.stderr)
        raise SystemExit(1) from None
