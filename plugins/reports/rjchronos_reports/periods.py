"""Report periods: the day, week (Monday to Monday) or month that ended at a run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

FREQUENCIES = ("daily", "weekly", "monthly")


def zone(name: str) -> ZoneInfo:
    """The time zone ``name``; ValueError when unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def _start_of(frequency: str, local: datetime) -> datetime:
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if frequency == "daily":
        return day
    if frequency == "weekly":
        return day - timedelta(days=day.weekday())
    if frequency == "monthly":
        return day.replace(day=1)
    raise ValueError(f"unknown frequency {frequency!r}")


def _advance(frequency: str, local: datetime) -> datetime:
    if frequency == "daily":
        naive = local.replace(tzinfo=None) + timedelta(days=1)
    elif frequency == "weekly":
        naive = local.replace(tzinfo=None) + timedelta(days=7)
    else:
        naive = (local.replace(day=28, tzinfo=None) + timedelta(days=4)).replace(day=1)
    return naive.replace(tzinfo=local.tzinfo)


def next_boundary(frequency: str, timezone: str, after: datetime) -> datetime:
    """The first start of a day, week or month (in ``timezone``) strictly after ``after``, UTC."""
    tz = zone(timezone)
    local = after.astimezone(tz)
    boundary = _advance(frequency, _start_of(frequency, local))
    return boundary.astimezone(UTC)


def period_ending(frequency: str, timezone: str, end: datetime) -> tuple[datetime, datetime]:
    """The whole day, week or month that ends at boundary ``end``: ``(start, end)`` in UTC."""
    tz = zone(timezone)
    local_end = end.astimezone(tz)
    probe = _start_of(frequency, local_end - timedelta(seconds=1))
    return probe.astimezone(UTC), end.astimezone(UTC)
