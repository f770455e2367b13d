"""SmartAX write sequences, checked against the reference commands."""

from __future__ import annotations

import pytest

from rjchronos.drivers.olt_model import AuthorizeRequest, CliStep, InvalidRequest, script
from rjchronos_olt_huawei import commands

BOARD = ("config", "interface gpon 0/1")


def _request(**changes: object) -> AuthorizeRequest:
    fields: dict[str, object] = {
        "port": "0/1/3",
        "serial": "HWTC-11E70E9A",
        "line_profile": "10",
        "service_profile": "20",
        "vlan": 100,
        "description": "cliente-0001",
    }
    fields.update(changes)
    return AuthorizeRequest(**fields)  # type: ignore[arg-type]


def test_authorize_routing_with_pppoe_and_tr069() -> None:
    request = _request(
        wan_mode="pppoe", pppoe_username="user0001", pppoe_password="pw", acs_profile="3"
    )
    steps = commands.authorize_steps(request, 5)
    assert steps == [
        CliStep(
            BOARD,
            "ont add 3 5 sn-auth HWTC11E70E9A omci ont-lineprofile-id 10 ont-srvprofile-id 20 "
            'desc "cliente-0001"',
        ),
        CliStep(
            BOARD,
            "ont ipconfig 3 5 pppoe vlan 100 priority 0 user-account username user0001 password pw",
            secret=True,
        ),
        CliStep(BOARD, "ont tr069-server-config 3 5 profile-id 3"),
        CliStep(
            ("config",),
            "service-port vlan 100 gpon 0/1/3 ont 5 gemport 1 multi-service user-vlan 100 "
            "tag-transform translate",
        ),
    ]
    assert script(steps, commands.LEAVE)[:2] == ["config", "interface gpon 0/1"]
    assert script(steps, commands.LEAVE)[-1] == "quit"


def test_authorize_bridging_by_profile_names_with_speeds() -> None:
    request = _request(
        line_profile="FTTH",
        service_profile="HG8010H",
        mode="bridging",
        vlan=None,
        upload_profile="UP-100M",
        download_profile="DOWN-300M",
        description="",
    )
    steps = commands.authorize_steps(request, 0, default_vlan=200, gemport=2)
    assert [step.command for step in steps] == [
        "ont add 3 0 sn-auth HWTC11E70E9A omci ont-lineprofile-name FTTH "
        "ont-srvprofile-name HG8010H",
        "ont port native-vlan 3 0 eth 1 vlan 200",
        "service-port vlan 200 gpon 0/1/3 ont 0 gemport 2 multi-service user-vlan 200 "
        "tag-transform translate inbound traffic-table name UP-100M "
        "outbound traffic-table name DOWN-300M",
    ]


def test_authorize_qinq_with_dhcp() -> None:
    request = _request(svlan=1000, cvlan=55, wan_mode="dhcp")
    steps = commands.authorize_steps(request, 1)
    assert steps[1].command == "ont ipconfig 3 1 dhcp vlan 100 priority 0"
    assert steps[-1].command == (
        "service-port vlan 1000 gpon 0/1/3 ont 1 gemport 1 multi-service user-vlan 55 "
        "tag-transform translate-and-add inner-vlan 55"
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"line_profile": "", "onu_type": "HG8245"}, "line_profile"),
        ({"vlan": None}, "vlan"),
        ({"acs_url": "http://acs.example.net:7547"}, "acs_profile"),
    ],
)
def test_what_smartax_cannot_do_is_refused_before_anything_is_sent(
    changes: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidRequest) as caught:
        commands.authorize_steps(_request(**changes), 1)
    assert caught.value.field == field


def test_deauthorize_reboot_enable() -> None:
    assert commands.deauthorize_steps("0/1/3", 5, [5827, 5828]) == [
        CliStep(("config",), "undo service-port 5827"),
        CliStep(("config",), "undo service-port 5828"),
        CliStep(BOARD, "ont delete 3 5"),
    ]
    assert commands.reboot_steps("0/1/3", 5) == [
        CliStep(BOARD, "ont reset 3 5"),
        CliStep(BOARD, "y"),
    ]
    assert commands.set_enabled_steps("0/1/3", 5, False) == [CliStep(BOARD, "ont deactivate 3 5")]
    assert commands.set_enabled_steps("0/1/3", 5, True)[0].command == "ont activate 3 5"
    with pytest.raises(InvalidRequest):
        commands.reboot_steps("0-1-3", 5)


@pytest.mark.parametrize(
    "output",
    [
        "  Failure: SN already exists",
        "  Failure: the ONT ID is used already",
        "  Failure: The ONT does not exist",
        "                                   ^\n  % Unknown command, the error locates at '^'",
        "  Error: the service port does not exist",
    ],
)
def test_known_failures_are_detected(output: str) -> None:
    assert commands.ERROR.search(output)


def test_success_is_not_mistaken_for_failure() -> None:
    assert not commands.ERROR.search(
        "  Number of ONTs that can be added: 1, success: 1\n  PortID :6, ONTID :2"
    )


def test_firmware_steps_select_per_port_and_mask_the_password() -> None:
    from rjchronos.drivers.olt_model import FirmwareUpgrade
    from rjchronos_olt_huawei.commands import DIAGNOSE, firmware_steps

    request = FirmwareUpgrade(
        "ONT_V5.bin", "10.0.0.5", (("0/1/0", 3), ("0/1/0", 1), ("0/1/2", 7)), "ftp", "u", "s3cret"
    )
    steps = firmware_steps(request)
    assert all(step.mode == DIAGNOSE for step in steps)
    assert [step.command for step in steps[1:]] == [
        "ont-load select 0/1 0 1,3",
        "ont-load select 0/1 2 7",
        "ont-load start activemode immediate",
    ]
    assert steps[0].command.endswith("u s3cret") and "s3cret" not in steps[0].shown
