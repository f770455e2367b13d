"""The plugin host: registration checks, blocking, strict mode, settings."""

from __future__ import annotations

import logging
import types
from typing import Any

import pytest

from rjchronos import hookimpl
from rjchronos.plugins import PluginError, PluginHost


def make_plugin(name: str, **hooks: Any) -> types.ModuleType:
    module = types.ModuleType(name)
    for hook_name, function in hooks.items():
        function.__name__ = hook_name
        setattr(module, hook_name, hookimpl(function))
    return module


def new_host(**kwargs: Any) -> PluginHost:
    return PluginHost(core_version="0.1.0", **kwargs)


def test_builtins_are_plugins_with_their_hooks() -> None:
    host = new_host()
    host.load_builtins(["rjchronos.builtin.system"])
    record = host.records["builtin.system"]
    assert record.state == "loaded"
    assert {"rjc_api_routes", "rjc_permissions"} <= set(record.hooks)


def test_unknown_hook_is_refused_and_recorded() -> None:
    host = new_host()
    plugin = make_plugin("typo", rjc_api_route=lambda kernel: [])
    record = host.register(plugin, name="typo")
    assert record.state == "failed"
    assert "unknown hook rjc_api_route" in (record.error or "")
    assert host.plugin("typo") is None


def test_async_implementation_of_a_sync_hook_is_refused() -> None:
    async def rjc_permissions() -> list[Any]:
        return []

    record = new_host().register(
        make_plugin("eager", rjc_permissions=rjc_permissions), name="eager"
    )
    assert record.state == "failed"
    assert "rjc_permissions is async" in (record.error or "")


def test_async_event_hook_is_accepted() -> None:
    async def rjc_device_event(kernel: Any, event: Any) -> None:
        return None

    record = new_host().register(
        make_plugin("listener", rjc_device_event=rjc_device_event), name="listener"
    )
    assert record.state == "loaded"
    assert record.hooks == ["rjc_device_event"]


def test_argument_the_spec_lacks_is_refused() -> None:
    record = new_host().register(
        make_plugin("extra", rjc_permissions=lambda colour: []), name="extra"
    )
    assert record.state == "failed"
    assert "colour" in (record.error or "")


def test_strict_mode_makes_a_broken_plugin_fatal() -> None:
    host = new_host(strict=True)
    with pytest.raises(PluginError, match="plugin typo: implements unknown hook"):
        host.register(make_plugin("typo", rjc_nothing=lambda: None), name="typo")


def test_blocked_plugin_is_not_registered() -> None:
    host = new_host(blocked=["builtin.system"])
    host.load_builtins(["rjchronos.builtin.system"])
    assert host.records["builtin.system"].state == "blocked"
    assert host.hook.rjc_permissions() == []


def test_settings_are_validated_naming_plugin_and_key() -> None:
    schema = {
        "type": "object",
        "properties": {"port": {"type": "integer", "default": 7547}, "tls": {"type": "boolean"}},
        "additionalProperties": False,
    }
    host = new_host()
    host.register(make_plugin("acs", rjc_settings_schema=lambda: schema), name="acs")
    with pytest.raises(
        PluginError, match=r"plugin acs: setting port: 'x' is not of type 'integer'"
    ):
        host.configure_settings({"acs": {"port": "x"}})
    host.configure_settings({"acs": {"tls": True}})
    assert host.settings["acs"] == {"port": 7547, "tls": True}


def test_settings_for_a_plugin_that_is_not_installed_are_an_error() -> None:
    with pytest.raises(PluginError, match="not installed: \\['ghost'\\]"):
        new_host().configure_settings({"ghost": {"a": 1}})


def test_tracing_logs_hook_calls(caplog: pytest.LogCaptureFixture) -> None:
    host = new_host(trace=True)
    host.load_builtins(["rjchronos.builtin.system"])
    with caplog.at_level(logging.INFO, logger="rjchronos.plugins.host"):
        host.hook.rjc_permissions()
        host.results_with_plugins("rjc_api_routes", kernel=None)
    assert any("rjc_permissions" in message for message in caplog.messages)
    assert any("rjc_api_routes [builtin.system]" in message for message in caplog.messages)


def test_results_are_paired_with_their_plugins() -> None:
    host = new_host()
    host.register(make_plugin("one", rjc_migrations=lambda: "/one"), name="one")
    host.register(make_plugin("two", rjc_migrations=lambda: None), name="two")
    assert host.results_with_plugins("rjc_migrations") == [("one", "/one")]


def test_settings_keys_from_the_environment_find_dotted_plugin_names() -> None:
    schema = {"type": "object", "properties": {"tick": {"type": "number"}}}
    host = new_host()
    host.register(make_plugin("jobs", rjc_settings_schema=lambda: schema), name="builtin.jobs")
    host.configure_settings({"builtin-jobs": {"tick": 2.5}})
    assert host.settings["builtin.jobs"] == {"tick": 2.5}
