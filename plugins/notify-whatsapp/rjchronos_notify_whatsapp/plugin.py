"""The hooks of rjchronos-notify-whatsapp: the ``whatsapp`` channel type."""

from __future__ import annotations

from rjchronos_sdk import NotifierType, hookimpl

TEMPLATE_SCHEMA = {
    "type": "object",
    "required": ["name", "language"],
    "properties": {
        "name": {"type": "string", "pattern": "^[a-z0-9_]+$", "description": "Approved name"},
        "language": {
            "type": "string",
            "pattern": "^[a-z]{2,3}(_[A-Z]{2})?$",
            "description": "Language code of the approved translation: pt_BR, en_US, es",
        },
        "parameters": {
            "type": "array",
            "items": {"type": "string", "minLength": 1},
            "description": "Variables filling the body's {{1}}, {{2}}, ... in order",
        },
    },
    "additionalProperties": False,
}

CONFIG_SCHEMA = {
    "type": "object",
    "required": ["access_token", "phone_number_id", "templates"],
    "properties": {
        "access_token": {"type": "string", "minLength": 1, "description": "System user token"},
        "phone_number_id": {"type": "string", "pattern": "^[0-9]+$"},
        "templates": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": TEMPLATE_SCHEMA,
            "description": "By notification template ('outage', 'outage:en' or 'default')",
        },
        "default_region": {"type": "string", "pattern": "^[A-Z]{2}$", "default": "BR"},
        "api_version": {"type": "string", "pattern": "^v[0-9]+\\.[0-9]+$", "default": "v21.0"},
        "base_url": {"type": "string", "pattern": "^https?://"},
        "timeout": {"type": "number", "exclusiveMinimum": 0, "maximum": 120, "default": 10},
    },
    "additionalProperties": False,
}


@hookimpl
def rjc_notifier_types() -> list[NotifierType]:
    # WhatsappNotifier (notifier.py) delivers this channel type.
    return [
        NotifierType(
            "whatsapp",
            "WhatsApp (Business Cloud API templates)",
            config_schema=CONFIG_SCHEMA,
            secret_fields=("access_token",),
        )
    ]
