"""CWMP sessions over HTTP: Inform, cookies, one session per device, CPE requests, devices."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
from acs_testkit import CPE_PASSWORD, CPE_USER, ScriptedCpe, read, wrap
from sqlalchemy import text

from rjchronos.inventory import service
from rjchronos_acs_tr069 import soap
from rjchronos_acs_tr069.sessions import COOKIE


def events_of(kernel: Any, device_id: str) -> list[tuple[str, dict[str, Any]]]:
    with kernel.db.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT type, payload FROM device_events WHERE device_id = :d ORDER BY id"),
            {"d": device_id},
        )
        return [(t, p if isinstance(p, dict) else json.loads(p)) for t, p in rows]


def test_inform_opens_a_session_and_records_the_device(
    cpe: ScriptedCpe, acs_kernel: Any, validate: Any
) -> None:
    response = cpe.inform(events=("0 BOOTSTRAP", "1 BOOT"))
    assert response.status_code == 200
    answer = read(response)
    assert answer.method == "InformResponse"
    assert answer.namespace == soap.CWMP_1_0
    assert answer.cwmp_id == "inform-1"
    assert COOKIE in response.cookies
    validate(response.content, "1.0")

    assert cpe.post().status_code == 204  # nothing queued: the session ends

    device = service.find_device(acs_kernel, identity="00259E-HG8245-485754430A1B2C3D")
    assert device is not None
    assert device.kind == "cpe"
    assert device.serial == "HWTC0A1B2C3D"  # a GPON-style serial, canonical form
    assert (device.vendor, device.model) == ("Huawei", "EchoLife HG8245H")
    assert device.firmware == "V3R017C10S120"
    assert device.hardware_version == "10C7.A"
    assert device.mac == "00:25:9e:11:e7:0e"
    assert device.management_address == "100.64.1.10"
    assert device.status == "online" and device.last_seen is not None
    types = [t for t, _ in events_of(acs_kernel, device.id)]
    assert {"cpe.inform", "cpe.boot", "cpe.bootstrap"} <= set(types)


def test_value_change_emits_the_changed_parameters(cpe: ScriptedCpe, acs_kernel: Any) -> None:
    path = "InternetGatewayDevice.DeviceInfo.SoftwareVersion"
    cpe.inform(parameters={path: ("V1", "string")})
    cpe.post()
    cpe.inform(events=("4 VALUE CHANGE",), parameters={path: ("V2", "string")})
    cpe.post()
    device = service.find_device(acs_kernel, identity="00259E-HG8245-485754430A1B2C3D")
    assert device is not None
    changes = [p for t, p in events_of(acs_kernel, device.id) if t == "cpe.value_change"]
    assert changes == [{"parameters": {path: "V2"}}]


def test_cwmp_1_4_is_agreed_through_headers(acs_http: Any, validate: Any) -> None:
    cpe = ScriptedCpe(acs_http, namespace=soap.CWMP_1_2)
    response = cpe.inform(
        header='<cwmp:SupportedCWMPVersions soap-env:mustUnderstand="0">1.0,1.1,1.2,1.3,1.4'
        "</cwmp:SupportedCWMPVersions>"
    )
    answer = read(response)
    assert answer.namespace == soap.CWMP_1_2
    assert answer.use_version == "1.4"
    validate(response.content, "1.4")


def test_a_new_inform_starts_a_new_session_even_with_the_old_cookie(cpe: ScriptedCpe) -> None:
    first = cpe.inform().cookies[COOKIE]
    second = cpe.inform()
    assert second.status_code == 200
    assert second.cookies[COOKIE] != first
    assert cpe.post().status_code == 204


def test_a_second_concurrent_session_of_one_device_is_refused(
    cpe: ScriptedCpe, acs_http: Any
) -> None:
    assert cpe.inform().status_code == 200
    acs_http.cookies.clear()  # another connection of the same device, without the cookie
    refused = cpe.inform()
    assert refused.status_code == 503
    assert int(refused.headers["retry-after"]) > 0


def test_an_expired_session_frees_the_device(cpe: ScriptedCpe, acs_http: Any) -> None:
    acs_http.app.state.acs.sessions.timeout = 0.3  # session_timeout_seconds, in memory or shared
    assert cpe.inform().status_code == 200
    acs_http.cookies.clear()
    assert cpe.inform().status_code == 503
    time.sleep(0.4)
    assert cpe.inform().status_code == 200
    assert cpe.post().status_code == 204


def test_cpe_requests_get_their_answers(cpe: ScriptedCpe, validate: Any) -> None:
    cpe.inform()
    methods = read(cpe.post(wrap(cpe.namespace, "<cwmp:GetRPCMethods/>", "r1")))
    assert methods.method == "GetRPCMethodsResponse"
    listed = [(s.text or "") for s in methods.body[0]]
    assert "Inform" in listed and "TransferComplete" in listed
    validate(cpe.last.content, "1.0")
    transfer = cpe.post(
        wrap(
            cpe.namespace,
            "<cwmp:TransferComplete><CommandKey>k</CommandKey><FaultStruct><FaultCode>0"
            "</FaultCode><FaultString></FaultString></FaultStruct><StartTime>"
            "2026-01-01T00:00:00Z</StartTime><CompleteTime>2026-01-01T00:01:00Z</CompleteTime>"
            "</cwmp:TransferComplete>",
            "r2",
        )
    )
    assert read(transfer).method == "TransferCompleteResponse"
    assert read(transfer).cwmp_id == "r2"
    download = cpe.post(
        wrap(cpe.namespace, "<cwmp:RequestDownload><FileType>1</FileType></cwmp:RequestDownload>")
    )
    assert read(download).method == "RequestDownloadResponse"
    # AutonomousTransferComplete does not exist in CWMP 1.0: fault 8000.
    autonomous = read(cpe.post(wrap(cpe.namespace, "<cwmp:AutonomousTransferComplete/>")))
    assert autonomous.method == "Fault"
    unknown = cpe.post(wrap(cpe.namespace, "<cwmp:Kicked><Command>x</Command></cwmp:Kicked>", "r9"))
    answer = read(unknown)
    assert answer.method == "Fault" and answer.cwmp_id == "r9"
    assert "8000" in unknown.text
    validate(unknown.content, "1.0")
    assert cpe.post().status_code == 204


def test_autonomous_transfer_complete_in_cwmp_1_1(acs_http: Any, validate: Any) -> None:
    cpe = ScriptedCpe(acs_http, namespace=soap.CWMP_1_1)
    cpe.inform()
    answer = cpe.post(wrap(cpe.namespace, "<cwmp:AutonomousTransferComplete/>", "a1"))
    assert read(answer).method == "AutonomousTransferCompleteResponse"
    validate(answer.content, "1.1")


def test_what_real_cpes_get_wrong_is_tolerated(acs_http: Any, acs_kernel: Any) -> None:
    # Default namespace instead of prefixes, children out of order, a wrong arrayType
    # count, an event code in lower case, no SOAPAction header.
    body = (
        b'<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/"><Header>'
        b'<ID xmlns="urn:dslforum-org:cwmp-1-0">odd-1</ID></Header><Body>'
        b'<Inform xmlns="urn:dslforum-org:cwmp-1-0">'
        b'<Event arrayType="EventStruct[5]"><EventStruct><CommandKey/><EventCode>1 boot'
        b"</EventCode></EventStruct></Event>"
        b"<DeviceId><SerialNumber>SN-ODD-1</SerialNumber><ProductClass>X1</ProductClass>"
        b"<OUI>A0B1C2</OUI><Manufacturer>Odd</Manufacturer></DeviceId>"
        b"<MaxEnvelopes>1</MaxEnvelopes><ParameterList/></Inform></Body></Envelope>"
    )
    response = acs_http.post("/", content=body, auth=(CPE_USER, CPE_PASSWORD))
    assert response.status_code == 200
    answer = read(response)
    assert answer.method == "InformResponse" and answer.cwmp_id == "odd-1"
    device = service.find_device(acs_kernel, identity="A0B1C2-X1-SN-ODD-1")
    assert device is not None
    assert "cpe.boot" in [t for t, _ in events_of(acs_kernel, device.id)]


def test_cpes_authenticate_with_basic_or_digest(acs_http: Any) -> None:
    anonymous = ScriptedCpe(acs_http, auth=None)
    refused = anonymous.inform()
    assert refused.status_code == 401
    challenges = refused.headers.get_list("www-authenticate")
    assert any(c.startswith("Digest ") for c in challenges)
    assert any(c.startswith("Basic ") for c in challenges)
    wrong = ScriptedCpe(acs_http, auth=(CPE_USER, "wrong"))
    assert wrong.inform().status_code == 401

    digest = ScriptedCpe(acs_http, auth=httpx.DigestAuth(CPE_USER, CPE_PASSWORD), serial="D1")
    assert read(digest.inform()).method == "InformResponse"
    assert digest.post().status_code == 204
    basic = ScriptedCpe(acs_http, serial="B1")  # Basic sent pre-emptively
    assert read(basic.inform()).method == "InformResponse"


def test_digest_only_refuses_basic(rjc_kernel_factory: Any) -> None:
    from acs_testkit import acs_settings
    from starlette.testclient import TestClient

    from rjchronos_acs_tr069 import PLUGIN, hooks
    from rjchronos_acs_tr069.server import build_app

    kernel = rjc_kernel_factory(
        plugins={PLUGIN: hooks}, plugin_settings={PLUGIN: acs_settings(cpe_auth="digest")}
    )
    with TestClient(build_app(kernel)) as http:
        refused = ScriptedCpe(http).inform()
        assert refused.status_code == 401
        assert refused.headers.get_list("www-authenticate")[0].startswith("Digest ")
        assert len(refused.headers.get_list("www-authenticate")) == 1
        digest = ScriptedCpe(http, auth=httpx.DigestAuth(CPE_USER, CPE_PASSWORD))
        assert digest.inform().status_code == 200
