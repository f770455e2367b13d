"""The hooks of rjchronos-notify-sms: the ``sms`` channel type."""

from __future__ import annotations

from rjchronos_sdk import NotifierType, hookimpl

TEMPLATE_NOTE = "{recipient}, {body}, {subject} and {api_key} are replaced"

CONFIG_SCHEMA = {
    "type": "object",
    "required": ["url"],
    "properties": {
        "url": {"type": "string", "pattern": "^https?://", "description": TEMPLATE_NOTE},
        "method": {"enum": ["POST", "GET", "PUT"], "default": "POST"},
        "headers": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": TEMPLATE_NOTE,
        },
        "body_format": {"enum": ["json", "form"], "default": "json"},
        "body": {
            "type": "object",
            "description": f"The request body; in its strings {TEMPLATE_NOTE}",
        },
        "api_key": {"type": "string"},
        "username": {"type": "string", "description": "HTTP basic authentication"},
        "password": {"type": "string"},
        "default_region": {"type": "string", "pattern": "^[A-Z]{2}$", "default": "BR"},
        "number_format": {
            "enum": ["e164", "digits", "national"],
            "default": "e164",
            "description": "+5521987654321, 5521987654321 or 21987654321",
        },
        "include_subject": {"type": "boolean", "default": False},
        "max_length": {"type": "integer", "minimum": 1},
        "success": {
            "type": "object",
            "properties": {
                "status": {"type": "array", "items": {"type": "integer"}, "minItems": 1},
                "json_path": {"type": "string", "minLength": 1},
                "equals": {},
                "regex": {"type": "string", "format": "regex"},
            },
            "additionalProperties": False,
        },
        "message_id": {
            "type": "object",
            "properties": {
                "json_path": {"type": "string", "minLength": 1},
                "regex": {"type": "string", "format": "regex"},
                "header": {"type": "string", "minLength": 1},
            },
            "additionalProperties": False,
            "maxProperties": 1,
        },
        "timeout": {"type": "number", "exclusiveMinimum": 0, "maximum": 120, "default": 10},
    },
    "additionalProperties": False,
}


@hookimpl
def rjc_notifier_types() -> list[NotifierType]:
    # SmsNotifier (notifier.py) delivers this channel type.
    return [
        NotifierType(
            "sms",
            "SMS (HTTP gateway)",
            config_schema=CONFIG_SCHEMA,
            secret_fields=("api_key", "password"),
        )
    ]
