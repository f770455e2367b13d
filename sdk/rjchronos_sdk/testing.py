"""Test helpers for plugins whose tests need real servers and simulators.

- :func:`serve_asgi` serves an ASGI app (the API, a protocol endpoint) with
  uvicorn on a free port of 127.0.0.1, in a thread, for the length of a block.
- :class:`LoopThread` runs an event loop in a thread of its own, so a
  synchronous test (and the API's TestClient) can drive asyncio simulators.
- :class:`RoundRobinBalancer` spreads requests over several servers, as a load
  balancer without session affinity would.
- :func:`write_spike_corpus` writes a small corpus in NAB's layout, for
  analyzer plugins' ``rjchronos ai eval nab`` tests.
- :func:`scrape_metrics` reads every sample of ``GET /metrics``.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal, TypeVar

T = TypeVar("T")

#: The longest any helper here waits; a healthy run needs a fraction of it.
DEADLINE = 30.0


@contextmanager
def serve_asgi(
    app: Any,
    *,
    lifespan: Literal["on", "off"] = "off",
    certfile: str | None = None,
    keyfile: str | None = None,
) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 and yield its base URL (``http://127.0.0.1:PORT``).

    With ``certfile`` and ``keyfile`` it serves HTTPS (``https://127.0.0.1:PORT``).
    """
    import uvicorn

    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, lifespan=lifespan, log_level="warning",
        timeout_graceful_shutdown=2, ssl_certfile=certfile, ssl_keyfile=keyfile,
    )  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    started = time.monotonic()
    while not server.started:
        if not thread.is_alive() or time.monotonic() - started > DEADLINE:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"{'https' if certfile else 'http'}://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(DEADLINE)


class LoopThread:
    """An asyncio event loop running in a daemon thread until :meth:`close`."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = DEADLINE) -> T:
        """Run ``coroutine`` on the loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def call(self, function: Callable[[], T]) -> T:
        """Run ``function`` on the loop's thread (simulator state is not thread-safe)."""

        async def on_loop() -> T:
            return function()

        return self.run(on_loop())

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(DEADLINE)
        self.loop.close()

    def __enter__(self) -> LoopThread:
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()


#: Headers the balancer does not pass on: it sends the body whole and decoded.
_HOP_BY_HOP = (b"content-length", b"content-encoding", b"transfer-encoding", b"connection")


class RoundRobinBalancer:
    """An ASGI HTTP load balancer for scale-out tests: each request to the next backend.

    It pins nothing (no cookie affinity), so consecutive requests of one client
    land on different backends. A backend that refuses the connection is passed
    over, as a load balancer's health check would; a request whose backend dies
    while answering gets 502. ``served`` counts the requests each backend answered.
    """

    def __init__(self, backends: list[str], timeout: float = 30.0) -> None:
        import httpx

        self.backends = list(backends)
        self.served: Counter[str] = Counter()
        self._next = 0
        self._timeout = timeout
        self._client: httpx.AsyncClient | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        from starlette.requests import Request
        from starlette.responses import Response

        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        body = await request.body()
        headers = [(k, v) for k, v in request.headers.raw if k.lower() != b"host"]
        response = await self._forward(request.method, request.url, headers, body)
        answer = Response(response.content, status_code=response.status_code)
        answer.raw_headers = [
            (k, v) for k, v in response.headers.raw if k.lower() not in _HOP_BY_HOP
        ] + [(b"content-length", str(len(response.content)).encode())]
        await answer(scope, receive, send)

    async def _forward(self, method: str, url: Any, headers: Any, body: bytes) -> Any:
        import httpx

        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self._timeout)
        path = url.path + (f"?{url.query}" if url.query else "")
        for _ in range(len(self.backends)):
            backend = self.backends[self._next % len(self.backends)]
            self._next += 1
            try:
                response = await self._client.request(
                    method, backend + path, headers=headers, content=body
                )
            except httpx.ConnectError:
                continue
            except httpx.TransportError:
                return httpx.Response(502, content=b"backend failed while answering")
            self.served[backend] += 1
            return response
        return httpx.Response(503, content=b"no backend accepts connections")


def write_spike_corpus(root: Path, rows: int = 2000, spike: int = 1500, seed: int = 5) -> None:
    """Two files in NAB's layout under ``root``, sampled every 5 minutes from 2024-01-01.

    ``synthetic/spiky.csv``: noise (50 +- 2) with a +40 spike at row ``spike``,
    labelled by a 200-row window from ``spike - 100``; ``synthetic/flat.csv``:
    the same noise and no window. A good analyzer finds the spike early in its
    window and raises nothing on the noise: a standard score near 100.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    start = datetime(2024, 1, 1)
    times = [start + timedelta(minutes=5 * i) for i in range(rows)]
    spiky = 50 + rng.normal(0, 2, rows)
    spiky[spike] += 40
    flat = 50 + rng.normal(0, 2, rows)
    folder = root / "data" / "synthetic"
    folder.mkdir(parents=True, exist_ok=True)
    for name, values in (("spiky", spiky), ("flat", flat)):
        lines = "".join(
            f"{t:%Y-%m-%d %H:%M:%S},{v:.3f}\n" for t, v in zip(times, values, strict=True)
        )
        (folder / f"{name}.csv").write_text("timestamp,value\n" + lines)
    (root / "labels").mkdir(exist_ok=True)
    window = [f"{times[i]:%Y-%m-%d %H:%M:%S}.000000" for i in (spike - 100, spike + 99)]
    (root / "labels" / "combined_windows.json").write_text(
        json.dumps({"synthetic/spiky.csv": [window], "synthetic/flat.csv": []})
    )


def scrape_metrics(client: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample ``client.get("/metrics")`` serves: (name, sorted labels) -> value."""
    from prometheus_client.parser import text_string_to_metric_families

    response = client.get("/metrics")
    assert response.status_code == 200, response.text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }
