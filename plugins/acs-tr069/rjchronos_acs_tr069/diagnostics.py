"""Remote diagnostics (TR-143): IPPing, TraceRoute, DownloadDiagnostics, UploadDiagnostics.

A diagnostic is a task of type ``diagnostics``. Its session sets the test's
parameters with ``DiagnosticsState`` ``Requested``; the task then waits
(``result.diagnostics`` ``requested``) for the CPE's ``8 DIAGNOSTICS
COMPLETE``, whose session reads the object back. The results go on the
task and on the device timeline (``cpe.diagnostics``).
"""

from __future__ import annotations

import re
from typing import Any

COMPLETE = "8 DIAGNOSTICS COMPLETE"
#: Kind -> (TR-098 object, TR-181 object).
OBJECTS = {
    "ping": ("InternetGatewayDevice.IPPingDiagnostics.", "Device.IP.Diagnostics.IPPing."),
    "traceroute": (
        "InternetGatewayDevice.TraceRouteDiagnostics.",
        "Device.IP.Diagnostics.TraceRoute.",
    ),
    "download": (
        "InternetGatewayDevice.DownloadDiagnostics.",
        "Device.IP.Diagnostics.DownloadDiagnostics.",
    ),
    "upload": (
        "InternetGatewayDevice.UploadDiagnostics.",
        "Device.IP.Diagnostics.UploadDiagnostics.",
    ),
}
#: Body field -> parameter of the diagnostics object (same name in both data models).
_FIELDS = {
    "host": "Host",
    "count": "NumberOfRepetitions",
    "tries": "NumberOfTries",
    "timeout_ms": "Timeout",
    "block_size": "DataBlockSize",
    "max_hops": "MaxHopCount",
    "url": None,  # DownloadURL or UploadURL, by kind
    "file_length": "TestFileLength",
}
_HOST = {"type": "string", "minLength": 1, "maxLength": 256, "pattern": r"^[A-Za-z0-9.:_\-\[\]]+$"}
_URL = {"type": "string", "maxLength": 1024, "pattern": r"^[hH][tT][tT][pP][sS]?://[^\s]+$"}
_COUNT = {"type": "integer", "minimum": 1, "maximum": 100}


def _kind(name: str, properties: dict[str, Any], required: tuple[str, ...]) -> dict[str, Any]:
    return {
        "if": {"properties": {"type": {"const": name}}},
        "then": {
            "properties": {"type": {"const": name}, **properties},
            "required": ["type", *required],
            "additionalProperties": False,
        },
    }


DIAGNOSTICS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type"],
    "properties": {"type": {"enum": list(OBJECTS)}},
    "allOf": [
        _kind(
            "ping",
            {
                "host": _HOST,
                "count": _COUNT,
                "timeout_ms": _COUNT | {"maximum": 60000},
                "block_size": _COUNT | {"maximum": 65535},
            },
            ("host",),
        ),
        _kind(
            "traceroute",
            {
                "host": _HOST,
                "tries": _COUNT | {"maximum": 3},
                "timeout_ms": _COUNT | {"maximum": 60000},
                "max_hops": _COUNT | {"maximum": 64},
            },
            ("host",),
        ),
        _kind("download", {"url": _URL}, ("url",)),
        _kind("upload", {"url": _URL, "file_length": {"type": "integer", "minimum": 1}}, ("url",)),
    ],
}


def parameter_values(kind: str, obj: str, body: dict[str, Any]) -> dict[str, Any]:
    """What SetParameterValues writes to start the test."""
    values: dict[str, Any] = {obj + "DiagnosticsState": "Requested"}
    for field, value in body.items():
        if field == "type":
            continue
        leaf = _FIELDS[field] or ("DownloadURL" if kind == "download" else "UploadURL")
        values[obj + leaf] = value
    return values


_HOP = re.compile(r"^RouteHops\.(\d+)\.(?:Hop)?(.+)$")


def results(obj: str, values: dict[str, str]) -> dict[str, Any]:
    """The diagnostics object as read back: its fields, and route hops in order."""
    fields: dict[str, Any] = {}
    hops: dict[int, dict[str, str]] = {}
    for path, value in values.items():
        if not path.startswith(obj):
            continue
        rest = path[len(obj) :]
        hop = _HOP.match(rest)
        if hop:
            hops.setdefault(int(hop.group(1)), {})[hop.group(2)] = value
        elif "." not in rest:
            fields[rest] = value
    if hops:
        fields["RouteHops"] = [hops[n] for n in sorted(hops)]
    return fields
