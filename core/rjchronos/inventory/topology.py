"""Topology queries: subtrees, ancestors, who is affected, and the ``olt_id`` invariant.

Walks are recursive CTEs (SQLite and PostgreSQL both have them) over the
``(parent_id, id)`` index, capped at :data:`MAX_DEPTH` levels.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import literal, select, update
from sqlmodel import Session

from rjchronos.inventory.models import devices
from rjchronos.inventory.queries import Scopes, scope_condition

#: No access network is this deep; the cap also stops a walk on corrupt data.
MAX_DEPTH = 64

#: Columns of a device in a topology answer.
NODE_COLUMNS = (
    "id",
    "kind",
    "name",
    "status",
    "serial",
    "vendor",
    "model",
    "parent_id",
    "site_id",
    "customer_id",
)
#: Columns a scope condition reads (see :func:`rjchronos.inventory.queries.scope_condition`).
_SCOPE_COLUMNS = ("site_id", "olt_id")


@dataclass(frozen=True)
class Affected:
    """What fails with a device: every device below it, and the customers of these and of it."""

    device_id: str
    devices: int
    by_kind: dict[str, int]
    by_status: dict[str, int]
    customer_ids: list[str] = field(default_factory=list)


def _tree(root_id: str, max_depth: int, columns: Sequence[str]) -> Any:
    """A CTE of the root (depth 0) and every device below it, with ``columns`` and ``depth``.

    The walk carries the columns itself: joining the result back to
    ``devices`` makes PostgreSQL misjudge the row count and scan the table.
    """
    names = list(dict.fromkeys(["id", "parent_id", *columns, *_SCOPE_COLUMNS]))
    tree = (
        select(*(devices.c[name] for name in names), literal(0).label("depth"))
        .where(devices.c.id == root_id)
        .cte("tree", recursive=True)
    )
    return tree.union_all(
        select(*(devices.c[name] for name in names), (tree.c.depth + 1).label("depth"))
        .join(tree, devices.c.parent_id == tree.c.id)
        .where(tree.c.depth < min(max_depth, MAX_DEPTH))
    )


def subtree_rows(
    session: Session,
    root_id: str,
    *,
    max_depth: int = MAX_DEPTH,
    columns: Sequence[str] = NODE_COLUMNS,
    scopes: Scopes = (None,),
) -> list[dict[str, Any]]:
    """The root and the devices below it that ``scopes`` allow, parents first, with ``depth``."""
    tree = _tree(root_id, max_depth, columns)
    statement = select(*(tree.c[name] for name in columns), tree.c.depth)
    condition = scope_condition(scopes, tree.c)
    if condition is not None:
        statement = statement.where(condition)
    statement = statement.order_by(tree.c.depth, tree.c.id)
    return [dict(row) for row in session.execute(statement).mappings()]


def ancestor_ids(session: Session, device_id: str) -> list[str]:
    """The ids above ``device_id``, nearest first (its parent, the parent's parent, ...)."""
    up = (
        select(devices.c.parent_id.label("id"), literal(1).label("depth"))
        .where(devices.c.id == device_id)
        .cte("up", recursive=True)
    )
    up = up.union_all(
        select(devices.c.parent_id, (up.c.depth + 1).label("depth"))
        .join(up, devices.c.id == up.c.id)
        .where(up.c.depth < MAX_DEPTH)
    )
    rows = session.execute(select(up.c.id).where(up.c.id.is_not(None)).order_by(up.c.depth))
    return [row[0] for row in rows]


def olt_of(session: Session, kind: str, device_id: str, parent_id: str | None) -> str | None:
    """The OLT above a device placed under ``parent_id`` (the device itself for an OLT)."""
    return device_id if kind == "olt" else olt_below(session, parent_id)


def olt_below(session: Session, parent_id: str | None) -> str | None:
    """The OLT a device placed under ``parent_id`` belongs to."""
    if parent_id is None:
        return None
    return session.execute(
        select(devices.c.olt_id).where(devices.c.id == parent_id)
    ).scalar_one_or_none()


def propagate_olt(session: Session, device_id: str, olt_id: str | None) -> int:
    """Set ``olt_id`` on every device below ``device_id`` up to the next OLT; returns how many."""
    below = (
        select(devices.c.id)
        .where(devices.c.parent_id == device_id, devices.c.kind != "olt")
        .cte("below", recursive=True)
    )
    below = below.union_all(
        select(devices.c.id)
        .join(below, devices.c.parent_id == below.c.id)
        .where(devices.c.kind != "olt")
    )
    ids = [row[0] for row in session.execute(select(below.c.id))]
    changed = 0
    for start in range(0, len(ids), 1000):  # bounded parameter lists
        result = session.execute(
            update(devices)
            .where(devices.c.id.in_(ids[start : start + 1000]))
            .where(devices.c.olt_id.is_distinct_from(olt_id))
            .values(olt_id=olt_id)
        )
        changed += int(result.rowcount or 0)  # type: ignore[attr-defined]
    return changed


def affected(session: Session, device_id: str, *, scopes: Scopes = (None,)) -> Affected:
    """Counts per kind and status of the devices below ``device_id`` and the customers linked.

    The device's own customer counts too: an ONU that fails takes its
    subscriber down. ``scopes`` limit the answer to what a caller may see.
    """
    rows = subtree_rows(
        session, device_id, columns=("id", "kind", "status", "customer_id"), scopes=scopes
    )
    below = [row for row in rows if row["depth"] > 0]
    return Affected(
        device_id=device_id,
        devices=len(below),
        by_kind=dict(Counter(row["kind"] for row in below)),
        by_status=dict(Counter(row["status"] for row in below)),
        customer_ids=sorted({row["customer_id"] for row in rows if row["customer_id"]}),
    )
