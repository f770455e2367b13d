"""Fixtures of the diagnosis and action tests: a small plant, event types, an executor."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from rjchronos import hookimpl
from rjchronos.ai.contracts import ActionExecutor, Applied, texts
from rjchronos.db.types import utcnow
from rjchronos.events import EventType
from rjchronos.inventory.models import Device
from rjchronos.telemetry.store import Sample


class Gateway:
    """A device setting kept in memory: what the test executor changes and restores."""

    def __init__(self) -> None:
        self.channel: dict[str, int] = {}


class TestActionsPlugin:
    """Event types of the OLT and ACS plugins, and a channel executor over :class:`Gateway`."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway

    @hookimpl
    def rjc_event_types(self) -> list[EventType]:
        return [
            EventType(name, name)
            for name in ("onu.los", "onu.dying_gasp", "onu.online", "cpe.boot")
        ]

    @hookimpl
    def rjc_action_executors(self) -> list[ActionExecutor]:
        gateway = self.gateway

        async def change(kernel: Any, device_id: str, params: Mapping[str, Any]) -> Applied:
            previous = gateway.channel.get(device_id, 6)
            gateway.channel[device_id] = int(params.get("channel", 11))
            return Applied({"channel": previous}, {"channel": gateway.channel[device_id]})

        async def restore(kernel: Any, device_id: str, previous: Mapping[str, Any]) -> Applied:
            gateway.channel[device_id] = int(previous["channel"])
            return Applied(details={"channel": gateway.channel[device_id]})

        return [
            ActionExecutor(
                "wifi.change_channel", texts("Change channel", "Trocar canal"), change, restore
            )
        ]


@pytest.fixture
def gateway() -> Gateway:
    return Gateway()


@pytest.fixture
def ai_kernel(rjc_kernel_factory: Callable[..., Any], gateway: Gateway) -> Callable[..., Any]:
    """``ai_kernel(**ai_settings)``: the test plugin, these ``builtin.ai`` settings."""

    def build(**ai_settings: Any) -> Any:
        return rjc_kernel_factory(
            plugins={"test-actions": TestActionsPlugin(gateway)},
            plugin_settings={"builtin.ai": ai_settings},
        )

    return build


def plant(kernel: Any, onus: int = 4) -> SimpleNamespace:
    """An OLT, a PON, a splitter, ``onus`` ONUs and a CPE behind the first ONU."""
    with kernel.db.session() as session:
        olt = Device(kind="olt", name="OLT-Centro", status="online")
        session.add(olt)
        session.flush()
        olt.olt_id = olt.id
        pon = Device(kind="pon", name="0/1/0", parent_id=olt.id, olt_id=olt.id)
        session.add(pon)
        session.flush()
        splitter = Device(kind="splitter", name="CTO-1", parent_id=pon.id, olt_id=olt.id)
        session.add(splitter)
        session.flush()
        made = []
        for n in range(onus):
            onu = Device(
                kind="onu",
                name=f"ONU-{n}",
                serial=f"HWTC0000000{n}",
                parent_id=splitter.id,
                olt_id=olt.id,
                status="online",
                last_seen=utcnow(),
            )
            session.add(onu)
            made.append(onu)
        session.flush()
        cpe = Device(
            kind="cpe",
            name="CPE-0",
            parent_id=made[0].id,
            olt_id=olt.id,
            status="online",
            model="HG8245",
            last_seen=utcnow(),
            tags=["pilot"],
        )
        session.add(cpe)
        session.commit()
        return SimpleNamespace(olt=olt.id, pon=pon.id, onus=[o.id for o in made], cpe=cpe.id)


def write_series(
    kernel: Any,
    entity: str,
    metric: str,
    value: float,
    *,
    ago: timedelta,
    span: timedelta,
    step: timedelta,
) -> None:
    """Samples of a constant ``value`` every ``step``, from ``now - ago`` for ``span``."""
    now = utcnow()
    count = int(span / step)
    kernel.telemetry.write(
        [Sample(entity, metric, now - ago + i * step, value) for i in range(count)]
    )


@pytest.fixture
def tools() -> SimpleNamespace:
    """The helpers above, for the test modules (conftest is not importable under importlib)."""
    return SimpleNamespace(plant=plant, write_series=write_series)
