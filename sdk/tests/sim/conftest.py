"""A small scripted ACS on uvicorn at 127.0.0.1 the simulated CPEs talk to over real HTTP."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import itertools
from collections import deque
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from urllib.request import parse_http_list, parse_keqv_list

import pytest
import uvicorn
from lxml import etree
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from rjchronos_sdk.sim.cpe.soap import AcsMessage, parse

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class Received:
    """One POST the ACS got from a CPE."""

    serial: str | None
    headers: dict[str, str]
    body: bytes
    message: AcsMessage | None


@dataclass
class InformRecord:
    serial: str
    events: list[tuple[str, str]]
    namespace: str
    parameters: dict[str, str]
    headers: dict[str, str]
    body: bytes


@dataclass
class _Session:
    serial: str
    namespace: str
    waiting: asyncio.Future[AcsMessage] | None = None


@dataclass
class _Call:
    method: str
    content: str
    result: asyncio.Future[AcsMessage]
    raw: bytes | None = None


def events_of(message: AcsMessage) -> list[tuple[str, str]]:
    event = next(c for c in message.element if etree.QName(c).localname == "Event")
    return [(e.findtext("EventCode") or "", e.findtext("CommandKey") or "") for e in event]


@dataclass
class ScriptedAcs:
    """Answers Inform and TransferComplete, sends the RPCs queued per serial, serves files."""

    require_auth: str | None = None
    """None, "basic" or "digest"."""
    refuse_auth: bool = False
    password: str = "secret"
    informs: list[InformRecord] = field(default_factory=list)
    transfers: list[AcsMessage] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    uploads: dict[str, bytes] = field(default_factory=dict)
    auth_headers: list[str] = field(default_factory=list)
    url: str = ""
    _queues: dict[str, deque[_Call]] = field(default_factory=dict)
    _sessions: dict[str, _Session] = field(default_factory=dict)
    _ids: Iterator[int] = field(default_factory=itertools.count)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/acs", self._cwmp, methods=["POST"]),
                Route("/files/{name}", self._file, methods=["GET"]),
                Route("/upload/{name}", self._upload, methods=["PUT"]),
            ]
        )

    def call(self, serial: str, method: str, content: str = "") -> asyncio.Future[AcsMessage]:
        """Queue an RPC for the CPE's next session; the future holds its answer."""
        future: asyncio.Future[AcsMessage] = asyncio.get_running_loop().create_future()
        self._queues.setdefault(serial, deque()).append(_Call(method, content, future))
        return future

    def call_raw(self, serial: str, body: bytes) -> asyncio.Future[AcsMessage]:
        """Queue a raw (possibly broken) message instead of a well-formed RPC."""
        future: asyncio.Future[AcsMessage] = asyncio.get_running_loop().create_future()
        self._queues.setdefault(serial, deque()).append(_Call("", "", future, body))
        return future

    def informs_of(self, serial: str) -> list[InformRecord]:
        return [record for record in self.informs if record.serial == serial]

    def _authorised(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        if header:
            self.auth_headers.append(header)
        if self.require_auth is None:
            return True
        if self.refuse_auth or not header.lower().startswith(self.require_auth):
            return False
        if self.require_auth == "digest":
            return _digest_matches(header, "POST", self.password)
        return base64.b64decode(header.split()[1]).decode().endswith(":" + self.password)

    def _challenge(self) -> Response:
        if self.require_auth == "digest":
            value = 'Digest realm="acs", qop="auth", nonce="abc123", algorithm=MD5'
        else:
            value = 'Basic realm="acs"'
        return Response(status_code=401, headers={"WWW-Authenticate": value})

    async def _cwmp(self, request: Request) -> Response:
        if not self._authorised(request):
            return self._challenge()
        body = await request.body()
        cookie = request.cookies.get("session")
        session = self._sessions.get(cookie or "")
        message = parse(body) if body.strip() else None
        self.received.append(
            Received(session.serial if session else None, dict(request.headers), body, message)
        )
        if message is not None and message.method == "Inform":
            return self._inform(message, body, dict(request.headers))
        if session is None:
            return Response(status_code=400, content=b"no session")
        if message is not None and message.method == "TransferComplete":
            self.transfers.append(message)
            return self._reply(session, "TransferCompleteResponse", "", message.id)
        if message is not None and session.waiting is not None:
            session.waiting.set_result(message)
            session.waiting = None
        queue = self._queues.get(session.serial)
        if not queue:
            return Response(status_code=204)
        call = queue.popleft()
        session.waiting = call.result
        if call.raw is not None:
            return Response(call.raw, media_type="text/xml")
        return self._reply(session, call.method, call.content, f"acs-{next(self._ids)}")

    def _inform(self, message: AcsMessage, body: bytes, headers: dict[str, str]) -> Response:
        element = message.element
        serial = element.find("DeviceId").findtext("SerialNumber")
        namespace = etree.QName(element).namespace or ""
        params = {
            (item.findtext("Name") or ""): (item.findtext("Value") or "")
            for item in element.find("ParameterList")
        }
        self.informs.append(
            InformRecord(serial, events_of(message), namespace, params, headers, body)
        )
        cookie = f"s{next(self._ids)}"
        self._sessions[cookie] = _Session(serial, namespace)
        response = self._reply(
            self._sessions[cookie], "InformResponse", "<MaxEnvelopes>1</MaxEnvelopes>", message.id
        )
        response.set_cookie("session", cookie)
        return response

    def _reply(
        self, session: _Session, method: str, content: str, message_id: str | None
    ) -> Response:
        envelope = (
            f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}" xmlns:cwmp="{session.namespace}" '
            f'xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
            f'xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" '
            f'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f'<soapenv:Header><cwmp:ID soapenv:mustUnderstand="1">{message_id or ""}</cwmp:ID>'
            f"</soapenv:Header><soapenv:Body><cwmp:{method}>{content}</cwmp:{method}>"
            f"</soapenv:Body></soapenv:Envelope>"
        )
        return Response(envelope, media_type="text/xml")

    async def _file(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in self.files:
            return Response(status_code=404)
        return Response(self.files[name], media_type="application/octet-stream")

    async def _upload(self, request: Request) -> Response:
        self.uploads[request.path_params["name"]] = await request.body()
        return Response(status_code=201)


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.asynccontextmanager
async def running_acs(acs: ScriptedAcs) -> AsyncIterator[ScriptedAcs]:
    config = uvicorn.Config(
        acs.app(), host="127.0.0.1", port=0, log_level="warning", lifespan="off"
    )
    server = _Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    acs.url = f"http://127.0.0.1:{port}/acs"
    try:
        yield acs
    finally:
        server.should_exit = True
        await task


@pytest.fixture
async def acs() -> AsyncIterator[ScriptedAcs]:
    async with running_acs(ScriptedAcs()) as server:
        yield server


def _digest_matches(header: str, method: str, password: str) -> bool:
    """Check a Digest answer to the fixed challenge below (RFC 7616 with qop=auth)."""
    fields = parse_keqv_list(parse_http_list(header.partition(" ")[2]))

    def md5(text: str) -> str:
        return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()

    ha1 = md5(f"{fields['username']}:acs:{password}")
    ha2 = md5(f"{method}:{fields['uri']}")
    expected = md5(f"{ha1}:abc123:{fields['nc']}:{fields['cnonce']}:auth:{ha2}")
    return fields["nonce"] == "abc123" and fields["response"] == expected


def fault_of(message: AcsMessage) -> tuple[int, list[tuple[str, int]]]:
    """The CWMP fault code in a SOAP Fault and its SetParameterValuesFault entries."""
    assert message.method == "Fault", message.method
    detail = next(
        e
        for e in message.element.iter()
        if etree.QName(e).localname == "Fault" and e is not message.element
    )
    code = int(detail.findtext("FaultCode") or 0)
    entries = [
        (item.findtext("ParameterName") or "", int(item.findtext("FaultCode") or 0))
        for item in detail
        if etree.QName(item).localname == "SetParameterValuesFault"
    ]
    return code, entries


def values_of(message: AcsMessage) -> dict[str, tuple[str, str]]:
    """GetParameterValuesResponse as name -> (value, xsi:type)."""
    xsi_type = "{http://www.w3.org/2001/XMLSchema-instance}type"
    listing = message.element.find("ParameterList")
    return {
        item.findtext("Name") or "": (
            item.findtext("Value") or "",
            item.find("Value").get(xsi_type),
        )
        for item in listing
    }
