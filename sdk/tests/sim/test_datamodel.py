"""The data models come from the Broadband Forum XML with their types and writability."""

from __future__ import annotations

import pytest

from rjchronos_sdk.sim.cpe.datamodel import load_schema


@pytest.mark.parametrize(
    ("model", "obj", "name", "kind", "writable"),
    [
        ("tr098", "InternetGatewayDevice.DeviceInfo.", "UpTime", "unsignedInt", False),
        ("tr098", "InternetGatewayDevice.DeviceInfo.", "SerialNumber", "string", False),
        (
            "tr098",
            "InternetGatewayDevice.ManagementServer.",
            "PeriodicInformInterval",
            "unsignedInt",
            True,
        ),
        (
            "tr098",
            "InternetGatewayDevice.ManagementServer.",
            "PeriodicInformEnable",
            "boolean",
            True,
        ),
        (
            "tr098",
            "InternetGatewayDevice.ManagementServer.",
            "ConnectionRequestPassword",
            "string",
            True,
        ),
        (
            "tr098",
            "InternetGatewayDevice.LANDevice.{i}.WLANConfiguration.{i}.",
            "SSID",
            "string",
            True,
        ),
        (
            "tr098",
            "InternetGatewayDevice.LANDevice.{i}.WLANConfiguration.{i}.",
            "Channel",
            "unsignedInt",
            True,
        ),
        (
            "tr098",
            "InternetGatewayDevice.WANDevice.{i}.WANConnectionDevice.{i}.WANPPPConnection.{i}.",
            "Username",
            "string",
            True,
        ),
        (
            "tr098",
            "InternetGatewayDevice.WANDevice.{i}.WANConnectionDevice.{i}.WANPPPConnection.{i}.",
            "ExternalIPAddress",
            "string",
            True,
        ),
        (
            "tr098",
            "InternetGatewayDevice.DeviceInfo.ProcessStatus.",
            "CPUUsage",
            "unsignedInt",
            False,
        ),
        ("tr098", "InternetGatewayDevice.IPPingDiagnostics.", "DiagnosticsState", "string", True),
        ("tr181", "Device.DeviceInfo.", "UpTime", "unsignedInt", False),
        ("tr181", "Device.DeviceInfo.MemoryStatus.", "Free", "unsignedInt", False),
        ("tr181", "Device.ManagementServer.", "ConnectionRequestURL", "string", False),
        ("tr181", "Device.WiFi.SSID.{i}.", "SSID", "string", True),
        ("tr181", "Device.WiFi.Radio.{i}.", "OperatingFrequencyBand", "string", True),
        ("tr181", "Device.WiFi.AccessPoint.{i}.Security.", "KeyPassphrase", "string", True),
        (
            "tr181",
            "Device.WiFi.AccessPoint.{i}.AssociatedDevice.{i}.",
            "SignalStrength",
            "int",
            False,
        ),
        ("tr181", "Device.Optical.Interface.{i}.", "OpticalSignalLevel", "int", False),
        ("tr181", "Device.Optical.Interface.{i}.", "TransmitOpticalLevel", "int", False),
        ("tr181", "Device.PPP.Interface.{i}.", "Username", "string", True),
        ("tr181", "Device.IP.Interface.{i}.IPv4Address.{i}.", "IPAddress", "string", True),
        ("tr181", "Device.IP.Diagnostics.TraceRoute.", "DiagnosticsState", "string", True),
        (
            "tr181",
            "Device.IP.Diagnostics.UploadDiagnostics.",
            "TestFileLength",
            "unsignedLong",
            True,
        ),
    ],
)
def test_parameters_have_the_xml_type_and_access(
    model: str, obj: str, name: str, kind: str, writable: bool
) -> None:
    param = load_schema(model).objects[obj].params[name]
    assert (param.type, param.writable) == (kind, writable)


def test_enumerations_and_notification_rules_come_from_the_xml() -> None:
    ping = load_schema("tr181").objects["Device.IP.Diagnostics.IPPing."].params
    assert "Complete" in ping["DiagnosticsState"].enumeration
    assert "Complete" not in ping["DiagnosticsState"].writable_values
    assert "Requested" in ping["DiagnosticsState"].writable_values
    uptime = load_schema("tr098").objects["InternetGatewayDevice.DeviceInfo."].params["UpTime"]
    assert uptime.active_notify == "canDeny"
    ssid = load_schema("tr181").objects["Device.WiFi.SSID.{i}."]
    assert ssid.writable and ssid.num_entries_parameter == "SSIDNumberOfEntries"


def test_unknown_model_is_refused() -> None:
    with pytest.raises(ValueError, match="tr098"):
        load_schema("tr-999")
