"""Fixtures of the cross-package tests: test plugins installed through real entry points.

``plugin_site`` writes ``.dist-info`` folders (metadata and entry points, as
pip would) into a temporary folder and puts it on ``sys.path``, so
``importlib.metadata`` finds these plugins the way it finds installed ones:

- ``dummy`` (``rjchronos-test-dummy``): ``tests/dummy_plugin.py``, every hook,
  and the ``dummy-notifier`` driver;
- ``broken`` (``rjchronos-test-broken``): raises when imported;
- ``future`` (``rjchronos-test-future``): supports only a later core version.

``run_cli`` runs the ``rjchronos`` command in a subprocess that sees the same
folder through ``PYTHONPATH``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

TESTS = Path(__file__).resolve().parent

DISTRIBUTIONS = {
    "rjchronos-test-dummy": (
        "rjchronos>=0.1,<0.2",
        "[rjchronos]\ndummy = dummy_plugin\n\n"
        "[rjchronos.notifiers]\ndummy-notifier = dummy_plugin:DummyNotifier\n",
    ),
    "rjchronos-test-broken": ("rjchronos>=0.1,<0.2", "[rjchronos]\nbroken = broken_plugin\n"),
    "rjchronos-test-future": ("rjchronos>=9.0", "[rjchronos]\nfuture = future_plugin\n"),
}

BROKEN_MODULE = '''"""A plugin that cannot even be imported."""
raise RuntimeError("the broken plugin failed on purpose")
'''

FUTURE_MODULE = '''"""A plugin for a later core."""
from rjchronos_sdk import Permission, hookimpl


@hookimpl
def rjc_permissions():
    return [Permission("future.read", "From the future")]
'''


def write_plugin_site(folder: Path) -> Path:
    """Write the test distributions' metadata and modules into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, (requirement, entry_points) in DISTRIBUTIONS.items():
        info = folder / f"{name.replace('-', '_')}-0.1.0.dist-info"
        info.mkdir(exist_ok=True)
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1.0\nRequires-Dist: {requirement}\n"
        )
        (info / "entry_points.txt").write_text(entry_points)
    (folder / "broken_plugin.py").write_text(BROKEN_MODULE)
    (folder / "future_plugin.py").write_text(FUTURE_MODULE)
    return folder


@pytest.fixture
def plugin_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The test plugins, importable and visible to ``importlib.metadata`` for this test."""
    site = write_plugin_site(tmp_path / "site")
    monkeypatch.syspath_prepend(str(TESTS))
    monkeypatch.syspath_prepend(str(site))
    for module in ("dummy_plugin", "broken_plugin", "future_plugin"):
        monkeypatch.delitem(sys.modules, module, raising=False)
    return site


@pytest.fixture
def run_cli(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """``run_cli(*args, env={...})``: the ``rjchronos`` command with the test plugins installed."""
    site = write_plugin_site(tmp_path / "cli-site")
    home = tmp_path / "cli-home"

    def run(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> Any:
        environment = {k: v for k, v in os.environ.items() if not k.startswith(("RJC_", "PYTEST_"))}
        environment.update(
            PYTHONPATH=os.pathsep.join([str(site), str(TESTS)]),
            RJC_HOME=str(home),
            COLUMNS="200",
            NO_COLOR="1",
        )
        environment.update(env or {})
        return subprocess.run(
            [str(Path(sys.executable).parent / "rjchronos"), *args],
            capture_output=True,
            text=True,
            env=environment,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )

    return run
