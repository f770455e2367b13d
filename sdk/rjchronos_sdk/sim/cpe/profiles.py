"""Where each model keeps what the simulator fills in, and the values a new CPE starts with."""

from __future__ import annotations

import sys
from dataclasses import dataclass

from rjchronos_sdk.sim.cpe.identity import Identity
from rjchronos_sdk.sim.cpe.tree import RSSI_EXTENSION


@dataclass(frozen=True, slots=True)
class ModelPaths:
    """The paths of one model the simulator reads or fills in itself."""

    root: str
    device_info: str
    management: str
    wan_ip: str
    ppp_username: str
    diagnostics: dict[str, str]
    """Diagnostics kind (``ping``, ``traceroute``, ``download``, ``upload``) -> object path."""
    forced_inform: tuple[str, ...]

    @property
    def software_version(self) -> str:
        return self.device_info + "SoftwareVersion"

    @property
    def uptime(self) -> str:
        return self.device_info + "UpTime"


_IGD = "InternetGatewayDevice."
_WAN_CONN = _IGD + "WANDevice.1.WANConnectionDevice.1."
_LAN = _IGD + "LANDevice.1."

PATHS = {
    "tr098": ModelPaths(
        root=_IGD,
        device_info=_IGD + "DeviceInfo.",
        management=_IGD + "ManagementServer.",
        wan_ip=_WAN_CONN + "WANPPPConnection.1.ExternalIPAddress",
        ppp_username=_WAN_CONN + "WANPPPConnection.1.Username",
        diagnostics={
            "ping": _IGD + "IPPingDiagnostics.",
            "traceroute": _IGD + "TraceRouteDiagnostics.",
            "download": _IGD + "DownloadDiagnostics.",
            "upload": _IGD + "UploadDiagnostics.",
        },
        forced_inform=(
            _IGD + "DeviceSummary",
            _IGD + "DeviceInfo.SpecVersion",
            _IGD + "DeviceInfo.HardwareVersion",
            _IGD + "DeviceInfo.SoftwareVersion",
            _IGD + "DeviceInfo.ProvisioningCode",
            _IGD + "ManagementServer.ConnectionRequestURL",
            _IGD + "ManagementServer.ParameterKey",
            _WAN_CONN + "WANPPPConnection.1.ExternalIPAddress",
        ),
    ),
    "tr181": ModelPaths(
        root="Device.",
        device_info="Device.DeviceInfo.",
        management="Device.ManagementServer.",
        wan_ip="Device.IP.Interface.1.IPv4Address.1.IPAddress",
        ppp_username="Device.PPP.Interface.1.Username",
        diagnostics={
            "ping": "Device.IP.Diagnostics.IPPing.",
            "traceroute": "Device.IP.Diagnostics.TraceRoute.",
            "download": "Device.IP.Diagnostics.DownloadDiagnostics.",
            "upload": "Device.IP.Diagnostics.UploadDiagnostics.",
        },
        forced_inform=(
            "Device.RootDataModelVersion",
            "Device.DeviceInfo.HardwareVersion",
            "Device.DeviceInfo.SoftwareVersion",
            "Device.DeviceInfo.ProvisioningCode",
            "Device.ManagementServer.ConnectionRequestURL",
            "Device.ManagementServer.ParameterKey",
            "Device.IP.Interface.1.IPv4Address.1.IPAddress",
        ),
    ),
}


def layout(model: str, identity: Identity) -> tuple[tuple[str, tuple[int, ...]], ...]:
    """How many instances each table of this CPE has (tables not named have one)."""
    low, high = identity.clients_per_band
    if model == "tr098":
        return (
            (_IGD + "LANDevice.{i}.WLANConfiguration.{i}.", (2,)),
            (_IGD + "LANDevice.{i}.WLANConfiguration.{i}.AssociatedDevice.{i}.", (low, high)),
            (_IGD + "LANDevice.{i}.Hosts.Host.{i}.", (low + high,)),
            (_IGD + "TraceRouteDiagnostics.RouteHops.{i}.", (0,)),
        )
    return (
        ("Device.WiFi.Radio.{i}.", (2,)),
        ("Device.WiFi.SSID.{i}.", (2,)),
        ("Device.WiFi.AccessPoint.{i}.", (2,)),
        ("Device.WiFi.AccessPoint.{i}.AssociatedDevice.{i}.", (low, high)),
        ("Device.IP.Interface.{i}.", (2,)),
        ("Device.Hosts.Host.{i}.", (low + high,)),
        ("Device.IP.Diagnostics.TraceRoute.RouteHops.{i}.", (0,)),
    )


def initial_values(
    model: str,
    identity: Identity,
    *,
    acs_url: str,
    acs_username: str,
    acs_password: str,
    interval: int,
    connection_request_url: str,
) -> dict[str, str]:
    """The values a CPE holds out of the box (its factory settings)."""
    values = _initial_values(
        model,
        identity,
        acs_url=acs_url,
        acs_username=acs_username,
        acs_password=acs_password,
        interval=interval,
        connection_request_url=connection_request_url,
    )
    # Thousands of CPEs name the same paths: keep one copy of each name.
    return {sys.intern(path): value for path, value in values.items()}


def _initial_values(
    model: str,
    identity: Identity,
    *,
    acs_url: str,
    acs_username: str,
    acs_password: str,
    interval: int,
    connection_request_url: str,
) -> dict[str, str]:
    """The values a CPE holds out of the box (its factory settings)."""
    v = identity.vendor
    paths = PATHS[model]
    info, mgmt = paths.device_info, paths.management
    values = {
        info + "Manufacturer": v.manufacturer,
        info + "ManufacturerOUI": v.oui,
        info + "ModelName": v.model_name,
        info + "ProductClass": v.product_class,
        info + "SerialNumber": identity.serial,
        info + "SoftwareVersion": v.software,
        info + "HardwareVersion": v.hardware,
        info + "Description": f"{v.manufacturer} {v.model_name}",
        info + "MemoryStatus.Total": "262144",
        mgmt + "URL": acs_url,
        mgmt + "Username": acs_username,
        mgmt + "Password": acs_password,
        mgmt + "PeriodicInformEnable": "true",
        mgmt + "PeriodicInformInterval": str(interval),
        mgmt + "ConnectionRequestURL": connection_request_url,
        mgmt + "ConnectionRequestUsername": identity.cr_username,
        mgmt + "ConnectionRequestPassword": identity.cr_password,
        paths.wan_ip: identity.wan_ip,
        paths.ppp_username: identity.pppoe_username,
    }
    low = identity.clients_per_band[0]
    if model == "tr098":
        values[_IGD + "DeviceSummary"] = "InternetGatewayDevice:1.4[](Baseline:1)"
        values[info + "SpecVersion"] = "1.0"
        ppp = _WAN_CONN + "WANPPPConnection.1."
        values |= {
            ppp + "Enable": "true",
            ppp + "ConnectionStatus": "Connected",
            ppp + "LastConnectionError": "ERROR_NONE",
            ppp + "Password": identity.pppoe_password,
            ppp + "MACAddress": identity.mac,
            _LAN + "LANHostConfigManagement.IPRouters": "192.168.1.1",
        }
        bands = zip(("", "-5G"), identity.channels, strict=True)
        for radio, (suffix, channel) in enumerate(bands, 1):
            wlan = f"{_LAN}WLANConfiguration.{radio}."
            values |= {
                wlan + "Enable": "true",
                wlan + "Status": "Up",
                wlan + "SSID": identity.ssid + suffix,
                wlan + "KeyPassphrase": identity.wifi_key,
                wlan + "Channel": str(channel),
                wlan + "Standard": "n" if radio == 1 else "ac",
                wlan + "BeaconType": "11i",
                wlan + "BSSID": identity.mac,
            }
        for n, (mac, ip, _rssi) in enumerate(identity.clients):
            radio, number = (1, n + 1) if n < low else (2, n - low + 1)
            device = f"{_LAN}WLANConfiguration.{radio}.AssociatedDevice.{number}."
            values[device + "AssociatedDeviceMACAddress"] = mac
            values[device + "AssociatedDeviceIPAddress"] = ip
            values[device + "AssociatedDeviceAuthenticationState"] = "true"
            host = f"{_LAN}Hosts.Host.{n + 1}."
            values |= {host + "MACAddress": mac, host + "IPAddress": ip, host + "Active": "true"}
        return values
    values["Device.RootDataModelVersion"] = "2.17"
    optical = "Device.Optical.Interface.1."
    values |= {
        optical + "Enable": "true",
        optical + "Status": "Up",
        optical + "Name": "veip0",
        "Device.PPP.Interface.1.Enable": "true",
        "Device.PPP.Interface.1.Status": "Up",
        "Device.PPP.Interface.1.ConnectionStatus": "Connected",
        "Device.PPP.Interface.1.LastConnectionError": "ERROR_NONE",
        "Device.PPP.Interface.1.Password": identity.pppoe_password,
        "Device.IP.Interface.1.Enable": "true",
        "Device.IP.Interface.1.Status": "Up",
        "Device.IP.Interface.1.Name": "wan",
        "Device.IP.Interface.1.IPv4Address.1.Enable": "true",
        "Device.IP.Interface.1.IPv4Address.1.AddressingType": "IPCP",
        "Device.IP.Interface.2.Enable": "true",
        "Device.IP.Interface.2.Status": "Up",
        "Device.IP.Interface.2.Name": "br-lan",
        "Device.IP.Interface.2.IPv4Address.1.Enable": "true",
        "Device.IP.Interface.2.IPv4Address.1.IPAddress": "192.168.1.1",
        "Device.IP.Interface.2.IPv4Address.1.SubnetMask": "255.255.255.0",
    }
    for radio, (suffix, channel, band) in enumerate(
        zip(("", "-5G"), identity.channels, ("2.4GHz", "5GHz"), strict=True), 1
    ):
        values |= {
            f"Device.WiFi.Radio.{radio}.Enable": "true",
            f"Device.WiFi.Radio.{radio}.Status": "Up",
            f"Device.WiFi.Radio.{radio}.OperatingFrequencyBand": band,
            f"Device.WiFi.Radio.{radio}.SupportedFrequencyBands": band,
            f"Device.WiFi.Radio.{radio}.Channel": str(channel),
            f"Device.WiFi.SSID.{radio}.Enable": "true",
            f"Device.WiFi.SSID.{radio}.Status": "Up",
            f"Device.WiFi.SSID.{radio}.SSID": identity.ssid + suffix,
            f"Device.WiFi.SSID.{radio}.BSSID": identity.mac,
            f"Device.WiFi.SSID.{radio}.MACAddress": identity.mac,
            f"Device.WiFi.SSID.{radio}.LowerLayers": f"Device.WiFi.Radio.{radio}",
            f"Device.WiFi.AccessPoint.{radio}.Enable": "true",
            f"Device.WiFi.AccessPoint.{radio}.Status": "Enabled",
            f"Device.WiFi.AccessPoint.{radio}.SSIDReference": f"Device.WiFi.SSID.{radio}",
            f"Device.WiFi.AccessPoint.{radio}.Security.ModeEnabled": "WPA2-Personal",
            f"Device.WiFi.AccessPoint.{radio}.Security.KeyPassphrase": identity.wifi_key,
        }
    for n, (mac, ip, _rssi) in enumerate(identity.clients):
        radio, number = (1, n + 1) if n < low else (2, n - low + 1)
        device = f"Device.WiFi.AccessPoint.{radio}.AssociatedDevice.{number}."
        values[device + "MACAddress"] = mac
        values[device + "Active"] = "true"
        values[device + "AuthenticationState"] = "true"
        host = f"Device.Hosts.Host.{n + 1}."
        values |= {host + "PhysAddress": mac, host + "IPAddress": ip, host + "Active": "true"}
    return values


def rssi_parameter(model: str, identity: Identity) -> dict[str, int]:
    """Each associated device's signal strength path -> its mean RSSI in dBm."""
    low = identity.clients_per_band[0]
    result = {}
    for n, (_mac, _ip, rssi) in enumerate(identity.clients):
        radio, number = (1, n + 1) if n < low else (2, n - low + 1)
        if model == "tr098":
            path = f"{_LAN}WLANConfiguration.{radio}.AssociatedDevice.{number}.{RSSI_EXTENSION}"
        else:
            path = f"Device.WiFi.AccessPoint.{radio}.AssociatedDevice.{number}.SignalStrength"
        result[path] = rssi
    return result
