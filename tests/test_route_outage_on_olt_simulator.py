"""Route outage on the simulated OLT: a cut splitter is one fiber incident, a blackout a power one.

The OLT simulator answers SNMP and SSH; the olt-huawei driver and the
olt-manager collector read it and emit ``onu.los``, ``onu.dying_gasp`` and
``onu.online`` as they would in production; the alerts built-in correlates
them over the inventory topology. Operators and e-mail customers are reached
through ``email`` channels (notify-email) to an aiosmtpd server, SMS customers
through an ``sms`` channel (notify-sms) to a local HTTP gateway; the test
checks what those servers received.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import select, update

from rjchronos.customers.models import Customer
from rjchronos.inventory.models import Device, devices
from rjchronos_sdk.sim.olt import OltSimulator
from rjchronos_sdk.testing import LoopThread

CUT = 60
SPARE = 20


def _settle(kernel: Any) -> None:
    for _ in range(3):  # listeners emit incident.* events of their own
        asyncio.run(kernel.events.drain(120))


class Mailbox:
    """An aiosmtpd handler keeping each accepted message with its envelope recipients."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = (envelope.original_content or b"").replace(b"\r\n", b"\n")
        parsed = message_from_bytes(content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 2.0.0 Ok: queued"

    def subjects_to(self, recipient: str) -> list[str]:
        return [str(m["Subject"]) for rcpts, m in self.messages if rcpts == [recipient]]


class Gateway(ThreadingHTTPServer):
    """An SMS gateway: ``POST /v1/messages`` with ``{"to", "text"}`` answers 201 queued."""

    def __init__(self) -> None:
        self.messages: list[dict[str, str]] = []
        super().__init__(("127.0.0.1", 0), _GatewayHandler)


class _GatewayHandler(BaseHTTPRequestHandler):
    server: Gateway

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))))
        ok = self.path == "/v1/messages" and body.get("to") and body.get("text")
        if ok:
            self.server.messages.append({"to": body["to"], "text": body["text"]})
        answer = json.dumps({"id": str(len(self.server.messages))} if ok else {"error": "bad"})
        self.send_response(201 if ok else 400)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer.encode())

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    server = Gateway()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


async def _close(server: asyncio.Server) -> None:
    server.close()
    await server.wait_closed()


def test_cut_splitter_on_the_simulated_olt(
    rjc_kernel_factory: Callable[..., Any], rjc_client_factory: Callable[..., Any], gateway: Gateway
) -> None:
    from rjchronos_olt_manager.collector import JOB_TYPE

    kernel = rjc_kernel_factory(
        entrypoints=["olt-huawei", "olt-manager", "notify-email", "notify-sms"],
        plugin_settings={
            "builtin.alerts": {
                "incident_channels": ["noc"],
                "customer_channels": {"email": "customers-email", "phone": "customers-sms"},
                "outage_window_seconds": 60,
            },
            "builtin.inventory": {"listener_timeout_seconds": 120},
        },
    )
    api = rjc_client_factory("admin", kernel=kernel)
    loop = LoopThread()
    mailbox = Mailbox()
    smtp = loop.run(loop.loop.create_server(lambda: SMTP(mailbox), "127.0.0.1", 0))
    smtp_config = {"host": "127.0.0.1", "port": smtp.sockets[0].getsockname()[1],
                   "security": "none", "from": "RJ Fibra <avisos@isp.example>"}  # fmt: skip
    sms_config = {"url": f"http://127.0.0.1:{gateway.server_address[1]}/v1/messages",
                  "body": {"to": "{recipient}", "text": "{body}"}}  # fmt: skip
    for name, kind, config, recipient in (
        ("noc", "email", smtp_config, "noc@isp.example"),
        ("customers-email", "email", smtp_config, ""),
        ("customers-sms", "sms", sms_config, ""),
    ):
        created = api.post(
            "/api/v1/notification-channels",
            json={"name": name, "type": kind, "config": config, "recipient": recipient,
                  "language": "en" if name == "noc" else "pt-BR"},
        )  # fmt: skip
        assert created.status_code == 201, created.text

    olt = OltSimulator("huawei", ports=1, onus_per_port=CUT + SPARE, seed=5, drift_interval=0)
    loop.run(olt.start())
    try:
        slot, port = next(iter(olt.state.ports))
        added = api.post(
            "/api/v1/olts",
            json={"name": "OLT-Centro", "vendor": "Huawei", "management_address": olt.host,
                  "ssh_port": olt.ssh_port, "username": olt.username, "password": olt.password,
                  "snmp_port": olt.snmp_port, "community": olt.community,
                  "timeout_seconds": 10, "pon_ports": [f"0/{slot}/{port}"]},
        )  # fmt: skip
        assert added.status_code == 201, added.text
        olt_id = added.json()["id"]

        def collect() -> None:
            job = kernel.jobs.get(kernel.jobs.enqueue(JOB_TYPE, {"device_id": olt_id}))
            assert job.status == "done", job.error
            _settle(kernel)

        collect()
        sim_onus = sorted(loop.call(lambda: list(olt.state.all_onus())), key=lambda o: o.onu_id)
        cut_ids = [o.onu_id for o in sim_onus[:CUT]]
        with kernel.db.session() as session:
            by_serial = {
                d.serial: d
                for d in session.execute(select(Device).where(devices.c.kind == "onu")).scalars()
            }
            pon_id = by_serial[sim_onus[0].serial].parent_id
        splitters = {}
        for name in ("CTO-17", "CTO-18"):
            made = api.post(
                "/api/v1/devices",
                json={"kind": "splitter", "name": name, "parent_id": pon_id},
            )
            assert made.status_code == 201, made.text
            splitters[name] = made.json()["id"]
        contacts: dict[str, str] = {}
        with kernel.db.session() as session:
            for index, sim_onu in enumerate(sim_onus):
                splitter = splitters["CTO-17" if index < CUT else "CTO-18"]
                by_email = index % 2 == 0
                customer = Customer(
                    name=f"Cliente {index}",
                    contacts={"email": f"c{index}@mail.example", "phone": f"+5511977{index:06d}"},
                    preferred_channel="email" if by_email else "phone",
                )
                session.add(customer)
                session.flush()
                contacts[customer.id] = customer.contacts["email" if by_email else "phone"]
                session.execute(
                    update(devices)
                    .where(devices.c.id == by_serial[sim_onu.serial].id)
                    .values(parent_id=splitter, customer_id=customer.id)
                )
            session.commit()

        # The splitter's fibre is cut: its 60 ONUs go to LOS together.
        loop.call(lambda: [olt.state.los(slot, port, onu_id) for onu_id in cut_ids])
        collect()
        [incident] = api.get("/api/v1/incidents").json()["items"]
        assert incident["kind"] == "fiber"
        assert incident["element"]["id"] == splitters["CTO-17"]
        assert incident["element"]["name"] == "CTO-17"
        assert incident["devices"] == CUT
        assert len(incident["customer_ids"]) == CUT
        assert [s.split("]")[0] for s in mailbox.subjects_to("noc@isp.example")] == ["[incident"]
        affected = {contacts[c] for c in incident["customer_ids"]}
        mails = [
            rcpt for rcpts, _ in mailbox.messages for rcpt in rcpts if rcpt != "noc@isp.example"
        ]
        texts = [m["to"] for m in gateway.messages]
        assert len(mails) + len(texts) == CUT
        assert Counter(mails + texts) == dict.fromkeys(affected, 1)
        assert all(to.startswith("+55") for to in texts) and texts
        assert all("@" in rcpt for rcpt in mails) and mails
        assert {m["Subject"] for rcpts, m in mailbox.messages if rcpts != ["noc@isp.example"]} == {
            "Aviso de interrupção"
        }

        loop.call(lambda: [olt.state.recover(slot, port, onu_id) for onu_id in cut_ids])
        collect()
        recovered = api.get(f"/api/v1/incidents/{incident['id']}").json()
        assert recovered["status"] == "resolved"
        assert recovered["time_to_recover_seconds"] >= 0
        assert [s.split("]")[0] for s in mailbox.subjects_to("noc@isp.example")] == [
            "[incident",
            "[incident resolved",
        ]
        restored = [
            rcpt
            for rcpts, m in mailbox.messages
            if m["Subject"] == "Serviço restabelecido"
            for rcpt in rcpts
        ]
        restored += [m["to"] for m in gateway.messages if "restabelecido" in m["text"]]
        assert Counter(restored) == dict.fromkeys(affected, 1)
        assert len(mailbox.messages) + len(gateway.messages) == 2 + 2 * CUT

        # The same ONUs lose power: a power incident, not a fiber one.
        loop.call(lambda: [olt.state.dying_gasp(slot, port, onu_id) for onu_id in cut_ids])
        collect()
        opened = api.get("/api/v1/incidents", params={"status": "open"}).json()["items"]
        assert [(i["kind"], i["element"]["id"]) for i in opened] == [("power", splitters["CTO-17"])]
        assert [s.split("]")[0] for s in mailbox.subjects_to("noc@isp.example")] == [
            "[incident",
            "[incident resolved",
            "[incident",
        ]
    finally:
        loop.run(olt.stop())
        loop.run(_close(smtp))
        loop.close()
