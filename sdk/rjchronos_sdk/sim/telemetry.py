"""Synthetic ISP telemetry with labelled faults, reproducible from a seed.

Every ONU of every PON reports, at a fixed step:

- ``onu_rx_dbm``: a level drawn in [-24, -18] dBm, a daily temperature cycle of
  +-0.5 dB and Gaussian noise of 0.3 dB;
- ``onu_tx_dbm`` and ``olt_rx_dbm`` (the ONU's Tx after the fibre's loss);
- ``temperature_c``, ``online`` (1 or 0), ``reboots`` (per step);
- ``wifi_rssi_dbm`` and ``wifi_retrans_pct`` of the CPE behind it.

Metrics but ``online`` and ``reboots`` read NaN while the ONU is offline.
Faults, each a :class:`Fault`:

- ``degradation``: Rx falls 2-6 dB over 3-14 days (dirty connector, bend), then LOS;
- ``fiber_cut``: every ONU of a PON goes LOS within a minute, repaired hours later;
- ``laser_ageing``: ONU Tx (so OLT Rx) falls 1-2 dB over 30 days;
- ``power_outage``: the ONU sends a dying gasp and is offline for hours;
- ``reboot_loop``: the CPE reboots every few steps for hours;
- ``wifi_interference``: RSSI drops and retransmissions climb for hours.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

DAY = 86400.0
HOUR = 3600.0

FloatArray = npt.NDArray[np.float64]

METRICS = (
    "onu_rx_dbm",
    "onu_tx_dbm",
    "olt_rx_dbm",
    "temperature_c",
    "online",
    "reboots",
    "wifi_rssi_dbm",
    "wifi_retrans_pct",
)


@dataclass(frozen=True)
class Fault:
    """A labelled fault.

    :param kind: one of the kinds in this module's docstring.
    :param onus: indexes of the ONUs it hits (a whole PON for a fiber cut).
    :param start: when its first sign appears (seconds since the scenario's start).
    :param failure: when the ONU goes LOS, offline or degraded; None if it never does.
    :param end: when it is over (repaired, or the end of the scenario).
    """

    kind: str
    onus: tuple[int, ...]
    start: float
    failure: float | None
    end: float


@dataclass(frozen=True)
class ScenarioSpec:
    """The shape of a scenario; the same spec and seed give the same telemetry."""

    seed: int = 7
    pons: int = 8
    onus_per_pon: int = 16
    days: float = 60.0
    step_minutes: float = 15.0
    degradations: int = 24
    fiber_cuts: int = 1
    laser_ageings: int = 6
    power_outages: int = 8
    reboot_loops: int = 6
    wifi_interferences: int = 8


@dataclass
class Scenario:
    """Generated telemetry: ``metrics[name][onu, step]`` at ``times`` (seconds)."""

    spec: ScenarioSpec
    times: FloatArray
    pon_of: npt.NDArray[np.int64]
    metrics: dict[str, FloatArray]
    faults: list[Fault] = field(default_factory=list)

    @property
    def onu_count(self) -> int:
        return len(self.pon_of)

    def entity(self, onu: int) -> str:
        """A readable name for an ONU: ``pon3-onu12``."""
        return f"pon{self.pon_of[onu]}-onu{onu % self.spec.onus_per_pon}"


def generate(spec: ScenarioSpec | None = None) -> Scenario:
    """A scenario with its faults; deterministic for a given spec."""
    spec = spec or ScenarioSpec()
    rng = np.random.default_rng(spec.seed)
    step = spec.step_minutes * 60.0
    times = np.arange(0.0, spec.days * DAY, step)
    n = spec.pons * spec.onus_per_pon
    shape = (n, len(times))
    pon_of = np.repeat(np.arange(spec.pons), spec.onus_per_pon)

    phase = rng.uniform(0, 2 * np.pi, (n, 1))
    cycle = np.sin(2 * np.pi * times / DAY + phase)
    rx = rng.uniform(-24, -18, (n, 1)) + 0.5 * cycle + rng.normal(0, 0.3, shape)
    tx = rng.uniform(1.5, 3.5, (n, 1)) + rng.normal(0, 0.1, shape)
    loss = rng.uniform(15, 22, (n, 1))
    temperature = 45 + 5 * cycle + rng.normal(0, 0.5, shape)
    online = np.ones(shape)
    reboots = np.zeros(shape)
    rssi = rng.uniform(-65, -45, (n, 1)) + rng.normal(0, 2, shape)
    retrans = np.clip(rng.normal(3, 1, shape), 0, None)

    faults: list[Fault] = []
    free = list(rng.permutation(n))
    cut_pons = rng.choice(spec.pons, spec.fiber_cuts, replace=False)
    free = [o for o in free if pon_of[o] not in cut_pons]
    wanted = (
        spec.degradations
        + spec.laser_ageings
        + spec.power_outages
        + spec.reboot_loops
        + spec.wifi_interferences
    )
    if wanted > len(free):
        raise ValueError(
            f"{wanted} single-ONU faults need as many ONUs outside the cut PONs; "
            f"the scenario has {len(free)}: add PONs or ONUs per PON"
        )
    if spec.days < 20:
        raise ValueError(f"a scenario needs at least 20 days of history, not {spec.days}")
    end = float(times[-1]) + step

    def at(t: float) -> int:
        return int(np.searchsorted(times, t))

    for pon in cut_pons:
        onus = np.flatnonzero(pon_of == pon)
        cut = float(rng.uniform(10 * DAY, spec.days * DAY - 2 * DAY))
        repaired = cut + rng.uniform(3, 10) * HOUR
        online[onus, at(cut) : at(repaired)] = 0
        faults.append(Fault("fiber_cut", tuple(int(o) for o in onus), cut, cut, repaired))

    for _ in range(spec.degradations):
        onu = int(free.pop())
        length = rng.uniform(3, 14) * DAY
        depth = rng.uniform(2, 6)
        start = float(rng.uniform(8 * DAY, spec.days * DAY - length - DAY))
        los = start + length
        span = slice(at(start), at(los))
        progress = (times[span] - start) / length
        # A connector or bend gets worse faster as it goes: part linear, part quadratic.
        shape_mix = rng.uniform(0, 1)
        rx[onu, span] -= depth * (shape_mix * progress + (1 - shape_mix) * progress**2)
        online[onu, at(los) :] = 0
        faults.append(Fault("degradation", (onu,), start, los, end))

    for _ in range(spec.laser_ageings):
        onu = int(free.pop())
        start = float(rng.uniform(0, max(spec.days - 30, 0) * DAY))
        span = slice(at(start), at(start + 30 * DAY))
        fall = rng.uniform(1, 2)
        tx[onu, span] -= fall * (times[span] - start) / (30 * DAY)
        tx[onu, at(start + 30 * DAY) :] -= fall
        faults.append(Fault("laser_ageing", (onu,), start, start + 30 * DAY, end))

    for _ in range(spec.power_outages):
        onu = int(free.pop())
        start = float(rng.uniform(8 * DAY, spec.days * DAY - DAY))
        back = start + rng.uniform(1, 12) * HOUR
        online[onu, at(start) : at(back)] = 0
        faults.append(Fault("power_outage", (onu,), start, start, back))

    for _ in range(spec.reboot_loops):
        onu = int(free.pop())
        start = float(rng.uniform(8 * DAY, spec.days * DAY - DAY))
        stop = start + rng.uniform(2, 12) * HOUR
        restarts = np.arange(at(start), at(stop), int(rng.integers(2, 5)))
        reboots[onu, restarts] = 1
        online[onu, restarts] = 0
        faults.append(Fault("reboot_loop", (onu,), start, start, stop))

    for _ in range(spec.wifi_interferences):
        onu = int(free.pop())
        start = float(rng.uniform(8 * DAY, spec.days * DAY - DAY))
        stop = start + rng.uniform(2, 24) * HOUR
        span = slice(at(start), at(stop))
        rssi[onu, span] -= rng.uniform(8, 15)
        retrans[onu, span] += rng.uniform(15, 40)
        faults.append(Fault("wifi_interference", (onu,), start, start, stop))

    offline = online == 0
    metrics = {
        "onu_rx_dbm": rx,
        "onu_tx_dbm": tx,
        "olt_rx_dbm": tx - loss + rng.normal(0, 0.3, shape),
        "temperature_c": temperature,
        "online": online,
        "reboots": reboots,
        "wifi_rssi_dbm": rssi,
        "wifi_retrans_pct": retrans,
    }
    for name, values in metrics.items():
        if name not in ("online", "reboots"):
            values[offline] = np.nan
    faults.sort(key=lambda f: f.start)
    return Scenario(spec, times, pon_of, metrics, faults)
