"""A CWMP session from the CPE's side: Inform, its own requests, then the ACS's RPCs."""

from __future__ import annotations

import time
from http.cookies import CookieError, SimpleCookie
from xml.sax.saxutils import escape

from rjchronos_sdk.sim.cpe.cpe import SimulatedCpe, Transfer
from rjchronos_sdk.sim.cpe.http11 import Http11Connection, HttpError, HttpResponse
from rjchronos_sdk.sim.cpe.rpc import answer
from rjchronos_sdk.sim.cpe.soap import (
    CWMP_NAMESPACES,
    ODD_PREFIXES,
    STANDARD_PREFIXES,
    AcsMessage,
    CwmpFault,
    MalformedMessage,
    Writer,
    parse,
)

MAX_MESSAGES = 2000
"""A session longer than this is the ACS looping: the CPE gives up on it."""


class SessionFailed(Exception):
    """The session ended before the ACS said it was over."""


def _iso(moment: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment))


def writer_for(cpe: SimulatedCpe) -> Writer:
    namespace = CWMP_NAMESPACES["1.0" if cpe.fleet.cwmp_version == "1.0" else "1.2"]
    prefixes = ODD_PREFIXES if "odd-prefixes" in cpe.quirks else STANDARD_PREFIXES
    return Writer(namespace, prefixes, wrong_array_type="wrong-arraytype" in cpe.quirks)


def inform_envelope(cpe: SimulatedCpe, w: Writer, events: dict[str, str]) -> bytes:
    lower = "lowercase-events" in cpe.quirks
    event_entries = [
        f"<EventStruct><EventCode>{code.lower() if lower else code}</EventCode>"
        f"<CommandKey>{escape(key)}</CommandKey></EventStruct>"
        for code, key in events.items()
    ]
    names = [p for p in cpe.paths.forced_inform if p in cpe.tree.params]
    names += sorted(p for p in cpe.changed if p in cpe.tree.params and p not in names)
    triples = [(name, cpe.value(name), cpe.tree.params[name].type) for name in names]
    body = w.rpc(
        "Inform",
        f"<DeviceId><Manufacturer>{escape(cpe.identity.vendor.manufacturer)}</Manufacturer>"
        f"<OUI>{cpe.oui}</OUI><ProductClass>{escape(cpe.product_class)}</ProductClass>"
        f"<SerialNumber>{cpe.serial}</SerialNumber></DeviceId>"
        f"{w.array('Event', 'EventStruct', event_entries)}"
        f"<MaxEnvelopes>1</MaxEnvelopes><CurrentTime>{_iso(time.time())}</CurrentTime>"
        f"<RetryCount>{cpe.retries}</RetryCount>"
        f"{w.values('ParameterList', triples)}",
    )
    return w.envelope(body, f"inform-{cpe.stats.informs + 1}", inform=True)


_TRANSFER_CODES_1_0 = frozenset({0, 9001, 9002, 9010, 9011, 9012})


def transfer_complete_envelope(w: Writer, transfer: Transfer, message_id: str) -> bytes:
    code = transfer.fault_code
    if w.namespace.endswith("1-0") and code not in _TRANSFER_CODES_1_0:
        # CWMP 1.0 knows only the generic transfer failures; the string keeps the detail.
        code = 9011 if transfer.method == "Upload" else 9010
    body = w.rpc(
        "TransferComplete",
        f"<CommandKey>{escape(transfer.command_key)}</CommandKey>"
        f"<FaultStruct><FaultCode>{code}</FaultCode>"
        f"<FaultString>{escape(transfer.fault_string)}</FaultString></FaultStruct>"
        f"<StartTime>{_iso(transfer.start_time)}</StartTime>"
        f"<CompleteTime>{_iso(transfer.complete_time)}</CompleteTime>",
    )
    return w.envelope(body, message_id)


class _Exchange:
    """The HTTP side of one session: its connection, cookies and authentication."""

    def __init__(self, cpe: SimulatedCpe) -> None:
        self.cpe = cpe
        self.cookies: dict[str, str] = {}
        url = cpe.value(cpe.paths.management + "URL") or cpe.fleet.acs_url
        try:
            self.connection = Http11Connection(
                url, timeout=cpe.fleet.timeout, ssl_context=cpe.fleet.ssl_context
            )
        except HttpError as exc:
            raise SessionFailed(str(exc)) from exc

    async def post(self, body: bytes, *, request: bool) -> HttpResponse:
        cpe = self.cpe
        headers = []
        if body:
            headers.append(("Content-Type", 'text/xml; charset="utf-8"'))
            if request and "no-soapaction" not in cpe.quirks:
                headers.append(("SOAPAction", ""))
        if self.cookies:
            headers.append(("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items())))
        response = await self._send(body, headers)
        challenged = response.status == 401 and "crash-on-401" not in cpe.quirks
        if (
            challenged
            and cpe.auth is not None
            and cpe.auth.accept_challenge(response.header(b"www-authenticate"))
        ):
            response = await self._send(body, headers)
        for raw in response.header_list(b"set-cookie"):
            try:
                jar = SimpleCookie(raw)
            except CookieError:
                continue
            self.cookies.update({name: morsel.value for name, morsel in jar.items()})
        if response.status == 401:
            if "crash-on-401" in cpe.quirks:
                cpe.fleet.counters["crashes"] += 1
                cpe.offline_until = time.time() + cpe.fleet.crash_pause
                cpe.boot_time = cpe.offline_until
                cpe.add_event("1 BOOT")
            raise SessionFailed("ACS refused our credentials")
        if response.status not in (200, 204):
            raise SessionFailed(f"ACS answered HTTP {response.status}")
        return response

    async def _send(self, body: bytes, headers: list[tuple[str, str]]) -> HttpResponse:
        auth = self.cpe.auth
        authorization = auth.header("POST", self.connection.target) if auth else None
        if authorization:
            headers = [*headers, ("Authorization", authorization)]
        try:
            return await self.connection.request("POST", headers, body)
        except HttpError as exc:
            raise SessionFailed(f"HTTP error: {exc}") from exc

    async def close(self) -> None:
        await self.connection.close()


async def run_session(cpe: SimulatedCpe) -> None:
    """One complete session; raises :class:`SessionFailed` when it breaks off."""
    exchange = _Exchange(cpe)
    try:
        await _converse(cpe, exchange)
    finally:
        await exchange.close()


async def _converse(cpe: SimulatedCpe, exchange: _Exchange) -> None:
    w = writer_for(cpe)
    events = dict(cpe.pending_events)
    cpe.stats.informs += 1
    cpe.fleet.counters["informs"] += 1
    response = await exchange.post(inform_envelope(cpe, w, events), request=True)
    message = _parse(response)
    if message is None or message.method != "InformResponse":
        raise SessionFailed("no InformResponse")
    if message.use_version:
        cpe.negotiated_version = message.use_version
    for code in events:
        cpe.stats.events[code] += 1
        if cpe.pending_events.get(code) == events[code]:
            del cpe.pending_events[code]
    cpe.changed.clear()
    hold = message.hold_requests
    counter = 0
    while cpe.completed_transfers and not hold:
        counter += 1
        transfer = cpe.completed_transfers[0]
        envelope = transfer_complete_envelope(w, transfer, f"tc-{counter}")
        response = await exchange.post(envelope, request=True)
        message = _parse(response)
        if message is None or message.method != "TransferCompleteResponse":
            raise SessionFailed("no TransferCompleteResponse")
        cpe.completed_transfers.popleft()
        hold = message.hold_requests
    body = b""
    for _ in range(MAX_MESSAGES):
        response = await exchange.post(body, request=False)
        if response.status == 204 or not response.body.strip():
            return
        try:
            incoming = parse(response.body)
        except MalformedMessage as exc:
            cpe.stats.faults += 1
            cpe.fleet.counters["faults"] += 1
            body = w.fault(CwmpFault(9003, f"malformed request: {exc}"), None)
            continue
        cpe.fleet.counters["rpcs"] += 1
        body = answer(cpe, incoming, w)
    raise SessionFailed("the ACS kept the session going too long")


def _parse(response: HttpResponse) -> AcsMessage | None:
    if response.status == 204 or not response.body.strip():
        return None
    try:
        return parse(response.body)
    except MalformedMessage:
        return None
