"""The OpenAPI 3.1 document, generated from the declared routes, and its HTML page."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from typing import Any

from rjchronos.http.problems import PROBLEM_SCHEMA, PROBLEM_TYPE
from rjchronos.http.routing import API_PREFIX, AUTHENTICATED, ApiRoute

_PATH_PARAM = re.compile(r"{([^}:]+)(?::([^}]+))?}")
_CONVERTER_TYPES = {"int": "integer", "float": "number"}


def openapi_document(routes: Sequence[tuple[str, ApiRoute]], version: str) -> dict[str, Any]:
    """Describe every route: parameters, bodies, answers, permission and owner plugin."""
    paths: dict[str, dict[str, Any]] = {}
    for plugin, route in sorted(routes, key=lambda pair: (pair[1].full_path, pair[1].method)):
        path = _PATH_PARAM.sub(r"{\1}", route.full_path)
        paths.setdefault(path, {})[route.method.lower()] = _operation(plugin, route)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "RJChronos API",
            "version": version,
            "description": (
                "Manage and monitor an ISP's CPEs and OLTs. Authenticate with "
                "`POST /api/v1/auth/token` and send `Authorization: Bearer <token>`."
            ),
        },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "rjc_session"},
            },
            "schemas": {"Problem": PROBLEM_SCHEMA},
        },
    }


def _operation(plugin: str, route: ApiRoute) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": _CONVERTER_TYPES.get(converter, "string")},
        }
        for name, converter in _PATH_PARAM.findall(route.path)
    ]
    parameters += [
        {"name": name, "in": "query", "required": False, "schema": dict(schema)}
        for name, schema in route.query.items()
    ]
    problem = {"content": {PROBLEM_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    success: dict[str, Any] = {"description": "success"}
    if route.response_schema is not None:
        success["content"] = {"application/json": {"schema": dict(route.response_schema)}}
    responses: dict[str, Any] = {str(route.status_code): success}
    if route.body_schema is not None or route.query:
        responses["422"] = {
            "description": "invalid input; invalid_params names each field",
            **problem,
        }
    operation: dict[str, Any] = {
        "operationId": route.operation_id,
        "summary": route.summary,
        "tags": list(route.tags),
        "parameters": parameters,
        "responses": responses,
        "x-rjc-plugin": plugin,
    }
    if route.description:
        operation["description"] = route.description
    if route.body_schema is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": dict(route.body_schema)}},
        }
    elif route.body_media_type:
        operation["requestBody"] = {
            "required": True,
            "content": {route.body_media_type: {"schema": {"type": "string"}}},
        }
    if route.public:
        operation["security"] = []
        operation["x-rjc-public"] = True
    else:
        operation["security"] = [{"bearer": []}, {"session": []}]
        operation["x-rjc-permission"] = route.permission
        responses["401"] = {"description": "not authenticated", **problem}
        if route.permission != AUTHENTICATED:
            responses["403"] = {
                "description": f"needs the permission {route.permission}",
                **problem,
            }
    return operation


def docs_page(document: dict[str, Any]) -> str:
    """A self-contained HTML reference of the API (no scripts, nothing from a CDN)."""
    rows = []
    for path, operations in document["paths"].items():
        for method, op in operations.items():
            access = (
                "public" if op.get("x-rjc-public") else html.escape(op.get("x-rjc-permission", ""))
            )
            params = ", ".join(html.escape(p["name"]) for p in op["parameters"]) or "-"
            body = ""
            if "requestBody" in op:
                schema = next(iter(op["requestBody"]["content"].values()))["schema"]
                pretty = html.escape(json.dumps(schema, indent=2, ensure_ascii=False))
                body = f"<details><summary>body</summary><pre>{pretty}</pre></details>"
            rows.append(
                f"<tr id='{html.escape(op['operationId'])}'><td class='m'>{method.upper()}</td>"
                f"<td><code>{html.escape(path)}</code></td><td>{html.escape(op['summary'])}{body}</td>"
                f"<td>{params}</td><td>{access}</td><td>{html.escape(op['x-rjc-plugin'])}</td></tr>"
            )
    title = html.escape(f"{document['info']['title']} {document['info']['version']}")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1b1f24}}
table{{border-collapse:collapse;width:100%}}
td,th{{border-bottom:1px solid #d0d7de;padding:.4rem;text-align:left;vertical-align:top}}
.m{{font-weight:600;font-family:monospace}}pre{{background:#f6f8fa;padding:.5rem;overflow:auto}}
</style></head><body>
<h1>{title}</h1>
<p>{html.escape(document["info"]["description"])} The machine-readable document is
<a href="{API_PREFIX}/openapi.json">{API_PREFIX}/openapi.json</a>.</p>
<table><thead><tr><th>method</th><th>path</th><th>summary</th><th>parameters</th><th>permission</th><th>plugin</th></tr></thead>
<tbody>
{"".join(rows)}
</tbody></table></body></html>"""
