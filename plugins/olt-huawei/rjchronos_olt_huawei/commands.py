"""SmartAX write sequences built as data: lists of :class:`CliStep` (mode, command).

Nothing here talks to an OLT; :func:`rjchronos.drivers.olt_model.apply_steps`
runs the steps and records where a sequence stopped.
"""

from __future__ import annotations

import re

from rjchronos.drivers.olt_model import AuthorizeRequest, CliStep, FirmwareUpgrade, InvalidRequest

CONFIG = ("config",)
LEAVE = "quit"
#: What SmartAX prints when it refuses a command.
ERROR = re.compile(r"^\s*(Failure:|% ?Unknown command|Error:|% Parameter error)", re.MULTILINE)
#: Sent once after login so output is plain: no parameter prompts, no paging, no alarms.
SESSION_SETUP = ("enable", "undo smart", "scroll", "infoswitch cli OFF", "undo idle-timeout")


def _split(port: str) -> tuple[int, int, int]:
    if not re.fullmatch(r"\d+/\d+/\d+", port):
        raise InvalidRequest("port", f"{port!r} is not frame/slot/port")
    frame, slot, number = (int(part) for part in port.split("/"))
    return frame, slot, number


def gpon_mode(port: str) -> tuple[str, ...]:
    """The mode of the GPON board holding ``port``."""
    frame, slot, _ = _split(port)
    return (*CONFIG, f"interface gpon {frame}/{slot}")


def _profile(kind: str, value: str) -> str:
    return f"ont-{kind}profile-{'id' if value.isdigit() else 'name'} {value}"


def authorize_steps(
    request: AuthorizeRequest, onu_id: int, *, default_vlan: int | None = None, gemport: int = 1
) -> list[CliStep]:
    """Add the ONT, its service port, its WAN and its TR-069 server through OMCI."""
    if not (request.line_profile and request.service_profile):
        raise InvalidRequest("line_profile", "SmartAX authorizes with a line and a service profile")
    vlan = request.vlan if request.vlan is not None else default_vlan
    if vlan is None:
        raise InvalidRequest("vlan", "no VLAN given and the OLT has no default VLAN set")
    if (request.acs_url or request.acs_username) and not request.acs_profile:
        raise InvalidRequest("acs_profile", "SmartAX sets the ACS through a tr069 server profile")
    frame, slot, port = _split(request.port)
    board = gpon_mode(request.port)
    description = request.description or request.name
    add = (
        f"ont add {port} {onu_id} sn-auth {request.serial} omci "
        f"{_profile('line', request.line_profile)} {_profile('srv', request.service_profile)}"
    )
    steps = [CliStep(board, add + (f' desc "{description}"' if description else ""))]

    if request.mode == "bridging":
        steps.append(CliStep(board, f"ont port native-vlan {port} {onu_id} eth 1 vlan {vlan}"))
    elif request.wan_mode == "pppoe":
        steps.append(
            CliStep(
                board,
                f"ont ipconfig {port} {onu_id} pppoe vlan {vlan} priority 0 user-account "
                f"username {request.pppoe_username} password {request.pppoe_password}",
                secret=True,
            )
        )
    elif request.wan_mode == "dhcp":
        steps.append(CliStep(board, f"ont ipconfig {port} {onu_id} dhcp vlan {vlan} priority 0"))
    if request.acs_profile:
        steps.append(
            CliStep(
                board,
                f"ont tr069-server-config {port} {onu_id} {_tr069_profile(request.acs_profile)}",
            )
        )

    outer = request.svlan if request.svlan is not None else vlan
    user_vlan = request.cvlan if request.cvlan is not None else vlan
    transform = "translate-and-add" if request.svlan is not None else request.tag_transform
    service = (
        f"service-port vlan {outer} gpon {frame}/{slot}/{port} ont {onu_id} gemport {gemport} "
        f"multi-service user-vlan {user_vlan} tag-transform {transform}"
    )
    if transform == "translate-and-add":
        service += f" inner-vlan {user_vlan}"
    if request.upload_profile or request.download_profile:
        service += (
            f" inbound traffic-table name {request.upload_profile or request.download_profile}"
            f" outbound traffic-table name {request.download_profile or request.upload_profile}"
        )
    steps.append(CliStep(CONFIG, service))
    return steps


def _tr069_profile(value: str) -> str:
    return f"profile-{'id' if value.isdigit() else 'name'} {value}"


def deauthorize_steps(port: str, onu_id: int, service_ports: list[int]) -> list[CliStep]:
    """Remove the ONT's service ports, then the ONT."""
    _, _, number = _split(port)
    steps = [CliStep(CONFIG, f"undo service-port {index}") for index in service_ports]
    return [*steps, CliStep(gpon_mode(port), f"ont delete {number} {onu_id}")]


def reboot_steps(port: str, onu_id: int) -> list[CliStep]:
    """Restart the ONT (SmartAX asks to confirm: the answer is the second step)."""
    _, _, number = _split(port)
    board = gpon_mode(port)
    return [CliStep(board, f"ont reset {number} {onu_id}"), CliStep(board, "y")]


def set_enabled_steps(port: str, onu_id: int, enabled: bool) -> list[CliStep]:
    """Activate or deactivate the ONT."""
    _, _, number = _split(port)
    verb = "activate" if enabled else "deactivate"
    return [CliStep(gpon_mode(port), f"ont {verb} {number} {onu_id}")]


#: Where SmartAX's ``ont-load`` commands run (``MA5800(diagnose)%%``).
DIAGNOSE = (*CONFIG, "diagnose")


def firmware_steps(request: FirmwareUpgrade) -> list[CliStep]:
    """``ont-load info`` (the file and its server), one ``ont-load select`` per port, ``start``."""
    source = f"ont-load info program {request.file} {request.protocol} {request.server}"
    if request.protocol == "tftp":
        steps = [CliStep(DIAGNOSE, source)]
    else:
        steps = [
            CliStep(
                DIAGNOSE,
                f"{source} {request.username} {request.password}",
                secret=True,
                masked=f"{source} {request.username} ********",
            )
        ]
    by_board: dict[tuple[str, str], list[int]] = {}
    for port, onu_id in request.targets:
        frame, slot, number = port.split("/")
        by_board.setdefault((f"{frame}/{slot}", number), []).append(onu_id)
    for (board, number), onu_ids in sorted(by_board.items()):
        ids = ",".join(str(onu_id) for onu_id in sorted(set(onu_ids)))
        steps.append(CliStep(DIAGNOSE, f"ont-load select {board} {number} {ids}"))
    steps.append(CliStep(DIAGNOSE, f"ont-load start activemode {request.activate}"))
    return steps
