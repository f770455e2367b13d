"""Canonical names over TR-098 and TR-181: what the rest of RJChronos reads from a CPE.

One table, :data:`NAMES`, maps each canonical name to its TR-098 and
TR-181 path (``None`` where the model has no standard parameter). Wi-Fi
names are per radio (``wifi.1.ssid``, ``wifi.2.channel``); associated
clients are read from their tables. Profiles, the Wi-Fi API, the device
summary and telemetry all resolve names here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rjchronos_acs_tr069 import wan_errors

ROOTS = ("InternetGatewayDevice.", "Device.")
_IGD = "InternetGatewayDevice."
_WLAN = _IGD + "LANDevice.1.WLANConfiguration.{n}."
_PPP_098 = _IGD + "WANDevice.1.WANConnectionDevice.1.WANPPPConnection.1."
_IP_098 = _IGD + "WANDevice.1.WANConnectionDevice.1.WANIPConnection.1."
#: Radios the Wi-Fi names cover (the first two: 2.4 GHz and 5 GHz on most gateways).
RADIOS = (1, 2)

#: Canonical name -> (TR-098 path, TR-181 path).
NAMES: dict[str, tuple[str | None, str | None]] = {
    "periodic_inform_interval": (
        _IGD + "ManagementServer.PeriodicInformInterval",
        "Device.ManagementServer.PeriodicInformInterval",
    ),
    "wan.ip": (_PPP_098 + "ExternalIPAddress", "Device.IP.Interface.1.IPv4Address.1.IPAddress"),
    "wan.ip_dhcp": (_IP_098 + "ExternalIPAddress", None),
    "wan.errors": (
        _IGD + "WANDevice.1.WANEthernetInterfaceConfig.Stats.ErrorsReceived",
        "Device.IP.Interface.1.Stats.ErrorsReceived",
    ),
    "pppoe.username": (_PPP_098 + "Username", "Device.PPP.Interface.1.Username"),
    "pppoe.password": (_PPP_098 + "Password", "Device.PPP.Interface.1.Password"),
    "firmware": (_IGD + "DeviceInfo.SoftwareVersion", "Device.DeviceInfo.SoftwareVersion"),
    "uptime": (_IGD + "DeviceInfo.UpTime", "Device.DeviceInfo.UpTime"),
    "cpu": (_IGD + "DeviceInfo.ProcessStatus.CPUUsage", "Device.DeviceInfo.ProcessStatus.CPUUsage"),
    "memory.total": (
        _IGD + "DeviceInfo.MemoryStatus.Total",
        "Device.DeviceInfo.MemoryStatus.Total",
    ),
    "memory.free": (_IGD + "DeviceInfo.MemoryStatus.Free", "Device.DeviceInfo.MemoryStatus.Free"),
    # DSL lines' signal-to-noise ratio margins, in tenths of a dB in both models.
    "dsl.snr_down": (
        _IGD + "WANDevice.1.WANDSLInterfaceConfig.DownstreamNoiseMargin",
        "Device.DSL.Line.1.DownstreamNoiseMargin",
    ),
    "dsl.snr_up": (
        _IGD + "WANDevice.1.WANDSLInterfaceConfig.UpstreamNoiseMargin",
        "Device.DSL.Line.1.UpstreamNoiseMargin",
    ),
    # TR-181's optical levels are in thousandths of a dBm; TR-098 has no optical object.
    "optical.rx": (None, "Device.Optical.Interface.1.OpticalSignalLevel"),
    "optical.tx": (None, "Device.Optical.Interface.1.TransmitOpticalLevel"),
}
for _n in RADIOS:
    NAMES |= {
        f"wifi.{_n}.ssid": (_WLAN.format(n=_n) + "SSID", f"Device.WiFi.SSID.{_n}.SSID"),
        f"wifi.{_n}.password": (
            _WLAN.format(n=_n) + "KeyPassphrase",
            f"Device.WiFi.AccessPoint.{_n}.Security.KeyPassphrase",
        ),
        f"wifi.{_n}.channel": (_WLAN.format(n=_n) + "Channel", f"Device.WiFi.Radio.{_n}.Channel"),
        # TR-098 has no band parameter: each WLANConfiguration is one band.
        f"wifi.{_n}.band": (None, f"Device.WiFi.Radio.{_n}.OperatingFrequencyBand"),
    }

#: Older spellings profiles may use: ``wifi.*`` is radio 1, ``wifi_5g.*`` radio 2.
LEGACY = {
    f"{prefix}.{field}": f"wifi.{radio}.{field}"
    for prefix, radio in (("wifi", 1), ("wifi_5g", 2))
    for field in ("ssid", "password", "channel")
}

#: An associated Wi-Fi client's table per radio, and the leaves of its MAC, RSSI and
#: retransmissions (of the last 100 packets sent to it).
_CLIENTS = (
    (
        _WLAN + "AssociatedDevice.",
        "AssociatedDeviceMACAddress",
        # No standard RSSI in TR-098: vendors' extensions, the simulator's among them.
        ("X_RJCHRONOS_SignalStrength", "X_HW_RSSI", "X_ZTE-COM_RSSI", "SignalStrength"),
        ("X_RJCHRONOS_Retransmissions", "Retransmissions"),
    ),
    (
        "Device.WiFi.AccessPoint.{n}.AssociatedDevice.",
        "MACAddress",
        ("SignalStrength",),
        ("Retransmissions",),
    ),
)
#: Per radio, what the radio reports of its channel (TR-181 only): noise floor, channels in use.
RADIO_STATS = {
    "noise": "Device.WiFi.Radio.{n}.Stats.Noise",
    "channels_in_use": "Device.WiFi.Radio.{n}.ChannelsInUse",
}

#: Canonical name -> telemetry metric and the factor from the CPE's unit.
METRICS: dict[str, tuple[str, float]] = {
    "optical.rx": ("cpe.optical_rx_dbm", 0.001),
    "optical.tx": ("cpe.optical_tx_dbm", 0.001),
    "uptime": ("cpe.uptime_seconds", 1.0),
    "cpu": ("cpe.cpu_percent", 1.0),
    "memory.free": ("cpe.memory_free_kib", 1.0),
    "memory.total": ("cpe.memory_total_kib", 1.0),
    "wan.errors": ("cpe.wan_errors_received", 1.0),
    "dsl.snr_down": ("cpe.dsl_snr_down_db", 0.1),
    "dsl.snr_up": ("cpe.dsl_snr_up_db", 0.1),
}


def canonical(name: str) -> str:
    """The canonical spelling of ``name`` (legacy aliases resolved)."""
    return LEGACY.get(name, name)


def is_name(name: str) -> bool:
    return canonical(name) in NAMES


def path(name: str, root: str) -> str | None:
    """The path of canonical ``name`` in the model of ``root``, or ``None`` if it has none."""
    return NAMES[canonical(name)][ROOTS.index(root)]


def root_of(paths: Any) -> str | None:
    """The data model root (``InternetGatewayDevice.`` or ``Device.``) the paths belong to."""
    return next((r for r in ROOTS if any(str(p).startswith(r) for p in paths)), None)


@dataclass(frozen=True)
class Client:
    """A Wi-Fi client associated with one radio."""

    radio: int
    mac: str
    rssi: int | None
    retransmissions: int | None = None


def clients(values: Mapping[str, str | None], root: str) -> list[Client]:
    """The associated Wi-Fi clients the stored tree shows, per radio."""
    table, mac_leaf, rssi_leaves, retrans_leaves = _CLIENTS[ROOTS.index(root)]
    found: list[Client] = []
    for radio in RADIOS:
        prefix = table.format(n=radio)
        pattern = re.compile(re.escape(prefix) + r"(\d+)\." + re.escape(mac_leaf) + "$")
        matched = [(m, key) for key in values if (m := pattern.match(key)) and values[key]]
        for match, key in sorted(matched, key=lambda found: int(found[0].group(1))):
            instance = f"{prefix}{match.group(1)}."
            present = [instance + leaf for leaf in rssi_leaves if instance + leaf in values]
            rssi = _int(values[present[0]]) if present else None
            retrans = [instance + leaf for leaf in retrans_leaves if instance + leaf in values]
            retransmissions = _int(values[retrans[0]]) if retrans else None
            found.append(Client(radio, str(values[key]), rssi, retransmissions))
    return found


def read(values: Mapping[str, str | None]) -> dict[str, Any]:
    """Every canonical name the stored tree holds, with Wi-Fi per radio and its clients.

    Passwords are never shown (the parameter store keeps them blank); the
    summary says only which radios have one set through RJChronos.
    """
    root = root_of(values)
    if root is None:
        return {"data_model": None}
    index = ROOTS.index(root)
    scalars = {
        name: values.get(p)
        for name, paths in NAMES.items()
        if (p := paths[index]) is not None
        and not name.startswith("wifi.")
        and "password" not in name
    }
    wan_ip = scalars.pop("wan.ip_dhcp", None)
    if not scalars.get("wan.ip") and wan_ip:
        scalars["wan.ip"] = wan_ip
    all_clients = clients(values, root)
    radios = []
    for radio in RADIOS:
        fields = {
            field: values.get(p)
            for field in ("ssid", "channel", "band")
            if (p := path(f"wifi.{radio}.{field}", root)) is not None
        }
        if not any(fields.values()):
            continue
        if fields.get("band") is None:
            fields["band"] = _band_098(values.get(_WLAN.format(n=radio) + "Standard"))
        radio_clients = [c for c in all_clients if c.radio == radio]
        radios.append(
            {
                "radio": radio,
                **fields,
                "channel": _int(fields.get("channel")),
                "clients": [{"mac": c.mac, "rssi": c.rssi} for c in radio_clients],
            }
        )
    return {
        "data_model": "tr098" if root == _IGD else "tr181",
        **{k.replace(".", "_"): v for k, v in scalars.items() if k != "periodic_inform_interval"},
        "optical_rx_dbm": _dbm(scalars.get("optical.rx")),
        "optical_tx_dbm": _dbm(scalars.get("optical.tx")),
        "wifi": radios,
    }


def samples(values: Mapping[str, str | None]) -> list[tuple[str, str, float]]:
    """Telemetry ``(entity suffix, metric, value)`` from the values of one session.

    The suffix is ``""`` for the device itself, ``/radio/<n>`` for a radio
    and ``/wifi/<mac>`` for an associated client (the store keys samples by
    entity, metric and time, so each client is an entity of its own).
    """
    root = root_of(values)
    if root is None:
        return []
    index = ROOTS.index(root)
    found: list[tuple[str, str, float]] = []
    for name, (metric, factor) in METRICS.items():
        p = NAMES[name][index]
        number = _float(values.get(p)) if p is not None else None
        if number is not None:
            found.append(("", metric, number * factor))
    found.extend(_radio_samples(values, root))
    if not any(_is_client_path(p, root) for p in values):
        return found
    listed = clients(values, root)
    for radio in RADIOS:
        on_radio = [c for c in listed if c.radio == radio]
        found.append((f"/radio/{radio}", "cpe.wifi_clients", float(len(on_radio))))
        for metric, readings in (
            ("cpe.wifi_rssi_dbm", [c.rssi for c in on_radio if c.rssi is not None]),
            (
                "cpe.wifi_retrans_pct",
                [c.retransmissions for c in on_radio if c.retransmissions is not None],
            ),
        ):
            if readings:
                found.append((f"/radio/{radio}", metric, sum(readings) / len(readings)))
    found.append(("", "cpe.wifi_clients", float(len(listed))))
    for client in listed:
        if client.rssi is not None:
            found.append((f"/wifi/{client.mac}", "cpe.wifi_client_rssi_dbm", float(client.rssi)))
    return found


def _radio_samples(values: Mapping[str, str | None], root: str) -> list[tuple[str, str, float]]:
    """Each radio's channel and (TR-181) noise floor, as read in this session."""
    found: list[tuple[str, str, float]] = []
    for radio in RADIOS:
        channel_path = path(f"wifi.{radio}.channel", root)
        channel = _float(values.get(channel_path)) if channel_path else None
        if channel is not None:
            found.append((f"/radio/{radio}", "cpe.wifi_channel", channel))
        if root == "Device.":
            noise = _float(values.get(RADIO_STATS["noise"].format(n=radio)))
            if noise is not None:
                found.append((f"/radio/{radio}", "cpe.wifi_noise_dbm", noise))
    return found


def _is_client_path(path: str, root: str) -> bool:
    return ".AssociatedDevice." in path and path.startswith(root)


def telemetry_paths(root: str) -> list[str]:
    """What a session reads for telemetry: the metrics' paths, the WAN connections' status,
    the radios' channels and statistics, and the client tables."""
    index = ROOTS.index(root)
    leaves = [p for name in METRICS if (p := NAMES[name][index]) is not None]
    leaves += wan_errors.STATUS_PATHS[root]
    for radio in RADIOS:
        channel = path(f"wifi.{radio}.channel", root)
        leaves += [channel] if channel else []
        if root == "Device.":
            leaves += [p.format(n=radio) for p in RADIO_STATS.values()]
    tables = [_CLIENTS[index][0].format(n=radio) for radio in RADIOS]
    return leaves + tables


def _band_098(standard: str | None) -> str | None:
    if not standard:
        return None
    return "5GHz" if standard.strip().lower() in ("a", "ac", "ax", "a,n", "n,ac") else "2.4GHz"


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def _int(value: str | None) -> int | None:
    number = _float(value)
    return int(number) if number is not None else None


def _dbm(value: str | None) -> float | None:
    number = _float(value)
    return round(number / 1000, 3) if number is not None else None
