"""Report periods and schedule boundaries, across time zones and month ends."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rjchronos_reports.periods import next_boundary, period_ending


def test_weekly_runs_on_monday_and_covers_the_week_before() -> None:
    thursday = datetime(2024, 5, 2, 15, 30, tzinfo=UTC)
    run = next_boundary("weekly", "UTC", thursday)
    assert run == datetime(2024, 5, 6, tzinfo=UTC)
    assert period_ending("weekly", "UTC", run) == (datetime(2024, 4, 29, tzinfo=UTC), run)


def test_monthly_in_sao_paulo() -> None:
    run = next_boundary("monthly", "America/Sao_Paulo", datetime(2024, 12, 31, 12, tzinfo=UTC))
    assert run == datetime(2025, 1, 1, 3, tzinfo=UTC)
    start, end = period_ending("monthly", "America/Sao_Paulo", run)
    assert (start, end) == (datetime(2024, 12, 1, 3, tzinfo=UTC), run)


def test_daily_just_before_midnight() -> None:
    run = next_boundary("daily", "UTC", datetime(2024, 2, 28, 23, 59, 59, tzinfo=UTC))
    assert run == datetime(2024, 2, 29, tzinfo=UTC)
    assert period_ending("daily", "UTC", run)[0] == datetime(2024, 2, 28, tzinfo=UTC)


def test_unknown_zone_or_frequency() -> None:
    with pytest.raises(ValueError, match="time zone"):
        next_boundary("daily", "Nowhere/City", datetime(2024, 1, 1, tzinfo=UTC))
    with pytest.raises(ValueError, match="frequency"):
        next_boundary("hourly", "UTC", datetime(2024, 1, 1, tzinfo=UTC))
