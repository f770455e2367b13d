"""The ACS's ASGI application: CWMP over HTTP, one POST per SOAP message.

Answers: a SOAP envelope (200), 204 to end a session, 401 with Digest (and
Basic) challenges, 503 with Retry-After while the device already has a
session, and for input the ACS will not read 400/413/415 with a SOAP Fault
(CWMP 8003) or a plain reason. A method the ACS does not serve gets CWMP
fault 8000 inside the session (200), so the CPE carries on.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from rjchronos.db.driver import autocommitted
from rjchronos_acs_tr069 import (
    PLUGIN,
    devices,
    firmware,
    messages,
    provisioning,
    quirks,
    soap,
    tasks,
    telemetry,
)
from rjchronos_acs_tr069.auth import CpeCredentials, username_of
from rjchronos_acs_tr069.session_store import DatabaseSessionStore
from rjchronos_acs_tr069.sessions import COOKIE, CwmpSession, MemorySessionStore, SessionStore
from rjchronos_acs_tr069.workers import run_sync
from rjchronos_acs_tr069.xmlsafe import BadRequest, parse_xml, read_body

if TYPE_CHECKING:
    from lxml import etree

    from rjchronos.kernel import Kernel

log = logging.getLogger(__name__)
_ANSWERS = {
    "TransferComplete": "TransferCompleteResponse",
    "AutonomousTransferComplete": "AutonomousTransferCompleteResponse",
    "RequestDownload": "RequestDownloadResponse",
}


@dataclass
class Acs:
    """The ACS of one kernel: settings, credentials and the session store."""

    kernel: Kernel
    sessions: SessionStore
    credentials: CpeCredentials | None
    #: Issues challenges and nonces (the shared credentials' key, else one of this process).
    challenger: CpeCredentials
    auth_mode: str
    max_body: int
    retry_after: int
    quirks: quirks.QuirkCache
    metrics: AcsMetrics
    #: Whether a plugin answers ``rjc_cpe_credentials`` (per-device credentials).
    per_device: bool = False
    #: What the last routine Inform of each device recorded, in this process (a guess).
    routine: dict[str, devices.Recorded] = field(default_factory=dict)

    @classmethod
    def from_kernel(cls, kernel: Kernel) -> Acs:
        settings = kernel.plugin_settings(PLUGIN)
        password = settings.get("cpe_password") or ""
        if settings.get("cpe_password_encrypted"):
            password = kernel.secrets.decrypt(settings["cpe_password_encrypted"])
        username = settings.get("cpe_username") or ""
        mode = settings.get("cpe_auth", "any")
        credentials = None
        per_device = bool(kernel.hook.rjc_cpe_credentials.get_hookimpls())
        key = secrets.token_bytes(32)
        if username and password:
            # Same credentials, same key: any ACS process accepts another's nonces.
            key = hashlib.sha256(f"rjc-acs-nonce:{username}:{password}".encode()).digest()
            credentials = CpeCredentials(username, password, key, allow_basic=mode != "digest")
        elif mode != "none" and not per_device:
            log.warning(
                "ACS: no CPE credentials configured (cpe_username and cpe_password, or a "
                "plugin's rjc_cpe_credentials): every CPE will be refused until they are set, "
                "or cpe_auth is 'none'"
            )
        store = session_store(kernel, settings)
        return cls(
            kernel=kernel,
            sessions=store,
            metrics=AcsMetrics.of(kernel, store),
            credentials=credentials,
            challenger=CpeCredentials("", "", key, allow_basic=mode != "digest"),
            per_device=per_device,
            auth_mode=mode,
            max_body=int(settings.get("max_body_bytes", 1 << 20)),
            retry_after=int(settings.get("retry_after_seconds", 10)),
            quirks=quirks.QuirkCache(kernel),
        )


@dataclass(frozen=True)
class AcsMetrics:
    """The ACS's Prometheus series (in the kernel's registry)."""

    sessions: Any
    rpc_seconds: Any
    faults: Any

    @classmethod
    def of(cls, kernel: Kernel, store: SessionStore) -> AcsMetrics:
        metrics = kernel.metrics
        metrics.on_scrape(
            "rjc_cwmp_sessions_active", "CWMP sessions live in this process", [],
            lambda: [((), store.active())],
        )  # fmt: skip
        return cls(
            metrics.counter(
                "rjc_cwmp_sessions", "CWMP sessions by outcome (started, completed, busy)",
                ["outcome"],
            ),
            metrics.histogram(
                "rjc_cwmp_rpc_seconds", "From an ACS request to the CPE's answer, by RPC",
                ["method"],
            ),
            metrics.counter("rjc_cwmp_faults", "Faults CPEs returned, by fault code", ["code"]),
        )  # fmt: skip


def session_store(kernel: Kernel, settings: dict[str, Any]) -> SessionStore:
    """The store ``session_store`` names; ``auto``: the database on PostgreSQL, else memory."""
    timeout = float(settings.get("session_timeout_seconds", 30))
    kind = settings.get("session_store", "auto")
    if kind == "database" or (kind == "auto" and kernel.db.is_postgres):
        return DatabaseSessionStore(kernel.db, timeout)
    return MemorySessionStore(timeout)


def _xml(data: bytes, status: int = 200, session: CwmpSession | None = None) -> Response:
    response = Response(data, status_code=status, media_type=soap.CONTENT_TYPE)
    if session is not None:
        # What ``set_cookie(COOKIE, ..., httponly=True, samesite="strict")`` writes, without
        # http.cookies: the value (a URL-safe token, a dot, digits) needs no quoting.
        cookie = f"{COOKIE}={session.cookie}; HttpOnly; Path=/; SameSite=strict"
        response.raw_headers.append((b"set-cookie", cookie.encode("latin-1")))
    return response


def _fault(
    namespace: str, code: int, reason: str, status: int, cwmp_id: str | None = None
) -> Response:
    return _xml(
        soap.envelope(namespace, soap.fault(namespace, code, reason), cwmp_id=cwmp_id), status
    )


def build_app(kernel: Kernel) -> Starlette:
    """The CWMP listener of ``kernel`` (served on ``--acs-port``)."""
    acs = Acs.from_kernel(kernel)

    async def endpoint(request: Request) -> Response:
        try:
            return await _handle(acs, request)
        except BadRequest as exc:
            if exc.status == 400:
                return _fault(soap.CWMP_1_0, 8003, exc.reason, 400)
            return PlainTextResponse(exc.reason, status_code=exc.status)

    async def firmware_file(request: Request) -> Response:
        return await firmware.serve(kernel, request)

    app = _CwmpApp(
        endpoint,
        routes=[
            Route(firmware.ROUTE_PREFIX + "{token}", firmware_file, methods=["GET", "HEAD"]),
            Route("/{path:path}", endpoint, methods=["POST"]),
        ],
    )
    app.state.acs = acs
    return app


class _CwmpApp(Starlette):
    """The listener's app: a POST (a CWMP message, on any path) goes straight to the endpoint.

    The routes and middleware stack serve everything else (firmware files,
    405 for other methods, lifespan). A CPE's POST skips them: routing and
    the exception middlewares cost more than the rest of a message's HTTP
    handling. An error still answers 500 and reaches the server, as under
    Starlette's ``ServerErrorMiddleware``.
    """

    def __init__(
        self, endpoint: Callable[[Request], Awaitable[Response]], routes: list[Route]
    ) -> None:
        super().__init__(routes=routes)
        self._endpoint = endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await super().__call__(scope, receive, send)
            return
        scope["app"] = self
        try:
            response = await self._endpoint(Request(scope, receive))
        except Exception:
            await PlainTextResponse("Internal Server Error", status_code=500)(scope, receive, send)
            raise
        await response(scope, receive, send)


async def _handle(acs: Acs, request: Request) -> Response:
    body = await read_body(
        request.stream(),
        content_length=request.headers.get("content-length"),
        content_encoding=request.headers.get("content-encoding"),
        limit=acs.max_body,
    )
    cookie = request.cookies.get(COOKIE)
    session = await acs.sessions.get(cookie) if cookie else None
    if not body.strip():
        return await _next(acs, session) if session else Response(status_code=204)
    namespace = session.namespace if session else soap.CWMP_1_0
    try:
        envelope = messages.read_envelope(parse_xml(body))
    except messages.MalformedMessage as exc:
        return _fault(namespace, 8003, str(exc), 400)
    namespace = envelope.namespace or namespace
    if envelope.method == "Inform":
        return await _inform(acs, request, envelope, namespace, session)
    if session is None:
        return _fault(namespace, 8003, "no session: a session starts with an Inform", 400)
    if envelope.method == "Fault" or envelope.method.endswith("Response"):
        _answered(acs, session, envelope)
        read_for_telemetry = False
        if await run_sync(provisioning.handle_answer, acs.kernel, session, envelope):
            pass
        elif session.telemetry == "sent" and session.task_id is None:
            session.telemetry, read_for_telemetry = "", True
            if envelope.method == "Fault":
                log.info("ACS: device %s refused the telemetry read", session.device_id)
        else:
            await run_sync(tasks.handle_answer, acs.kernel, session, envelope)
        if envelope.method == "GetParameterValuesResponse":
            await _telemetry(acs, session.device_id, envelope, store=read_for_telemetry)
        return await _next(acs, session)
    if envelope.method == "GetRPCMethods":
        return _answer(session, soap.get_rpc_methods_response(session.namespace), envelope)
    if envelope.method in _ANSWERS:
        if envelope.method in ("TransferComplete", "AutonomousTransferComplete"):
            await run_sync(tasks.transfer_complete, acs.kernel, session, envelope)
        try:
            answer = soap.empty_response(session.namespace, _ANSWERS[envelope.method])
        except soap.UnsupportedMethod as exc:
            return _fault(session.namespace, 8000, str(exc), 200, envelope.cwmp_id)
        return _answer(session, answer, envelope)
    return _fault(
        session.namespace, 8000, f"method {envelope.method} not supported", 200, envelope.cwmp_id
    )


def _answered(acs: Acs, session: CwmpSession, envelope: messages.Envelope) -> None:
    """Time the answer to the RPC in flight; count a fault by its code."""
    if session.rpc_method:
        elapsed = time.monotonic() - session.rpc_sent_at
        acs.metrics.rpc_seconds.labels(session.rpc_method).observe(elapsed)
        session.rpc_method = ""
    if envelope.method == "Fault":
        try:
            code = str(messages.read_fault(envelope.body).code)
        except messages.MalformedMessage:
            code = "unreadable"
        acs.metrics.faults.labels(code).inc()


async def _telemetry(acs: Acs, device_id: str, envelope: messages.Envelope, *, store: bool) -> None:
    """Samples from a GetParameterValuesResponse; ``store`` its values (the telemetry read's)."""
    values = messages.parameter_values(messages.child(envelope.body, "ParameterList"))
    batch = telemetry.samples_of(device_id, {v.name: v.value for v in values})
    if batch or store:
        await run_sync(_store_and_write, acs.kernel, device_id, values, batch, store)


def _store_and_write(
    kernel: Kernel,
    device_id: str,
    values: list[messages.ParameterValue],
    batch: list[Any],
    store: bool,
) -> None:
    if store:
        with kernel.db.session() as session:
            devices.store_values(session, device_id, values)
    if batch:
        telemetry.write(kernel, batch)


def _answer(session: CwmpSession, body: etree._Element, envelope: messages.Envelope) -> Response:
    return _xml(soap.envelope(session.namespace, body, cwmp_id=envelope.cwmp_id))


def _device_password(acs: Acs, identity: str, username: str) -> str | None:
    result = acs.kernel.hook.rjc_cpe_credentials(
        kernel=acs.kernel, identity=identity, username=username
    )
    return result if isinstance(result, str) and result else None


async def _authorised(
    acs: Acs, request: Request, quirk: quirks.Applied, identity: str | None = None
) -> Response | None:
    """``None`` when the CPE may go on; else the 401 (403 for a ``no_401_challenge`` CPE).

    The shared credentials are tried first, then the device's own from the
    ``rjc_cpe_credentials`` hook (asked in a worker thread: it may read a store).
    """
    if acs.auth_mode == "none":
        return None
    header = request.headers.get("authorization")
    if acs.credentials is not None and acs.credentials.check(header, request.method):
        return None
    username = username_of(header)
    if acs.per_device and identity is not None and username:
        password = await run_sync(_device_password, acs, identity, username)
        own = replace(acs.challenger, username=username, password=password or "")
        if password and own.check(header, request.method):
            return None
    if quirk.no_401_challenge:
        # A challenge would crash this CPE: no credentials pass, wrong ones are refused.
        if header is None:
            return None
        return PlainTextResponse("wrong credentials", status_code=403)
    response = PlainTextResponse("authentication required", status_code=401)
    for challenge in acs.challenger.challenge():
        response.headers.append("WWW-Authenticate", challenge)
    return response


async def _inform(
    acs: Acs,
    request: Request,
    envelope: messages.Envelope,
    namespace: str,
    session: CwmpSession | None,
) -> Response:
    try:
        inform = messages.read_inform(envelope.body)
    except messages.MalformedMessage as exc:
        # An unauthenticated CPE learns nothing about what the ACS parses.
        refused = await _authorised(acs, request, quirks.NONE)
        return refused or _fault(namespace, 8003, str(exc), 400, envelope.cwmp_id)
    quirk = acs.quirks.for_inform(inform)
    refused = await _authorised(acs, request, quirk, inform.identity)
    if refused is not None:
        return refused
    if session is not None:
        # A new Inform always starts a new session, whatever cookie comes with it.
        await acs.sessions.end(session.id)
    # Taken before the queue is read: work queued after it is looked for again.
    mark = time.monotonic()
    version = soap.agree_version(envelope.supported_versions, namespace)

    def open_session(recorded: devices.Recorded) -> CwmpSession:
        fresh = CwmpSession(
            inform.identity,
            recorded.device_id,
            namespace,
            version,
            tasks_queued=recorded.tasks_queued,
            queue_mark=mark,
            acs_url=str(request.base_url),
            diagnostics_complete="8 DIAGNOSTICS COMPLETE" in inform.event_codes,
            telemetry="due" if telemetry.due(acs.kernel, recorded.device_id) else "",
        )
        provisioning.begin(fresh, inform, recorded, next_level=quirk.gpn_next_level)
        return fresh

    try:
        fresh = await run_sync(_record, acs, inform, quirk, open_session)
    except _Busy:
        return _busy(acs, inform.identity)
    acs.metrics.sessions.labels("started").inc()
    body = soap.inform_response_envelope(
        namespace, quirk.max_envelopes, cwmp_id=envelope.cwmp_id, use_version=version
    )
    return _xml(body, session=fresh)


class _Busy(Exception):
    """The device has a live session: the Inform's transaction is rolled back."""


def _busy(acs: Acs, identity: str) -> Response:
    acs.metrics.sessions.labels("busy").inc()
    return PlainTextResponse(
        f"device {identity} already has a CWMP session; retry later",
        status_code=503,
        headers={"Retry-After": str(acs.retry_after)},
    )


def _record(
    acs: Acs,
    inform: messages.Inform,
    quirk: quirks.Applied,
    open_session: Callable[[devices.Recorded], CwmpSession],
) -> CwmpSession:
    """Record the Inform and start its session; write samples.

    A routine Inform on PostgreSQL takes autocommitted statements
    (:func:`_record_routine`); any other one transaction (one commit).
    """
    kernel = acs.kernel
    if kernel.db.is_postgres and not quirk.conflict and devices.may_be_routine(kernel, inform):
        routine = _record_routine(acs, inform, open_session)
        if routine is not None:
            _write_samples(kernel, routine, inform)
            return routine
    with kernel.db.session() as session:
        recorded = devices.record_inform(kernel, inform, session)
        fresh = open_session(recorded)
        if not acs.sessions.begin(fresh, session):
            raise _Busy
        if quirk.conflict:
            payload = {"identity": inform.identity, "error": quirk.conflict}
            kernel.events.emit(
                "cpe.quirk_conflict", recorded.device_id, payload, devices.ACTOR, session=session
            )
        if recorded.tasks_queued:
            tasks.requeue_interrupted(kernel, recorded.device_id, session)
    _write_samples(kernel, fresh, inform)
    return fresh


#: Devices whose last routine Inform :attr:`Acs.routine` keeps, at most (then it starts over).
ROUTINE_GUESSES = 200_000


def _record_routine(
    acs: Acs, inform: messages.Inform, open_session: Callable[[devices.Recorded], CwmpSession]
) -> CwmpSession | None:
    """A routine Inform on PostgreSQL, with no transaction; ``None`` when it is not one.

    Sessions in the database, and the device's last routine Inform known in
    this process: the session is opened as if nothing changed since, and its
    row taken in the device's own statement (one round trip). What the
    statement reads back checks the guess; a wrong one gives its row back.
    Otherwise the device is touched, then the session's row taken (two).
    """
    store, identity = acs.sessions, inform.identity
    shared = store if isinstance(store, DatabaseSessionStore) else None
    guessed = acs.routine.get(identity) if shared else None
    with autocommitted(acs.kernel.db.engine) as connection:
        if shared is None or guessed is None:
            recorded, _ = devices.record_routine(acs.kernel, inform, connection)
        else:
            guess = open_session(guessed)
            claim = devices.Claim(*shared.claim(guess, devices.DEVICE_TOUCH))
            recorded, taken = devices.record_routine(acs.kernel, inform, connection, claim)
            if recorded == guessed:
                if not taken:
                    raise _Busy
                shared.claimed(guess)
                return guess
            if taken:  # the guess was wrong: its row goes back
                shared.release(guess, connection)
        if recorded is None:
            acs.routine.pop(identity, None)
            return None
        if len(acs.routine) >= ROUTINE_GUESSES:
            acs.routine.clear()
        acs.routine[identity] = recorded
        fresh = open_session(recorded)
        if not store.begin(fresh, connection):
            raise _Busy
        return fresh


def _write_samples(kernel: Kernel, session: CwmpSession, inform: messages.Inform) -> None:
    """The Inform's telemetry, once its device is recorded (in the same worker hop)."""
    batch = telemetry.samples_of(session.device_id, {p.name: p.value for p in inform.parameters})
    if batch:
        telemetry.write(kernel, batch)


async def _next(acs: Acs, session: CwmpSession) -> Response:
    """Send the next queued RPC, or end the session with 204."""
    # Provisioning converges the device first; queued tasks then run on the result.
    request = await provisioning.next_request(acs.kernel, session)
    if request is None and session.may_have_tasks():
        request = await run_sync(tasks.next_request, acs.kernel, session)
    if request is None and session.telemetry == "due":
        session.telemetry = "sent"
        request = await run_sync(telemetry.request, acs.kernel, session)
    if request is None:
        await acs.sessions.end(session.id)
        return _ended(acs, "completed")
    session.sent += 1
    session.request_id = f"{session.task_id or 'provision'}.{session.sent}"
    session.rpc_method, session.rpc_sent_at = request.method, time.monotonic()
    body = soap.request_body(session.namespace, request)
    if not await acs.sessions.save(session):
        # Its lease ran out and another Inform took the device: this session is over.
        return _ended(acs, "expired")
    envelope = soap.envelope(session.namespace, body, cwmp_id=session.request_id)
    return _xml(envelope, session=session)


def _ended(acs: Acs, outcome: str) -> Response:
    acs.metrics.sessions.labels(outcome).inc()
    response = Response(status_code=204)
    response.raw_headers.append(_EXPIRED_COOKIE)
    return response


#: What ``delete_cookie(COOKIE)`` writes, without http.cookies (and with a fixed past date).
_EXPIRED_COOKIE = (
    b"set-cookie",
    f'{COOKIE}=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=lax'.encode(
        "latin-1"
    ),
)


def app_factory(kernel: Any) -> Starlette:
    """``ProtocolEndpoint.app_factory`` of the ``acs`` listener."""
    return build_app(kernel)
