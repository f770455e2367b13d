"""The hooks of rjchronos-notify-email: the ``email`` channel type."""

from __future__ import annotations

from rjchronos_sdk import NotifierType, hookimpl

CONFIG_SCHEMA = {
    "type": "object",
    "required": ["host", "from"],
    "properties": {
        "host": {"type": "string", "minLength": 1, "description": "SMTP server"},
        "port": {
            "type": "integer",
            "minimum": 1,
            "maximum": 65535,
            "description": "Default 587 (starttls), 465 (tls), 25 (none)",
        },
        "security": {"enum": ["starttls", "tls", "none"], "default": "starttls"},
        "username": {"type": "string"},
        "password": {"type": "string"},
        "from": {"type": "string", "minLength": 3, "description": "Sender: 'NOC <noc@isp.net>'"},
        "reply_to": {"type": "string"},
        "ca_file": {
            "type": "string",
            "description": "PEM file of the CAs to trust instead of the system's",
        },
        "timeout": {"type": "number", "exclusiveMinimum": 0, "maximum": 120, "default": 10},
    },
    "additionalProperties": False,
}


@hookimpl
def rjc_notifier_types() -> list[NotifierType]:
    # EmailNotifier (notifier.py) delivers this channel type.
    return [
        NotifierType(
            "email",
            "Email (SMTP)",
            config_schema=CONFIG_SCHEMA,
            secret_fields=("password",),
            attachments=True,
        )
    ]
