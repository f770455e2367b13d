"""One simulated CPE: its parameters, pending events and what it does between sessions."""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rjchronos_sdk.sim.cpe.datamodel import ParamDef
from rjchronos_sdk.sim.cpe.http11 import ClientCredentials
from rjchronos_sdk.sim.cpe.identity import Identity
from rjchronos_sdk.sim.cpe.profiles import PATHS, ModelPaths, initial_values, rssi_parameter
from rjchronos_sdk.sim.cpe.tree import (
    RETRANS_EXTENSION,
    ParameterTree,
    Template,
    default_value,
)
from rjchronos_sdk.sim.cpe.values import noise, rate
from rjchronos_sdk.sim.cpe.wifi import (
    CLEAN,
    POSSIBLE_CHANNELS,
    ChannelConditions,
    RadioEnvironment,
    environment,
)

if TYPE_CHECKING:
    from rjchronos_sdk.sim.cpe.fleet import Fleet

QUIRKS = (
    "no-soapaction",
    "odd-prefixes",
    "wrong-arraytype",
    "lowercase-events",
    "preemptive-basic",
    "crash-on-401",
)

_COUNTER_LEAVES = frozenset(
    {
        "BytesSent",
        "BytesReceived",
        "PacketsSent",
        "PacketsReceived",
        "TotalBytesSent",
        "TotalBytesReceived",
        "TotalPacketsSent",
        "TotalPacketsReceived",
    }
)
_DRIFT_LEAVES = _COUNTER_LEAVES | {
    "UpTime",
    "CPUUsage",
    "Free",
    "OpticalSignalLevel",
    "TransmitOpticalLevel",
    "SignalStrength",
    "X_RJCHRONOS_SignalStrength",
    "CurrentLocalTime",
    "Retransmissions",
    RETRANS_EXTENSION,
    "Noise",
    "ChannelsInUse",
    "PossibleChannels",
}
#: The radio a Wi-Fi path belongs to (access points and WLANConfigurations are one per radio).
_RADIO_OF = re.compile(r"\.(?:Radio|AccessPoint|WLANConfiguration)\.(\d+)\.")


@dataclass(slots=True)
class Transfer:
    """A Download, ScheduleDownload or Upload the ACS asked for."""

    method: str
    command_key: str
    file_type: str
    url: str
    username: str
    password: str
    file_size: int = 0
    target_file_name: str = ""
    start_at: float = 0.0
    started: bool = False
    task: asyncio.Task[None] | None = None
    fault_code: int = 0
    fault_string: str = ""
    start_time: float = 0.0
    complete_time: float = 0.0


@dataclass(slots=True)
class CpeStats:
    """What one CPE has done so far."""

    sessions: int = 0
    failed_sessions: int = 0
    informs: int = 0
    faults: int = 0
    methods: Counter[str] = field(default_factory=Counter)
    events: Counter[str] = field(default_factory=Counter)


class ParameterView(Mapping[str, str]):
    """The CPE's current parameter values, read-only, as the ACS would read them."""

    def __init__(self, cpe: SimulatedCpe) -> None:
        self._cpe = cpe

    def __getitem__(self, path: str) -> str:
        if path not in self._cpe.tree.params:
            raise KeyError(path)
        return self._cpe.value(path)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._cpe.tree.params))

    def __len__(self) -> int:
        return len(self._cpe.tree.params)


class SimulatedCpe:
    """A CPE of the fleet. Sessions, transfers and diagnostics run on the fleet's event loop."""

    def __init__(
        self,
        fleet: Fleet,
        index: int,
        model: str,
        identity: Identity,
        template: Template,
        *,
        quirks: frozenset[str],
        download_failures: int,
        connection_request_url: str,
        acs_username: str,
        acs_password: str,
    ) -> None:
        self.fleet = fleet
        self.index = index
        self.model = model
        self.identity = identity
        self.paths: ModelPaths = PATHS[model]
        self.quirks = quirks
        self.download_failures = download_failures
        """Downloads still to fail on purpose (negative: all of them)."""
        self.tree = ParameterTree(template)
        # Factory values stay shared-keyed and untouched; the tree holds what changed since.
        self._factory = initial_values(
            model,
            identity,
            acs_url=fleet.acs_url,
            acs_username=acs_username,
            acs_password=acs_password,
            interval=fleet.interval,
            connection_request_url=connection_request_url,
        )
        self._rssi = rssi_parameter(model, identity)
        self.radio_environment: dict[int, RadioEnvironment] = {}
        """Per radio: how good each channel is (see :meth:`interfere`)."""
        self.parameters = ParameterView(self)
        self.notifications: dict[str, int] = {}
        self.access_lists: dict[str, list[str]] = {}
        self.changed: set[str] = set()
        self.pending_events: dict[str, str] = {"0 BOOTSTRAP": "", "1 BOOT": ""}
        self.transfers: list[Transfer] = []
        self.completed_transfers: deque[Transfer] = deque()
        self.after_session: list[Callable[[], None]] = []
        self.boot_time = time.time()
        self.offline_until = 0.0
        self.in_session = False
        self.session_again = False
        self.retries = 0
        self.periodic_generation = 0
        self.stats = CpeStats()
        self.auth: ClientCredentials | None = None
        """How the CPE answers the ACS's challenge (None: it sends no credentials)."""
        self.negotiated_version: str | None = None
        self.ping_latency_ms: float | None = None
        """Mean round trip of IPPing diagnostics (``None``: 2 to 40 ms at random)."""
        self.ping_jitter_ms = 0.0
        """Each round trip lies within this much of :attr:`ping_latency_ms`."""
        self.ping_loss_pct = 0.0
        """Share of IPPing repetitions lost when :attr:`ping_latency_ms` is set."""

    # -- identity ------------------------------------------------------------------------
    @property
    def serial(self) -> str:
        return self.identity.serial

    @property
    def oui(self) -> str:
        return self.identity.vendor.oui

    @property
    def product_class(self) -> str:
        return self.identity.vendor.product_class

    @property
    def device_id(self) -> str:
        """The CWMP identity ``OUI-ProductClass-SerialNumber``."""
        return f"{self.oui}-{self.product_class}-{self.serial}"

    @property
    def cr_path(self) -> str:
        return f"/cr/{self.serial}"

    @property
    def online(self) -> bool:
        return time.time() >= self.offline_until

    # -- values --------------------------------------------------------------------------
    def definition(self, path: str) -> ParamDef | None:
        return self.tree.params.get(path)

    def value(self, path: str) -> str:
        """The value the CPE reports for ``path`` now (counts and drifting values included)."""
        leaf = path.rpartition(".")[2]
        if leaf.endswith(("NumberOfEntries", "TotalAssociations")):
            table = self.tree.entries_table(path)
            if table is not None:
                return str(self.tree.instance_count(table))
        if leaf in _DRIFT_LEAVES:
            drifted = self._drift(path, leaf)
            if drifted is not None:
                return drifted
        stored = self.tree.values.get(path)
        if stored is None:
            stored = self._factory.get(path)
        if stored is not None:
            return stored
        return default_value(self.tree.params[path])

    def _drift(self, path: str, leaf: str) -> str | None:
        now = time.time()
        uptime = max(0, int(now - self.boot_time))
        key = f"{self.serial}:{path}"
        if leaf == "UpTime" and path.startswith(self.paths.device_info):
            return str(uptime)
        if leaf == "CPUUsage":
            return str(int(18 + 15 * noise(key, now)))
        if leaf == "Free" and "MemoryStatus" in path:
            return str(int(262144 * (0.45 + 0.15 * noise(key, now))))
        if leaf == "OpticalSignalLevel":
            return str(int((self.identity.rx_dbm + 0.6 * noise(key, now)) * 1000))
        if leaf == "TransmitOpticalLevel":
            return str(int((self.identity.tx_dbm + 0.2 * noise(key, now)) * 1000))
        if path in self._rssi:
            offset = self._conditions(path).rssi_offset_db
            return str(int(self._rssi[path] + offset + 4 * noise(key, now, 20.0)))
        wifi = self._wifi_reading(path, leaf, key, now)
        if wifi is not None:
            return wifi
        if leaf == "CurrentLocalTime":
            return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
        if leaf in _COUNTER_LEAVES:
            per_second = rate(key, 200, 60000) if "Bytes" in leaf else rate(key, 2, 60)
            return str(per_second * uptime)
        return None

    # -- Wi-Fi radio environment -------------------------------------------------------
    def interfere(
        self,
        radio: int,
        channels: Mapping[int, ChannelConditions],
        default: ChannelConditions = CLEAN,
    ) -> None:
        """Set how good each channel of ``radio`` is; readings follow the radio's channel."""
        self.radio_environment[radio] = environment(channels, default)

    def channel(self, radio: int) -> int:
        """The channel ``radio`` is set to."""
        if self.model == "tr098":
            path = f"{self.paths.root}LANDevice.1.WLANConfiguration.{radio}.Channel"
        else:
            path = f"Device.WiFi.Radio.{radio}.Channel"
        try:
            return int(self.value(path))
        except (KeyError, ValueError):
            return 0

    def _radio(self, path: str) -> int | None:
        found = _RADIO_OF.search(path)
        return int(found.group(1)) if found else None

    def _conditions(self, path: str) -> ChannelConditions:
        radio = self._radio(path)
        if radio is None or radio not in self.radio_environment:
            return CLEAN
        return self.radio_environment[radio].at(self.channel(radio))

    def _wifi_reading(self, path: str, leaf: str, key: str, now: float) -> str | None:
        """Retransmissions, noise and channels in use, from the radio's current channel."""
        radio = self._radio(path)
        if radio is None:
            return None
        if leaf in ("Retransmissions", RETRANS_EXTENSION) and ".AssociatedDevice." in path:
            base = self._conditions(path).retransmissions
            return str(max(0, min(100, int(base + 2 * noise(key, now, 20.0)))))
        if leaf == "Noise" and ".Radio." in path and path.endswith(".Stats.Noise"):
            return str(self._conditions(path).noise_dbm)
        if leaf == "ChannelsInUse" and ".Radio." in path:
            env = self.radio_environment.get(radio, RadioEnvironment())
            return env.in_use(radio, self.channel(radio))
        if leaf == "PossibleChannels" and ".Radio." in path:
            return ",".join(str(c) for c in POSSIBLE_CHANNELS.get(radio, ()))
        return None

    def set_value(self, path: str, value: str) -> None:
        """Store a value (the ACS's or the subscriber's) and react to what it means."""
        self.tree.values[path] = value
        if path == self.paths.management + "PeriodicInformInterval" or path == (
            self.paths.management + "PeriodicInformEnable"
        ):
            self.fleet.reschedule_periodic(self)

    def change_locally(self, path: str, value: str) -> None:
        """A change made on the CPE itself (its web page, a button): notifies the ACS."""
        if path not in self.tree.params:
            raise KeyError(path)
        self.set_value(path, value)
        notification = self.notification(path)
        if notification:
            self.changed.add(path)
        if notification == 2:
            self.add_event("4 VALUE CHANGE")
            self.fleet.wake(self)

    def ppp_failure(self, error: str = "ERROR_AUTHENTICATION_FAILURE") -> None:
        """The PPPoE session drops with ``error`` (``ERROR_NONE``: it comes back up), as the
        CPE's own WAN connection status and last-error parameters report it."""
        ppp = self.paths.ppp_username.rpartition(".")[0] + "."
        up = error == "ERROR_NONE"
        changes = {
            ppp + "ConnectionStatus": "Connected" if up else "Disconnected",
            ppp + "LastConnectionError": error,
        }
        if self.model == "tr181":
            changes[ppp + "Status"] = "Up" if up else "Down"
        for path, value in changes.items():
            self.change_locally(path, value)

    def notification(self, path: str) -> int:
        if path in self.notifications:
            return self.notifications[path]
        definition = self.tree.params.get(path)
        if definition is not None and definition.active_notify.startswith("force"):
            return 2
        return 0

    def is_drifting(self, path: str) -> bool:
        return path.rpartition(".")[2] in _DRIFT_LEAVES

    # -- events and life cycle -----------------------------------------------------------
    def add_event(self, code: str, command_key: str = "") -> None:
        self.pending_events[code] = command_key

    def reboot(self, *, command_key: str | None = None, delay: float | None = None) -> None:
        """Go down for the fleet's reboot time, then inform with 1 BOOT."""
        pause = self.fleet.reboot_delay if delay is None else delay
        if command_key is not None:
            self.add_event("M Reboot", command_key)
        self.add_event("1 BOOT")
        self.offline_until = time.time() + pause
        self.boot_time = self.offline_until
        self.fleet.wake(self, at=self.offline_until)

    def factory_reset(self) -> None:
        """Back to factory settings: the next session is a 0 BOOTSTRAP."""
        firmware = self.value(self.paths.software_version)
        self.tree.reset()
        self.tree.values[self.paths.software_version] = firmware  # a reset keeps the firmware
        self.notifications.clear()
        self.access_lists.clear()
        self.changed.clear()
        for transfer in self.transfers:
            if transfer.task is not None:
                transfer.task.cancel()
        self.transfers.clear()
        self.completed_transfers.clear()
        self.pending_events = {"0 BOOTSTRAP": ""}
        self.reboot()
        self.fleet.reschedule_periodic(self)
