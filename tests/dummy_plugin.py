"""A plugin that implements every hook, so tests can follow each result to where core uses it.

Tests load it through a real entry point (a ``.dist-info`` folder put on the
path by ``conftest.plugin_site``), in-process or in an ``rjchronos``
subprocess. Lifecycle calls and device events are appended to
``<home>/dummy-calls.txt``, so a test can tell they happened even in a server
it started as another process.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import click
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from rjchronos_sdk import (
    ActionExecutor,
    AnalyzerSpec,
    ApiCall,
    ApiRoute,
    Applied,
    Cause,
    CollectorSpec,
    CpeQuirk,
    CustomerSource,
    DeliveryResult,
    DeviceEvent,
    DiagnosisContext,
    DiagnosisRule,
    EventType,
    Kernel,
    MenuItem,
    Notification,
    Notifier,
    NotifierType,
    Panel,
    Permission,
    ProtocolEndpoint,
    ProvisioningExtension,
    Schedule,
    SuggestedAction,
    TaskHandler,
    hookimpl,
    texts,
)

NAME = "dummy"
READ = "dummy.read"
WRITE = "dummy.write"
MIGRATIONS = Path(__file__).resolve().parent / "dummy_migrations"


def note(kernel: Kernel, line: str) -> None:
    """Append ``line`` to ``<home>/dummy-calls.txt``."""
    home = Path(kernel.settings.home)
    home.mkdir(parents=True, exist_ok=True)
    with (home / "dummy-calls.txt").open("a", encoding="utf-8") as calls:
        calls.write(line + "\n")


def calls(home: Path) -> list[str]:
    """What :func:`note` wrote under ``home``."""
    path = Path(home) / "dummy-calls.txt"
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


# -- lifecycle ---------------------------------------------------------------------


@hookimpl
def rjc_settings_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "greeting": {"type": "string", "default": "olá"},
            "limit": {"type": "integer", "minimum": 1, "default": 5},
        },
        "additionalProperties": False,
    }


@hookimpl
def rjc_configure(kernel: Kernel) -> None:
    note(kernel, "configure")


@hookimpl
async def rjc_startup(kernel: Kernel) -> None:
    note(kernel, "startup")


@hookimpl
def rjc_shutdown(kernel: Kernel) -> None:
    note(kernel, "shutdown")


@hookimpl
def rjc_migrations() -> str:
    return str(MIGRATIONS)


# -- HTTP ----------------------------------------------------------------------------


def echo(call: ApiCall) -> dict[str, Any]:
    return {"greeting": call.kernel.plugin_settings(NAME)["greeting"], "user": call.user.username}


def add_item(call: ApiCall) -> dict[str, Any]:
    call.audit("dummy.item.create", f"dummy-item:{call.body['name']}", call.body)
    return {"name": call.body["name"]}


@hookimpl
def rjc_api_routes(kernel: Kernel) -> list[ApiRoute]:
    return [
        ApiRoute("GET", "/dummy/echo", echo, permission=READ, summary="Echo", tags=("dummy",)),
        ApiRoute(
            "POST",
            "/dummy/items",
            add_item,
            permission=WRITE,
            status_code=201,
            body_schema={
                "type": "object",
                "required": ["name"],
                "properties": {"name": {"type": "string", "minLength": 1}},
                "additionalProperties": False,
            },
            summary="Create an item",
            tags=("dummy",),
        ),
    ]


class StampHeader:
    """Adds ``x-dummy: <value>`` to every HTTP response."""

    def __init__(self, app: ASGIApp, value: str) -> None:
        self.app = app
        self.value = value.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def stamped(message: Any) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append((b"x-dummy", self.value))
            await send(message)

        await self.app(scope, receive, stamped)


@hookimpl
def rjc_middleware(kernel: Kernel) -> list[Middleware]:
    return [Middleware(StampHeader, value="stamped")]


def protocol_app(kernel: Kernel) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await PlainTextResponse(f"dummy protocol of kernel {kernel.version}")(
                scope, receive, send
            )

    return app


@hookimpl
def rjc_protocol_endpoints(kernel: Kernel) -> list[ProtocolEndpoint]:
    return [ProtocolEndpoint("dummy", protocol_app, port_option="dummy_port", default_port=17547)]


# -- command line ------------------------------------------------------------------


@click.command("dummy-hello")
@click.option("--name", default="world", help="Whom to greet.")
def dummy_hello(name: str) -> None:
    """Say hello (a command added by the dummy plugin)."""
    click.echo(f"dummy says hello to {name}")


@hookimpl
def rjc_cli_commands() -> list[click.Command]:
    return [dummy_hello]


@hookimpl
def rjc_serve_options() -> list[click.Option]:
    return [click.Option(["--dummy-port"], type=int, help="Port of the dummy protocol listener.")]


# -- security and UI ---------------------------------------------------------------


@hookimpl
def rjc_permissions() -> list[Permission]:
    return [
        Permission(READ, "Read the dummy plugin's echo", ("admin", "operator")),
        Permission(WRITE, "Create dummy items", ("admin",)),
    ]


@hookimpl
def rjc_menu_items(kernel: Kernel) -> list[MenuItem]:
    return [MenuItem("diagnostics", "Dummy", "/diagnostics/dummy", READ, {"pt-BR": "Fictício"})]


@hookimpl
def rjc_ui_panels(kernel: Kernel) -> list[Panel]:
    return [Panel("dummy.echo", "dashboard", "Dummy echo", "stat", READ, api="/dummy/echo")]


# -- events and work ---------------------------------------------------------------


@hookimpl
def rjc_event_types() -> list[EventType]:
    return [
        EventType(
            "dummy.ping",
            "A test event",
            "info",
            {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}}},
        )
    ]


@hookimpl
async def rjc_device_event(kernel: Kernel, event: DeviceEvent) -> None:
    if event.type == "dummy.ping":
        note(kernel, f"event {event.type} n={event.payload['n']} device={event.device_id}")


@hookimpl
def rjc_device_events(kernel: Kernel, events: Sequence[DeviceEvent]) -> None:
    pings = [str(event.payload["n"]) for event in events if event.type == "dummy.ping"]
    if pings:
        note(kernel, f"events dummy.ping n={','.join(pings)} in one call")


def add(kernel: Kernel, params: Mapping[str, Any]) -> int:
    return int(params["a"]) + int(params["b"])


def tick(kernel: Kernel, params: Mapping[str, Any]) -> dict[str, Any]:
    return {"ticked": True, **params}


async def poll(kernel: Kernel, params: Mapping[str, Any]) -> str:
    return "polled"


@hookimpl
def rjc_task_handlers(kernel: Kernel) -> list[TaskHandler]:
    return [
        TaskHandler("dummy.add", add),
        TaskHandler("dummy.tick", tick),
        TaskHandler("dummy.poll", poll, timeout=10),
    ]


@hookimpl
def rjc_schedules(kernel: Kernel) -> list[Schedule]:
    return [
        Schedule(
            "dummy.tick", "dummy.tick", every=timedelta(minutes=1), params={"from": "schedule"}
        )
    ]


@hookimpl
def rjc_collectors(kernel: Kernel) -> list[CollectorSpec]:
    return [CollectorSpec("dummy.poll", "onu", "dummy.poll", every=timedelta(minutes=5))]


@hookimpl
def rjc_analyzers(kernel: Kernel) -> list[AnalyzerSpec]:
    return [AnalyzerSpec("dummy-threshold", metrics=("rx_power_dbm",), description="Below -27 dBm")]


class DummyNotifier(Notifier):
    """Delivers to nobody; registered in ``rjchronos.notifiers`` by the test distribution."""

    name = "dummy-notifier"

    async def send(self, notification: Notification) -> DeliveryResult:
        return DeliveryResult(True, f"dropped {notification.subject!r}")


@hookimpl
def rjc_notifier_types() -> list[NotifierType]:
    return [
        NotifierType(
            "dummy-notifier",
            "Dummy",
            {"type": "object", "properties": {"password": {"type": "string"}}},
            secret_fields=("password",),
        )
    ]


# -- devices and customers ---------------------------------------------------------


@hookimpl
def rjc_cpe_quirks() -> list[CpeQuirk]:
    return [
        CpeQuirk(
            "dummy-router-v1",
            oui="00AABB",
            product_class="DR100",
            software_prefix="1.",
            behaviours={"slow_inform": True},
        )
    ]


async def add_ntp(device: Any, desired: Mapping[str, Any]) -> dict[str, Any]:
    return {**desired, "Device.Time.NTPServer1": "a.ntp.br"}


@hookimpl
def rjc_cpe_credentials(kernel: Kernel, identity: str, username: str) -> str | None:
    if (identity, username) == ("00AABB-DR100-DUMMY0001", "dummy-cpe"):
        return "dummy-cpe-s3cret"
    return None


@hookimpl
def rjc_provisioning_extensions(kernel: Kernel) -> list[ProvisioningExtension]:
    return [ProvisioningExtension("dummy-ntp", add_ntp)]


async def fetch_customers(kernel: Kernel) -> AsyncIterator[Mapping[str, Any]]:
    for number, name in enumerate(("Maria da Silva", "João Souza"), start=1):
        yield {"external_id": f"dummy-{number}", "name": name, "email": f"c{number}@example.com.br"}


@hookimpl
def rjc_customer_sources(kernel: Kernel) -> list[CustomerSource]:
    return [CustomerSource("dummy-erp", fetch_customers, title="Dummy ERP")]


@hookimpl
def rjc_ticket_changed(kernel: Kernel, ticket: Mapping[str, Any], change: str) -> None:
    note(kernel, f"ticket {change} {ticket['title']} status={ticket['status']}")


def fan_rule(context: DiagnosisContext) -> list[Cause]:
    """A CPE tagged ``dummy-fan`` runs hot: turn its (imaginary) fan up."""
    if "dummy-fan" not in context.device.tags:
        return []
    return [
        Cause(
            "dummy_fan",
            0.77,
            texts("Fan too slow", "Ventoinha lenta"),
            texts("the dummy fan runs at low speed", "a ventoinha de teste gira devagar"),
            (SuggestedAction("dummy.fan_speed", {"speed": "high"}),),
        )
    ]


@hookimpl
def rjc_diagnosis_rules(kernel: Kernel) -> list[DiagnosisRule]:
    return [DiagnosisRule("dummy-fan", fan_rule, ("cpe",))]


async def set_fan(kernel: Kernel, device_id: str, params: Mapping[str, Any]) -> Applied:
    note(kernel, f"fan {params['speed']}")
    return Applied({"speed": "low"}, {"speed": params["speed"]})


async def restore_fan(kernel: Kernel, device_id: str, previous: Mapping[str, Any]) -> Applied:
    note(kernel, f"fan back to {previous['speed']}")
    return Applied(details=dict(previous))


@hookimpl
def rjc_action_executors(kernel: Kernel) -> list[ActionExecutor]:
    return [
        ActionExecutor(
            "dummy.fan_speed", texts("Fan speed", "Velocidade da ventoinha"), set_fan, restore_fan
        )
    ]
