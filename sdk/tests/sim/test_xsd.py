"""Every message the simulated CPE sends validates against the Broadband Forum CWMP schema."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from lxml import etree

from rjchronos_sdk.sim.cpe.firmware import firmware_image

from .conftest import ScriptedAcs, fault_of
from .test_rpc import names, rpc, values
from .test_session import fleet_for
from .test_transfers import completed, download_args

pytestmark = pytest.mark.anyio

_HERE = Path(__file__).parent / "xsd"
_SOAP = {
    "http://schemas.xmlsoap.org/soap/envelope/": "soap-envelope.xsd",
    "http://schemas.xmlsoap.org/soap/encoding/": "soap-encoding.xsd",
}


class _LocalSchemas(etree.Resolver):
    def resolve(self, url: str, pubid: str, context: object) -> object:
        if url in _SOAP:
            return self.resolve_filename(str(_HERE / _SOAP[url]), context)
        return None


@cache
def schema(namespace: str) -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(_LocalSchemas())
    name = {
        "urn:dslforum-org:cwmp-1-0": "cwmp-1-0.xsd",
        "urn:dslforum-org:cwmp-1-2": "cwmp-1-2.xsd",
    }
    return etree.XMLSchema(etree.parse(str(_HERE / name[namespace]), parser))


def cwmp_elements(body: bytes) -> list[etree._Element]:
    """The header ID and the RPC (or the cwmp:Fault inside a SOAP fault) of one envelope."""
    root = etree.fromstring(body)
    found = [el for el in root.iter() if etree.QName(el).localname == "ID"]
    body_element = next(el for el in root if etree.QName(el).localname == "Body")
    rpc_element = body_element[0]
    if etree.QName(rpc_element).localname == "Fault":
        rpc_element = next(
            el
            for el in rpc_element.iter()
            if etree.QName(el).localname == "Fault" and el is not rpc_element
        )
    return [*found, rpc_element]


@pytest.mark.parametrize("version", ["1.0", "1.4"])
async def test_every_cpe_message_validates(acs: ScriptedAcs, version: str) -> None:
    acs.files["fw.bin"] = firmware_image("5.0")
    async with fleet_for(acs, 1, model="tr181", cwmp_version=version) as fleet:
        await fleet.wait_until(lambda: fleet.counters["sessions_ok"] == 1)
        ping = "Device.IP.Diagnostics.IPPing."
        attribute = (
            '<ParameterList soapenc:arrayType="cwmp:SetParameterAttributesStruct[1]">'
            "<SetParameterAttributesStruct><Name>Device.WiFi.SSID.1.SSID</Name>"
            "<NotificationChange>1</NotificationChange><Notification>1</Notification>"
            "<AccessListChange>0</AccessListChange>"
            '<AccessList soapenc:arrayType="xsd:string[0]"></AccessList>'
            "</SetParameterAttributesStruct></ParameterList>"
        )
        tour = [
            ("GetRPCMethods", ""),
            ("GetParameterNames", "<ParameterPath>Device.</ParameterPath><NextLevel>0</NextLevel>"),
            ("GetParameterValues", names("Device.")),
            (
                "SetParameterValues",
                values(
                    (ping + "Host", "192.0.2.1", "string"),
                    (ping + "DiagnosticsState", "Requested", "string"),
                ),
            ),
            ("SetParameterValues", values(("Device.Nope", "1", "string"))),
            ("SetParameterAttributes", attribute),
            ("GetParameterAttributes", names("Device.WiFi.")),
            (
                "AddObject",
                "<ObjectName>Device.WiFi.SSID.</ObjectName><ParameterKey>k</ParameterKey>",
            ),
            (
                "DeleteObject",
                "<ObjectName>Device.WiFi.SSID.3.</ObjectName><ParameterKey>k</ParameterKey>",
            ),
            ("ScheduleInform", "<DelaySeconds>30</DelaySeconds><CommandKey>s</CommandKey>"),
            ("CancelTransfer", "<CommandKey>none</CommandKey>"),
            ("Download", download_args(acs, "fw.bin", "dl")),
            ("Download", download_args(acs, "absent.bin", "missing")),
            ("Reboot", "<CommandKey>rb</CommandKey>"),
        ]
        answers = {method: await rpc(acs, fleet, method, content) for method, content in tour}
        methods = [s.text for s in answers["GetRPCMethods"].element.find("MethodList")]
        # CancelTransfer and ScheduleDownload came after CWMP 1.0.
        assert ("CancelTransfer" in methods) == (version == "1.4")
        assert fault_of(answers["CancelTransfer"])[0] == (9021 if version == "1.4" else 9000)
        await fleet.wait_until(lambda: completed(acs, "missing"))
        await fleet.wait_until(lambda: completed(acs, "dl") and fleet.counters["diagnostics"] == 1)
        await fleet.wait_until(
            lambda: (
                ("M Reboot", "rb") in acs.informs[-1].events
                or ("M Reboot", "rb") in acs.informs[-2].events
            )
        )
    sent = [r.body for r in acs.received if r.body.strip()]
    kinds = set()
    for body in sent:
        for element in cwmp_elements(body):
            namespace = etree.QName(element).namespace
            # Validated in place so the envelope's namespace declarations stay in scope.
            assert schema(namespace).validate(element), (body[:300], schema(namespace).error_log)
            kinds.add(etree.QName(element).localname)
    assert {
        "Inform",
        "TransferComplete",
        "GetRPCMethodsResponse",
        "GetParameterNamesResponse",
        "GetParameterValuesResponse",
        "SetParameterValuesResponse",
        "SetParameterAttributesResponse",
        "GetParameterAttributesResponse",
        "AddObjectResponse",
        "DeleteObjectResponse",
        "ScheduleInformResponse",
        "DownloadResponse",
        "RebootResponse",
        "Fault",
        "ID",
    } <= kinds
