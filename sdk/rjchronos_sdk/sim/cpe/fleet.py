"""A fleet of simulated CPEs in one asyncio process.

A session holds one HTTP/1.1 connection while it lasts (at most ``max_sessions`` at once);
the fleet shares one scheduler (a heap of due sessions, not a task per CPE), one connection
request listener (a path per CPE) and one bounded HTTP client for file transfers, so tens of
thousands of CPEs fit in one process.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import heapq
import http.cookiejar
import logging
import random
import ssl
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Coroutine, Iterable, Iterator, Mapping
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from rjchronos_sdk.sim.cpe import udp
from rjchronos_sdk.sim.cpe.cpe import QUIRKS, SimulatedCpe
from rjchronos_sdk.sim.cpe.datamodel import MODELS, load_schema
from rjchronos_sdk.sim.cpe.digest import DigestVerifier
from rjchronos_sdk.sim.cpe.http11 import ClientCredentials
from rjchronos_sdk.sim.cpe.identity import make_identity
from rjchronos_sdk.sim.cpe.profiles import layout
from rjchronos_sdk.sim.cpe.session import SessionFailed, run_session
from rjchronos_sdk.sim.cpe.tree import build_template

log = logging.getLogger(__name__)

_Entry = tuple[float, int, int, bool, int, Callable[[], None] | None]
"""(due time, sequence, CPE index, periodic?, periodic generation, action before the session)"""


class _QuietServer(uvicorn.Server):
    """A uvicorn server that leaves the host program's signal handlers alone."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _chosen(count: int, share: float, salt: str) -> set[int]:
    """Exactly ``round(count * share)`` CPE indices, the same ones for the same seed."""
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"a share is between 0 and 1, not {share}")
    return set(
        random.Random(salt).sample(  # noqa: S311 - a repeatable choice, not a secret
            range(count), round(count * share)
        )
    )


class Fleet:
    """Many simulated CPEs talking to one ACS.

    ``quirks`` maps a quirk name (see :data:`QUIRKS`) to the share of CPEs that have it (an
    iterable of names gives every CPE those quirks). ``fail_downloads`` is the share of CPEs
    whose next ``fail_downloads_times`` downloads fail (0: every download). Delays are in
    seconds; tests shorten them. ``udp_connection_requests`` gives each CPE a UDP socket on
    ``connection_host`` for Annex G connection requests (reported as
    ``ManagementServer.UDPConnectionRequestAddress``): one socket per CPE, so keep it for
    tests and small fleets.
    """

    def __init__(
        self,
        acs_url: str,
        count: int,
        model: str = "tr181",
        *,
        seed: int = 0,
        interval: int = 300,
        jitter: float = 0.1,
        ramp: float = 0.0,
        cwmp_version: str = "1.4",
        ont: bool | None = None,
        quirks: Mapping[str, float] | Iterable[str] = (),
        fail_downloads: float = 0.0,
        fail_downloads_times: int = 1,
        acs_username: str | None = None,
        acs_password: str | None = None,
        connection_host: str = "127.0.0.1",
        connection_port: int | None = 0,
        advertise_host: str | None = None,
        max_sessions: int = 500,
        max_connections: int = 100,
        reboot_delay: float = 2.0,
        diagnostics_delay: float = 1.0,
        retry_base: float = 5.0,
        crash_pause: float = 60.0,
        timeout: float = 30.0,
        verify_tls: bool = True,
        udp_connection_requests: bool = False,
    ) -> None:
        if model not in MODELS:
            raise ValueError(f"model is one of {', '.join(MODELS)}, not {model!r}")
        if cwmp_version not in ("1.0", "1.2", "1.4"):
            raise ValueError("cwmp_version is 1.0, 1.2 or 1.4")
        shares = dict(quirks) if isinstance(quirks, Mapping) else dict.fromkeys(quirks, 1.0)
        unknown = set(shares) - set(QUIRKS)
        if unknown:
            raise ValueError(f"unknown quirks {sorted(unknown)}; known: {', '.join(QUIRKS)}")
        if count < 0 or interval <= 0:
            raise ValueError("count must be >= 0 and interval > 0")
        self.acs_url = acs_url
        self.count = count
        self.model = model
        self.seed = seed
        self.interval = interval
        self.jitter = jitter
        self.ramp = ramp
        self.cwmp_version = cwmp_version
        self.ont = model == "tr181" if ont is None else ont
        self.quirk_shares = shares
        self.fail_downloads = fail_downloads
        self.fail_downloads_times = fail_downloads_times
        self.acs_username = acs_username
        self.acs_password = acs_password
        self.connection_host = connection_host
        self.connection_port = connection_port
        self.advertise_host = advertise_host or connection_host
        self.max_sessions = max_sessions
        self.max_connections = max_connections
        self.reboot_delay = reboot_delay
        self.diagnostics_delay = diagnostics_delay
        self.udp_connection_requests = udp_connection_requests
        self._udp: list[asyncio.DatagramTransport] = []
        self.retry_base = retry_base
        self.crash_pause = crash_pause
        self.timeout = timeout
        self.ssl_context = ssl.create_default_context()
        if not verify_tls:
            self.ssl_context.check_hostname = False
            self.ssl_context.verify_mode = ssl.CERT_NONE
        self.cpes: list[SimulatedCpe] = []
        self.counters: Counter[str] = Counter()
        self._by_serial: dict[str, SimulatedCpe] = {}
        self._heap: list[_Entry] = []
        self._sequence = 0
        self._wakeup = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._scheduler: asyncio.Task[None] | None = None
        self._server: _QuietServer | None = None
        self._server_task: asyncio.Task[None] | None = None
        self._limit = asyncio.Semaphore(max_sessions)
        self._verifier = DigestVerifier()
        self._client: httpx.AsyncClient | None = None
        self._rng = random.Random(f"rjchronos-sim:{seed}:schedule")  # noqa: S311 - jitter

    # -- public API ----------------------------------------------------------------------
    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            raise RuntimeError("the fleet is not started")
        return self._client

    @property
    def connection_request_port(self) -> int | None:
        """The port the connection request listener took (useful with port 0)."""
        if self._server is None or not self._server.servers:
            return None
        return int(self._server.servers[0].sockets[0].getsockname()[1])

    def cpe_by_serial(self, serial: str) -> SimulatedCpe:
        return self._by_serial[serial]

    async def start(self) -> None:
        """Listen for connection requests, build the CPEs and schedule their first Inform."""
        load_schema(self.model)
        limits = httpx.Limits(
            max_connections=self.max_connections, max_keepalive_connections=self.max_connections
        )
        # Cookies belong to one CWMP session, so the shared client must not keep any.
        self._client = httpx.AsyncClient(
            limits=limits,
            timeout=self.timeout,
            cookies=http.cookiejar.CookieJar(policy=_RefuseCookies()),
            follow_redirects=False,
        )
        cr_base = ""
        if self.connection_port is not None:
            await self._start_listener()
            cr_base = f"http://{self.advertise_host}:{self.connection_request_port}"
        self._build(cr_base)
        if self.udp_connection_requests:
            for cpe in self.cpes:
                await self._open_udp(cpe)
        now = time.time()
        for cpe in self.cpes:
            first = now + self._rng.uniform(0, self.ramp)
            self.wake(cpe, at=first)
            self._push_periodic(cpe, first + self.interval)
        self._scheduler = asyncio.create_task(self._schedule_loop())

    async def stop(self) -> None:
        """Stop every CPE, the listener and the HTTP client."""
        if self._scheduler is not None:
            self._scheduler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._scheduler
            self._scheduler = None
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        for transport in self._udp:
            transport.close()
        self._udp.clear()
        if self._server is not None:
            self._server.should_exit = True
            if self._server_task is not None:
                await self._server_task
            self._server = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def __aenter__(self) -> Fleet:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def wait_until(
        self, condition: Callable[[], bool], timeout: float = 10.0, poll: float = 0.02
    ) -> None:
        """Wait until ``condition()`` holds; :class:`TimeoutError` after ``timeout`` seconds."""
        async with asyncio.timeout(timeout):
            while not condition():
                await asyncio.sleep(poll)

    def connection_request(self, cpe: SimulatedCpe) -> None:
        """Make ``cpe`` open a session with 6 CONNECTION REQUEST (what a valid request does)."""
        self.counters["connection_requests"] += 1
        cpe.add_event("6 CONNECTION REQUEST")
        self.wake(cpe)

    # -- what CPEs call ------------------------------------------------------------------
    def wake(
        self,
        cpe: SimulatedCpe,
        at: float | None = None,
        before: Callable[[], None] | None = None,
    ) -> None:
        """Have ``cpe`` open a session at ``at`` (now when None), running ``before`` first."""
        self._push(at if at is not None else time.time(), cpe, False, 0, before)

    def reschedule_periodic(self, cpe: SimulatedCpe) -> None:
        cpe.periodic_generation += 1
        self._push_periodic(cpe, time.time() + self._interval_of(cpe))

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    # -- internals -----------------------------------------------------------------------
    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.counters["errors"] += 1
            log.error("simulator task failed", exc_info=task.exception())

    def _build(self, cr_base: str) -> None:
        chosen = {
            quirk: _chosen(self.count, share, f"{self.seed}:{quirk}")
            for quirk, share in self.quirk_shares.items()
        }
        failing = _chosen(self.count, self.fail_downloads, f"{self.seed}:fail-downloads")
        for index in range(self.count):
            identity = make_identity(self.seed, index, ont=self.ont)
            template = build_template(self.model, layout(self.model, identity))
            quirks = frozenset(q for q, members in chosen.items() if index in members)
            username = self.acs_username or identity.serial
            password = (
                self.acs_password
                or hashlib.sha256(f"{self.seed}:{identity.serial}".encode()).hexdigest()[:16]
            )
            failures = 0
            if index in failing:
                failures = self.fail_downloads_times if self.fail_downloads_times > 0 else -1
            cpe = SimulatedCpe(
                self,
                index,
                self.model,
                identity,
                template,
                quirks=quirks,
                download_failures=failures,
                connection_request_url=f"{cr_base}/cr/{identity.serial}" if cr_base else "",
                acs_username=username,
                acs_password=password,
            )
            preemptive = "preemptive-basic" in quirks
            if "crash-on-401" not in quirks or preemptive:
                cpe.auth = ClientCredentials(username, password, preemptive_basic=preemptive)
            self.cpes.append(cpe)
            self._by_serial[identity.serial] = cpe

    def _interval_of(self, cpe: SimulatedCpe) -> float:
        try:
            value = int(cpe.value(cpe.paths.management + "PeriodicInformInterval"))
        except ValueError:
            value = self.interval
        spread = self._rng.uniform(-self.jitter, self.jitter)
        return max(1.0, value * (1 + spread))

    def _push(
        self,
        at: float,
        cpe: SimulatedCpe,
        periodic: bool,
        generation: int,
        before: Callable[[], None] | None,
    ) -> None:
        self._sequence += 1
        heapq.heappush(self._heap, (at, self._sequence, cpe.index, periodic, generation, before))
        self._wakeup.set()

    def _push_periodic(self, cpe: SimulatedCpe, at: float) -> None:
        self._push(at, cpe, True, cpe.periodic_generation, None)

    async def _schedule_loop(self) -> None:
        while True:
            now = time.time()
            while self._heap and self._heap[0][0] <= now:
                self._fire(heapq.heappop(self._heap))
            delay = self._heap[0][0] - now if self._heap else None
            self._wakeup.clear()
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation that
            # arrives as the event is set, and then stop() would wait for this loop forever.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._wakeup.wait()

    def _fire(self, entry: _Entry) -> None:
        _at, _seq, index, periodic, generation, before = entry
        cpe = self.cpes[index]
        if periodic:
            if generation != cpe.periodic_generation:
                return
            enabled = cpe.value(cpe.paths.management + "PeriodicInformEnable") == "true"
            self._push_periodic(cpe, time.time() + self._interval_of(cpe))
            if not enabled:
                return
            cpe.add_event("2 PERIODIC")
        if before is not None:
            before()
        if not cpe.online:
            self.wake(cpe, at=cpe.offline_until)
            return
        if cpe.in_session:
            cpe.session_again = True
            return
        if not cpe.pending_events and not cpe.completed_transfers:
            return
        cpe.in_session = True
        self.spawn(self._sessions(cpe))

    async def _sessions(self, cpe: SimulatedCpe) -> None:
        """Run sessions for ``cpe`` until nothing more is due, within the fleet's limit."""
        try:
            async with self._limit:
                while True:
                    cpe.session_again = False
                    cpe.stats.sessions += 1
                    self.counters["sessions"] += 1
                    try:
                        await run_session(cpe)
                    except SessionFailed as exc:
                        self._failed(cpe, str(exc))
                        break
                    cpe.retries = 0
                    self.counters["sessions_ok"] += 1
                    actions, cpe.after_session = cpe.after_session, []
                    for action in actions:
                        action()
                    if not cpe.session_again or not cpe.online:
                        break
        finally:
            cpe.in_session = False
            cpe.after_session.clear()
        if cpe.session_again:
            self.wake(cpe)

    def _failed(self, cpe: SimulatedCpe, reason: str) -> None:
        cpe.stats.failed_sessions += 1
        self.counters["sessions_failed"] += 1
        cpe.retries += 1
        backoff = min(self.retry_base * 2 ** min(cpe.retries - 1, 10), float(self.interval))
        log.debug("%s: session failed (%s), retry in %.1fs", cpe.serial, reason, backoff)
        self.wake(cpe, at=max(cpe.offline_until, time.time() + backoff * self._rng.uniform(0.5, 1)))

    async def _open_udp(self, cpe: SimulatedCpe) -> None:
        """Give ``cpe`` its Annex G socket and report its address in its data model."""
        mgmt = cpe.paths.management

        def credentials() -> tuple[str, str]:
            return (
                cpe.value(mgmt + "ConnectionRequestUsername"),
                cpe.value(mgmt + "ConnectionRequestPassword"),
            )

        def accept() -> None:
            self.counters["udp_connection_requests"] += 1
            if cpe.online:
                self.connection_request(cpe)

        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: udp.Receiver(credentials, accept), local_addr=(self.connection_host, 0)
        )
        self._udp.append(transport)
        port = transport.get_extra_info("sockname")[1]
        cpe.set_value(mgmt + "UDPConnectionRequestAddress", f"{self.advertise_host}:{port}")

    async def _start_listener(self) -> None:
        app = Starlette(routes=[Route("/cr/{serial}", self._handle_cr, methods=["GET", "POST"])])
        config = uvicorn.Config(
            app,
            host=self.connection_host,
            port=self.connection_port or 0,
            log_level="warning",
            lifespan="off",
            access_log=False,
        )
        self._server = _QuietServer(config)
        self._server_task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            if self._server_task.done():
                self._server_task.result()
                raise RuntimeError("the connection request listener did not start")
            await asyncio.sleep(0.01)

    async def _handle_cr(self, request: Request) -> Response:
        cpe = self._by_serial.get(request.path_params["serial"])
        if cpe is None:
            return Response(status_code=404)
        if not cpe.online:
            return Response(status_code=503)
        mgmt = cpe.paths.management
        username = cpe.value(mgmt + "ConnectionRequestUsername")
        password = cpe.value(mgmt + "ConnectionRequestPassword")
        header = request.headers.get("authorization", "")
        if header and self._verifier.verify(header, request.method, username, password):
            self.connection_request(cpe)
            return Response(status_code=200)
        if header:
            self.counters["connection_requests_refused"] += 1
        return Response(status_code=401, headers={"WWW-Authenticate": self._verifier.challenge()})


class _RefuseCookies(http.cookiejar.DefaultCookiePolicy):
    """The shared client keeps no cookie: each session handles its own."""

    def set_ok(self, cookie: http.cookiejar.Cookie, request: urllib.request.Request) -> bool:
        return False
