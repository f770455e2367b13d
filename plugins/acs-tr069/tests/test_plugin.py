"""What the plugin declares: entry points, listener, serve option, permissions, events, settings."""

from __future__ import annotations

import asyncio
from importlib import metadata
from typing import Any

import pytest

from rjchronos.drivers.contracts import ProtocolDriver
from rjchronos.plugins.host import PluginError
from rjchronos_acs_tr069 import PLUGIN, hooks
from rjchronos_acs_tr069.sessions import CwmpSession, MemorySessionStore


def test_entry_points_name_the_hooks_and_the_driver() -> None:
    plugins = {e.name: e for e in metadata.entry_points(group="rjchronos")}
    assert plugins[PLUGIN].load() is hooks
    protocols = {e.name: e for e in metadata.entry_points(group="rjchronos.protocols")}
    driver = protocols["tr069"].load()
    assert issubclass(driver, ProtocolDriver) and driver.name == "tr069"


def test_the_kernel_sees_the_listener_and_declarations(acs_kernel: Any) -> None:
    endpoints = [
        e for group in acs_kernel.hook.rjc_protocol_endpoints(kernel=acs_kernel) for e in group
    ]
    acs = next(e for e in endpoints if e.name == "acs")
    assert (acs.port_option, acs.default_port) == ("acs_port", 7547)
    options = [o for group in acs_kernel.hook.rjc_serve_options() for o in group]
    assert any("--acs-port" in o.opts for o in options)
    assert {"acs.parameters.read", "acs.tasks.write"} <= set(acs_kernel.permissions)
    assert {"cpe.inform", "cpe.boot", "cpe.bootstrap", "cpe.value_change"} <= set(
        acs_kernel.events.types
    )
    assert acs_kernel.drivers.get("rjchronos.protocols", "tr069").name == "tr069"


def test_bad_settings_stop_the_start(rjc_kernel_factory: Any) -> None:
    with pytest.raises(PluginError, match="max_body_bytes"):
        rjc_kernel_factory(
            plugins={PLUGIN: hooks}, plugin_settings={PLUGIN: {"max_body_bytes": "big"}}
        )


def test_the_memory_store_keeps_one_session_per_device() -> None:
    store = MemorySessionStore(timeout=30)
    first = CwmpSession("dev-1", "id-1", "urn:dslforum-org:cwmp-1-0")
    assert store.begin(first)
    assert not store.begin(CwmpSession("dev-1", "id-1", "urn:dslforum-org:cwmp-1-0"))
    assert asyncio.run(store.get(first.cookie)) is first
    asyncio.run(store.end(first.id))
    assert asyncio.run(store.get(first.cookie)) is None and store.device_session("dev-1") is None


def test_the_ui_menus_list_the_provisioning_pages_for_those_who_may_read_them(
    acs_kernel: Any, rjc_client_factory: Any
) -> None:
    admin = rjc_client_factory("admin", kernel=acs_kernel)
    created = admin.post(
        "/api/v1/roles", json={"name": "profiles-only", "permissions": ["acs.profiles.read"]}
    )
    assert created.status_code == 201, created.text

    def provisioning(role: str) -> dict[str, str]:
        manifest = rjc_client_factory(role, kernel=acs_kernel).get("/api/v1/ui/manifest")
        assert manifest.status_code == 200, manifest.text
        menus = {menu["id"]: menu["items"] for menu in manifest.json()["menus"]}
        return {item["path"]: item["labels"]["pt-BR"] for item in menus.get("provisioning", [])}

    assert provisioning("viewer") == {
        "/provisioning/profiles": "Perfis",
        "/provisioning/firmware": "Imagens de firmware",
        "/provisioning/campaigns": "Campanhas",
    }
    assert provisioning("profiles-only") == {"/provisioning/profiles": "Perfis"}
