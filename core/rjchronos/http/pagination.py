"""Cursor (keyset) pagination that stays cheap on large tables.

A list endpoint orders by a unique key (usually the time-ordered id) and
asks for ``limit + 1`` rows after the cursor; the extra row only tells
whether another page exists. The cursor is opaque to clients.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, literal, tuple_
from sqlmodel import Session, select
from sqlmodel.sql.expression import SelectOfScalar

from rjchronos.http.problems import Problem

MAX_LIMIT = 500

#: Query parameters every list route accepts.
PAGE_QUERY: dict[str, dict[str, Any]] = {
    "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 50},
    "cursor": {"type": "string", "description": "next_cursor of the previous page"},
}


def encode_cursor(key: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> Any:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError) as exc:
        raise Problem(
            422,
            "Invalid query",
            "query.cursor: not a cursor this API issued",
            invalid_params=[{"name": "query.cursor", "reason": "not a cursor this API issued"}],
        ) from exc


def paginate(
    session: Session,
    statement: SelectOfScalar[Any],
    key: ColumnElement[Any] | Any,
    query: dict[str, Any],
    render: Callable[[Any], dict[str, Any]],
    *,
    descending: bool = False,
) -> dict[str, Any]:
    """One page of ``statement`` ordered by ``key``: ``{"items": [...], "next_cursor": ...}``."""
    limit = int(query.get("limit") or PAGE_QUERY["limit"]["default"])
    if query.get("cursor"):
        after = decode_cursor(query["cursor"])
        statement = statement.where(key < after if descending else key > after)
    statement = statement.order_by(key.desc() if descending else key).limit(limit + 1)
    rows: Sequence[Any] = session.exec(statement).all()
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(_key_value(rows[-1], key)) if more and rows else None
    return {"items": [render(r) for r in rows], "next_cursor": next_cursor}


def _key_value(row: Any, key: Any) -> Any:
    value = getattr(row, key.key)
    return value.isoformat() if hasattr(value, "isoformat") else value


__all__ = ["MAX_LIMIT", "PAGE_QUERY", "decode_cursor", "encode_cursor", "paginate", "select"]


def paginate_sorted(
    session: Session,
    statement: Any,
    column: Any,
    key: Any,
    query: dict[str, Any],
    render: Callable[[Any], dict[str, Any]],
    *,
    descending: bool = False,
) -> dict[str, Any]:
    """One page ordered by the text ``column``, then the unique ``key`` (keyset on both).

    A missing value sorts as the empty text, so every row has a place and the
    cursor ``[value, key]`` resumes exactly after the last row shown.
    """
    limit = int(query.get("limit") or PAGE_QUERY["limit"]["default"])
    value = func.coalesce(column, "")
    if query.get("cursor"):
        after = decode_cursor(query["cursor"])
        if not (isinstance(after, list) and len(after) == 2):
            raise Problem(
                422,
                "Invalid query",
                "query.cursor: not a cursor of this sort order",
                invalid_params=[{"name": "query.cursor", "reason": "not of this sort order"}],
            )
        pair, bound = tuple_(value, key), tuple_(literal(str(after[0])), literal(after[1]))
        statement = statement.where(pair < bound if descending else pair > bound)
    order = (value.desc(), key.desc()) if descending else (value, key)
    rows: Sequence[Any] = session.execute(statement.order_by(*order).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more and rows:
        last = rows[-1]
        next_cursor = encode_cursor([getattr(last, column.key) or "", _key_value(last, key)])
    return {"items": [render(r) for r in rows], "next_cursor": next_cursor}
