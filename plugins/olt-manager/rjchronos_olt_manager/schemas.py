"""JSON Schemas of the OLT manager's request bodies."""

from __future__ import annotations

from typing import Any

_PORT = {"type": "integer", "minimum": 1, "maximum": 65535}
_PON_PORT = {"type": "string", "pattern": r"^\d+/\d+/\d+$"}
_TEXT = {"type": "string", "maxLength": 255}

OLT_PROPERTIES: dict[str, Any] = {
    "name": {"type": "string", "minLength": 1, "maxLength": 255},
    "vendor": {"type": "string", "maxLength": 64},
    "model": {"type": "string", "maxLength": 64},
    "site_id": {"type": ["string", "null"]},
    "management_address": {"type": "string", "minLength": 1, "maxLength": 255},
    "ssh_port": _PORT,
    "username": {"type": "string", "maxLength": 128},
    "password": {"type": "string", "maxLength": 256},
    "snmp_port": _PORT,
    "community": {"type": "string", "maxLength": 256},
    "driver": {
        "type": "string",
        "maxLength": 64,
        "description": "empty: chosen by the OLT's facts",
    },
    "interval_seconds": {"type": "integer", "minimum": 30, "maximum": 86400},
    "timeout_seconds": {"type": "number", "exclusiveMinimum": 0, "maximum": 120},
    "default_vlan": {"type": ["integer", "null"], "minimum": 1, "maximum": 4094},
    "pon_ports": {"type": "array", "items": _PON_PORT, "uniqueItems": True, "maxItems": 256},
    "transport": {"enum": ["ssh", "telnet"], "description": "how the CLI is reached"},
    "telnet_port": _PORT,
    "enable_password": {
        "type": "string",
        "maxLength": 256,
        "description": "what `enable` asks for (ZTE); empty: it asks nothing",
    },
    "snmp_tree": {
        "enum": ["", "1012", "1082"],
        "description": "ZTE: the 1012 or the 1082.500 GPON tree; empty: the driver's choice",
    },
}

OLT_CREATE: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "management_address", "username", "password"],
    "properties": OLT_PROPERTIES,
}

OLT_UPDATE: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "properties": OLT_PROPERTIES,
}

_VLAN = {"type": ["integer", "null"], "minimum": 1, "maximum": 4094}

#: The body of an authorization: the fields of ``AuthorizeRequest``.
AUTHORIZE: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["port", "serial"],
    "properties": {
        "port": _PON_PORT,
        "serial": {"type": "string", "minLength": 8, "maxLength": 32},
        "onu_id": {"type": ["integer", "null"], "minimum": 0, "maximum": 255},
        "onu_type": _TEXT,
        "line_profile": _TEXT,
        "service_profile": _TEXT,
        "mode": {"enum": ["routing", "bridging"]},
        "vlan": _VLAN,
        "cvlan": _VLAN,
        "svlan": _VLAN,
        "tag_transform": {"enum": ["translate", "translate-and-add", "transparent"]},
        "upload_profile": _TEXT,
        "download_profile": _TEXT,
        "wan_mode": {"enum": ["pppoe", "dhcp", "none"]},
        "pppoe_username": _TEXT,
        "pppoe_password": _TEXT,
        "acs_url": {"type": "string", "maxLength": 1024},
        "acs_username": _TEXT,
        "acs_password": _TEXT,
        "acs_profile": _TEXT,
        "name": _TEXT,
        "description": _TEXT,
    },
}
