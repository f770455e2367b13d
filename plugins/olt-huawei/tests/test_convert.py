"""SmartAX CLI spellings in the common model."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from rjchronos.drivers.olt_model import OnuStatus
from rjchronos_olt_huawei import convert


@pytest.mark.parametrize(
    ("text", "cause"),
    [
        ("LOSi/LOBi", "los"),
        ("LOS", "los"),
        ("dying-gasp", "dying_gasp"),
        ("LOFi", "lof"),
        ("ONT is reset by ONT command", "reset"),
        ("ONT is reset by ONT comma", "reset"),
        ("-", None),
        ("", None),
    ],
)
def test_down_causes(text: str, cause: str | None) -> None:
    assert convert.down_cause(text) == cause


def test_an_unknown_cause_is_an_error_not_a_guess() -> None:
    with pytest.raises(ValueError, match="unknown last down cause"):
        convert.down_cause("cosmic rays")
    with pytest.raises(ValueError):
        convert.down_cause("LO")  # too short to be a cut-down spelling


@pytest.mark.parametrize(
    ("run", "cause", "flag", "status"),
    [
        ("online", None, "active", OnuStatus.ONLINE),
        ("offline", "los", "active", OnuStatus.LOS),
        ("offline", "dying_gasp", "active", OnuStatus.DYING_GASP),
        ("offline", "reset", "active", OnuStatus.OFFLINE),
        ("offline", None, "deactive", OnuStatus.OFFLINE),
        ("-", None, "active", OnuStatus.UNKNOWN),
    ],
)
def test_status(run: str, cause: str | None, flag: str, status: OnuStatus) -> None:
    assert convert.onu_status(run, cause, flag) == status


def test_unknown_run_state_is_an_error() -> None:
    with pytest.raises(ValueError, match="run state"):
        convert.onu_status("sleeping")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2000-01-01 00:00:00", datetime(2000, 1, 1, tzinfo=UTC)),
        ("1/1/2000 00:00:00", datetime(2000, 1, 1, tzinfo=UTC)),
        ("01/02/2020 10:11:12", datetime(2020, 1, 2, 10, 11, 12, tzinfo=UTC)),
        ("25/12/2020 10:11:12", datetime(2020, 12, 25, 10, 11, 12, tzinfo=UTC)),
        (
            "2023-01-05 08:56:12+08:00",
            datetime(2023, 1, 5, 8, 56, 12, tzinfo=timezone(timedelta(hours=8))),
        ),
        (
            "2023-01-05 08:56:12-03:30",
            datetime(2023, 1, 5, 8, 56, 12, tzinfo=timezone(-timedelta(hours=3, minutes=30))),
        ),
        ("-", None),
    ],
)
def test_times(text: str, expected: datetime | None) -> None:
    assert convert.olt_time(text) == expected


def test_times_without_offset_take_the_olt_zone() -> None:
    zone = timezone(timedelta(hours=-3))
    assert convert.olt_time("2000-01-01 00:00:00", zone) == datetime(2000, 1, 1, tzinfo=zone)
    with pytest.raises(ValueError, match="unknown time"):
        convert.olt_time("yesterday")


@pytest.mark.parametrize(
    "text",
    ["4857544311E70E9A", "HWTC-11E70E9A", "HWTC11E70E9A", "4857544311E70E9A (HWTC-11E70E9A)"],
)
def test_serial_forms(text: str) -> None:
    assert convert.serial(text) == "HWTC11E70E9A"


def test_optics_distance_and_ports() -> None:
    assert convert.optics_pair("-22.84/2.12") == (-22.84, 2.12)
    assert convert.optics_pair("-/-") == (None, None)
    assert convert.distance("-") is None and convert.distance("42") == 42
    assert convert.fsp("0/ 1/0") == "0/1/0" and convert.fsp("0/1 /0") == "0/1/0"
    with pytest.raises(ValueError):
        convert.fsp("0/1")
