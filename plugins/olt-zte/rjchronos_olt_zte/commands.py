"""ZTE write sequences built as data: lists of :class:`CliStep` (mode, command).

Two interface spellings: ZXAN (C300/C320) ``gpon-olt_1/s/p`` / ``gpon-onu_1/s/p:id``
with the service port inside the ONU interface; TITAN (C600/C650)
``gpon_olt-1/s/p`` / ``gpon_onu-1/s/p:id`` with the service port on
``vport-1/s/p.id:1``.
"""

from __future__ import annotations

import re
from typing import Literal

from rjchronos.drivers.olt_model import AuthorizeRequest, CliStep, InvalidRequest

Family = Literal["zxan", "titan"]

CONFIG = ("configure terminal",)
LEAVE = "exit"
#: What ZXAN prints when it refuses a command; an empty list is not an error.
ERROR = re.compile(
    r"^\s*(%\s*Error|%\s*Invalid input detected|%\s*Code(?!.*No related information))",
    re.MULTILINE | re.IGNORECASE,
)
#: Sent once after login so output is not paged.
SESSION_SETUP = ("terminal length 0",)


def _split(port: str) -> tuple[int, int, int]:
    if not re.fullmatch(r"\d+/\d+/\d+", port):
        raise InvalidRequest("port", f"{port!r} is not rack/slot/port")
    rack, slot, number = (int(part) for part in port.split("/"))
    return rack, slot, number


def olt_interface(port: str, family: Family = "zxan") -> str:
    """``gpon-olt_1/2/1`` (ZXAN) or ``gpon_olt-1/2/1`` (TITAN)."""
    _split(port)
    return f"gpon-olt_{port}" if family == "zxan" else f"gpon_olt-{port}"


def onu_interface(port: str, onu_id: int, family: Family = "zxan") -> str:
    """``gpon-onu_1/2/1:5`` (ZXAN) or ``gpon_onu-1/2/1:5`` (TITAN)."""
    _split(port)
    return f"gpon-onu_{port}:{onu_id}" if family == "zxan" else f"gpon_onu-{port}:{onu_id}"


def authorize_steps(
    request: AuthorizeRequest,
    onu_id: int,
    *,
    family: Family = "zxan",
    default_vlan: int | None = None,
    vlan_profile: str = "VLAN{vlan}",
) -> list[CliStep]:
    """Register the ONU, its T-CONT/GEM port and service port, then its services through OMCI.

    ``vlan_profile`` names the OLT's VLAN profile for the WAN (``{vlan}`` is
    replaced by the VLAN).
    """
    if not request.onu_type:
        raise InvalidRequest("onu_type", "ZTE authorizes an ONU by its ONU type")
    if not request.upload_profile:
        raise InvalidRequest("upload_profile", "ZTE needs a T-CONT (upload) profile")
    vlan = request.vlan if request.vlan is not None else default_vlan
    if vlan is None:
        raise InvalidRequest("vlan", "no VLAN given and the OLT has no default VLAN set")
    if request.acs_url and not (request.acs_username and request.acs_password):
        raise InvalidRequest("acs_username", "ZTE validates the ACS with a username and password")
    olt = (*CONFIG, f"interface {olt_interface(request.port, family)}")
    onu_name = onu_interface(request.port, onu_id, family)
    onu = (*CONFIG, f"interface {onu_name}")
    mng = (*CONFIG, f"pon-onu-mng {onu_name}")

    steps = [CliStep(olt, f"onu {onu_id} type {request.onu_type} sn {request.serial}")]
    if request.name:
        steps.append(CliStep(onu, f"name {request.name}"))
    if request.description:
        steps.append(CliStep(onu, f"description {request.description}"))
    steps += [
        CliStep(onu, f"tcont 1 profile {request.upload_profile}"),
        CliStep(onu, "gemport 1 tcont 1"),
    ]
    if request.download_profile:
        steps.append(CliStep(onu, f"gemport 1 traffic-limit downstream {request.download_profile}"))

    user_vlan = request.cvlan if request.cvlan is not None else vlan
    service = f"user-vlan {user_vlan} vlan {user_vlan}"
    if request.svlan is not None:
        service += f" svlan {request.svlan}"
    if family == "zxan":
        steps.append(CliStep(onu, f"service-port 1 vport 1 {service}"))
        steps.append(CliStep(mng, f"service internet gemport 1 vlan {user_vlan}"))
    else:
        vport = (*CONFIG, f"interface vport-{request.port}.{onu_id}:1")
        steps.append(CliStep(vport, f"service-port 1 {service}"))
        steps.append(CliStep(mng, f"service 1 gemport 1 vlan {user_vlan}"))

    if request.mode == "bridging":
        steps.append(CliStep(mng, f"vlan port eth_0/1 mode tag vlan {user_vlan}"))
    elif request.wan_mode != "none":
        profile = vlan_profile.format(vlan=user_vlan)
        credentials = (
            f" username {request.pppoe_username} password {request.pppoe_password}"
            if request.wan_mode == "pppoe"
            else ""
        )
        steps.append(
            CliStep(
                mng,
                f"wan-ip 1 mode {request.wan_mode}{credentials} vlan-profile {profile} host 1",
                secret=request.wan_mode == "pppoe",
            )
        )
    if request.acs_url:
        steps += [
            CliStep(mng, "tr069-mgmt 1 state unlock"),
            CliStep(
                mng,
                f"tr069-mgmt 1 acs {request.acs_url} validate basic "
                f"username {request.acs_username} password {request.acs_password}",
                secret=True,
            ),
        ]
    return [*steps, CliStep((), "write")]


def deauthorize_steps(port: str, onu_id: int, family: Family = "zxan") -> list[CliStep]:
    """Remove the ONU (its service ports go with it)."""
    olt = (*CONFIG, f"interface {olt_interface(port, family)}")
    return [CliStep(olt, f"no onu {onu_id}"), CliStep((), "write")]


def reboot_steps(port: str, onu_id: int, family: Family = "zxan") -> list[CliStep]:
    """Restart the ONU through OMCI (ZXAN asks to confirm: the answer is the second step)."""
    mng = (*CONFIG, f"pon-onu-mng {onu_interface(port, onu_id, family)}")
    return [CliStep(mng, "reboot"), CliStep(mng, "yes")]


def set_enabled_steps(
    port: str, onu_id: int, enabled: bool, family: Family = "zxan"
) -> list[CliStep]:
    """Bring the ONU's interface up or shut it down."""
    onu = (*CONFIG, f"interface {onu_interface(port, onu_id, family)}")
    return [CliStep(onu, "no shutdown" if enabled else "shutdown"), CliStep((), "write")]
