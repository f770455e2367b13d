"""The hooks of the ACS plugin (entry point ``acs-tr069`` of the ``rjchronos`` group)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from rjchronos import hookimpl
from rjchronos.ai.contracts import ActionExecutor
from rjchronos.config import ConfigError
from rjchronos.events import EventType
from rjchronos.http.routing import ApiRoute
from rjchronos.jobs.spec import Schedule, TaskHandler
from rjchronos.kernel import Kernel
from rjchronos.plugins.declarations import ProtocolEndpoint
from rjchronos.security.permissions import Permission
from rjchronos.ui import MenuItem
from rjchronos_acs_tr069 import (
    PLUGIN,
    actions,
    api,
    api_diagnostics,
    api_firmware,
    api_profiles,
    campaigns,
    devices,
    firmware,
    latency,
    profiles,
    wifi,
)
from rjchronos_acs_tr069.server import app_factory

DEFAULT_ACS_PORT = 7547

SETTINGS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "cpe_auth": {
            "enum": ["any", "digest", "none"],
            "default": "any",
            "description": "CPE authentication: Basic or Digest (any), Digest only, or none (labs)",
        },
        "cpe_username": {"type": "string", "default": ""},
        "cpe_password": {"type": "string", "default": "", "description": "from the environment"},
        "cpe_password_encrypted": {
            "type": "string",
            "default": "",
            "description": "the CPE password sealed with the instance's secret key",
        },
        "connection_request_username": {"type": "string", "default": ""},
        "connection_request_password": {
            "type": "string",
            "default": "",
            "description": "from the environment",
        },
        "connection_request_password_encrypted": {
            "type": "string",
            "default": "",
            "description": "the connection-request password sealed with the instance's secret key",
        },
        "connection_request_allow_basic": {"type": "boolean", "default": False},
        "connection_request_udp": {
            "type": "boolean",
            "default": False,
            "description": "UDP connection requests (TR-069 Annex G) to CPEs that report a "
            "UDPConnectionRequestAddress",
        },
        "connection_request_timeout_seconds": {
            "type": "number",
            "exclusiveMinimum": 0,
            "maximum": 60,
            "default": 5,
        },
        "tls_certificate": {
            "type": "string",
            "default": "",
            "description": "PEM certificate (chain) file: the CWMP listener serves HTTPS",
        },
        "tls_key": {"type": "string", "default": "", "description": "its PEM private key file"},
        "max_body_bytes": {"type": "integer", "minimum": 1024, "default": 1 << 20},
        "session_timeout_seconds": {"type": "number", "exclusiveMinimum": 0, "default": 30},
        "session_store": {
            "enum": ["auto", "memory", "database"],
            "default": "auto",
            "description": "where CWMP sessions live: one process's memory, or the database "
            "shared by every ACS process (auto: the database on PostgreSQL)",
        },
        "retry_after_seconds": {"type": "integer", "minimum": 1, "default": 10},
        "task_retry_base_seconds": {
            "type": "number",
            "minimum": 0,
            "default": 30,
        },
        "task_retry_max_seconds": {
            "type": "number",
            "minimum": 0,
            "default": 3600,
        },
        "task_max_attempts": {
            "type": "integer",
            "minimum": 1,
            "default": 5,
        },
        "task_ttl_seconds": {
            "type": "number",
            "exclusiveMinimum": 0,
            "default": api.DEFAULT_TASK_TTL,
        },
        "diagnostics_ttl_seconds": {
            "type": "number",
            "exclusiveMinimum": 0,
            "default": api_diagnostics.DEFAULT_DIAGNOSTICS_TTL,
            "description": "a diagnostic not run and reported by then expires",
        },
        "periodic_inform_events": {
            "type": "boolean",
            "default": False,
            "description": "write a cpe.inform timeline event for Informs that are only periodic",
        },
        "read_at_refresh_seconds": {
            "type": "number",
            "minimum": 0,
            "default": devices.DEFAULT_READ_AT_REFRESH,
            "description": "age at which an Inform rewrites the read time of an unchanged value",
        },
        "firmware_max_bytes": {
            "type": "integer",
            "minimum": 1,
            "default": firmware.DEFAULT_MAX_SIZE,
            "description": "largest firmware image the store takes",
        },
        "firmware_base_url": {
            "type": "string",
            "default": "",
            "description": "base of firmware download URLs (default: the URL the CPE informed to)",
        },
        "download_token_seconds": {
            "type": "number",
            "exclusiveMinimum": 0,
            "default": firmware.DEFAULT_TOKEN_TTL,
        },
        "campaign_tick_seconds": {
            "type": "number",
            "minimum": 1,
            "default": campaigns.DEFAULT_TICK_SECONDS,
            "description": "how often running campaigns advance",
        },
        "telemetry_read_seconds": {
            "type": "number",
            "minimum": 0,
            "default": 0,
            "description": "a session reads the CPE's telemetry parameters when this process "
            "last did longer ago than this (0: only values the session carries anyway)",
        },
        "action_wait_seconds": {
            "type": "number",
            "minimum": 0,
            "default": actions.DEFAULT_WAIT_SECONDS,
            "description": "how long an automatic action waits for the CPE to run its task",
        },
        "latency_sample_seconds": {
            "type": "number",
            "minimum": 0,
            "default": 0,
            "description": "how often to ping from a random sample of online CPEs in each "
            "neighbourhood (IPPing diagnostics; 0: never)",
        },
        "latency_sample_size": {
            "type": "integer",
            "minimum": 1,
            "maximum": 100,
            "default": latency.DEFAULT_SIZE,
            "description": "CPEs drawn per neighbourhood at each run",
        },
        "latency_ping_host": {
            "type": "string",
            "maxLength": 256,
            "pattern": r"^([A-Za-z0-9.:_\-\[\]]+)?$",
            "default": "",
            "description": "the host the sampled CPEs ping (required when sampling)",
        },
        "latency_ping_count": {
            "type": "integer",
            "minimum": 1,
            "maximum": 100,
            "default": latency.DEFAULT_COUNT,
            "description": "repetitions of each sampled IPPing",
        },
        "latency_ping_timeout_ms": {
            "type": "integer",
            "minimum": 1,
            "maximum": 60000,
            "default": latency.DEFAULT_TIMEOUT_MS,
        },
        "profile_cache_seconds": {
            "type": "number",
            "minimum": 0,
            "default": profiles.DEFAULT_CACHE_SECONDS,
            "description": "how long an ACS process reuses the profiles it read",
        },
    },
}

_IDENTITY: dict[str, Any] = {
    "type": "object",
    "required": ["identity"],
    "properties": {"identity": {"type": "string"}},
}


@hookimpl
def rjc_settings_schema() -> dict[str, Any]:
    return SETTINGS_SCHEMA


@hookimpl
def rjc_migrations() -> str:
    return str(Path(__file__).parent / "migrations" / "versions")


@hookimpl
def rjc_permissions() -> list[Permission]:
    return [
        Permission(
            api.PARAMETERS_READ, "Read CPE parameters", ("viewer", "operator", "admin"), True
        ),
        Permission(api.TASKS_READ, "See CPE tasks", ("viewer", "operator", "admin"), True),
        Permission(api.TASKS_WRITE, "Queue CPE tasks", ("operator", "admin"), True),
        Permission(
            api_profiles.PROFILES_READ, "See provisioning profiles", ("viewer", "operator", "admin")
        ),
        Permission(
            api_profiles.PROFILES_WRITE,
            "Change provisioning profiles and PPPoE credentials",
            ("admin",),
        ),
        Permission(
            api_profiles.PROVISION, "Run a CPE's on-demand profiles", ("operator", "admin"), True
        ),
        Permission(
            api_firmware.FIRMWARE_READ,
            "See stored firmware images",
            ("viewer", "operator", "admin"),
        ),
        Permission(api_firmware.FIRMWARE_WRITE, "Upload and delete firmware images", ("admin",)),
        Permission(
            api_firmware.CAMPAIGNS_READ, "See firmware campaigns", ("viewer", "operator", "admin")
        ),
        Permission(
            api_firmware.CAMPAIGNS_WRITE,
            "Start, pause, resume, cancel and roll back firmware campaigns",
            ("operator", "admin"),
        ),
        Permission(wifi.WIFI_WRITE, "Change CPEs' Wi-Fi settings", ("operator", "admin"), True),
        Permission(
            api_diagnostics.DIAGNOSTICS_WRITE,
            "Run remote diagnostics on CPEs",
            ("operator", "admin"),
            True,
        ),
    ]


@hookimpl
def rjc_api_routes(kernel: Kernel) -> list[ApiRoute]:
    return [
        *api.routes(kernel),
        *api_profiles.routes(kernel),
        *api_firmware.routes(kernel),
        *wifi.routes(),
        *api_diagnostics.routes(),
    ]


@hookimpl
def rjc_menu_items(kernel: Kernel) -> list[MenuItem]:
    """The provisioning pages of the web UI: profiles, firmware images, campaigns."""
    return [
        MenuItem(
            "provisioning",
            "Profiles",
            "/provisioning/profiles",
            api_profiles.PROFILES_READ,
            {"pt-BR": "Perfis"},
            10,
        ),
        MenuItem(
            "provisioning",
            "Firmware images",
            "/provisioning/firmware",
            api_firmware.FIRMWARE_READ,
            {"pt-BR": "Imagens de firmware"},
            20,
        ),
        MenuItem(
            "provisioning",
            "Campaigns",
            "/provisioning/campaigns",
            api_firmware.CAMPAIGNS_READ,
            {"pt-BR": "Campanhas"},
            30,
        ),
    ]


@hookimpl
def rjc_task_handlers(kernel: Kernel) -> list[TaskHandler]:
    return [
        TaskHandler(campaigns.JOB_TYPE, campaigns.run_job, max_attempts=3, timeout=300),
        TaskHandler(latency.JOB_TYPE, latency.run_job, max_attempts=1, timeout=300),
    ]


@hookimpl
def rjc_schedules(kernel: Kernel) -> list[Schedule]:
    every = float(
        kernel.plugin_settings(PLUGIN).get("campaign_tick_seconds", campaigns.DEFAULT_TICK_SECONDS)
    )
    schedules = [Schedule("acs.campaigns", campaigns.JOB_TYPE, timedelta(seconds=every))]
    sampling = latency.interval(kernel)
    if sampling > 0:
        if not kernel.plugin_settings(PLUGIN).get("latency_ping_host"):
            raise ConfigError(
                f"plugins.{PLUGIN}.latency_ping_host: set the host to ping when "
                "latency_sample_seconds is above 0"
            )
        schedules.append(
            Schedule(
                latency.JOB_TYPE,
                latency.JOB_TYPE,
                timedelta(seconds=sampling),
                jitter=timedelta(seconds=sampling / 10),
            )
        )
    return schedules


@hookimpl
def rjc_action_executors(kernel: Kernel) -> list[ActionExecutor]:
    return actions.executors()


@hookimpl
def rjc_protocol_endpoints(kernel: Kernel) -> list[ProtocolEndpoint]:
    settings = kernel.plugin_settings(PLUGIN)
    certfile, keyfile = settings.get("tls_certificate", ""), settings.get("tls_key", "")
    if bool(certfile) != bool(keyfile):
        raise ConfigError(
            f"plugins.{PLUGIN}: tls_certificate and tls_key go together (one of them is empty)"
        )
    for name, path in (("tls_certificate", certfile), ("tls_key", keyfile)):
        if path and not Path(path).is_file():
            raise ConfigError(f"plugins.{PLUGIN}.{name}: no file at {path}")
    return [
        ProtocolEndpoint(
            "acs", app_factory, "acs_port", DEFAULT_ACS_PORT, certfile=certfile, keyfile=keyfile
        )
    ]


@hookimpl
def rjc_serve_options() -> list[click.Option]:
    return [
        click.Option(
            ["--acs-port", "acs_port"],
            type=int,
            help=f"CWMP (TR-069) listener port [default {DEFAULT_ACS_PORT}].",
        )
    ]


@hookimpl
def rjc_event_types() -> list[EventType]:
    return [
        EventType(
            "cpe.inform",
            "A CPE opened a CWMP session",
            payload_schema={
                **_IDENTITY,
                "properties": {**_IDENTITY["properties"], "events": {"type": "array"}},
            },
        ),
        EventType("cpe.boot", "A CPE booted (1 BOOT)", payload_schema=_IDENTITY),
        EventType(
            "cpe.bootstrap",
            "A CPE met this ACS for the first time or after a reset (0 BOOTSTRAP)",
            payload_schema=_IDENTITY,
        ),
        EventType(
            "cpe.value_change",
            "Parameters under notification changed on a CPE (4 VALUE CHANGE)",
            payload_schema={
                "type": "object",
                "required": ["parameters"],
                "properties": {"parameters": {"type": "object"}},
            },
        ),
        EventType(
            "cpe.transfer_complete",
            "A CPE reported a download or upload finished, or failed (TransferComplete)",
            payload_schema={
                "type": "object",
                "required": ["fault_code"],
                "properties": {
                    "fault_code": {"type": "integer"},
                    "task": {"type": ["string", "null"]},
                },
            },
        ),
        EventType(
            "cpe.firmware_campaign",
            "A firmware campaign moved a CPE on (in progress, succeeded, failed, rolled back)",
            payload_schema={"type": "object", "required": ["campaign", "state"]},
        ),
        EventType(
            "cpe.quirk_conflict",
            "Two CPE quirks match one CPE: it is served without quirks until one is narrowed",
            payload_schema={**_IDENTITY, "required": ["identity", "error"]},
        ),
        EventType(
            "cpe.diagnostics",
            "A CPE finished a remote diagnostic (IPPing, TraceRoute, Download, Upload)",
            payload_schema={
                "type": "object",
                "required": ["task", "kind", "state", "results"],
                "properties": {"results": {"type": "object"}},
            },
        ),
        EventType(
            "cpe.provisioned",
            "Provisioning changed a CPE (values set, objects added, notifications)",
            payload_schema={"type": "object", "required": ["profiles", "set"]},
        ),
        EventType(
            "cpe.provisioning_failed",
            "A CPE answered a provisioning RPC with a fault",
            payload_schema={"type": "object", "required": ["method", "fault"]},
        ),
    ]
