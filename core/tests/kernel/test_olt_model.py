"""The common OLT model: sentinels, request validation and how writes are applied."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from rjchronos.drivers.olt_model import (
    AuthorizeRequest,
    CliStep,
    InvalidRequest,
    Listing,
    ParseIssue,
    apply_steps,
    mode_changes,
    optical_dbm,
    script,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("-21.307", -21.307),
        ("-21.307(dbm)", -21.307),
        (" 2.03 ", 2.03),
        (-10.5, -10.5),
        (0, 0.0),
        ("N/A", None),
        ("-", None),
        ("", None),
        (None, None),
        (2147483647, None),
        (65535, None),
        (65535000, None),
        ("2147483647", None),
    ],
)
def test_optical_readings_and_sentinels(value: str | float | None, expected: float | None) -> None:
    assert optical_dbm(value) == expected


def test_unreadable_optical_text_is_an_error() -> None:
    with pytest.raises(ValueError, match="could not convert"):
        optical_dbm("low")


def test_a_listing_is_a_sequence_that_carries_its_issues() -> None:
    issue = ParseIssue("display x", "  7 ??? garbage", "unreadable row")
    listing = Listing([1, 2, 3], [issue])
    assert list(listing) == [1, 2, 3]
    assert listing[1] == 2
    assert len(listing) == 3
    assert listing.issues == (issue,)


def _request(**changes: object) -> AuthorizeRequest:
    fields: dict[str, object] = {"port": "0/1/0", "serial": "HWTC-11E70E9A", "onu_type": "HG8245"}
    fields.update(changes)
    return AuthorizeRequest(**fields)  # type: ignore[arg-type]


def test_an_authorize_request_normalises_its_serial() -> None:
    request = _request(serial="4857544311e70e9a")
    assert request.serial == "HWTC11E70E9A"
    assert request.frame_slot_port == (0, 1, 0)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"port": "0-1-0"}, "port"),
        ({"serial": "nonsense"}, "serial"),
        ({"onu_type": ""}, "onu_type"),
        ({"onu_type": "", "line_profile": "10"}, "onu_type"),
        ({"vlan": 4095}, "vlan"),
        ({"cvlan": 0}, "cvlan"),
        ({"svlan": 300}, "cvlan"),
        ({"wan_mode": "pppoe", "pppoe_username": "u"}, "pppoe_username"),
        ({"wan_mode": "static"}, "wan_mode"),
        ({"mode": "nat"}, "mode"),
        ({"acs_url": "acs.example.net"}, "acs_url"),
        ({"description": 'say "hi"'}, "description"),
        ({"onu_id": 300}, "onu_id"),
    ],
)
def test_a_bad_authorize_request_names_its_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        _request(**changes)
    assert caught.value.field == field


def test_mode_changes_leave_and_enter_only_what_differs() -> None:
    olt = ("config", "interface gpon 0/1")
    assert mode_changes((), olt, "quit") == ["config", "interface gpon 0/1"]
    assert mode_changes(olt, ("config",), "quit") == ["quit"]
    assert mode_changes(olt, ("config", "interface gpon 0/2"), "quit") == [
        "quit",
        "interface gpon 0/2",
    ]
    assert mode_changes(olt, olt, "quit") == []


def test_script_is_what_an_operator_would_type() -> None:
    steps = [
        CliStep(("config", "interface gpon 0/1"), "ont add 0 sn-auth HWTC11E70E9A"),
        CliStep(("config",), "service-port vlan 100 gpon 0/1/0 ont 1 gemport 1"),
    ]
    assert script(steps, "quit") == [
        "config",
        "interface gpon 0/1",
        "ont add 0 sn-auth HWTC11E70E9A",
        "quit",
        "service-port vlan 100 gpon 0/1/0 ont 1 gemport 1",
        "quit",
    ]


class ScriptedOlt:
    """Answers each line it is sent; a line listed in ``failures`` gets that error."""

    def __init__(self, failures: dict[str, str]) -> None:
        self.failures = failures
        self.sent: list[str] = []

    async def send(self, line: str) -> str:
        self.sent.append(line)
        return self.failures.get(line, "")


ERROR = re.compile(r"^\s*(Failure:|% Unknown command|Error:)", re.MULTILINE)
STEPS = [
    CliStep(("config", "interface gpon 0/1"), "ont add 0 sn-auth HWTC11E70E9A"),
    CliStep(("config", "interface gpon 0/1"), "ont ipconfig 0 1 dhcp vlan 100"),
    CliStep(("config",), "service-port vlan 100 gpon 0/1/0 ont 1 gemport 1"),
]


def test_all_steps_applied_and_the_session_back_in_privileged_mode() -> None:
    olt = ScriptedOlt({})
    result = asyncio.run(apply_steps(olt, STEPS, leave="quit", error=ERROR))
    assert result.ok
    assert result.applied == tuple(STEPS)
    assert olt.sent == script(STEPS, "quit")


def test_the_first_failure_stops_the_write_and_is_recorded() -> None:
    olt = ScriptedOlt({STEPS[1].command: "  Failure: The ONT does not exist\n"})
    result = asyncio.run(apply_steps(olt, STEPS, leave="quit", error=ERROR))
    assert not result.ok
    assert result.applied == (STEPS[0],)
    assert result.failed == STEPS[1]
    assert result.error == "Failure: The ONT does not exist"
    assert result.not_run == (STEPS[2],)
    assert STEPS[2].command not in olt.sent
    assert olt.sent[-2:] == ["quit", "quit"]


def test_a_refused_mode_change_fails_its_step() -> None:
    olt = ScriptedOlt({"interface gpon 0/1": "% Unknown command, the error locates at '^'"})
    result = asyncio.run(apply_steps(olt, STEPS, leave="quit", error=ERROR))
    assert result.failed == STEPS[0]
    assert result.applied == ()
    assert olt.sent == ["config", "interface gpon 0/1", "quit"]


def test_secret_steps_show_no_password() -> None:
    step = CliStep(("config",), "wan-ip 1 mode pppoe username u password s3cret host 1", True)
    assert step.shown == "wan-ip 1 mode pppoe username u password ******** host 1"
    assert "s3cret" not in repr(step)
    assert step.command.endswith("password s3cret host 1")
    assert CliStep((), "write").shown == "write"


def test_a_firmware_upgrade_refuses_what_a_cli_line_must_not_carry() -> None:
    from rjchronos.drivers.olt_model import FirmwareUpgrade

    good = FirmwareUpgrade("fw/ONT.bin", "10.0.0.5", (("0/1/0", 3),), "ftp", "u", "p")
    assert good.activate == "immediate"
    bad = {
        "file": {"file": "a.bin; reboot"},
        "server": {"server": "host name"},
        "username": {"password": 'with"quote'},
        "targets": {"targets": ()},
        "protocol": {"protocol": "http"},
    }
    for field, change in bad.items():
        values: dict[str, Any] = {
            "file": "ONT.bin",
            "server": "10.0.0.5",
            "targets": (("0/1/0", 3),),
            "protocol": "ftp",
            "username": "u",
            "password": "p",
        } | change
        with pytest.raises(InvalidRequest) as raised:
            FirmwareUpgrade(**values)
        assert raised.value.field == field
    assert FirmwareUpgrade("ONT.bin", "10.0.0.5", (("0/1/0", 3),), "tftp").username == ""
