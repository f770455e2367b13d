"""Listing a page of 100 devices out of 100,000 on PostgreSQL, against a bare Starlette endpoint.

What it does, in one run:

1. creates a fresh PostgreSQL database, migrates it and loads 100,000 devices
   (OLTs, PON ports, ONUs and CPEs in a topology) with COPY;
2. creates an admin and an access token;
3. serves, with one uvicorn configuration on 127.0.0.1, the full RJChronos
   app and a bare Starlette app whose one JSON endpoint returns a canned page
   of 100 device dicts taken from the real API;
4. from a separate process, sends the same number of keep-alive requests to
   ``GET /api/v1/devices?limit=100`` and to the bare endpoint (the first page
   and random cursors, interleaved in blocks), timing each;
5. prints p50 and p99 of both and their ratios; the last line is one JSON
   object with every figure.

Run it with ``make bench`` or ``.venv/bin/python bench/api_list.py``; the
PostgreSQL server comes from ``RJC_BENCH_DATABASE_URL`` (else
``RJC_TEST_DATABASE_URL``, else ``postgresql://postgres@127.0.0.1:5432/postgres``).
See bench/README.md for how to read the figures.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import uvicorn
from _scratch import scratch_database
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from rjchronos.config import Settings
from rjchronos.db.ids import new_id
from rjchronos.db.migrate import upgrade
from rjchronos.db.types import utcnow
from rjchronos.http.pagination import encode_cursor
from rjchronos.inventory.models import Device
from rjchronos.kernel import Kernel
from rjchronos.security.tokens import issue_access_token
from rjchronos.security.users import create_user

PAGE = 100
BLOCK = 100  # requests per target before switching to the other one


# -- data -----------------------------------------------------------------------------


def device_rows(total: int) -> Iterator[dict[str, Any]]:
    """``total`` devices: OLTs with 16 PON ports each, then ONUs, each with a CPE behind it."""
    rng = random.Random(7)
    now = utcnow()
    olts = max(1, total // 5000)
    pons: list[tuple[str, str]] = []
    made = 0

    def row(
        kind: str, number: int, parent: str | None, olt: str | None, **extra: Any
    ) -> dict[str, Any]:
        identifier = new_id()
        seen = now - timedelta(seconds=rng.randrange(86_400))
        return {
            "id": identifier,
            "kind": kind,
            "name": f"{kind.upper()}-{number:06d}",
            "vendor": extra.pop("vendor", "Huawei"),
            "model": extra.pop("model", ""),
            "firmware": "V5R019C10S125",
            "hardware_version": "",
            "management_address": "",
            "status": rng.choice(("online", "online", "online", "offline", "los")),
            "status_since": seen,
            "last_seen": seen,
            "tags": json.dumps(["bench"]),
            "attributes": json.dumps({"number": number}),
            "parent_id": parent,
            "olt_id": olt or identifier,
            "created_at": now,
            "updated_at": now,
            **extra,
        }

    for number in range(olts):
        olt = row("olt", number, None, None, model="MA5800-X7", serial=f"OLT{number:09d}")
        yield olt
        made += 1
        for port in range(16):
            pon = row(
                "pon", number * 16 + port, olt["id"], olt["id"], identity=f"{olt['id']}:0/1/{port}"
            )
            pons.append((pon["id"], olt["id"]))
            yield pon
            made += 1
    number = 0
    while made < total:
        pon_id, olt_id = pons[number % len(pons)]
        onu = row("onu", number, pon_id, olt_id, model="HG8245H", serial=f"HWTC{number:08X}")
        yield onu
        made += 1
        if made < total:
            mac = f"50:c7:bf:{number >> 16 & 255:02x}:{number >> 8 & 255:02x}:{number & 255:02x}"
            yield row(
                "cpe", number, onu["id"], olt_id, vendor="TP-Link", model="Archer C6", mac=mac
            )
            made += 1
        number += 1


def load_devices(url: str, total: int) -> list[str]:
    """COPY ``total`` devices into the database at ``url``; return their ids."""
    columns = [column.name for column in Device.__table__.columns]
    ids: list[str] = []
    with psycopg.connect(url, autocommit=True) as connection:
        with connection.cursor().copy(f"COPY devices ({', '.join(columns)}) FROM STDIN") as copy:
            for device in device_rows(total):
                ids.append(device["id"])
                copy.write_row([device.get(column) for column in columns])
        connection.execute("ANALYZE devices")
    return ids


# -- servers --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def bare_app(page: list[dict[str, Any]]) -> Starlette:
    """The baseline: one JSON endpoint answering a canned page, no database, no auth."""
    document = {"items": page, "next_cursor": "canned"}

    async def devices(request: Request) -> JSONResponse:
        return JSONResponse(document)

    return Starlette(routes=[Route("/api/v1/bare/devices", devices)])


def serve(app: Any, port: int) -> uvicorn.Server:
    """Serve ``app`` on 127.0.0.1:``port`` in a thread; both apps get this same configuration."""
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError(f"uvicorn did not start on port {port}")
        time.sleep(0.05)
    return server


# -- load -----------------------------------------------------------------------------


def load(
    targets: dict[str, str], token: str, cursors: list[str], requests: int
) -> dict[str, list[float]]:
    """In its own process: time ``requests`` GETs to each target, interleaved in blocks."""
    rng = random.Random(11)
    headers = {"Authorization": f"Bearer {token}"}
    timings: dict[str, list[float]] = {name: [] for name in targets}
    clients = {name: httpx.Client(headers=headers, timeout=30) for name in targets}

    def one(name: str, url: str) -> float:
        params: dict[str, Any] = {"limit": PAGE}
        if rng.random() < 0.5:
            params["cursor"] = rng.choice(cursors)
        started = time.perf_counter()
        response = clients[name].get(url, params=params)
        elapsed = time.perf_counter() - started
        if response.status_code != 200 or len(response.json()["items"]) != PAGE:
            raise RuntimeError(f"{name}: {response.status_code} {response.text[:200]}")
        return elapsed

    for name, url in targets.items():  # warm up connections, caches and the query plan
        for _ in range(50):
            one(name, url)
    while any(len(done) < requests for done in timings.values()):
        for name, url in targets.items():
            for _ in range(min(BLOCK, requests - len(timings[name]))):
                timings[name].append(one(name, url))
    for client in clients.values():
        client.close()
    return timings


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(fraction * len(ordered)) - 1))]


# -- the run ----------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=2_000, help="timed requests per endpoint")
    options = parser.parse_args()

    with scratch_database() as url, tempfile.TemporaryDirectory(prefix="rjc-bench-") as home:
        kernel: Kernel | None = None
        servers: list[uvicorn.Server] = []
        try:
            settings = Settings(home=Path(home), database_url=url, broker_url="inline:")
            kernel = Kernel(settings)
            upgrade(kernel)
            started = time.perf_counter()
            ids = load_devices(url.replace("postgresql+psycopg", "postgresql"), options.devices)
            print(f"loaded {len(ids):,} devices with COPY in {time.perf_counter() - started:.1f}s")
            admin = create_user(kernel, "bench-admin", uuid.uuid4().hex, roles=("admin",))
            token, _ = issue_access_token(kernel, admin)

            app_port, bare_port = free_port(), free_port()
            servers.append(serve(kernel.asgi(), app_port))
            first_page = httpx.get(
                f"http://127.0.0.1:{app_port}/api/v1/devices",
                params={"limit": PAGE},
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            ).json()["items"]
            servers.append(serve(bare_app(first_page), bare_port))

            starts = sorted(ids)[:-PAGE]  # a cursor with a whole page after it
            picked = random.Random(3).sample(starts, min(500, len(starts)))
            cursors = [encode_cursor(i) for i in picked]
            targets = {
                "app": f"http://127.0.0.1:{app_port}/api/v1/devices",
                "baseline": f"http://127.0.0.1:{bare_port}/api/v1/bare/devices",
            }
            with multiprocessing.get_context("spawn").Pool(1) as pool:
                timings = pool.apply(load, (targets, token, cursors, options.requests))
        finally:
            for server in servers:
                server.should_exit = True
            time.sleep(0.5)
            if kernel is not None:
                kernel.db.dispose()

    figures = {
        name: {
            "p50_ms": round(percentile(values, 0.50) * 1000, 3),
            "p99_ms": round(percentile(values, 0.99) * 1000, 3),
            "requests": len(values),
        }
        for name, values in timings.items()
    }
    ratio = {
        key: round(figures["app"][f"{key}_ms"] / figures["baseline"][f"{key}_ms"], 2)
        for key in ("p50", "p99")
    }
    print(f"GET /api/v1/devices?limit={PAGE} ({options.devices:,} devices, PostgreSQL):")
    for label, name in (("RJChronos", "app"), ("bare", "baseline")):
        p50, p99 = figures[name]["p50_ms"], figures[name]["p99_ms"]
        print(f"  {label:<10} p50 {p50:8.2f} ms   p99 {p99:8.2f} ms")
    print(f"  {'ratio':<10} p50 {ratio['p50']:8.2f} x    p99 {ratio['p99']:8.2f} x")
    print("  (bare: Starlette answering a canned page on the same uvicorn configuration)")
    print(
        json.dumps(
            {
                "benchmark": "api_list",
                "devices": options.devices,
                "page": PAGE,
                "app": figures["app"],
                "baseline": figures["baseline"],
                "ratio": ratio,
            }
        )
    )


if __name__ == "__main__":
    main()
