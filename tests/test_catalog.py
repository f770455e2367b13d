"""``kernel.catalog``: declarations no single built-in owns, collected and checked."""

from __future__ import annotations

import asyncio
import types
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from rjchronos import hookimpl
from rjchronos.catalog import AmbiguousQuirkError, Catalog, CatalogError
from rjchronos.config import Settings
from rjchronos.events import EventType
from rjchronos.kernel import Kernel
from rjchronos.plugins.declarations import (
    AnalyzerSpec,
    CpeQuirk,
    NotifierType,
    ProvisioningExtension,
)


def plugin(**hooks: Callable[..., Any]) -> types.ModuleType:
    """A plugin module whose hooks are the given functions."""
    module = types.ModuleType("test_plugin")
    for name, function in hooks.items():
        setattr(module, name, hookimpl(function))
    return module


@pytest.fixture
def build(tmp_path: Any) -> Callable[..., Kernel]:
    """A kernel with only these plugins besides the built-ins (no database work needed)."""

    def factory(**plugins: types.ModuleType) -> Kernel:
        settings = Settings(
            home=tmp_path, database_url=f"sqlite:///{tmp_path}/c.db", broker_url="inline:"
        )
        return Kernel(settings, plugins=plugins, entrypoints=False)

    return factory


def quirks(*declared: CpeQuirk) -> types.ModuleType:
    return plugin(rjc_cpe_quirks=lambda: list(declared))


def test_the_kernel_has_one_catalog(build: Callable[..., Kernel]) -> None:
    kernel = build()
    assert isinstance(kernel.catalog, Catalog)
    assert kernel.catalog is kernel.catalog


def test_every_kind_is_collected_with_its_plugin(build: Callable[..., Kernel]) -> None:
    async def extend(device: Any, desired: Mapping[str, Any]) -> dict[str, Any]:
        return dict(desired)

    kernel = build(
        acme=plugin(
            rjc_event_types=lambda: [EventType("acme.reboot", "The CPE rebooted")],
            rjc_notifier_types=lambda: [NotifierType("acme-sms", "ACME SMS")],
            rjc_analyzers=lambda kernel: [AnalyzerSpec("acme-drift")],
            rjc_cpe_quirks=lambda: [CpeQuirk("acme-r1", oui="00AAAA")],
            rjc_provisioning_extensions=lambda kernel: [ProvisioningExtension("acme-vlan", extend)],
        )
    )
    catalog = kernel.catalog
    catalog.check()
    assert catalog.event_types["acme.reboot"].description == "The CPE rebooted"
    assert catalog.notifier_types["acme-sms"].title == "ACME SMS"
    assert catalog.analyzers["acme-drift"].mode == "streaming"
    assert catalog.cpe_quirks["acme-r1"].defined_in == "acme"
    assert [(p, e.name) for p, e in catalog.provisioning_extensions] == [("acme", "acme-vlan")]
    assert catalog.owner[("event type", "acme.reboot")] == "acme"


@pytest.mark.parametrize(
    ("hook", "entry", "label"),
    [
        ("rjc_event_types", EventType("x.up", "Up"), "event type 'x.up'"),
        ("rjc_notifier_types", NotifierType("x-chat", "Chat"), "notifier type 'x-chat'"),
        ("rjc_analyzers", AnalyzerSpec("x-model"), "analyzer 'x-model'"),
        ("rjc_cpe_quirks", CpeQuirk("x-quirk", oui="001122"), "CPE quirk 'x-quirk'"),
    ],
)
def test_a_name_declared_by_two_plugins_is_an_error_naming_both(
    build: Callable[..., Kernel], hook: str, entry: Any, label: str
) -> None:
    def declare(kernel: Any = None) -> list[Any]:
        return [entry]

    with pytest.raises(
        CatalogError, match=f"{label} is declared by both (first and second|second and first)"
    ):
        build(first=plugin(**{hook: declare}), second=plugin(**{hook: declare}))


def test_a_name_declared_twice_by_one_plugin_is_an_error(build: Callable[..., Kernel]) -> None:
    with pytest.raises(CatalogError, match="event type 'x.up' is declared twice by twice"):
        build(
            twice=plugin(
                rjc_event_types=lambda: [EventType("x.up", "Up"), EventType("x.up", "Up again")]
            )
        )


def test_a_wrong_type_names_the_plugin_and_the_hook(build: Callable[..., Kernel]) -> None:
    with pytest.raises(
        CatalogError, match="plugin sloppy: rjc_notifier_types returned .* expected NotifierType"
    ):
        build(sloppy=plugin(rjc_notifier_types=lambda: [{"name": "email"}]))


# -- CPE quirks ---------------------------------------------------------------------


def test_quirk_for_returns_the_one_match(build: Callable[..., Kernel]) -> None:
    kernel = build(
        huawei=quirks(
            CpeQuirk("hg8245-v3", oui="00E0FC", product_class="HG8245H", software_prefix="V3R017"),
            CpeQuirk("hg8245-v5", oui="00E0FC", product_class="HG8245H", software_prefix="V5"),
        ),
        tplink=quirks(CpeQuirk("archer-any", oui="50C7BF", defined_in="quirks/tplink.py")),
    )
    catalog = kernel.catalog
    assert (
        catalog.quirk_for("00e0fc", "HG8245H", "V3R017C10S115") == catalog.cpe_quirks["hg8245-v3"]
    )
    assert catalog.quirk_for("00E0FC", "HG8245H", "V5R019") == catalog.cpe_quirks["hg8245-v5"]
    archer = catalog.quirk_for("50C7BF", "Archer C6", "1.0")
    assert archer is not None and archer.defined_in == "quirks/tplink.py"
    assert catalog.quirk_for("00E0FC", "HG8245H", "V4R001") is None
    assert catalog.quirk_for("00E0FC", "EG8145V5", "V3R017") is None
    assert catalog.quirk_for("A0B1C2", "X", "1") is None


def test_two_matching_quirks_are_an_error_naming_both_and_their_plugins(
    build: Callable[..., Kernel],
) -> None:
    kernel = build(
        acs=quirks(CpeQuirk("zte-all", oui="D05BA8")),
        isp=quirks(
            CpeQuirk("zte-f670l", oui="D05BA8", product_class="F670L", defined_in="isp/quirks.py")
        ),
    )
    with pytest.raises(AmbiguousQuirkError) as raised:
        kernel.catalog.quirk_for("D05BA8", "F670L", "V9.0")
    message = str(raised.value)
    assert "'zte-all' (plugin acs)" in message
    assert "'zte-f670l' (plugin isp, defined in isp/quirks.py)" in message
    # Another product class matches only the catch-all.
    catch_all = kernel.catalog.cpe_quirks["zte-all"]
    assert kernel.catalog.quirk_for("D05BA8", "F660", "V9.0") == catch_all


# -- provisioning extensions --------------------------------------------------------------


def test_provisioning_extensions_chain_in_registration_order(build: Callable[..., Kernel]) -> None:
    seen: list[dict[str, Any]] = []

    async def first(device: Any, desired: Mapping[str, Any]) -> dict[str, Any]:
        seen.append(dict(desired))
        return {**desired, "Device.Time.NTPServer1": "a.ntp.br", "order": "first"}

    async def second(device: Any, desired: Mapping[str, Any]) -> dict[str, Any]:
        seen.append(dict(desired))
        return {**desired, "order": f"{desired['order']},second", "device": device["serial"]}

    kernel = build(
        one=plugin(rjc_provisioning_extensions=lambda: [ProvisioningExtension("ntp", first)]),
        two=plugin(rjc_provisioning_extensions=lambda: [ProvisioningExtension("tag", second)]),
    )
    desired = {"Device.WiFi.SSID.1.SSID": "Casa"}
    result = asyncio.run(
        kernel.catalog.apply_provisioning_extensions({"serial": "HWTC11E70E9A"}, desired)
    )
    assert result == {
        "Device.WiFi.SSID.1.SSID": "Casa",
        "Device.Time.NTPServer1": "a.ntp.br",
        "order": "first,second",
        "device": "HWTC11E70E9A",
    }
    assert seen[0] == desired and seen[1]["order"] == "first"
    assert desired == {"Device.WiFi.SSID.1.SSID": "Casa"}


def test_no_extensions_leave_the_state_as_it_is(build: Callable[..., Kernel]) -> None:
    assert asyncio.run(build().catalog.apply_provisioning_extensions({}, {"a": 1})) == {"a": 1}


def test_a_failing_extension_names_itself_and_its_plugin(build: Callable[..., Kernel]) -> None:
    async def broken(device: Any, desired: Mapping[str, Any]) -> dict[str, Any]:
        raise KeyError("vlan")

    async def sloppy(device: Any, desired: Mapping[str, Any]) -> Any:
        return ["not", "a", "mapping"]

    kernel = build(
        isp=plugin(rjc_provisioning_extensions=lambda: [ProvisioningExtension("vlan", broken)])
    )
    with pytest.raises(
        CatalogError, match="provisioning extension 'vlan' of plugin isp failed: KeyError"
    ):
        asyncio.run(kernel.catalog.apply_provisioning_extensions({}, {}))
    kernel = build(
        isp=plugin(rjc_provisioning_extensions=lambda: [ProvisioningExtension("odd", sloppy)])
    )
    with pytest.raises(CatalogError, match="'odd' of plugin isp returned list, expected a mapping"):
        asyncio.run(kernel.catalog.apply_provisioning_extensions({}, {}))
