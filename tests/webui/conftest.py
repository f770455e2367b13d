"""Fixtures of the web UI tests: the built shell and the browser.

The shell is built by ``scripts/webui build`` (a no-op when the build is up to
date); the browser is Debian's chromium, driven by Playwright for Python and
never downloaded.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
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
