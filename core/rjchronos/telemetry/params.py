"""Reading the times and resolutions clients send: ISO-8601 with a zone, durations in seconds."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_DURATION = re.compile(
    r"P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?"
)


def parse_instant(text: str) -> datetime:
    """An ISO-8601 time with its zone (``2024-05-01T12:00:00Z``, ``...-03:00``), in UTC.

    :raises ValueError: not ISO-8601, or no zone.
    """
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError("not an ISO-8601 time such as 2024-05-01T12:00:00Z") from None
    if value.tzinfo is None:
        raise ValueError(
            "give the time zone, as in 2024-05-01T12:00:00Z or 2024-05-01T09:00:00-03:00"
        )
    return value.astimezone(UTC)


def parse_resolution(text: str | int) -> timedelta:
    """A bucket width: seconds (``300``) or an ISO-8601 duration of weeks to seconds (``PT5M``).

    :raises ValueError: another form, or under one second.
    """
    if isinstance(text, int) or str(text).strip().isdigit():
        width = timedelta(seconds=int(text))
    else:
        match = _DURATION.fullmatch(str(text).strip().upper())
        if (
            not match
            or not any(match.groupdict().values())
            or str(text).strip().upper().endswith("T")
        ):
            raise ValueError(
                "a number of seconds or an ISO-8601 duration such as PT5M, PT1H or P1D"
            )
        width = timedelta(**{k: int(v) for k, v in match.groupdict().items() if v})
    if width < timedelta(seconds=1):
        raise ValueError("at least one second")
    return width
