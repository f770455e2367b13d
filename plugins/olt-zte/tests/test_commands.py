"""ZTE write sequences, checked against the reference provisioning sequences."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from rjchronos.drivers.olt_model import AuthorizeRequest, CliStep, InvalidRequest
from rjchronos_olt_zte import commands

Capture = Callable[[str], str]


def steps_of(sequence: str) -> list[CliStep]:
    """A reference sequence as steps: indented lines run in the mode the line above entered."""
    steps: list[CliStep] = []
    mode: tuple[str, ...] = ()
    for line in sequence.splitlines():
        if not line.strip() or line.startswith("!"):
            continue
        if line.startswith("  "):
            steps.append(CliStep(mode, line.strip()))
        elif line == "configure terminal":
            mode = commands.CONFIG
        elif line.startswith(("interface ", "pon-onu-mng ")):
            mode = (*commands.CONFIG, line)
        elif line in ("exit", "end"):
            mode = commands.CONFIG if line == "exit" else ()
        else:
            steps.append(CliStep(mode, line))
    return steps


def _request(**changes: object) -> AuthorizeRequest:
    fields: dict[str, object] = {
        "port": "1/1/1",
        "onu_id": 1,
        "serial": "ZTEGC0A1B2C3",
        "onu_type": "ZTE-F660",
        "name": "cliente-0001",
        "upload_profile": "UP-100M",
        "vlan": 100,
        "mode": "bridging",
    }
    fields.update(changes)
    return AuthorizeRequest(**fields)  # type: ignore[arg-type]


def test_c300_sequence_matches_the_reference(capture: Capture) -> None:
    reference = steps_of(capture("c3xx_onu_authorize_sequence.txt"))
    assert commands.authorize_steps(_request(), 1) == reference


def test_c600_sequence_matches_the_reference(capture: Capture) -> None:
    reference = steps_of(capture("c600_onu_authorize_sequence.txt"))
    request = _request(port="1/3/1", onu_type="ZTE-F670L", upload_profile="1G")
    assert commands.authorize_steps(request, 1, family="titan") == reference


def test_routing_with_pppoe_tr069_speeds_and_qinq() -> None:
    request = _request(
        mode="routing",
        wan_mode="pppoe",
        pppoe_username="user0001",
        pppoe_password="secret",
        acs_url="http://acs.example.net:7547",
        acs_username="acs",
        acs_password="acspw",
        download_profile="DOWN-100M",
        svlan=1000,
        cvlan=100,
        name="",
    )
    steps = commands.authorize_steps(request, 7)
    mng = (*commands.CONFIG, "pon-onu-mng gpon-onu_1/1/1:7")
    onu = (*commands.CONFIG, "interface gpon-onu_1/1/1:7")
    assert CliStep(onu, "gemport 1 traffic-limit downstream DOWN-100M") in steps
    assert CliStep(onu, "service-port 1 vport 1 user-vlan 100 vlan 100 svlan 1000") in steps
    assert steps[-4:] == [
        CliStep(
            mng,
            "wan-ip 1 mode pppoe username user0001 password secret vlan-profile VLAN100 host 1",
            secret=True,
        ),
        CliStep(mng, "tr069-mgmt 1 state unlock"),
        CliStep(
            mng,
            "tr069-mgmt 1 acs http://acs.example.net:7547 validate basic "
            "username acs password acspw",
            secret=True,
        ),
        CliStep((), "write"),
    ]


def test_dhcp_wan_on_the_port_default_vlan() -> None:
    steps = commands.authorize_steps(
        _request(mode="routing", wan_mode="dhcp", vlan=None), 2, default_vlan=300
    )
    assert "wan-ip 1 mode dhcp vlan-profile VLAN300 host 1" in [s.command for s in steps]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"onu_type": "", "line_profile": "a", "service_profile": "b"}, "onu_type"),
        ({"upload_profile": ""}, "upload_profile"),
        ({"vlan": None}, "vlan"),
        ({"acs_url": "http://acs.example.net"}, "acs_username"),
    ],
)
def test_what_zxan_cannot_do_is_refused(changes: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        commands.authorize_steps(_request(**changes), 1)
    assert caught.value.field == field


def test_delete_reboot_enable_follow_the_reference() -> None:
    olt = (*commands.CONFIG, "interface gpon-olt_1/1/1")
    assert commands.deauthorize_steps("1/1/1", 1) == [
        CliStep(olt, "no onu 1"),
        CliStep((), "write"),
    ]
    mng = (*commands.CONFIG, "pon-onu-mng gpon-onu_1/1/1:1")
    assert commands.reboot_steps("1/1/1", 1) == [CliStep(mng, "reboot"), CliStep(mng, "yes")]
    assert commands.set_enabled_steps("1/3/1", 2, False, "titan")[0] == CliStep(
        (*commands.CONFIG, "interface gpon_onu-1/3/1:2"), "shutdown"
    )


@pytest.mark.parametrize(
    ("output", "error"),
    [
        ("%Error 20209: No such ONU", True),
        ("% Invalid input detected at '^' marker.", True),
        ("%Code 32310-GPONSRV : Onu 1 has existed", True),
        ("%Code 32310-GPONSRV : No related information to show.", False),
        ("[Successful]", False),
    ],
)
def test_errors_are_detected_and_an_empty_list_is_not_one(output: str, error: bool) -> None:
    assert bool(commands.ERROR.search(output)) is error
