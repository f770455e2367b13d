"""The hooks of rjchronos-notify-webhook: the ``webhook`` channel type."""

from __future__ import annotations

from rjchronos_sdk import NotifierType, hookimpl

CONFIG_SCHEMA = {
    "type": "object",
    "required": ["url"],
    "properties": {
        "url": {"type": "string", "pattern": "^https?://", "description": "Endpoint to POST to"},
        "secret": {
            "type": "string",
            "minLength": 16,
            "description": "HMAC-SHA256 key of the X-RJChronos-Signature header",
        },
        "headers": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "Extra request headers",
        },
        "timeout": {"type": "number", "exclusiveMinimum": 0, "maximum": 120, "default": 10},
    },
    "additionalProperties": False,
}


@hookimpl
def rjc_notifier_types() -> list[NotifierType]:
    # WebhookNotifier (notifier.py) delivers this channel type.
    return [
        NotifierType(
            "webhook",
            "Webhook (signed JSON POST)",
            config_schema=CONFIG_SCHEMA,
            secret_fields=("secret", "headers"),
        )
    ]
