"""Bad input over real HTTP (uvicorn on 127.0.0.1): each gets a SOAP fault or a 4xx, and the
ACS keeps answering."""

from __future__ import annotations

import gzip
import socket
import time
import zlib
from collections.abc import Iterator

import httpx
import pytest
from acs_testkit import CPE_PASSWORD, CPE_USER, ScriptedCpe, read, wrap

from rjchronos_acs_tr069 import soap

FIFTY_MB = 50 * 1024 * 1024


@pytest.fixture
def http(acs_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=acs_url, timeout=10) as client:
        yield client


def still_answers(http: httpx.Client) -> None:
    """A well-behaved CPE still gets its session."""
    http.cookies.clear()
    cpe = ScriptedCpe(http, serial=f"OK{time.monotonic_ns()}")
    assert read(cpe.inform()).method == "InformResponse"
    assert cpe.post().status_code == 204


def post(http: httpx.Client, body: bytes, **headers: str) -> httpx.Response:
    http.cookies.clear()
    return http.post("/", content=body, headers=headers, auth=(CPE_USER, CPE_PASSWORD))


def assert_fault(response: httpx.Response, code: int = 8003) -> None:
    assert response.status_code == 400
    answer = read(response)
    assert answer.method == "Fault"
    assert f"<FaultCode>{code}</FaultCode>" in response.text


INFORM = ScriptedCpe(None).inform_body()

BAD_BODIES = {
    "malformed": wrap(soap.CWMP_1_0, "<cwmp:Inform><DeviceId>")[:-30],
    "external entity": (
        b'<?xml version="1.0"?><!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/">'
        b"<soap-env:Body><x>&x;</x></soap-env:Body></soap-env:Envelope>"
    ),
    "billion laughs": (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(
            f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode()
            for i in range(1, 10)
        )
        + b"]><lolz>&lol9;</lolz>"
    ),
    "invalid utf-8": wrap(soap.CWMP_1_0, INFORM).replace(b"Huawei", b"Hua\xff\xfewei"),
    "inform without DeviceId": wrap(
        soap.CWMP_1_0, "<cwmp:Inform><MaxEnvelopes>1</MaxEnvelopes></cwmp:Inform>"
    ),
    "not an envelope": b"<hello/>",
    "too deep": b"<a>" * 200 + b"</a>" * 200,
}


@pytest.mark.parametrize("case", list(BAD_BODIES))
def test_bad_xml_gets_a_soap_fault(case: str, http: httpx.Client) -> None:
    response = post(http, BAD_BODIES[case])
    assert_fault(response)
    assert "root:" not in response.text  # no file was read into the answer
    still_answers(http)


def test_a_50_mb_body_declared_up_front_is_refused_unread(acs_url: str, http: httpx.Client) -> None:
    host, port = acs_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as raw:
        raw.sendall(
            f"POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: text/xml\r\n"
            f"Content-Length: {FIFTY_MB}\r\n\r\n".encode()
            + b"<" * 65536
        )
        answer = raw.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413")
    still_answers(http)


def test_a_50_mb_chunked_body_is_cut_off(acs_url: str, http: httpx.Client) -> None:
    host, port = acs_url.removeprefix("http://").split(":")
    chunk = b"x" * 65536
    sent = 0
    answer = b""
    with socket.create_connection((host, int(port)), timeout=10) as raw:
        raw.sendall(
            f"POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: text/xml\r\n"
            "Transfer-Encoding: chunked\r\n\r\n".encode()
        )
        try:
            while sent < FIFTY_MB:
                raw.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
            raw.sendall(b"0\r\n\r\n")
            answer = raw.recv(4096)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            # The server answered 413 and closed while the body was still coming.
            try:
                answer = raw.recv(4096)
            except (ConnectionResetError, TimeoutError):
                answer = b""
    assert sent < FIFTY_MB or answer.startswith(b"HTTP/1.1 413")
    assert answer == b"" or answer.startswith(b"HTTP/1.1 413")
    still_answers(http)


def test_a_decompression_bomb_is_cut_off(http: httpx.Client) -> None:
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1 << 20)
    bomb = b"".join(packer.compress(zeros) for _ in range(64)) + packer.flush()
    assert len(bomb) < 1 << 20  # small on the wire, 64 MiB inflated
    response = post(http, bomb, **{"Content-Encoding": "gzip"})
    assert response.status_code == 413
    still_answers(http)


def test_wrong_content_encodings(http: httpx.Client) -> None:
    plain = wrap(soap.CWMP_1_0, INFORM)
    assert_fault(post(http, plain, **{"Content-Encoding": "gzip"}))
    unknown = post(http, plain, **{"Content-Encoding": "br"})
    assert unknown.status_code == 415
    truncated = gzip.compress(plain)[:-20]
    assert_fault(post(http, truncated, **{"Content-Encoding": "gzip"}))
    still_answers(http)


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "raw-deflate"])
def test_compressed_informs_are_read(encoding: str, http: httpx.Client) -> None:
    body = wrap(soap.CWMP_1_0, ScriptedCpe(None, serial=f"Z-{encoding}").inform_body())
    if encoding == "gzip":
        packed = gzip.compress(body)
    elif encoding == "deflate":
        packed = zlib.compress(body)
    else:
        packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
        packed = packer.compress(body) + packer.flush()
    name = "deflate" if encoding == "raw-deflate" else encoding
    response = post(http, packed, **{"Content-Encoding": name})
    assert read(response).method == "InformResponse"
