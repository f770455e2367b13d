"""Every message the ACS emits validates against the Broadband Forum XSD of its CWMP version."""

from __future__ import annotations

from typing import Any

import pytest

from rjchronos_acs_tr069 import soap
from rjchronos_acs_tr069.soap import AcsRequest

REQUESTS = [
    AcsRequest("GetRPCMethods"),
    AcsRequest("GetParameterNames", {"path": "Device.DeviceInfo.", "next_level": True}),
    AcsRequest("GetParameterValues", {"names": ["Device.DeviceInfo.SoftwareVersion"]}),
    AcsRequest(
        "SetParameterValues",
        {
            "values": {"Device.WiFi.SSID.1.SSID": "casa", "Device.WiFi.Radio.1.Enable": True},
            "types": {"Device.WiFi.SSID.1.SSID": "string"},
            "parameter_key": "task-1",
        },
    ),
    AcsRequest("GetParameterAttributes", {"names": ["Device.DeviceInfo."]}),
    AcsRequest(
        "SetParameterAttributes",
        {"attributes": [{"name": "Device.DeviceInfo.SoftwareVersion", "notification": 2}]},
    ),
    AcsRequest("AddObject", {"object": "Device.IP.Interface.", "parameter_key": "k"}),
    AcsRequest("DeleteObject", {"object": "Device.IP.Interface.3.", "parameter_key": "k"}),
    AcsRequest("Reboot", {"command_key": "reboot-1"}),
    AcsRequest("FactoryReset"),
    AcsRequest(
        "Download",
        {
            "command_key": "fw",
            "file_type": "1 Firmware Upgrade Image",
            "url": "http://acs.example/fw.bin",
            "file_size": 1024,
        },
    ),
    AcsRequest(
        "Upload",
        {"command_key": "cfg", "file_type": "1 Vendor Configuration File", "url": "http://x/u"},
    ),
    AcsRequest("ScheduleInform", {"delay_seconds": 60, "command_key": "later"}),
]
ONLY_1_2 = [
    AcsRequest(
        "ScheduleDownload",
        {
            "command_key": "fw",
            "file_type": "1 Firmware Upgrade Image",
            "url": "http://acs.example/fw.bin",
            "time_windows": [{"start": 0, "end": 3600}],
        },
    ),
    AcsRequest("CancelTransfer", {"command_key": "fw"}),
]


def answers(namespace: str) -> list[Any]:
    found = [
        soap.inform_response(namespace),
        soap.empty_response(namespace, "TransferCompleteResponse"),
        soap.empty_response(namespace, "RequestDownloadResponse"),
        soap.get_rpc_methods_response(namespace),
        soap.fault(namespace, 8000, "Method not supported"),
    ]
    if namespace != soap.CWMP_1_0:
        found.append(soap.empty_response(namespace, "AutonomousTransferCompleteResponse"))
    return found


CASES = [("1.0", soap.CWMP_1_0), ("1.1", soap.CWMP_1_1), ("1.4", soap.CWMP_1_2)]


@pytest.mark.parametrize(("version", "namespace"), CASES)
def test_every_request_validates(version: str, namespace: str, validate: Any) -> None:
    requests = REQUESTS + (ONLY_1_2 if namespace == soap.CWMP_1_2 else [])
    for number, request in enumerate(requests):
        body = soap.request_body(namespace, request)
        use = "1.4" if version == "1.4" else None
        validate(soap.envelope(namespace, body, cwmp_id=str(number), use_version=use), version)


@pytest.mark.parametrize(("version", "namespace"), CASES)
def test_every_answer_validates(version: str, namespace: str, validate: Any) -> None:
    for body in answers(namespace):
        validate(soap.envelope(namespace, body, cwmp_id="7", hold_requests=False), version)


def test_methods_newer_than_the_cpes_namespace_are_refused() -> None:
    with pytest.raises(soap.UnsupportedMethod, match="cwmp-1-2"):
        soap.request_body(soap.CWMP_1_0, ONLY_1_2[0])
    with pytest.raises(soap.UnsupportedMethod):
        soap.empty_response(soap.CWMP_1_0, "AutonomousTransferCompleteResponse")


def test_the_validator_rejects_a_message_out_of_schema(validate: Any) -> None:
    body = soap.request_body(soap.CWMP_1_0, AcsRequest("Reboot", {"command_key": "x"}))
    body.append(body[0].__copy__())  # a second CommandKey
    with pytest.raises(AssertionError, match="not valid CWMP 1.0"):
        validate(soap.envelope(soap.CWMP_1_0, body, cwmp_id="1"), "1.0")


def test_version_agreement() -> None:
    assert soap.agree_version("1.0,1.1,1.2,1.3,1.4", soap.CWMP_1_2) == "1.4"
    assert soap.agree_version("1.2, 1.3", soap.CWMP_1_2) == "1.3"
    assert soap.agree_version("1.4", soap.CWMP_1_0) is None
    assert soap.agree_version(None, soap.CWMP_1_2) is None
