"""How plugins are loaded: broken, incompatible, blocked, strict, async misuse and tracing.

The plugins come through real entry points (``plugin_site``, ``run_cli``).
"""

from __future__ import annotations

import json
import logging
import types
from collections.abc import Callable
from typing import Any

import pytest

from rjchronos import hookimpl
from rjchronos.kernel import Kernel
from rjchronos.plugins import PluginError
from rjchronos.security.permissions import Permission

pytestmark = pytest.mark.usefixtures("plugin_site")

BROKEN_ERROR = "import failed: RuntimeError: the broken plugin failed on purpose"


def test_a_broken_plugin_is_listed_with_its_error_while_the_app_runs(
    rjc_kernel_factory: Callable[..., Kernel], rjc_client_factory: Callable[..., Any]
) -> None:
    kernel = rjc_kernel_factory(entrypoints=["dummy", "broken"])
    admin = rjc_client_factory("admin", kernel=kernel)
    listing = {p["name"]: p for p in admin.get("/api/v1/plugins").json()["items"]}
    assert (listing["broken"]["state"], listing["broken"]["error"]) == ("failed", BROKEN_ERROR)
    assert listing["broken"]["distribution"] == "rjchronos-test-broken"
    assert listing["dummy"]["state"] == "loaded"
    # The rest of the application carries on.
    assert admin.get("/api/v1/dummy/echo").status_code == 200


def test_rjchronos_plugins_lists_a_broken_plugin_with_its_error(
    run_cli: Callable[..., Any],
) -> None:
    as_json = run_cli("plugins", "--json")
    assert as_json.returncode == 0, as_json.stderr
    listing = {p["name"]: p for p in json.loads(as_json.stdout)["plugins"]}
    assert (listing["broken"]["state"], listing["broken"]["error"]) == ("failed", BROKEN_ERROR)
    assert listing["example-hello"]["state"] == "loaded"
    assert listing["builtin.system"]["state"] == "loaded"
    table = run_cli("plugins")
    assert table.returncode == 0, table.stderr
    broken_row = next(line for line in table.stdout.splitlines() if " broken " in line)
    assert "failed" in broken_row and "the broken plugin failed on purpose" in broken_row


def test_strict_mode_stops_start_up_with_the_error(
    rjc_kernel_factory: Callable[..., Kernel],
) -> None:
    with pytest.raises(PluginError, match=f"plugin broken: {BROKEN_ERROR}"):
        rjc_kernel_factory(entrypoints=["broken"], strict_plugins=True)


def test_strict_mode_stops_rjchronos_serve(run_cli: Callable[..., Any]) -> None:
    result = run_cli("--strict-plugins", "serve", "--port", "0", timeout=60)
    assert result.returncode != 0
    assert f"plugin broken: {BROKEN_ERROR}" in result.stderr
    assert "RJChronos UI and API on" not in result.stdout


def test_strict_mode_from_the_environment(run_cli: Callable[..., Any]) -> None:
    result = run_cli("plugins", env={"RJC_STRICT_PLUGINS": "1"})
    assert result.returncode != 0
    assert f"plugin broken: {BROKEN_ERROR}" in result.stderr


def test_a_plugin_for_another_core_version_is_skipped_with_a_warning(
    rjc_kernel_factory: Callable[..., Kernel], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="rjchronos.plugins.host"):
        kernel = rjc_kernel_factory(entrypoints=["future"])
    record = kernel.host.records["future"]
    assert record.state == "incompatible"
    assert record.error == "supports rjchronos>=9.0, this is 0.1.0"
    assert "plugin future skipped: supports rjchronos>=9.0" in caplog.text
    assert "future.read" not in kernel.permissions


def test_a_blocked_plugin_is_not_loaded(
    rjc_kernel_factory: Callable[..., Kernel], rjc_client_factory: Callable[..., Any]
) -> None:
    kernel = rjc_kernel_factory(
        entrypoints=["dummy", "broken"], blocked_plugins=("dummy", "broken")
    )
    assert kernel.host.records["dummy"].state == "blocked"
    assert kernel.host.records["broken"].state == "blocked"  # never even imported
    assert kernel.host.plugin("dummy") is None
    assert "dummy.read" not in kernel.permissions
    assert "dummy-notifier" not in kernel.drivers.names("rjchronos.notifiers")
    admin = rjc_client_factory("admin", kernel=kernel)
    assert admin.get("/api/v1/dummy/echo").status_code == 404


def test_rjchronos_block_option(run_cli: Callable[..., Any]) -> None:
    result = run_cli("--block", "dummy", "--block", "broken", "plugins", "--json")
    assert result.returncode == 0, result.stderr
    listing = {p["name"]: p["state"] for p in json.loads(result.stdout)["plugins"]}
    assert (listing["dummy"], listing["broken"]) == ("blocked", "blocked")


def test_an_async_implementation_of_a_sync_hook_is_rejected(
    rjc_kernel_factory: Callable[..., Kernel],
) -> None:
    @hookimpl
    async def rjc_permissions() -> list[Permission]:
        return [Permission("async.read", "never declared")]

    plugin = types.SimpleNamespace(rjc_permissions=rjc_permissions)
    kernel = rjc_kernel_factory(plugins={"async-permissions": plugin})
    record = kernel.host.records["async-permissions"]
    assert record.state == "failed"
    assert record.error is not None and record.error.startswith("rjc_permissions is async but only")
    assert "async.read" not in kernel.permissions
    with pytest.raises(PluginError, match="plugin async-permissions: rjc_permissions is async"):
        rjc_kernel_factory(plugins={"async-permissions": plugin}, strict_plugins=True)


def test_tracing_logs_hook_calls(
    rjc_kernel_factory: Callable[..., Kernel], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="rjchronos.plugins.host"):
        kernel = rjc_kernel_factory(entrypoints=["dummy"], trace_hooks=True)
        kernel.asgi()
    traced = [r.getMessage() for r in caplog.records if r.getMessage().startswith("hook ")]
    assert any("rjc_configure" in message for message in traced)
    assert any("rjc_middleware" in message for message in traced)


def test_without_tracing_nothing_is_logged(
    rjc_kernel_factory: Callable[..., Kernel], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="rjchronos.plugins.host"):
        rjc_kernel_factory(entrypoints=["dummy"]).asgi()
    assert not [r for r in caplog.records if r.getMessage().startswith("hook ")]
