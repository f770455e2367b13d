"""The hooks of rjchronos-notify-telegram: the ``telegram`` channel type."""

from __future__ import annotations

from rjchronos_sdk import NotifierType, hookimpl

CONFIG_SCHEMA = {
    "type": "object",
    "required": ["bot_token"],
    "properties": {
        "bot_token": {
            "type": "string",
            "pattern": "^[0-9]+:[A-Za-z0-9_-]+$",
            "description": "The token @BotFather gave the bot",
        },
        "parse_mode": {"enum": ["HTML", "MarkdownV2", ""], "default": "HTML"},
        "base_url": {
            "type": "string",
            "pattern": "^https?://",
            "default": "https://api.telegram.org",
            "description": "Bot API server (a local one, or a proxy)",
        },
        "timeout": {"type": "number", "exclusiveMinimum": 0, "maximum": 120, "default": 10},
    },
    "additionalProperties": False,
}


@hookimpl
def rjc_notifier_types() -> list[NotifierType]:
    # TelegramNotifier (notifier.py) delivers this channel type.
    return [
        NotifierType(
            "telegram",
            "Telegram (Bot API)",
            config_schema=CONFIG_SCHEMA,
            secret_fields=("bot_token",),
        )
    ]
