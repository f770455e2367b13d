"""The hooks of rjchronos-notify-telegram.

RJChronos loads this module through the ``rjchronos`` entry point in
pyproject.toml and calls every function named ``rjc_*`` decorated with
``hookimpl`` (the hook reference is docs/hooks.md). Hooks declare; the
objects they return act. Import only from ``rjchronos_sdk``: what it does not
export is not supported plugin API.
"""

from __future__ import annotations

from typing import Any

from rjchronos_sdk import ApiCall, ApiRoute, Kernel, MenuItem, NotifierType, Permission, hookimpl

PLUGIN = "notify-telegram"
PERMISSION = "notify_telegram.read"


@hookimpl
def rjc_settings_schema() -> dict[str, Any]:
    # Set in rjchronos.toml under [plugins.notify-telegram],
    # or in the environment as RJC_PLUGIN__NOTIFY_TELEGRAM__GREETING.
    return {
        "type": "object",
        "properties": {"greeting": {"type": "string", "minLength": 1, "default": "Olá"}},
        "additionalProperties": False,
    }


@hookimpl
def rjc_permissions() -> list[Permission]:
    return [Permission(PERMISSION, "See this plugin's status", ("admin", "operator"))]


def status(call: ApiCall) -> dict[str, Any]:
    """What this plugin knows; replace it with your own data."""
    greeting = call.kernel.plugin_settings(PLUGIN)["greeting"]
    return {"plugin": PLUGIN, "message": f"{greeting}, {call.user.username}"}


@hookimpl
def rjc_api_routes(kernel: Kernel) -> list[ApiRoute]:
    return [
        ApiRoute(
            "GET",
            "/notify-telegram/status",
            status,
            permission=PERMISSION,
            summary="Status of rjchronos-notify-telegram",
            tags=("notify-telegram",),
        )
    ]


@hookimpl
def rjc_menu_items(kernel: Kernel) -> list[MenuItem]:
    return [
        MenuItem("settings", "Telegram", "/plugins/notify-telegram", PERMISSION),
    ]


@hookimpl
def rjc_notifier_types() -> list[NotifierType]:
    # The channel type operators configure; TelegramNotifier (notifier.py) delivers it.
    return [
        NotifierType(
            "telegram",
            "Telegram",
            config_schema={
                "type": "object",
                "required": ["url"],
                "properties": {
                    "url": {"type": "string", "pattern": "^https?://"},
                    "token": {"type": "string"},
                    "timeout": {"type": "number", "exclusiveMinimum": 0, "default": 10},
                },
                "additionalProperties": False,
            },
            secret_fields=("token",),
        )
    ]
