"""Fixtures of the web UI tests: the built shell, the demo, the browser and a signed-in page.

The shell is built by ``scripts/webui build`` (a no-op when the build is up to
date). One demo process serves every browser test of the run (SQLite under a
temporary RJC_HOME, ephemeral ports, simulated CPEs informing every 10 s, map
tiles from a local server that answers a blank PNG). The browser is Debian's
chromium, driven by Playwright for Python and never downloaded.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from .kit import FLEET, ROOT, Demo, TileHandler, TileServer, free_port, wait_for_start

DIST = ROOT / "core" / "rjchronos" / "webui_dist"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def webui_dist() -> Path:
    """The built web UI inside the core package (built now when missing or stale)."""
    subprocess.run([ROOT / "scripts" / "webui", "build"], check=True, timeout=600)
    assert (DIST / "index.html").is_file(), "scripts/webui build left no index.html"
    return DIST


@pytest.fixture(scope="session")
def demo(webui_dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    tiles = TileServer(("127.0.0.1", 0), TileHandler)
    threading.Thread(target=tiles.serve_forever, daemon=True).start()
    home = tmp_path_factory.mktemp("demo-home")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RJC_")}
    env.update(
        RJC_HOME=str(home),
        RJC_MAP_TILE_URL=f"http://127.0.0.1:{tiles.server_port}/{{z}}/{{x}}/{{y}}.png",
        # An OLT added by a test is collected at the scheduler's next pass.
        RJC_PLUGIN__OLT_MANAGER__JITTER_SECONDS="0",
    )
    command = [str(Path(sys.executable).parent / "rjchronos"), "demo", "--port", str(port)]
    command += ["--acs-port", str(free_port()), "--cpes", str(FLEET), "--inform-interval", "10"]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    output: list[str] = []
    threading.Thread(
        target=lambda: output.extend(process.stdout or []), daemon=True
    ).start()  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        password = wait_for_start(process, output, url)
        token = httpx.post(
            f"{url}/api/v1/auth/token", json={"username": "admin", "password": password}
        ).json()["access_token"]
        api = httpx.Client(
            base_url=f"{url}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        yield Demo(url, password, api, tiles, output)
        api.close()
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        tiles.shutdown()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), "Debian's chromium is missing: apt-get install -y chromium"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def expected_console() -> list[str]:
    """Console errors a test provokes on purpose (a request the server refuses), as patterns;
    any other console error fails the test."""
    return []


@pytest.fixture
def page(browser: Any, demo: Demo, expected_console: list[str]) -> Iterator[Any]:
    """A signed-in page (1280x800, a tablet-sized landscape screen); no console errors allowed."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(demo.url + "/")
    page.get_by_label(re.compile("^(Usuário|Username)")).fill("admin")
    page.get_by_label(re.compile("^(Senha|Password)")).fill(demo.password)
    page.get_by_role("button", name=re.compile("^(Entrar|Sign in)$")).click()
    page.get_by_test_id("stat-total").wait_for()
    yield page
    context.close()
    unexpected = [e for e in errors if not any(re.search(p, e) for p in expected_console)]
    assert unexpected == [], f"console errors: {unexpected}"
