"""The Huawei SmartAX (MA5800) CLI of the virtual OLT.

Layouts follow real captures (the ntc-templates ``huawei_smartax`` tests), so
the same TextFSM templates that read a real OLT read this one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from rjchronos.serials import display_gpon_serial, gpon_serial_hex
from rjchronos_sdk.sim.olt.shell import Reply, Shell, words
from rjchronos_sdk.sim.olt.state import DownCause, OltError, Onu, UnconfiguredOnu

PAGER = "---- More ( Press 'Q' to break ) ----"
RULE = "  " + "-" * 77
PRODUCT = "MA5800-X7"
VERSION = "MA5800V100R019C10"
PATCH = "SPC200"

# Last down cause as the CLI prints it.
CAUSE_TEXT: dict[DownCause, str] = {
    "los": "LOSi/LOBi",
    "dying_gasp": "dying-gasp",
    "reset": "ONT is reset by ONT command",
    "deactivated": "ONT is deactivated",
}

# Failure texts of the real CLI, keyed by the state's error codes.
FAILURES = {
    "serial-used": "SN already exists",
    "id-used": "the ONT ID is used already",
    "id-range": "The ONT ID is out of range",
    "port-full": "The number of ONTs on the port reaches the upper limit",
    "no-onu": "The ONT does not exist",
    "port": "The port does not exist",
    "not-online": "The ONT is not online",
    "vlan-range": "The VLAN does not exist",
    "index-used": "The service virtual port index already exists",
    "no-service-port": "The service virtual port does not exist",
}

# With "smart" on, these commands ask for their optional parameters.
SMART_QUESTIONS = {
    "display board": "{ <cr>|frameid/slotid<S><Length 1-15> }:",
    "display version": "{ <cr>|backplane<K>|frameid/slotid<S><Length 1-15> }:",
}

Handler = Callable[["HuaweiShell", re.Match[str]], Reply]


def _time(value: datetime | None, *, zone: bool) -> str:
    if value is None:
        return "-"
    text = value.strftime("%Y-%m-%d %H:%M:%S")
    return text + "+00:00" if zone else text


def _duration(seconds: float) -> str:
    total = max(int(seconds), 0)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{days} day(s), {hours} hour(s), {minutes} minute(s), {secs} second(s)"


def _description(onu: Onu) -> str:
    return onu.description or "ONT_NO_DESCRIPTION"


@dataclass
class HuaweiShell(Shell):
    """A SmartAX CLI session: modes, smart prompts, scroll, alarms and the ONT commands."""

    interface: tuple[int, int] | None = None
    #: The firmware file ``ont-load info`` named and the ONTs ``ont-load select`` chose.
    load_file: str = ""
    load_targets: list[tuple[int, int, int]] = field(default_factory=list)
    smart: bool = True
    infoswitch: bool = True
    commands: list[tuple[re.Pattern[str], set[str], Handler]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.pager = PAGER
        self.page_lines = 24
        self.banner = (
            "\n  Huawei Integrated Access Software (MA5800).\n"
            "  Copyright(C) Huawei Technologies Co., Ltd. 2002-2024. All rights reserved.\n\n"
        )
        every = {"privileged", "config", "interface"}
        config = {"config", "interface"}
        table: list[tuple[str, set[str], Handler]] = [
            (r"enable", {"user", *every}, HuaweiShell._enable),
            (r"config", every, HuaweiShell._config),
            (r"interface gpon (\d+)/(\d+)", config, HuaweiShell._interface),
            (r"diagnose", {"config"}, HuaweiShell._diagnose),
            (
                r"ont-load info program (\S+) (ftp|tftp|sftp) (\S+)(?: \S+ \S+)?",
                {"diagnose"},
                HuaweiShell._load_info,
            ),
            (r"ont-load select (\d+)/(\d+) (\d+) ([\d,]+)", {"diagnose"}, HuaweiShell._load_select),
            (
                r"ont-load start(?: activemode (immediate|next-startup))?",
                {"diagnose"},
                HuaweiShell._load_start,
            ),
            (r"quit", {"user", "diagnose", *every}, HuaweiShell._quit),
            (r"return", every, HuaweiShell._return),
            (r"undo smart", {"user", *every}, HuaweiShell._undo_smart),
            (r"smart", {"user", *every}, HuaweiShell._smart),
            (r"scroll(?: (\d+))?", {"user", *every}, HuaweiShell._scroll),
            (r"return", {"diagnose"}, HuaweiShell._return),
            (r"infoswitch cli (on|off)", {"user", *every}, HuaweiShell._infoswitch),
            (r"undo idle-timeout", {"user", *every}, HuaweiShell._nothing),
            (r"save", every, HuaweiShell._save),
            (r"display version(?: (\S+))?", {"user", *every}, HuaweiShell._version),
            (r"display board(?: (\d+)(?:/(\d+))?)?", every, HuaweiShell._board),
            (r"display ont autofind all", every, HuaweiShell._autofind),
            (r"display ont info summary (\d+)/(\d+)/(\d+)", every, HuaweiShell._summary),
            (r"display ont info by-sn (\S+)", every, HuaweiShell._by_serial),
            (r"display ont info (\d+) (\d+) (\d+) all", every, HuaweiShell._port_onus),
            (r"display ont info (\d+) (\d+) (\d+) (\d+)", every, HuaweiShell._one_onu),
            (r"display ont optical-info (\d+) all", {"interface"}, HuaweiShell._optics),
            (r"display service-port all", every, HuaweiShell._service_ports),
            (r"display current-configuration", every, HuaweiShell._current_configuration),
            (
                r"display service-port port (\d+)/(\d+)/(\d+)(?: ont (\d+))?",
                every,
                HuaweiShell._service_ports,
            ),
            (r"ont add (\d+)(?: (\d+))? sn-auth (.+)", {"interface"}, HuaweiShell._ont_add),
            (r"ont delete (\d+) (\d+)", {"interface"}, HuaweiShell._ont_delete),
            (r"ont reset (\d+) (\d+)", {"interface"}, HuaweiShell._ont_reset),
            (r"ont (activate|deactivate) (\d+) (\d+)", {"interface"}, HuaweiShell._ont_activate),
            (r"undo service-port (\d+)", config, HuaweiShell._undo_service_port),
            (r"service-port(?: (\d+))? vlan (\d+) gpon (.+)", config, HuaweiShell._service_port),
        ]
        self.commands = [(re.compile(p, re.IGNORECASE), modes, h) for p, modes, h in table]

    @property
    def prompt(self) -> str:
        name = self.state.name
        if self.mode == "user":
            return f"{name}>"
        if self.mode == "privileged":
            return f"{name}#"
        if self.mode == "config":
            return f"{name}(config)#"
        if self.mode == "diagnose":
            return f"{name}(diagnose)%%"
        assert self.interface is not None
        return f"{name}(config-if-gpon-0/{self.interface[1]})#"

    def run(self, line: str) -> Reply:
        command = " ".join(line.split())
        if not command:
            return Reply()
        question = SMART_QUESTIONS.get(command.lower()) if self.smart else None
        if question is not None:
            return Reply(question=question, answer=lambda extra: self._dispatch(command, extra))
        return self._dispatch(command, "")

    def on_event(self, event: str, subject: Onu | UnconfiguredOnu) -> None:
        if not self.infoswitch or event not in {"los", "dying_gasp", "autofind"}:
            return
        when = _time(self.state.clock(), zone=True)
        where = f"FrameID: 0, SlotID: {subject.slot}, PortID: {subject.port}"
        if isinstance(subject, UnconfiguredOnu):
            alarm = f"The ONT is automatically found, SN: {gpon_serial_hex(subject.serial)}"
        elif event == "los":
            alarm = f"The ONT loses its signal, ONT ID: {subject.onu_id}"
        else:
            alarm = f"The dying-gasp of GPON ONTi is generated, ONT ID: {subject.onu_id}"
        self.alarms.append(f"\n  ! EVENT MAJOR {when}\n  ALARM NAME :{alarm}\n  {where}\n")

    # -- dispatch --------------------------------------------------------------

    def _dispatch(self, command: str, extra: str) -> Reply:
        full = f"{command} {extra.strip()}".strip()
        for pattern, modes, handler in self.commands:
            match = pattern.fullmatch(full)
            if match and self.mode in modes:
                try:
                    return handler(self, match)
                except OltError as exc:
                    return self._failure(exc)
        return Reply(self._unknown(full))

    def _unknown(self, command: str) -> str:
        caret = " " * (len(self.prompt) + len(command.split()[0]) + 1) + "^"
        return f"{caret}\n  % Unknown command, the error locates at '^'\n"

    @staticmethod
    def _failure(exc: OltError) -> Reply:
        return Reply(f"  Failure: {FAILURES.get(exc.code, str(exc))}\n")

    # -- modes -----------------------------------------------------------------

    def _enable(self, _: re.Match[str]) -> Reply:
        if self.mode == "user":
            self.mode = "privileged"
        return Reply()

    def _config(self, _: re.Match[str]) -> Reply:
        self.mode = "config"
        return Reply()

    def _interface(self, match: re.Match[str]) -> Reply:
        frame, slot = int(match[1]), int(match[2])
        if frame != 0 or slot != self.state.slot:
            return Reply("  Failure: The board does not exist\n")
        self.mode, self.interface = "interface", (frame, slot)
        return Reply()

    def _quit(self, _: re.Match[str]) -> Reply:
        if self.mode == "diagnose":
            self.mode = "config"
            return Reply()
        if self.mode == "interface":
            self.mode, self.interface = "config", None
            return Reply()
        if self.mode == "config":
            self.mode = "privileged"
            return Reply()

        def answer(text: str) -> Reply:
            return (
                Reply("\n  Check whether system data has been changed.\n", close=True)
                if (text.strip().lower().startswith("y"))
                else Reply()
            )

        return Reply(question="  Are you sure to log out? (y/n)[n]:", answer=answer)

    def _diagnose(self, _: re.Match[str]) -> Reply:
        self.mode = "diagnose"
        return Reply()

    def _load_info(self, match: re.Match[str]) -> Reply:
        self.load_file = match[1]
        return Reply()

    def _load_select(self, match: re.Match[str]) -> Reply:
        frame, slot, port = int(match[1]), int(match[2]), int(match[3])
        if frame != 0:
            return Reply("  Failure: The board does not exist\n")
        targets = [(slot, port, int(onu_id)) for onu_id in match[4].split(",") if onu_id]
        try:
            for target in targets:
                self.state.onu(*target)
        except OltError as exc:
            return self._failure(exc)
        self.load_targets += targets
        return Reply()

    def _load_start(self, match: re.Match[str]) -> Reply:
        if not self.load_file or not self.load_targets:
            return Reply("  Failure: Please configure the load information and select ONTs first\n")
        found = re.search(r"V\d+R\d+C\d+\w*", self.load_file)
        version = found[0] if found else self.load_file.rsplit("/", 1)[-1]
        targets, self.load_targets = self.load_targets, []
        try:
            self.state.load_firmware(targets, version, immediate=match[1] != "next-startup")
        except OltError as exc:
            return self._failure(exc)
        return Reply()

    def _return(self, _: re.Match[str]) -> Reply:
        self.mode, self.interface = "privileged", None
        return Reply()

    def _undo_smart(self, _: re.Match[str]) -> Reply:
        self.smart = False
        return Reply()

    def _smart(self, _: re.Match[str]) -> Reply:
        self.smart = True
        return Reply()

    def _scroll(self, match: re.Match[str]) -> Reply:
        # "scroll" alone turns paging off; "scroll N" pages every N lines.
        if match[1]:
            self.pager, self.page_lines = PAGER, max(int(match[1]), 10)
        else:
            self.pager = None
        return Reply()

    def _infoswitch(self, match: re.Match[str]) -> Reply:
        self.infoswitch = match[1].lower() == "on"
        self.alarms.clear()
        return Reply()

    def _nothing(self, _: re.Match[str]) -> Reply:
        return Reply()

    def _save(self, _: re.Match[str]) -> Reply:
        return Reply("  Please wait for data saving to complete...\n  The data saving succeeded\n")

    # -- displays --------------------------------------------------------------

    def _version(self, match: re.Match[str]) -> Reply:
        uptime = (self.state.clock() - self.state.started_at).total_seconds()
        area = (
            "  --------------------------------------------------\n"
            "  Current Program Area : Area A \n"
            "  Current Data Area : Area A\n \n"
            f"  Program Area A Version : {VERSION} \n"
            f"  Program Area B Version : {VERSION}\n \n"
            f"  Data Area A Version : {VERSION} \n"
            f"  Data Area B Version : {VERSION} \n"
            "  --------------------------------------------------\n \n"
        )
        return Reply(
            f"\n  VERSION : {VERSION}\n  PATCH   : {PATCH}\n  PRODUCT : {PRODUCT}\n \n"
            f"  Active Mainboard Running Area Information: \n{area}"
            f"  Standby Mainboard Running Area Information: \n{area}"
            f"  Uptime is {_duration(uptime)}\n"
        )

    def _board(self, match: re.Match[str]) -> Reply:
        if match[1] not in (None, "0") or match[2] is not None:
            return Reply("  Failure: The board does not exist\n")
        boards = {
            self.state.slot: ("H901GPHF", "Normal", ""),
            8: ("H901MPLA", "Active_normal", "CPCF"),
            9: ("H901MPLA", "Standby_normal", "CPCF"),
            10: ("H901PILA", "Normal", ""),
        }
        rule = "  " + "-" * 73
        lines = [
            rule,
            "  SlotID  BoardName  Status          SubType0 SubType1    Online/Offline",
            rule,
        ]
        for slot in range(0, 11):
            if slot in boards:
                name, status, sub = boards[slot]
                lines.append(f"  {slot:<8}{name:<11}{status:<16}{sub:<9}{'':<12}{'':<10}")
            else:
                lines.append(f"  {slot:<6}")
        lines.append(rule)
        return Reply("\n".join(lines) + "\n")

    def _autofind(self, _: re.Match[str]) -> Reply:
        found = self.state.unconfigured
        if not found:
            return Reply("  Failure: The automatically found ONTs do not exist\n")
        rule = "   " + "-" * 76
        lines = [rule]
        for number, onu in enumerate(found, start=1):
            lines += [
                f"   Number              : {number}",
                f"   F/S/P               : 0/{onu.slot}/{onu.port}",
                f"   Ont SN              : {gpon_serial_hex(onu.serial)} "
                f"({display_gpon_serial(onu.serial)})",
                "   Password            : 0x00000000000000000000",
                "   Loid                :",
                "   Checkcode           :",
                f"   VendorID            : {onu.serial[:4]}",
                f"   Ont Version         : {onu.hardware_version}",
                f"   Ont SoftwareVersion : {onu.software_version}",
                f"   Ont EquipmentID     : {onu.equipment}",
                "   Ont Customized Info : COMMON",
                f"   Ont MAC             : {_mac(onu.serial)}",
                f"   Ont Equipment SN    : {onu.serial}0000000000",
                f"   Ont autofind time   : {_time(onu.found_at, zone=True)}",
                "   Multi channel       : -",
                rule,
            ]
        return Reply("\n".join(lines) + "\n")

    def _port_onus(self, match: re.Match[str]) -> Reply:
        frame, slot, port = int(match[1]), int(match[2]), int(match[3])
        if frame != 0:
            return Reply("  Failure: The board does not exist\n")
        onus = sorted(self.state.port(slot, port).onus.values(), key=lambda o: o.onu_id)
        if not onus:
            return Reply("  Failure: There is not any ONT on the port\n")
        fsp = f"0/{slot:>2}/{port}"
        lines = [
            RULE,
            "  F/S/P   ONT         SN         Control     Run      Config   Match    Protect",
            "          ID                     flag        state    state    state    side ",
            RULE,
        ]
        for onu in onus:
            run, config, matched = (
                ("online", "normal", "match") if onu.online else ("offline", "initial", "initial")
            )
            lines.append(
                f"  {fsp}  {onu.onu_id:>3}  {gpon_serial_hex(onu.serial)}  active      "
                f"{run:<7}  {config:<7}  {matched:<7}  no "
            )
        lines += [RULE, "  F/S/P       ONT  Description  ", "              ID  ", RULE]
        lines += [f"  {fsp}     {onu.onu_id:>3}   {_description(onu)}" for onu in onus]
        online = sum(onu.online for onu in onus)
        lines += [
            RULE,
            f"  In port {fsp} , the total of ONTs are: {len(onus)}, online: {online}",
            RULE,
        ]
        return Reply("\n".join(lines) + "\n")

    def _one_onu(self, match: re.Match[str]) -> Reply:
        frame, slot, port, onu_id = (int(match[i]) for i in range(1, 5))
        if frame != 0:
            return Reply("  Failure: The board does not exist\n")
        return Reply(self._onu_details(self.state.onu(slot, port, onu_id)))

    def _by_serial(self, match: re.Match[str]) -> Reply:
        try:
            onu = self.state.find_serial(match[1])
        except ValueError:
            return Reply("  % Parameter error, the error locates at '^'\n")
        if onu is None:
            return Reply(f"  Failure: {FAILURES['no-onu']}\n")
        return Reply(self._onu_details(onu))

    def _onu_details(self, onu: Onu) -> str:
        now = self.state.clock()
        online = onu.online
        duration = (
            _duration((now - onu.last_up_time).total_seconds())
            if online and onu.last_up_time
            else "-"
        )
        cause = CAUSE_TEXT[onu.last_down_cause] if onu.last_down_cause else "-"
        gasp = onu.last_down_time if onu.last_down_cause == "dying_gasp" else None
        fields = [
            ("F/S/P", f"0/{onu.slot:>2}/{onu.port}"),
            ("ONT-ID", str(onu.onu_id)),
            ("Control flag", "active"),
            ("Run state", "online" if online else "offline"),
            ("Config state", "normal" if online else "initial"),
            ("Match state", "match" if online else "initial"),
            ("ONT LLID", "-"),
            ("ONT distance(m)", str(onu.distance_m) if online else "-"),
            ("ONT last distance(m)", str(onu.distance_m)),
            ("ONT RTT(TQ)", "-"),
            ("Memory occupation", "40%" if online else "-"),
            ("CPU occupation", "5%" if online else "-"),
            ("Temperature", f"{onu.temperature_c}(C)" if online else "-"),
            ("Authentic type", "SN-auth"),
            ("SN", f"{gpon_serial_hex(onu.serial)} ({display_gpon_serial(onu.serial)})"),
            ("Management mode", "OMCI"),
            ("Software work mode", "normal"),
            ("Multicast mode", "IGMP-Snooping"),
            ("Description", _description(onu)),
            ("Last down cause", cause),
            ("Last up time", _time(onu.last_up_time, zone=True)),
            ("Last down time", _time(onu.last_down_time, zone=True)),
            ("Last dying gasp time", _time(gasp, zone=True)),
            ("ONT online duration", duration),
            ("Type D support", "Not support"),
            ("Isolation state", "normal"),
            ("ONT NNI type", "auto"),
            ("ONT actual NNI type", "auto"),
            ("Last ONT actual NNI type", "auto"),
            ("Interoperability-mode", "ITU-T"),
            ("FEC upstream state", "use-profile-config"),
            ("VS-ID", "0"),
            ("VS name", "admin-vs"),
            ("Global ONT-ID", str(onu.onu_id)),
            ("Fiber route", "none"),
        ]
        lines = [RULE, *(f"  {name:<24}: {value}" for name, value in fields), RULE]
        lines += [
            f"  Line profile ID      : {onu.line_profile}",
            f"  Line profile name    : lineprofile_{onu.line_profile}",
            RULE,
            "  FEC upstream switch :Disable",
            "  OMCC Encrypt switch :On",
            "  Qos mode            :PQ",
            "  Mapping mode        :VLAN",
            "  TR069 management    :Enable",
            "  TR069 IP index      :1",
            RULE,
            "  Notes: * indicates Discrete TCONT(TCONT Unbound)",
            RULE,
            "  <T-CONT   0>          DBA Profile-ID:1",
            "  <T-CONT   1>          DBA Profile-ID:10",
            RULE,
            f"  Service profile ID   : {onu.service_profile}",
            f"  Service profile name : srvprofile_{onu.service_profile}",
            RULE,
            "  Port-type     Port-number",
            RULE,
            "  POTS          adaptive",
            "  ETH           adaptive",
            RULE,
        ]
        return "\n".join(lines) + "\n"

    def _summary(self, match: re.Match[str]) -> Reply:
        frame, slot, port = int(match[1]), int(match[2]), int(match[3])
        if frame != 0:
            return Reply("  Failure: The board does not exist\n")
        onus = sorted(self.state.port(slot, port).onus.values(), key=lambda o: o.onu_id)
        if not onus:
            return Reply("  Failure: There is not any ONT on the port\n")
        rule = "  " + "-" * 78
        online = sum(onu.online for onu in onus)
        lines = [
            rule,
            f"  In port 0/{slot}/{port}, the total of ONTs are: {len(onus)}, online: {online}",
            rule,
            "  ONT  Run     Last                Last                Last",
            "  ID   State   UpTime              DownTime            DownCause",
            rule,
        ]
        for onu in onus:
            cause = CAUSE_TEXT[onu.last_down_cause][:25] if onu.last_down_cause else "-"
            up = _time(onu.last_up_time, zone=False)
            down = _time(onu.last_down_time, zone=False)
            run = "online" if onu.online else "offline"
            lines.append(f"  {onu.onu_id:<4} {run:<7} {up:<19} {down:<19} {cause}")
        lines += [
            rule,
            "  ONT        SN        Type          Distance Rx/Tx power  Description",
            "  ID                                    (m)      (dBm)",
            rule,
        ]
        for onu in onus:
            optics = onu.optics
            distance = str(onu.distance_m) if onu.online else "-"
            power = f"{optics[0]:.2f}/{optics[1]:.2f}" if optics else "-/-"
            lines.append(
                f"  {onu.onu_id:<4}{gpon_serial_hex(onu.serial)} {onu.equipment:<14}"
                f"{distance:>6}   {power:<12} {_description(onu)}"
            )
        lines.append(rule)
        return Reply("\n".join(lines) + "\n")

    def _optics(self, match: re.Match[str]) -> Reply:
        assert self.interface is not None
        pon = self.state.port(self.interface[1], int(match[1]))
        onus = [o for o in sorted(pon.onus.values(), key=lambda o: o.onu_id) if o.online]
        if not onus:
            return Reply("  Failure: The ONT is not online\n")
        rule = "  " + "-" * 77 + " "
        lines = [
            rule,
            "  ONT  Rx power  Tx power  OLT Rx ONT  Temperature  Voltage  Current  Distance  ",
            "  ID   (dBm)     (dBm)     power(dBm)  (C)          (V)      (mA)     (m)       ",
            rule,
        ]
        for onu in onus:
            lines.append(
                f"  {onu.onu_id:>3}  {onu.rx_dbm:<8.2f}  {onu.tx_dbm:<8.2f}  "
                f"{onu.olt_rx_dbm:<10.2f}  {onu.temperature_c:<11}  "
                f"{onu.voltage_mv / 1000:<7.3f}  {onu.bias_ma:<7}  {onu.distance_m:<8}  "
            )
        lines.append("  " + "-" * 77)
        return Reply("\n".join(lines) + "\n")

    def _current_configuration(self, _: re.Match[str]) -> Reply:
        """The running configuration: the ONTs of each port and the service ports."""
        lines = ["  [MA5800-X7: V100R019C10]", "#", "[global-config]"]
        lines += ["  <global-config>", f" sysname {self.state.name}", "#", "[gpon]"]
        for (slot, port), pon in sorted(self.state.ports.items()):
            lines += [f"  <gpon-0/{slot}>", f" interface gpon 0/{slot}"]
            for onu in sorted(pon.onus.values(), key=lambda onu: onu.onu_id):
                serial = gpon_serial_hex(onu.serial).upper()
                lines.append(
                    f'  ont add {port} {onu.onu_id} sn-auth "{serial}" omci ont-lineprofile-id '
                    f"{onu.line_profile} ont-srvprofile-id {onu.service_profile} "
                    f'desc "{onu.description}"'
                )
                if onu.status == "offline" and onu.last_down_cause == "deactivated":
                    lines.append(f"  ont deactivate {port} {onu.onu_id}")
            lines += [" quit", "#"]
        lines.append("[service-port]")
        for flow in sorted(self.state.service_ports.values(), key=lambda sp: sp.index):
            lines.append(
                f" service-port {flow.index} vlan {flow.vlan} gpon 0/{flow.slot}/{flow.port} "
                f"ont {flow.onu_id} gemport {flow.gemport} multi-service user-vlan "
                f"{flow.user_vlan} tag-transform translate"
            )
        lines += ["#", "return"]
        return Reply("\n".join(lines) + "\n")

    def _service_ports(self, match: re.Match[str]) -> Reply:
        flows = sorted(self.state.service_ports.values(), key=lambda sp: sp.index)
        if match.lastindex:  # ``display service-port port F/S/P [ont N]``
            slot, port, onu_id = int(match[2]), int(match[3]), match[4]
            flows = [
                f
                for f in flows
                if (f.slot, f.port) == (slot, port) and (onu_id is None or f.onu_id == int(onu_id))
            ]
        if not flows:
            return Reply("  Failure: No service virtual port can be operated\n")
        lines = [
            "Switch-Oriented Flow List",
            RULE,
            "   INDEX VLAN VLAN     PORT F/ S/ P VPI  VCI   FLOW  FLOW       RX   TX   STATE",
            "         ID   ATTR     TYPE                    TYPE  PARA",
            RULE,
        ]
        up = 0
        for flow in flows:
            onu = self.state.ports[(flow.slot, flow.port)].onus.get(flow.onu_id)
            state = "up" if onu is not None and onu.online else "down"
            up += state == "up"
            lines.append(
                f"  {flow.index:>6} {flow.vlan:<4} common   gpon 0/{flow.slot:<2}/{flow.port:<2} "
                f"{flow.onu_id:<4} {flow.gemport:<5} vlan  {flow.user_vlan:<10} -    -    "
                f"{state:<5}"
            )
        lines += [
            RULE,
            f"   Total : {len(flows)}  (Up/Down :    {up}/{len(flows) - up})",
            "   Note : F--Frame, S--Slot, P--Port,",
            "          VPI indicates ONT ID for PON, VCI indicates GEM index for GPON,",
        ]
        return Reply("\n".join(lines) + "\n")

    # -- changes ---------------------------------------------------------------

    def _ont_add(self, match: re.Match[str]) -> Reply:
        assert self.interface is not None
        port = int(match[1])
        onu_id = int(match[2]) if match[2] else None
        args = words(match[3])
        options = _options(args[1:], {"ont-lineprofile-id", "ont-srvprofile-id", "desc"})
        if options is None or not args:
            return Reply("  % Parameter error, the error locates at '^'\n")
        try:
            serial = args[0]
            line = int(options.get("ont-lineprofile-id", "10"))
            service = int(options.get("ont-srvprofile-id", "10"))
            onu = self.state.authorize(
                self.interface[1],
                port,
                serial,
                onu_id=onu_id,
                description=options.get("desc", ""),
                line_profile=line,
                service_profile=service,
            )
        except ValueError:
            return Reply("  % Parameter error, the error locates at '^'\n")
        return Reply(
            "  Number of ONTs that can be added: 1, success: 1\n"
            f"  PortID :{port}, ONTID :{onu.onu_id}\n"
        )

    def _ont_delete(self, match: re.Match[str]) -> Reply:
        assert self.interface is not None
        slot, port, onu_id = self.interface[1], int(match[1]), int(match[2])
        onu = self.state.onu(slot, port, onu_id)
        if self.state.service_ports_of(onu):
            return Reply("  Failure: This configured object has some service virtual ports\n")
        self.state.remove(slot, port, onu_id)
        return Reply("  Number of ONTs that can be deleted: 1, success: 1\n")

    def _ont_activate(self, match: re.Match[str]) -> Reply:
        assert self.interface is not None
        slot, port, onu_id = self.interface[1], int(match[2]), int(match[3])
        try:
            self.state.set_enabled(slot, port, onu_id, match[1] == "activate")
        except OltError as exc:
            return self._failure(exc)
        return Reply()

    def _ont_reset(self, match: re.Match[str]) -> Reply:
        assert self.interface is not None
        slot, port, onu_id = self.interface[1], int(match[1]), int(match[2])
        self.state.onu(slot, port, onu_id)

        def answer(text: str) -> Reply:
            if not text.strip().lower().startswith("y"):
                return Reply()
            try:
                self.state.reset(slot, port, onu_id)
            except OltError as exc:
                return self._failure(exc)
            return Reply()

        return Reply(question="  Are you sure to reset the ONT(s)? (y/n)[n]:", answer=answer)

    def _service_port(self, match: re.Match[str]) -> Reply:
        # service-port [index] vlan V gpon F/S/P ont ID gemport G multi-service user-vlan U ...
        found = re.fullmatch(
            r"(\d+)/(\d+)/(\d+) ont (\d+) gemport (\d+) multi-service user-vlan (\d+)"
            r"(?: tag-transform (translate|default|transparent))?.*",
            match[3],
            re.IGNORECASE,
        )
        if found is None or found[1] != "0":
            return Reply("  % Parameter error, the error locates at '^'\n")
        self.state.add_service_port(
            int(found[2]),
            int(found[3]),
            int(found[4]),
            vlan=int(match[2]),
            gemport=int(found[5]),
            user_vlan=int(found[6]),
            index=int(match[1]) if match[1] else None,
        )
        return Reply()

    def _undo_service_port(self, match: re.Match[str]) -> Reply:
        self.state.remove_service_port(int(match[1]))
        return Reply()


def _options(args: list[str], known: set[str]) -> dict[str, str] | None:
    """``key value`` pairs of an ``ont add``; ``omci``/``snmp`` are flags. None when malformed."""
    options: dict[str, str] = {}
    items = iter(args)
    for item in items:
        key = item.lower()
        if key in {"omci", "snmp"}:
            continue
        if key not in known and not key.startswith("ont-"):
            return None
        value = next(items, None)
        if value is None:
            return None
        options[key] = value
    return options


def _mac(serial: str) -> str:
    digits = serial[4:] + "0000"
    return f"{digits[0:4]}-{digits[4:8]}-{digits[8:12]}"
