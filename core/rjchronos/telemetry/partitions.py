"""Day partitions of ``telemetry_samples`` on PostgreSQL: names, bounds, creation, listing.

A partition holds one UTC day, ``[day 00:00, next day 00:00)``, and is named
``telemetry_samples_pYYYYMMDD`` so its bounds can be read from its name.
The migration and the store both create partitions through here.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

PARENT = "telemetry_samples"
PREFIX = f"{PARENT}_p"
#: Any two processes creating partitions take this transaction-level advisory lock.
LOCK_KEY = 0x524A4354  # "RJCT"


def partition_name(day: date) -> str:
    return f"{PREFIX}{day:%Y%m%d}"


def day_of(name: str) -> date | None:
    """The day a partition name stands for; ``None`` for another table."""
    if not name.startswith(PREFIX) or len(name) != len(PREFIX) + 8:
        return None
    try:
        return datetime.strptime(name[len(PREFIX) :], "%Y%m%d").replace(tzinfo=UTC).date()
    except ValueError:
        return None


def days_between(start: datetime, end: datetime) -> list[date]:
    """The UTC days that ``[start, end]`` touches."""
    first, last = start.astimezone(UTC).date(), end.astimezone(UTC).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def create_sql(day: date) -> str:
    low = datetime(day.year, day.month, day.day, tzinfo=UTC)
    high = low + timedelta(days=1)
    return (
        f"CREATE TABLE IF NOT EXISTS {partition_name(day)} PARTITION OF {PARENT} "
        f"FOR VALUES FROM ('{low.isoformat()}') TO ('{high.isoformat()}')"
    )


def existing(cursor: Any) -> set[date]:
    """The days that have a partition (``cursor``: a DB-API cursor)."""
    cursor.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "JOIN pg_class p ON p.oid = i.inhparent "
        "WHERE p.relname = %s AND p.relnamespace = to_regnamespace(current_schema())::oid",
        (PARENT,),
    )
    return {day for (name,) in cursor.fetchall() if (day := day_of(name)) is not None}


def create(cursor: Any, days: Iterable[date]) -> list[date]:
    """Create the partitions of ``days`` that are missing; the days created.

    Runs in the caller's transaction, under an advisory lock held to its end,
    so two writers creating the same day wait for each other.
    """
    wanted = set(days)
    if not wanted:
        return []
    cursor.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
    missing = sorted(wanted - existing(cursor))
    for day in missing:
        cursor.execute(create_sql(day))
    return missing
