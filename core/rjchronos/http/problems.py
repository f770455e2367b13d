"""Errors as ``application/problem+json`` (RFC 9457)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from starlette.responses import Response

PROBLEM_TYPE = "application/problem+json"


class Problem(Exception):
    """An error a client can act on; raise it from an endpoint.

    :param invalid_params: ``[{"name": "body.serial", "reason": "..."}]``
        naming each failing field.
    """

    def __init__(
        self,
        status: int,
        title: str,
        detail: str = "",
        *,
        invalid_params: Sequence[dict[str, str]] = (),
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.invalid_params = list(invalid_params)
        self.headers = headers or {}
        self.extra = extra

    def body(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "type": "about:blank",
            "title": self.title,
            "status": self.status,
        }
        if self.detail:
            document["detail"] = self.detail
        if self.invalid_params:
            document["invalid_params"] = self.invalid_params
        document.update(self.extra)
        return document

    def response(self) -> Response:
        return Response(
            json.dumps(self.body()),
            status_code=self.status,
            media_type=PROBLEM_TYPE,
            headers=self.headers,
        )


def not_found(what: str, key: str) -> Problem:
    return Problem(404, "Not found", f"no {what} with id {key!r}")


def unauthenticated(detail: str = "authentication required") -> Problem:
    return Problem(
        401, "Unauthorized", detail, headers={"WWW-Authenticate": 'Bearer realm="rjchronos"'}
    )


def forbidden(permission: str) -> Problem:
    return Problem(
        403, "Forbidden", f"this needs the permission {permission!r}", permission=permission
    )


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "invalid_params": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"name": {"type": "string"}, "reason": {"type": "string"}},
            },
        },
    },
    "required": ["title", "status"],
}
