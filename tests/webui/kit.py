"""What the browser tests share: the demo they drive, and helpers to wait, count and check.

The fixtures built on it (``demo``, ``browser``, ``page``) are in ``conftest.py``.
"""

from __future__ import annotations

import re
import socket
import struct
import subprocess
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-results" / "webui"
AXE = ROOT / "webui" / "node_modules" / "axe-core" / "axe.min.js"
STARTUP_SECONDS = 90
TASK_SECONDS = 60
FLEET = 4


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def blank_png(size: int = 256) -> bytes:
    """A white PNG tile, written by hand (no imaging library needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xff\xff\xff" * size for _ in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


class TileServer(ThreadingHTTPServer):
    tile = blank_png()
    served = 0


class TileHandler(BaseHTTPRequestHandler):
    server: TileServer

    def do_GET(self) -> None:
        self.server.served += 1
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(self.server.tile)))
        self.end_headers()
        self.wfile.write(self.server.tile)

    def log_message(self, *args: Any) -> None:
        pass


@dataclass
class Demo:
    url: str
    password: str
    api: httpx.Client
    tiles: TileServer
    output: list[str] = field(default_factory=list)


def wait_for_start(process: subprocess.Popen[str], output: list[str], url: str) -> str:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError("rjchronos demo exited:\n" + "".join(output))
        found = re.search(r"password '([^']+)'", "".join(output))
        if found:
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    return found.group(1)
            except httpx.HTTPError:
                pass
        time.sleep(0.3)
    raise AssertionError("rjchronos demo did not start:\n" + "".join(output))


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def critical_violations(page: Any) -> list[str]:
    """axe-core's critical accessibility violations on the page as it stands."""
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        "async () => (await axe.run(document)).violations"
        ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length}))"
    )
    return [f"{v['id']} ({v['nodes']} nodes)" for v in violations if v["impact"] == "critical"]


def number(text: str) -> int:
    return int(re.sub(r"\D", "", text))


def eventually(check: Callable[[], Any], seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def count_devices(api: httpx.Client, **query: str) -> int:
    total, cursor = 0, None
    while True:
        page = api.get("/devices", params={**query, "limit": 500, "cursor": cursor or ""}).json()
        total += len(page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            return total


def fleet_cpe(demo: Demo) -> dict[str, Any]:
    """A CPE of the simulated fleet (no customer), once it has informed."""
    return eventually(
        lambda: next(
            (
                d
                for d in demo.api.get("/devices", params={"kind": "cpe", "limit": 500}).json()[
                    "items"
                ]
                if d["customer_id"] is None and d["serial"]
            ),
            None,
        ),
        STARTUP_SECONDS,
        "a simulated CPE in the inventory",
    )
