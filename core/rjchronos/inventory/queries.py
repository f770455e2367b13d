"""Read-side queries of inventory: list filters, permission scopes, lean rows for the API.

A permission held in scopes (``principal.scopes("devices.read")``) limits
what a caller sees: ``region:<name>`` shows the devices whose site is in that
region or whose OLT's site is; ``olt:<id>`` shows that OLT and everything
below it (one equality on the indexed ``olt_id``). ``None`` among the scopes
means everywhere.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, func, literal, or_, select, type_coerce
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import RowMapping
from sqlalchemy.sql import Select
from sqlmodel import Session

from rjchronos.db.types import UtcDateTime
from rjchronos.inventory.models import device_events, devices, sites
from rjchronos.serials import canonical_serial, normalise_mac

Scopes = Collection[str | None]

#: What a device list shows: everything but ``attributes``, which can be large.
DETAIL_COLUMNS = tuple(devices.columns)
LIST_COLUMNS = tuple(column for column in DETAIL_COLUMNS if column.name != "attributes")


def unrestricted(scopes: Scopes) -> bool:
    return None in scopes


def _olts_in_regions(regions: Sequence[str]) -> Select[Any]:
    return select(devices.c.id).where(
        devices.c.kind == "olt",
        devices.c.site_id.in_(select(sites.c.id).where(sites.c.region.in_(regions))),
    )


def in_regions(regions: Sequence[str], columns: Any = devices.c) -> ColumnElement[bool]:
    """Devices whose site, or whose OLT's site, is in one of ``regions``.

    :param columns: where ``site_id`` and ``olt_id`` are read: the devices
        table, or a query over it such as a topology walk.
    """
    return or_(
        columns.site_id.in_(select(sites.c.id).where(sites.c.region.in_(regions))),
        columns.olt_id.in_(_olts_in_regions(regions)),
    )


def scope_condition(scopes: Scopes, columns: Any = devices.c) -> ColumnElement[bool] | None:
    """The SQL condition of the devices ``scopes`` allow; ``None`` when unrestricted."""
    if unrestricted(scopes):
        return None
    regions = sorted(s.removeprefix("region:") for s in scopes if s and s.startswith("region:"))
    olts = sorted(s.removeprefix("olt:") for s in scopes if s and s.startswith("olt:"))
    conditions: list[ColumnElement[bool]] = []
    if regions:
        conditions.append(in_regions(regions, columns))
    if olts:
        conditions.append(columns.olt_id.in_(olts))
    return or_(*conditions) if conditions else false()


def device_visible(session: Session, device_id: str, scopes: Scopes) -> bool:
    """Whether the device exists and ``scopes`` allow it."""
    statement = select(devices.c.id).where(devices.c.id == device_id)
    condition = scope_condition(scopes)
    if condition is not None:
        statement = statement.where(condition)
    return session.execute(statement).first() is not None


def _pattern(prefix: str) -> ColumnElement[str]:
    """``LIKE 'prefix%'`` with wildcards escaped, inlined in the SQL: a prefix the
    planner can see is one it can answer from a btree index, even in a prepared statement."""
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return literal(escaped + "%", literal_execute=True)


def serial_prefixes(text: str) -> list[str]:
    """The stored-serial prefixes a search text may mean.

    ``hwtc-11e`` may be the start of ``HWTC-11E...`` or of ``HWTC11E...``.
    """
    try:
        return [canonical_serial(text)]  # a whole GPON serial in any spelling
    except ValueError:
        pass
    upper = text.strip().upper()
    return sorted({upper, upper.replace("-", "").replace(" ", "")} - {""})


def tag_condition(tag: str, dialect: str) -> ColumnElement[bool]:
    """Devices carrying ``tag`` (a GIN containment on PostgreSQL, ``json_each`` on SQLite)."""
    if dialect == "postgresql":
        return type_coerce(devices.c.tags, JSONB).contains([tag])
    values = func.json_each(devices.c.tags).table_valued("value")
    return exists(select(1).select_from(values).where(values.c.value == tag))


def device_filters(filters: Mapping[str, Any], dialect: str) -> list[ColumnElement[bool]]:
    """SQL conditions for the list filters of ``GET /devices`` (already validated).

    ``serial`` and ``mac`` are normalised first, so any spelling matches;
    ``q`` is a prefix of the name (any case) or of the serial.
    """
    conditions: list[ColumnElement[bool]] = []
    plain = {
        "kind": devices.c.kind,
        "status": devices.c.status,
        "vendor": devices.c.vendor,
        "model": devices.c.model,
        "parent": devices.c.parent_id,
        "customer": devices.c.customer_id,
        "site": devices.c.site_id,
        "olt": devices.c.olt_id,
    }
    for name, column in plain.items():
        value = filters.get(name)
        if value is None:
            continue
        values = list(value) if isinstance(value, list | tuple) else [value]
        conditions.append(column == values[0] if len(values) == 1 else column.in_(values))
    if filters.get("serial"):
        conditions.append(devices.c.serial == canonical_serial(filters["serial"]))
    if filters.get("mac"):
        conditions.append(devices.c.mac == normalise_mac(filters["mac"]))
    if filters.get("identity"):
        conditions.append(devices.c.identity == filters["identity"])
    for tag in filters.get("tag") or ():
        conditions.append(tag_condition(tag, dialect))
    if filters.get("region"):
        conditions.append(in_regions([filters["region"]]))
    if filters.get("q"):
        text = filters["q"].strip()
        # Both sides lowered by the database, so case folds the same way on each.
        by_name = func.lower(devices.c.name).like(func.lower(_pattern(text)), escape="\\")
        serials = [devices.c.serial.like(_pattern(p), escape="\\") for p in serial_prefixes(text)]
        conditions.append(or_(by_name, *serials))
    return conditions


def device_query(
    filters: Mapping[str, Any], scopes: Scopes, dialect: str, columns: Iterable[Any] = LIST_COLUMNS
) -> Select[Any]:
    """The filtered, scoped select of devices (the caller orders and pages it)."""
    conditions = device_filters(filters, dialect)
    scope = scope_condition(scopes)
    if scope is not None:
        conditions.append(scope)
    statement = select(*columns)
    return statement.where(and_(*conditions)) if conditions else statement


#: The timestamp columns of inventory's tables, by name.
TIMESTAMPS = frozenset(
    column.name
    for table in (devices, sites, device_events)
    for column in table.columns
    if isinstance(column.type, UtcDateTime)
)


def jsonable(row: Mapping[str, Any] | RowMapping) -> dict[str, Any]:
    """A row as JSON-ready values (timestamps in ISO 8601).

    Lists render a hundred rows per request: only the known timestamp
    columns are looked at.
    """
    values = dict(row)
    for key in TIMESTAMPS.intersection(values):
        if values[key] is not None:
            values[key] = values[key].isoformat()
    return values
