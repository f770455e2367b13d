"""The state of one virtual OLT, shared by its SSH CLI and its SNMP agent.

Vendor-neutral: ports are ``(slot, port)`` pairs, ONUs carry canonical GPON
serials (``HWTC11E70E9A``) and optics in dBm. The vendor modules render this
state in their own words and numbers. Every change bumps :attr:`OltState.version`
so the SNMP agent knows when to rebuild its table.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from rjchronos.serials import normalise_gpon_serial

Vendor = Literal["huawei", "zte"]
OnuStatus = Literal["online", "los", "dying_gasp", "offline"]
DownCause = Literal["los", "dying_gasp", "reset", "deactivated"]
PortKey = tuple[int, int]

VENDORS: tuple[Vendor, ...] = ("huawei", "zte")

# ONU models a virtual OLT hands out, per vendor: (vendor id, equipment/type name).
_MODELS: dict[Vendor, tuple[tuple[str, str], ...]] = {
    "huawei": (("HWTC", "EG8145V5"), ("HWTC", "HG8245H"), ("HWTC", "EG8145X6")),
    "zte": (("ZTEG", "ZTE-F660"), ("ZTEG", "ZTE-F670L"), ("ZTEG", "ZTE-F601")),
}


class OltError(Exception):
    """A command the virtual OLT refuses; the CLI prints it in the vendor's words."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Onu:
    """One authorised ONU and what the OLT knows about it."""

    slot: int
    port: int
    onu_id: int
    serial: str
    equipment: str
    description: str
    line_profile: int = 10
    service_profile: int = 10
    vlan: int = 100
    status: OnuStatus = "online"
    last_down_cause: DownCause | None = None
    last_down_time: datetime | None = None
    last_up_time: datetime | None = None
    distance_m: int = 1000
    rx_dbm: float = -20.0
    tx_dbm: float = 2.2
    olt_rx_dbm: float = -22.0
    temperature_c: int = 45
    voltage_mv: int = 3300
    bias_ma: int = 8
    software_version: str = "V5R020C00S115"
    #: A loaded firmware that becomes active at the next start.
    pending_software: str = ""
    # Up to the last 10 sessions, newest last: [up time, down time or None, cause or None].
    history: list[tuple[datetime, datetime | None, DownCause | None]] = field(default_factory=list)

    def went_down(self, when: datetime, cause: DownCause) -> None:
        self.last_down_cause, self.last_down_time = cause, when
        if self.history and self.history[-1][1] is None:
            self.history[-1] = (self.history[-1][0], when, cause)

    def came_up(self, when: datetime) -> None:
        self.status, self.last_up_time = "online", when
        self.history = [*self.history, (when, None, None)][-10:]

    @property
    def online(self) -> bool:
        return self.status == "online"

    @property
    def optics(self) -> tuple[float, float, float] | None:
        """(ONU Rx, ONU Tx, OLT Rx) in dBm, or ``None`` when the ONU does not answer."""
        return (self.rx_dbm, self.tx_dbm, self.olt_rx_dbm) if self.online else None


@dataclass
class UnconfiguredOnu:
    """An ONU the OLT sees on a port but nobody has authorised (auto-find)."""

    slot: int
    port: int
    serial: str
    equipment: str
    found_at: datetime
    software_version: str = "V5R020C00S115"
    hardware_version: str = "15AD.A"


@dataclass
class ServicePort:
    """A service flow: traffic of a GEM port of an ONU mapped to a VLAN of the OLT."""

    index: int
    vlan: int
    slot: int
    port: int
    onu_id: int
    gemport: int
    user_vlan: int


@dataclass
class PonPort:
    """One GPON port of the OLT."""

    slot: int
    port: int
    tx_dbm: float = 5.4
    onus: dict[int, Onu] = field(default_factory=dict)


@dataclass
class OltState:
    """One OLT: its PON ports, their ONUs, the auto-find list and the injections.

    ``first_onu_id`` is 0 on Huawei and 1 on ZTE; ``max_onus`` is the ONU ids
    a port accepts (128 on both families' GPON boards).
    """

    vendor: Vendor
    name: str
    slot: int
    ports: dict[PortKey, PonPort]
    first_onu_id: int
    first_port: int
    seed: int = 0
    max_onus: int = 128
    unconfigured: list[UnconfiguredOnu] = field(default_factory=list)
    service_ports: dict[int, ServicePort] = field(default_factory=dict)
    version: int = 0
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    listeners: list[Callable[[str, Onu | UnconfiguredOnu], None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Reproducible simulation data, not secrets.
        self._rng = random.Random(self.seed)  # noqa: S311
        self._serials = random.Random(self.seed + 1)  # noqa: S311
        self._by_serial: dict[str, Onu] = {
            onu.serial: onu for pon in self.ports.values() for onu in pon.onus.values()
        }

    # -- reading -----------------------------------------------------------

    def port(self, slot: int, port: int) -> PonPort:
        """The PON port, or an :class:`OltError` ``port`` naming it."""
        try:
            return self.ports[(slot, port)]
        except KeyError:
            raise OltError("port", f"the port {slot}/{port} does not exist") from None

    def onu(self, slot: int, port: int, onu_id: int) -> Onu:
        """The ONU, or an :class:`OltError` ``no-onu``."""
        found = self.port(slot, port).onus.get(onu_id)
        if found is None:
            raise OltError("no-onu", f"the ONU {slot}/{port}:{onu_id} does not exist")
        return found

    def all_onus(self) -> Iterator[Onu]:
        for key in sorted(self.ports):
            port = self.ports[key]
            for onu_id in sorted(port.onus):
                yield port.onus[onu_id]

    def find_serial(self, serial: str) -> Onu | None:
        """The authorised ONU with this serial (any spelling), or None."""
        return self._by_serial.get(normalise_gpon_serial(serial))

    def unconfigured_on(self, slot: int, port: int) -> list[UnconfiguredOnu]:
        return [u for u in self.unconfigured if (u.slot, u.port) == (slot, port)]

    # -- commands the CLI runs ---------------------------------------------

    def authorize(
        self,
        slot: int,
        port: int,
        serial: str,
        *,
        onu_id: int | None = None,
        equipment: str | None = None,
        description: str = "",
        line_profile: int = 10,
        service_profile: int = 10,
        vlan: int = 100,
    ) -> Onu:
        """Authorise ``serial`` on a port; it comes online if the OLT sees it on that port.

        Raises :class:`OltError` ``serial-used``, ``id-used``, ``id-range`` or
        ``port-full``.
        """
        pon = self.port(slot, port)
        canonical = normalise_gpon_serial(serial)
        if self.find_serial(canonical) is not None:
            raise OltError("serial-used", f"the serial {canonical} is already authorised")
        if onu_id is None:
            free = (i for i in self._id_range() if i not in pon.onus)
            onu_id = next(free, None)
            if onu_id is None:
                raise OltError("port-full", f"the port {slot}/{port} has no free ONU id")
        if onu_id not in self._id_range():
            raise OltError("id-range", f"the ONU id {onu_id} is out of range")
        if onu_id in pon.onus:
            raise OltError("id-used", f"the ONU id {onu_id} is already used")
        # Only an ONU the OLT sees on this very port comes online.
        seen = next(
            (u for u in self.unconfigured if (u.serial, u.slot, u.port) == (canonical, slot, port)),
            None,
        )
        if seen is not None:
            self.unconfigured.remove(seen)
        now = self.clock()
        onu = Onu(
            slot=slot,
            port=port,
            onu_id=onu_id,
            serial=canonical,
            equipment=equipment or (seen.equipment if seen else _MODELS[self.vendor][0][1]),
            description=description,
            line_profile=line_profile,
            service_profile=service_profile,
            vlan=vlan,
            # An ONU authorised before the OLT ever saw it stays offline until it is plugged in.
            status="offline",
        )
        if seen is not None:
            onu.came_up(now)
        self._fresh_optics(onu)
        pon.onus[onu_id] = onu
        self._by_serial[canonical] = onu
        self._changed("authorized", onu)
        return onu

    def remove(self, slot: int, port: int, onu_id: int) -> Onu:
        """Delete the ONU's authorisation; raises :class:`OltError` ``no-onu``.

        An ONU still connected (online) shows up again in the auto-find list.
        """
        onu = self.onu(slot, port, onu_id)
        del self.ports[(slot, port)].onus[onu_id]
        del self._by_serial[onu.serial]
        for index in [
            i
            for i, sp in self.service_ports.items()
            if sp.onu_id == onu_id and (sp.slot, sp.port) == (slot, port)
        ]:
            del self.service_ports[index]
        self._changed("removed", onu)
        if onu.online:
            found = UnconfiguredOnu(slot, port, onu.serial, onu.equipment, self.clock())
            self.unconfigured.append(found)
            self._changed("autofind", found)
        return onu

    def service_ports_of(self, onu: Onu) -> list[ServicePort]:
        return [
            sp
            for sp in self.service_ports.values()
            if (sp.slot, sp.port, sp.onu_id) == (onu.slot, onu.port, onu.onu_id)
        ]

    def add_service_port(
        self,
        slot: int,
        port: int,
        onu_id: int,
        *,
        vlan: int,
        gemport: int = 1,
        user_vlan: int | None = None,
        index: int | None = None,
    ) -> ServicePort:
        """Map the ONU's GEM port to ``vlan``; the ONU's VLAN becomes ``vlan``."""
        onu = self.onu(slot, port, onu_id)
        if not 1 <= vlan <= 4094:
            raise OltError("vlan-range", f"the VLAN {vlan} is out of range")
        if index is None:
            index = max(self.service_ports, default=-1) + 1
        if index in self.service_ports:
            raise OltError("index-used", f"the service port index {index} is already used")
        flow = ServicePort(index, vlan, slot, port, onu_id, gemport, user_vlan or vlan)
        self.service_ports[index] = flow
        onu.vlan = vlan
        self._changed("changed", onu)
        return flow

    def remove_service_port(self, index: int) -> ServicePort:
        try:
            flow = self.service_ports.pop(index)
        except KeyError:
            raise OltError("no-service-port", f"the service port {index} does not exist") from None
        self.version += 1
        return flow

    def reset(self, slot: int, port: int, onu_id: int) -> Onu:
        """Reboot the ONU: it records a reset as its last down cause and comes back."""
        onu = self.onu(slot, port, onu_id)
        if not onu.online:
            raise OltError("not-online", f"the ONU {slot}/{port}:{onu_id} is not online")
        now = self.clock()
        onu.went_down(now, "reset")
        onu.came_up(now)
        self._changed("reset", onu)
        return onu

    def set_enabled(self, slot: int, port: int, onu_id: int, enabled: bool) -> Onu:
        """Activate or deactivate the ONU: deactivated it is offline (cause ``deactivated``)."""
        if enabled:
            self.recover(slot, port, onu_id)
        else:
            self.offline(slot, port, onu_id)
        return self.onu(slot, port, onu_id)

    def load_firmware(
        self, targets: list[tuple[int, int, int]], version: str, *, immediate: bool
    ) -> list[Onu]:
        """OMCI firmware load: every target must be online; ``immediate`` reboots into it."""
        onus = [self.onu(*target) for target in targets]
        for onu in onus:
            if not onu.online:
                where = f"{onu.slot}/{onu.port}:{onu.onu_id}"
                raise OltError("not-online", f"the ONU {where} is not online")
        now = self.clock()
        for onu in onus:
            if immediate:
                onu.software_version = version
                onu.went_down(now, "reset")
                onu.came_up(now)
            else:
                onu.pending_software = version
            self._changed("changed", onu)
        return onus

    def set_vlan(self, slot: int, port: int, onu_id: int, vlan: int) -> Onu:
        onu = self.onu(slot, port, onu_id)
        onu.vlan = vlan
        self._changed("changed", onu)
        return onu

    def rename(self, slot: int, port: int, onu_id: int, description: str) -> Onu:
        onu = self.onu(slot, port, onu_id)
        onu.description = description
        self._changed("changed", onu)
        return onu

    # -- injections ----------------------------------------------------------

    def los(self, slot: int, port: int, onu_id: int | None = None) -> list[Onu]:
        """A fibre cut: one ONU, or every ONU of the port when ``onu_id`` is None."""
        return self._go_down(slot, port, onu_id, "los", "los")

    def dying_gasp(self, slot: int, port: int, onu_id: int | None = None) -> list[Onu]:
        """Power lost at the customer: one ONU, or the whole port (an area blackout)."""
        return self._go_down(slot, port, onu_id, "dying_gasp", "dying_gasp")

    def offline(self, slot: int, port: int, onu_id: int | None = None) -> list[Onu]:
        """The ONU deactivated by the operator: offline without a fault."""
        return self._go_down(slot, port, onu_id, "offline", "deactivated")

    def recover(self, slot: int, port: int, onu_id: int | None = None) -> list[Onu]:
        """Bring the ONU (or every ONU of the port) back online."""
        now = self.clock()
        back = [o for o in self._targets(slot, port, onu_id) if not o.online]
        for onu in back:
            onu.came_up(now)
            self._changed("online", onu)
        return back

    def add_unconfigured(
        self,
        slot: int,
        port: int,
        serial: str | None = None,
        equipment: str | None = None,
    ) -> UnconfiguredOnu:
        """A new ONU plugged into a port, waiting to be authorised."""
        self.port(slot, port)
        vendor_id, model = self._serials.choice(_MODELS[self.vendor])
        canonical = normalise_gpon_serial(serial) if serial else self.new_serial(vendor_id)
        if self.find_serial(canonical) or any(u.serial == canonical for u in self.unconfigured):
            raise OltError("serial-used", f"the serial {canonical} is already on the OLT")
        found = UnconfiguredOnu(slot, port, canonical, equipment or model, self.clock())
        self.unconfigured.append(found)
        self._changed("autofind", found)
        return found

    def tick(self) -> None:
        """Drift every online ONU's optics a little (a seeded random walk)."""
        rng = self._rng
        for onu in self.all_onus():
            if onu.online:
                onu.rx_dbm = round(_clamp(onu.rx_dbm + rng.uniform(-0.05, 0.05), -30.0, -8.0), 2)
                onu.tx_dbm = round(_clamp(onu.tx_dbm + rng.uniform(-0.02, 0.02), 0.5, 5.0), 2)
                olt_rx = onu.olt_rx_dbm + rng.uniform(-0.05, 0.05)
                onu.olt_rx_dbm = round(_clamp(olt_rx, -32.0, -10.0), 2)
        self.version += 1

    # -- helpers -------------------------------------------------------------

    def new_serial(self, vendor_id: str | None = None) -> str:
        """A serial no ONU of this OLT uses yet, drawn from the seed."""
        vendor_id = vendor_id or _MODELS[self.vendor][0][0]
        while True:
            serial = f"{vendor_id}{self._serials.getrandbits(32):08X}"
            taken = self.find_serial(serial) or any(u.serial == serial for u in self.unconfigured)
            if not taken:
                return serial

    def populate(self, onus_per_port: int) -> None:
        """Authorise ``onus_per_port`` ONUs, online, on every port."""
        for slot, port in sorted(self.ports):
            for index in range(onus_per_port):
                vendor_id, model = self._serials.choice(_MODELS[self.vendor])
                serial = self.new_serial(vendor_id)
                self.unconfigured.append(
                    UnconfiguredOnu(slot, port, serial, model, self.started_at)
                )
                onu = self.authorize(
                    slot,
                    port,
                    serial,
                    onu_id=self.first_onu_id + index,
                    description=f"client-{slot}-{port}-{index + 1:03d}",
                    vlan=100 + port,
                )
                if self.vendor == "huawei":
                    self.add_service_port(slot, port, onu.onu_id, vlan=onu.vlan)

    def _id_range(self) -> range:
        return range(self.first_onu_id, self.first_onu_id + self.max_onus)

    def _targets(self, slot: int, port: int, onu_id: int | None) -> list[Onu]:
        if onu_id is None:
            return list(self.port(slot, port).onus.values())
        return [self.onu(slot, port, onu_id)]

    def _go_down(
        self, slot: int, port: int, onu_id: int | None, status: OnuStatus, cause: DownCause
    ) -> list[Onu]:
        now = self.clock()
        down = [o for o in self._targets(slot, port, onu_id) if o.online]
        for onu in down:
            onu.status = status
            onu.went_down(now, cause)
            self._changed(status, onu)
        return down

    def _fresh_optics(self, onu: Onu) -> None:
        rng = self._rng
        onu.rx_dbm = round(rng.uniform(-26.5, -15.0), 2)
        onu.tx_dbm = round(rng.uniform(1.5, 3.5), 2)
        onu.olt_rx_dbm = round(onu.rx_dbm - rng.uniform(1.0, 3.0), 2)
        onu.distance_m = rng.randint(200, 12000)
        onu.temperature_c = rng.randint(35, 60)
        onu.voltage_mv = rng.choice((3280, 3300, 3320))
        onu.bias_ma = rng.randint(5, 15)

    def _changed(self, event: str, subject: Onu | UnconfiguredOnu) -> None:
        self.version += 1
        for listener in self.listeners:
            listener(event, subject)


def new_state(
    vendor: Vendor, *, ports: int, onus_per_port: int, seed: int = 0, name: str | None = None
) -> OltState:
    """A populated OLT: ``ports`` GPON ports on one board, ``onus_per_port`` ONUs online on each.

    Huawei: board 0/1, ports 0.., ONU ids from 0. ZTE: card 1/1, ports 1.., ONU ids from 1.
    """
    if vendor not in VENDORS:
        raise ValueError(f"unknown vendor {vendor!r}: expected one of {', '.join(VENDORS)}")
    if not 1 <= ports <= 16:
        raise ValueError(f"ports must be 1..16, got {ports}")
    if not 0 <= onus_per_port <= 128:
        raise ValueError(f"onus_per_port must be 0..128, got {onus_per_port}")
    first_port = 0 if vendor == "huawei" else 1
    slot = 1
    state = OltState(
        vendor=vendor,
        name=name or ("MA5800-X7" if vendor == "huawei" else "ZXAN"),
        slot=slot,
        ports={(slot, p): PonPort(slot, p) for p in range(first_port, first_port + ports)},
        first_onu_id=0 if vendor == "huawei" else 1,
        first_port=first_port,
        seed=seed,
    )
    state.populate(onus_per_port)
    return state


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))
