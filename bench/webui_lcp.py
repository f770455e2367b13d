"""The dashboard's largest contentful paint and a device search with 100,000 devices, in chromium.

What it does, in one run:

1. creates a fresh PostgreSQL database, migrates it and loads 100,000 devices
   (the topology of bench/api_list.py) with COPY; builds the web UI if needed;
2. serves the full RJChronos app, and a baseline app answering one static
   page (a heading, no script), with one uvicorn configuration on 127.0.0.1;
3. in headless Debian chromium (Playwright, /usr/bin/chromium), each run in a
   fresh browser context (cold HTTP cache) signed in with a session cookie:
   - the dashboard: the LCP the browser reports once the device counts are
     shown, and when they were shown; the baseline page's LCP;
   - a device search: from typing an ONU's serial in the inventory's search
     box until its row is the only one (the box's 300 ms debounce included),
     against ``GET /api/v1/devices?q=<serial>`` timed from this process;
4. prints medians and ratios; the last line is one JSON object with every figure.

Run it with ``make bench`` or ``.venv/bin/python bench/webui_lcp.py [--devices N] [--runs N]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from _scratch import scratch_database
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from rjchronos.config import Settings
from rjchronos.db.migrate import upgrade
from rjchronos.kernel import Kernel
from rjchronos.security.users import create_user

sys.path.insert(0, str(Path(__file__).resolve().parent))
from api_list import free_port, load_devices, serve

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
BASELINE_PAGE = "<!doctype html><html lang='en'><title>RJChronos</title><h1>RJChronos</h1></html>"
#: The browser's last largest-contentful-paint entry, in ms since navigation start.
LCP_SCRIPT = """() => new Promise(resolve => new PerformanceObserver(list => {
  const entries = list.getEntries(); resolve(entries[entries.length - 1].startTime);
}).observe({type: 'largest-contentful-paint', buffered: true}))"""
TARGET_MS = 2000


def baseline_app() -> Starlette:
    return Starlette(routes=[Route("/", lambda request: HTMLResponse(BASELINE_PAGE))])


def measure(
    browser: Any, app: str, baseline: str, cookies: list[dict[str, Any]], serial: str
) -> dict[str, float]:
    """One run of each measurement, each in a fresh context."""
    figures: dict[str, float] = {}
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.add_cookies(cookies)
    page = context.new_page()
    page.goto(app + "/")
    page.wait_for_function(
        "document.querySelector('[data-testid=stat-total]')?.textContent.match(/\\d/)"
    )
    figures["numbers_ms"] = page.evaluate("performance.now()")
    page.wait_for_load_state("networkidle")
    figures["dashboard_lcp_ms"] = page.evaluate(LCP_SCRIPT)
    context.close()

    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(baseline + "/")
    page.wait_for_load_state("networkidle")
    figures["baseline_lcp_ms"] = page.evaluate(LCP_SCRIPT)
    context.close()

    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.add_cookies(cookies)
    page = context.new_page()
    page.goto(app + "/inventory/devices")
    page.get_by_test_id("device-search").wait_for()
    page.wait_for_function("document.querySelectorAll('tbody tr').length > 1")
    started = time.perf_counter()
    page.get_by_test_id("device-search").fill(serial)
    page.wait_for_function(
        "s => { const rows = document.querySelectorAll('tbody tr');"
        " return rows.length === 1 && rows[0].textContent.includes(s); }",
        arg=serial,
        polling="raf",
    )
    figures["search_ms"] = (time.perf_counter() - started) * 1000
    context.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    from playwright.sync_api import sync_playwright

    subprocess.run([ROOT / "scripts" / "webui", "build"], check=True)
    with scratch_database() as url, tempfile.TemporaryDirectory(prefix="rjc-bench-") as home:
        kernel: Kernel | None = None
        servers = []
        try:
            settings = Settings(
                home=Path(home), database_url=url, broker_url="inline:", map_tile_url=""
            )
            kernel = Kernel(settings)
            upgrade(kernel)
            started = time.perf_counter()
            load_devices(url.replace("postgresql+psycopg", "postgresql"), options.devices)
            took = time.perf_counter() - started
            print(f"loaded {options.devices:,} devices with COPY in {took:.1f}s")
            password = uuid.uuid4().hex
            create_user(kernel, "bench-admin", password, roles=("admin",))
            app_port, baseline_port = free_port(), free_port()
            servers.append(serve(kernel.asgi(), app_port))
            servers.append(serve(baseline_app(), baseline_port))
            app, baseline = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{baseline_port}"

            signed_in = httpx.post(
                f"{app}/api/v1/auth/login", json={"username": "bench-admin", "password": password}
            )
            signed_in.raise_for_status()
            cookies = [
                {"name": name, "value": value, "url": app}
                for name, value in signed_in.cookies.items()
            ]
            serial = f"HWTC{options.devices // 4:08X}"
            api = httpx.Client(base_url=app, cookies=signed_in.cookies, timeout=30)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
                )
                measure(browser, app, baseline, cookies, serial)  # warm-up: server caches, plans
                runs = [
                    measure(browser, app, baseline, cookies, serial) for _ in range(options.runs)
                ]
                browser.close()
            api_ms = []
            for _ in range(options.runs * 4):
                begun = time.perf_counter()
                found = api.get("/api/v1/devices", params={"q": serial, "limit": 25}).json()
                api_ms.append((time.perf_counter() - begun) * 1000)
                assert [d["serial"] for d in found["items"]] == [serial], found
        finally:
            for server in servers:
                server.should_exit = True
            if kernel is not None:
                kernel.db.engine.dispose()

    medians = {key: round(statistics.median(run[key] for run in runs), 1) for key in runs[0]}
    medians["search_api_ms"] = round(statistics.median(api_ms), 1)
    result = {
        "bench": "webui_lcp",
        "devices": options.devices,
        "runs": options.runs,
        **medians,
        "lcp_ratio": round(medians["dashboard_lcp_ms"] / medians["baseline_lcp_ms"], 2),
        "search_ratio": round(medians["search_ms"] / medians["search_api_ms"], 2),
        "target_ms": TARGET_MS,
    }
    lcp, numbers = medians["dashboard_lcp_ms"], medians["numbers_ms"]
    print(f"dashboard LCP        {lcp:8.1f} ms (numbers shown at {numbers:.1f} ms)")
    print(
        f"baseline page LCP    {medians['baseline_lcp_ms']:8.1f} ms   ratio {result['lcp_ratio']}"
    )
    print(f"device search in UI  {medians['search_ms']:8.1f} ms (300 ms debounce included)")
    print(
        f"same search, API     {medians['search_api_ms']:8.1f} ms   ratio {result['search_ratio']}"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
