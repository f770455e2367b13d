"""The hooks of the example plugin: a permission, a route, a menu item, UI panels and a notifier.

RJChronos loads this module through the ``example-hello`` entry point of the
``rjchronos`` group; the ``log-file`` notifier driver comes through the
``rjchronos.notifiers`` group (see pyproject.toml).
"""

from __future__ import annotations

from typing import Any

from rjchronos_sdk import (
    ApiCall,
    ApiRoute,
    Kernel,
    MenuItem,
    NotifierType,
    Panel,
    Permission,
    hookimpl,
)

PLUGIN = "example-hello"
READ = "hello.read"


@hookimpl
def rjc_permissions() -> list[Permission]:
    return [Permission(READ, "Read the example plugin's greeting", ("admin", "operator"))]


def hello(call: ApiCall) -> dict[str, Any]:
    """Greet the caller by name."""
    return {"message": f"Olá, {call.user.username}!", "plugin": PLUGIN}


@hookimpl
def rjc_api_routes(kernel: Kernel) -> list[ApiRoute]:
    return [
        ApiRoute(
            "GET",
            "/hello",
            hello,
            permission=READ,
            summary="Greet the caller (example plugin)",
            tags=("example",),
            response_schema={
                "type": "object",
                "properties": {"message": {"type": "string"}, "plugin": {"type": "string"}},
            },
        )
    ]


@hookimpl
def rjc_menu_items(kernel: Kernel) -> list[MenuItem]:
    return [
        MenuItem(
            "dashboard",
            "Hello",
            "/plugins/example-hello",
            permission=READ,
            labels={"pt-BR": "Olá"},
            order=900,
        )
    ]


@hookimpl
def rjc_ui_panels(kernel: Kernel) -> list[Panel]:
    """Two panels on the plugin's page: a generic stat, and an ES module from ``static/``."""
    page = "/plugins/example-hello"
    return [
        Panel(
            "example-hello.greeting",
            page,
            "Greeting",
            "stat",
            READ,
            api="/hello",
            titles={"pt-BR": "Saudação"},
            options={"field": "message"},
            order=10,
        ),
        Panel(
            "example-hello.clock",
            page,
            "Hello panel",
            "module",
            READ,
            module_url="hello-panel.js",
            titles={"pt-BR": "Painel Olá"},
            order=20,
        ),
    ]


@hookimpl
def rjc_notifier_types() -> list[NotifierType]:
    return [
        NotifierType(
            "log-file",
            "Log file (JSON lines)",
            config_schema={
                "type": "object",
                "required": ["path"],
                "properties": {
                    "path": {"type": "string", "minLength": 1, "description": "File to append to"}
                },
                "additionalProperties": False,
            },
        )
    ]
