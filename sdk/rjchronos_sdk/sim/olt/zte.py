"""The ZTE ZXA10 C320 (ZXAN) CLI of the virtual OLT.

No permissively licensed capture of a real C320 exists; layouts follow the
hand-written references of the project's ZTE fixtures.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from rjchronos_sdk.sim.olt.shell import Reply, Shell, words
from rjchronos_sdk.sim.olt.state import DownCause, OltError, Onu, OnuStatus, UnconfiguredOnu

PAGER = " --More-- "
NO_INFORMATION = "%Code 32310-GPONSRV : No related information to show.\n"
SOFTWARE = "V2.1.0"

PHASE: dict[OnuStatus, str] = {
    "online": "working",
    "los": "LOS",
    "dying_gasp": "DyingGasp",
    "offline": "OffLine",
}
CAUSE_TEXT: dict[DownCause, str] = {
    "los": "LOS",
    "dying_gasp": "DyingGasp",
    "reset": "Reboot",
    "deactivated": "Deactivated",
}
ERRORS = {
    "serial-used": "%Error 40319: The SN is already registered.",
    "id-used": "%Error 40311: The ONU ID is already used.",
    "id-range": "%Error 40302: The ONU ID is out of range.",
    "port-full": "%Error 40303: No free ONU ID on this interface.",
    "no-onu": "%Error 40304: The ONU does not exist.",
    "port": "%Error 40300: The interface does not exist.",
    "not-online": "%Error 40305: The ONU is not online.",
    "vlan-range": "%Error 40306: The VLAN is out of range.",
    "index-used": "%Error 40307: The service port is already configured.",
    "no-service-port": "%Error 40308: The service port does not exist.",
}

OLT_PORT = r"gpon-olt_1/(\d+)/(\d+)"
ONU = r"gpon-onu_1/(\d+)/(\d+):(\d+)"

Handler = Callable[["ZteShell", re.Match[str]], Reply]


def _time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else "0000-00-00 00:00:00"


def _dbm(value: float | None) -> str:
    return "N/A" if value is None else f"{value:.3f}(dbm)"


@dataclass
class ZteShell(Shell):
    """A ZXAN CLI session: modes, terminal length, authorisation under the PON port."""

    target: tuple[int, ...] = ()
    #: What ``enable`` asks for (empty: it asks nothing).
    enable_password: str = ""
    commands: list[tuple[re.Pattern[str], set[str], Handler]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.pager = PAGER
        self.page_lines = 24
        self.banner = "\n"
        shows = {"privileged", "config", "olt-if", "onu-if", "onu-mng"}
        table: list[tuple[str, set[str], Handler]] = [
            (r"enable", {"user", *shows}, ZteShell._enable),
            (r"disable", shows, ZteShell._disable),
            (r"terminal length (\d+)", {"user", *shows}, ZteShell._length),
            (r"(?:configure terminal|conf t)", {"privileged"}, ZteShell._configure),
            (rf"interface {OLT_PORT}", {"config", "olt-if", "onu-if"}, ZteShell._olt_if),
            (rf"interface {ONU}", {"config", "olt-if", "onu-if"}, ZteShell._onu_if),
            (rf"pon-onu-mng {ONU}", {"config", "olt-if", "onu-if", "onu-mng"}, ZteShell._mng),
            (r"exit", {"user", *shows}, ZteShell._exit),
            (r"end", {"config", "olt-if", "onu-if", "onu-mng"}, ZteShell._end),
            (r"write", {"privileged", "config"}, ZteShell._write),
            (rf"show gpon onu state {OLT_PORT}", shows, ZteShell._state),
            (rf"show gpon onu uncfg(?: {OLT_PORT})?", shows, ZteShell._uncfg),
            (rf"show pon power attenuation {ONU}", shows, ZteShell._attenuation),
            (rf"show pon power onu-rx {OLT_PORT}", shows, ZteShell._onu_rx),
            (rf"show gpon onu detail-info {ONU}", shows, ZteShell._detail),
            (r"show gpon onu by sn (\S+)", shows, ZteShell._by_serial),
            (rf"show running-config interface {OLT_PORT}", shows, ZteShell._olt_config),
            (r"show card", shows, ZteShell._card),
            (r"show running-config", shows, ZteShell._running_config),
            (r"show version", {"user", *shows}, ZteShell._version),
            (r"onu (\d+) type (\S+) sn (\S+)", {"olt-if"}, ZteShell._onu_add),
            (r"no onu (\d+)", {"olt-if"}, ZteShell._onu_delete),
            (r"name (\S+)", {"onu-if"}, ZteShell._name),
            (r"description (.+)", {"onu-if"}, ZteShell._name),
            (
                r"service-port (\d+) vport (\d+) user-vlan (\d+) vlan (\d+)",
                {"onu-if"},
                ZteShell._service_port,
            ),
            (r"no service-port (\d+)", {"onu-if"}, ZteShell._no_service_port),
            (r"(?:tcont|gemport|switchport) .+", {"onu-if"}, ZteShell._accept),
            (r"reboot", {"onu-mng"}, ZteShell._reboot),
            (r"(no )?shutdown", {"onu-if"}, ZteShell._shutdown),
            (
                r"(?:service|wan-ip|tr069-mgmt|vlan port|security-mgmt|wan) .+",
                {"onu-mng"},
                ZteShell._accept,
            ),
        ]
        self.commands = [(re.compile(p, re.IGNORECASE), modes, h) for p, modes, h in table]

    @property
    def prompt(self) -> str:
        name = self.state.name
        return {
            "user": f"{name}>",
            "privileged": f"{name}#",
            "config": f"{name}(config)#",
            "olt-if": f"{name}(config-if)#",
            "onu-if": f"{name}(config-if)#",
            "onu-mng": f"{name}(gpon-onu-mng)#",
        }[self.mode]

    def run(self, line: str) -> Reply:
        command = " ".join(line.split())
        if not command:
            return Reply()
        for pattern, modes, handler in self.commands:
            match = pattern.fullmatch(command)
            if match and self.mode in modes:
                try:
                    return handler(self, match)
                except OltError as exc:
                    return Reply(ERRORS.get(exc.code, f"%Error 40399: {exc}") + "\n")
        caret = " " * (len(self.prompt) + len(command.split()[0]) + 1) + "^"
        return Reply(f"{caret}\n% Invalid input detected at '^' marker.\n")

    def on_event(self, event: str, subject: Onu | UnconfiguredOnu) -> None:
        """ZXAN sessions print no alarms: operators read them from the alarm log."""

    # -- modes -----------------------------------------------------------------

    def _enable(self, _: re.Match[str]) -> Reply:
        if self.mode != "user":
            return Reply()
        if not self.enable_password:
            self.mode = "privileged"
            return Reply()

        def check(given: str) -> Reply:
            if given != self.enable_password:
                return Reply("% Bad password\n")
            self.mode = "privileged"
            return Reply()

        return Reply(question="Password:", answer=check, secret=True)

    def _disable(self, _: re.Match[str]) -> Reply:
        self.mode, self.target = "user", ()
        return Reply()

    def _length(self, match: re.Match[str]) -> Reply:
        lines = int(match[1])
        self.pager = None if lines == 0 else PAGER
        self.page_lines = max(lines, 1)
        return Reply()

    def _configure(self, _: re.Match[str]) -> Reply:
        self.mode = "config"
        return Reply("Enter configuration commands, one per line.  End with CTRL/Z.\n")

    def _olt_if(self, match: re.Match[str]) -> Reply:
        slot, port = int(match[1]), int(match[2])
        self.state.port(slot, port)
        self.mode, self.target = "olt-if", (slot, port)
        return Reply()

    def _onu_if(self, match: re.Match[str]) -> Reply:
        slot, port, onu_id = int(match[1]), int(match[2]), int(match[3])
        self.state.onu(slot, port, onu_id)
        self.mode, self.target = "onu-if", (slot, port, onu_id)
        return Reply()

    def _mng(self, match: re.Match[str]) -> Reply:
        slot, port, onu_id = int(match[1]), int(match[2]), int(match[3])
        self.state.onu(slot, port, onu_id)
        self.mode, self.target = "onu-mng", (slot, port, onu_id)
        return Reply()

    def _exit(self, _: re.Match[str]) -> Reply:
        if self.mode in {"user", "privileged"}:
            return Reply(close=True)
        self.mode = "privileged" if self.mode == "config" else "config"
        self.target = ()
        return Reply()

    def _end(self, _: re.Match[str]) -> Reply:
        self.mode, self.target = "privileged", ()
        return Reply()

    def _write(self, _: re.Match[str]) -> Reply:
        return Reply("Building configuration...\n..[OK]\n")

    def _accept(self, _: re.Match[str]) -> Reply:
        self.state.onu(*self.target)
        return Reply()

    # -- shows -----------------------------------------------------------------

    def _state(self, match: re.Match[str]) -> Reply:
        slot, port = int(match[1]), int(match[2])
        onus = sorted(self.state.port(slot, port).onus.values(), key=lambda o: o.onu_id)
        if not onus:
            return Reply(NO_INFORMATION)
        lines = [
            "OnuIndex   Admin State  OMCC State  Phase State  Channel",
            "-" * 62,
        ]
        for onu in onus:
            index = f"1/{slot}/{port}:{onu.onu_id}"
            omcc = "enable" if onu.online else "disable"
            lines.append(f"{index:<11} enable       {omcc:<11} {PHASE[onu.status]:<12} 1(GPON)")
        online = sum(onu.online for onu in onus)
        lines.append(f"ONU Number: {online}/{len(onus)}")
        return Reply("\n".join(lines) + "\n")

    def _uncfg(self, match: re.Match[str]) -> Reply:
        found = self.state.unconfigured
        if match[1] is not None:
            slot, port = int(match[1]), int(match[2])
            self.state.port(slot, port)
            found = self.state.unconfigured_on(slot, port)
        if not found:
            return Reply(NO_INFORMATION)
        lines = ["OnuIndex                 Sn                  State", "-" * 69]
        counters: dict[tuple[int, int], int] = {}
        for onu in found:
            number = counters[(onu.slot, onu.port)] = counters.get((onu.slot, onu.port), 0) + 1
            index = f"gpon-onu_1/{onu.slot}/{onu.port}:{number}"
            lines.append(f"{index:<25}{onu.serial:<20}unknown")
        return Reply("\n".join(lines) + "\n")

    def _onu(self, match: re.Match[str]) -> Onu:
        return self.state.onu(int(match[1]), int(match[2]), int(match[3]))

    def _attenuation(self, match: re.Match[str]) -> Reply:
        onu = self._onu(match)
        port_tx = self.state.ports[(onu.slot, onu.port)].tx_dbm
        optics = onu.optics
        if optics is None:
            up = f" up      Rx :{'N/A':<17}Tx:{'N/A':<18}N/A(dB)"
            down = f" down    Tx :{_dbm(port_tx):<17}Rx:{'N/A':<18}N/A(dB)"
        else:
            rx, tx, olt_rx = optics
            up = f" up      Rx :{_dbm(olt_rx):<17}Tx:{_dbm(tx):<18}{tx - olt_rx:.3f}(dB)"
            down = f" down    Tx :{_dbm(port_tx):<17}Rx:{_dbm(rx):<18}{port_tx - rx:.3f}(dB)"
        return Reply(
            "           OLT                  ONU              Attenuation\n"
            + "-" * 74
            + f"\n{up}\n\n{down}\n"
        )

    def _onu_rx(self, match: re.Match[str]) -> Reply:
        slot, port = int(match[1]), int(match[2])
        onus = sorted(self.state.port(slot, port).onus.values(), key=lambda o: o.onu_id)
        if not onus:
            return Reply(NO_INFORMATION)
        lines = ["Onu                 Rx power", "-" * 36]
        for onu in onus:
            index = f"gpon-onu_1/{slot}/{port}:{onu.onu_id}"
            lines.append(f"{index:<20}{_dbm(onu.rx_dbm if onu.online else None)}")
        return Reply("\n".join(lines) + "\n")

    def _detail(self, match: re.Match[str]) -> Reply:
        onu = self._onu(match)
        now = self.state.clock()
        duration = ""
        if onu.online and onu.last_up_time:
            seconds = int((now - onu.last_up_time).total_seconds())
            duration = f"{seconds // 3600}h {seconds // 60 % 60}m {seconds % 60}s"
        fields = [
            ("Name", onu.description),
            ("Type", onu.equipment),
            ("State", "ready"),
            ("Admin state", "enable"),
            ("Phase state", PHASE[onu.status]),
            ("Authentication mode", "sn"),
            ("SN Bind", "enable with SN check"),
            ("Serial number", onu.serial),
            ("Password", ""),
            ("Device ID", ""),
            ("Description", onu.description),
            ("Vport mode", "gemport"),
            ("DBA Mode", "Hybrid"),
            ("ONU Status", "enable"),
            ("OMCI BW Profile", "enable"),
            ("Line Profile", "N/A"),
            ("Service Profile", "N/A"),
            ("Alarm Profile", "N/A"),
            ("Performance Profile", "N/A"),
            ("ONU Distance", f"{onu.distance_m}m" if onu.online else "N/A"),
            ("Online Duration", duration),
            ("FEC", "none"),
            ("1PPS+ToD", "disable"),
        ]
        index = f"gpon-onu_1/{onu.slot}/{onu.port}:{onu.onu_id}"
        lines = [f"ONU interface:         {index}"]
        lines += [(f"  {name + ':':<21}{value}").rstrip() for name, value in fields]
        lines += ["-" * 42, "       Authpass Time          OfflineTime             Cause"]
        history = list(reversed(onu.history))
        for number in range(1, 11):
            up, down, cause = history[number - 1] if number <= len(history) else (None, None, None)
            text = CAUSE_TEXT[cause] if cause else ""
            lines.append(f"  {number:>2}   {_time(up)}    {_time(down)}     {text}".rstrip())
        return Reply("\n".join(lines) + "\n")

    def _by_serial(self, match: re.Match[str]) -> Reply:
        try:
            onu = self.state.find_serial(match[1])
        except ValueError:
            onu = None
        if onu is None:
            return Reply(NO_INFORMATION)
        return Reply(
            f"SearchResult\n-----------------\ngpon-onu_1/{onu.slot}/{onu.port}:{onu.onu_id}\n"
        )

    def _olt_config(self, match: re.Match[str]) -> Reply:
        slot, port = int(match[1]), int(match[2])
        pon = self.state.port(slot, port)
        lines = ["Building configuration...", "!", f"interface gpon-olt_1/{slot}/{port}"]
        lines += ["  no shutdown"]
        lines += [
            f"  onu {onu.onu_id} type {onu.equipment} sn {onu.serial}"
            for onu in sorted(pon.onus.values(), key=lambda onu: onu.onu_id)
        ]
        return Reply("\n".join([*lines, "!", "end"]) + "\n")

    def _running_config(self, _: re.Match[str]) -> Reply:
        """The whole running configuration: each port's ONUs, then each ONU's interface."""
        lines = ["Building configuration...", "!", f"hostname {self.state.name}", "!"]
        ports = sorted(self.state.ports.items())
        for (slot, port), pon in ports:
            lines += [f"interface gpon-olt_1/{slot}/{port}", "  no shutdown"]
            lines += [
                f"  onu {onu.onu_id} type {onu.equipment} sn {onu.serial}"
                for onu in sorted(pon.onus.values(), key=lambda onu: onu.onu_id)
            ]
            lines.append("!")
        flows = sorted(self.state.service_ports.values(), key=lambda sp: sp.index)
        for (slot, port), pon in ports:
            for onu in sorted(pon.onus.values(), key=lambda onu: onu.onu_id):
                lines += [f"interface gpon-onu_1/{slot}/{port}:{onu.onu_id}"]
                if onu.description:
                    lines.append(f"  name {onu.description}")
                if onu.status == "offline" and onu.last_down_cause == "deactivated":
                    lines.append("  shutdown")
                lines += [
                    f"  service-port {flow.index % 100} vport 1 user-vlan {flow.user_vlan} "
                    f"vlan {flow.vlan}"
                    for flow in flows
                    if (flow.slot, flow.port, flow.onu_id) == (slot, port, onu.onu_id)
                ]
                lines.append("!")
        return Reply("\n".join([*lines, "end"]) + "\n")

    def _card(self, _: re.Match[str]) -> Reply:
        cards = [
            (self.state.slot, "GTGO", len(self.state.ports) if len(self.state.ports) > 8 else 8),
            (3, "SMXA", 3),
            (4, "SMXA", 3),
            (10, "PRWH", 0),
        ]
        lines = [
            "Rack Shelf Slot CfgType RealType Port  HardVer SoftVer         Status",
            "-" * 79,
        ]
        for slot, kind, ports in cards:
            status = "STANDBY" if slot == 4 else "INSERVICE"
            row = f"1    1     {slot:<4} {kind:<7} {kind:<8} {ports:<5} V1.0.0  {SOFTWARE:<15}"
            lines.append(f"{row} {status}")
        return Reply("\n".join(lines) + "\n")

    def _version(self, _: re.Match[str]) -> Reply:
        uptime = int((self.state.clock() - self.state.started_at).total_seconds())
        return Reply(
            f"ZXA10 C320 Software, Version {SOFTWARE}\n"
            "Copyright (c) ZTE Corporation.\n"
            f"System uptime is {uptime // 86400} days {uptime // 3600 % 24} hours "
            f"{uptime // 60 % 60} minutes\n"
        )

    # -- changes ---------------------------------------------------------------

    def _onu_add(self, match: re.Match[str]) -> Reply:
        slot, port = self.target
        try:
            self.state.authorize(slot, port, match[3], onu_id=int(match[1]), equipment=match[2])
        except ValueError:
            return Reply("%Error 40320: Invalid SN.\n")
        return Reply()

    def _onu_delete(self, match: re.Match[str]) -> Reply:
        slot, port = self.target
        self.state.remove(slot, port, int(match[1]))
        return Reply()

    def _shutdown(self, match: re.Match[str]) -> Reply:
        slot, port, onu_id = self.target
        self.state.set_enabled(slot, port, onu_id, enabled=bool(match[1]))
        return Reply()

    def _name(self, match: re.Match[str]) -> Reply:
        slot, port, onu_id = self.target
        self.state.rename(slot, port, onu_id, " ".join(words(match[1])))
        return Reply()

    def _service_port(self, match: re.Match[str]) -> Reply:
        slot, port, onu_id = self.target
        # Service-port numbers are per ONU on ZXAN; the OLT-wide index keeps them apart.
        index = (slot * 1000 + port) * 10000 + onu_id * 100 + int(match[1])
        self.state.add_service_port(
            slot, port, onu_id, vlan=int(match[4]), user_vlan=int(match[3]), index=index
        )
        return Reply()

    def _no_service_port(self, match: re.Match[str]) -> Reply:
        slot, port, onu_id = self.target
        self.state.remove_service_port((slot * 1000 + port) * 10000 + onu_id * 100 + int(match[1]))
        return Reply()

    def _reboot(self, _: re.Match[str]) -> Reply:
        slot, port, onu_id = self.target

        def answer(text: str) -> Reply:
            if text.strip().lower() not in {"y", "yes"}:
                return Reply()
            try:
                self.state.reset(slot, port, onu_id)
            except OltError as exc:
                return Reply(ERRORS[exc.code] + "\n")
            return Reply()

        return Reply(question="Confirm to reboot?  [yes/no]:", answer=answer)
