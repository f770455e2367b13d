"""The hooks of the OLT manager (entry point ``olt-manager`` of the ``rjchronos`` group)."""

from __future__ import annotations

import logging
import weakref
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from rjchronos import hookimpl
from rjchronos.events import EventType
from rjchronos.http.routing import ApiRoute
from rjchronos.jobs.spec import CollectorSpec, TaskHandler
from rjchronos.kernel import Kernel
from rjchronos.security.permissions import Permission
from rjchronos_olt_manager import (
    PLUGIN,
    api,
    api_backups,
    backups,
    collector,
    firmware,
    onu_actions,
)
from rjchronos_olt_manager.traps import TrapReceiver

log = logging.getLogger(__name__)

DEFAULT_POLL_SECONDS = 300
#: The trap receiver of each started kernel.
RECEIVERS: weakref.WeakKeyDictionary[Kernel, TrapReceiver] = weakref.WeakKeyDictionary()

SETTINGS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "poll_seconds": {
            "type": "integer",
            "minimum": 30,
            "default": DEFAULT_POLL_SECONDS,
            "description": "how often the collector looks at each OLT (each OLT keeps its own "
            "interval_seconds on top)",
        },
        "jitter_seconds": {"type": "integer", "minimum": 0, "default": 60},
        "collect_timeout_seconds": {"type": "number", "exclusiveMinimum": 0, "default": 240},
        "trap_port": {
            "type": ["integer", "null"],
            "minimum": 0,
            "maximum": 65535,
            "default": None,
            "description": "UDP port of the SNMP trap receiver (off when null; "
            "`serve --olt-trap-port` overrides it)",
        },
        "trap_host": {
            "type": "string",
            "default": "0.0.0.0",  # noqa: S104 - OLTs send traps from the network
            "description": "address the trap receiver listens on",
        },
        "trap_confirm_delay_seconds": {
            "type": "number",
            "minimum": 0,
            "default": 2,
            "description": "wait this long after a trap before the confirming collection, "
            "so a burst of traps gives one",
        },
        "backup_hours": {
            "type": "number",
            "exclusiveMinimum": 0,
            "default": 24,
            "description": "how often each OLT's running configuration is backed up",
        },
        "signal_good_dbm": {
            "type": "number",
            "default": -25.0,
            "description": "ONU Rx at or above: good",
        },
        "signal_critical_dbm": {
            "type": "number",
            "default": -27.0,
            "description": "below: critical",
        },
        "signal_outlier_db": {
            "type": "number",
            "minimum": 0,
            "default": 3.0,
            "description": "dB below the port's median that flags one ONU",
        },
        "signal_degradation_db": {
            "type": "number",
            "minimum": 0,
            "default": 2.0,
            "description": "Rx fall against 7 or 30 days ago that flags one",
        },
    },
}

_ONU_EVENT: dict[str, Any] = {
    "type": "object",
    "required": ["olt_id", "port", "onu_id", "serial"],
    "properties": {
        "olt_id": {"type": "string"},
        "port": {"type": "string"},
        "onu_id": {"type": "integer"},
        "serial": {"type": "string"},
        "from": {"type": "string"},
        "last_down_cause": {"type": ["string", "null"]},
    },
}


def _settings(kernel: Kernel) -> Mapping[str, Any]:
    return kernel.plugin_settings(PLUGIN)


@hookimpl
def rjc_settings_schema() -> dict[str, Any]:
    return SETTINGS_SCHEMA


@hookimpl
def rjc_migrations() -> str:
    return str(Path(__file__).parent / "migrations" / "versions")


@hookimpl
def rjc_permissions() -> list[Permission]:
    return [
        Permission(api.OLTS_READ, "See OLTs and their ONUs", ("viewer", "operator", "admin"), True),
        Permission(api.OLTS_WRITE, "Add, change, test and remove OLTs", ("admin",), True),
        Permission(
            api.OLTS_AUTHORIZE, "Authorize, reboot and remove ONUs", ("operator", "admin"), True
        ),
        Permission(
            api_backups.OLTS_CONFIG, "Read and take OLT configuration backups", ("admin",), True
        ),
    ]


@hookimpl
def rjc_api_routes(kernel: Kernel) -> list[ApiRoute]:
    return [
        *api.routes(kernel),
        *onu_actions.routes(),
        *api_backups.routes(),
        *firmware.routes(),
    ]


async def _collect(kernel: Kernel, params: Mapping[str, Any]) -> dict[str, Any]:
    return await collector.collect(
        kernel, str(params["device_id"]), scheduled="collector" in params
    )


@hookimpl
def rjc_task_handlers(kernel: Kernel) -> list[TaskHandler]:
    timeout = float(_settings(kernel).get("collect_timeout_seconds", 240))
    # One attempt: a dead OLT is recorded on the OLT, and the next poll is the retry.
    return [
        TaskHandler(collector.JOB_TYPE, _collect, max_attempts=1, timeout=timeout),
        TaskHandler(backups.JOB_TYPE, backups.run_job, max_attempts=1, timeout=timeout),
    ]


@hookimpl
def rjc_collectors(kernel: Kernel) -> list[CollectorSpec]:
    settings = _settings(kernel)
    return [
        CollectorSpec(
            "olt.poll",
            "olt",
            collector.JOB_TYPE,
            every=timedelta(seconds=int(settings.get("poll_seconds", DEFAULT_POLL_SECONDS))),
            jitter=timedelta(seconds=int(settings.get("jitter_seconds", 60))),
        ),
        CollectorSpec(
            "olt.config_backup",
            "olt",
            backups.JOB_TYPE,
            every=timedelta(hours=float(settings.get("backup_hours", 24))),
            jitter=timedelta(minutes=30),
        ),
    ]


def trap_port(kernel: Kernel) -> int | None:
    """The trap receiver's port: the serve option, else the plugin setting (None: off)."""
    port = kernel.settings.options.get("olt_trap_port")
    if port is None:
        port = _settings(kernel).get("trap_port")
    return None if port is None else int(port)


@hookimpl
def rjc_serve_options() -> list[click.Option]:
    return [
        click.Option(
            ["--olt-trap-port", "olt_trap_port"],
            type=int,
            help="SNMP trap receiver port of the OLT manager [default: off].",
        )
    ]


@hookimpl
async def rjc_startup(kernel: Kernel) -> None:
    port = trap_port(kernel)
    if port is None or kernel in RECEIVERS:
        return
    settings = _settings(kernel)
    receiver = TrapReceiver(
        kernel,
        str(settings.get("trap_host", "0.0.0.0")),  # noqa: S104
        port,
        confirm_delay=float(settings.get("trap_confirm_delay_seconds", 2)),
    )
    try:
        await receiver.start()
    except OSError as exc:
        log.error("SNMP trap receiver not started on port %s: %s", port, exc)
        return
    RECEIVERS[kernel] = receiver


@hookimpl
async def rjc_shutdown(kernel: Kernel) -> None:
    receiver = RECEIVERS.pop(kernel, None)
    if receiver is not None:
        await receiver.stop()


@hookimpl
def rjc_event_types() -> list[EventType]:
    return [
        EventType("onu.online", "An ONU came (back) online", payload_schema=_ONU_EVENT),
        EventType("onu.los", "An ONU lost its optical signal", "major", _ONU_EVENT),
        EventType("onu.dying_gasp", "An ONU lost its power (dying gasp)", "major", _ONU_EVENT),
        EventType("onu.offline", "An ONU went offline", "minor", _ONU_EVENT),
        EventType(
            "onu.discovered",
            "An OLT found an ONU that is not authorized",
            payload_schema={
                "type": "object",
                "required": ["serial", "port"],
                "properties": {"serial": {"type": "string"}, "port": {"type": "string"}},
            },
        ),
        EventType(
            "olt.unreachable",
            "An OLT could not be collected",
            "major",
            {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
        ),
    ]
