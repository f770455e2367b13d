"""A small simulated ISP lab seeded into a kernel's inventory, so a newcomer sees data at once.

One OLT in Botafogo (Rio de Janeiro) with two PON ports, a splitter on each,
eight ONUs of eight customers on three plans, Wi-Fi routers behind three of
them, a day of telemetry (optical power, OLT CPU, Wi-Fi clients; the routers'
sampled ping round trips and PPPoE/DHCP error readings, one router's PPPoE
session failing for the last hour), the PPPoE errors alert rule, and the
events that building it leaves on the timeline (devices created, one ONU in
LOS, one offline).

Seeding is idempotent: sites are found by name, customers upserted by their
ERP id, devices by serial or identity, statuses change only on a transition,
and telemetry samples sit on a 15-minute grid the store deduplicates. A
second run adds nothing but the samples of the quarter-hours since the first.

It is data only: the devices do not talk. The CWMP CPE and OLT simulators
that make them answer arrive with the ACS and OLT plugins.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlmodel import col, select

from rjchronos.customers.importing import import_records
from rjchronos.customers.lgpd import retention_cutoff
from rjchronos.db.types import utcnow
from rjchronos.inventory.models import Site
from rjchronos.inventory.service import create_site, set_status, upsert_device
from rjchronos.telemetry.store import Sample

if TYPE_CHECKING:
    from rjchronos.kernel import Kernel

ACTOR = "cli:demo"
SAMPLE_EVERY = timedelta(minutes=15)
HISTORY = timedelta(hours=24)

PLANS: dict[str, dict[str, Any]] = {
    "Fibra 300": {"plan_download_mbps": 300, "plan_upload_mbps": 150, "plan_sla_percent": 99.0,
                  "plan_price": "99.90"},
    "Fibra 600": {"plan_download_mbps": 600, "plan_upload_mbps": 300, "plan_sla_percent": 99.5,
                  "plan_price": "129.90"},
    "Empresarial 1G": {"plan_download_mbps": 1000, "plan_upload_mbps": 500,
                       "plan_sla_percent": 99.9, "plan_price": "449.00"},
}  # fmt: skip

#: (name, address, neighbourhood, region, latitude, longitude)
INFRASTRUCTURE_SITES = (
    ("POP Botafogo", "Rua São Clemente, 90", "Botafogo", "Zona Sul", -22.9519, -43.1887),
    ("Armário Copacabana", "Rua Siqueira Campos, 43", "Copacabana", "Zona Sul", -22.9667, -43.1866),
)


@dataclass(frozen=True)
class Subscriber:
    """One customer of the lab, their home and the equipment there."""

    external_id: str
    name: str
    email: str
    phone: str
    plan: str
    address: str
    neighbourhood: str
    latitude: float
    longitude: float
    onu_serial: str
    onu_model: str
    pon: str
    status: str = "online"
    router_mac: str = ""


SUBSCRIBERS = (
    Subscriber("DEMO-0001", "Ana Beatriz Souza", "ana.souza@example.com.br", "+5521998760001",
               "Fibra 300", "Rua Voluntários da Pátria, 190", "Botafogo", -22.9512, -43.1869,
               "HWTC1A2B0001", "HG8245H", "0/1/0", router_mac="50:c7:bf:1a:00:01"),
    Subscriber("DEMO-0002", "Carlos Eduardo Lima", "carlos.lima@example.com.br", "+5521998760002",
               "Fibra 600", "Rua Real Grandeza, 75", "Botafogo", -22.9558, -43.1903,
               "HWTC1A2B0002", "HG8245H", "0/1/0"),
    Subscriber("DEMO-0003", "Padaria Estrela do Mar", "contato@estreladomar.example.com.br",
               "+552125550003", "Empresarial 1G", "Rua Sorocaba, 12", "Botafogo", -22.9489,
               -43.1845, "ZTEG0C3D0003", "F670L", "0/1/0", router_mac="50:c7:bf:1a:00:03"),
    Subscriber("DEMO-0004", "Juliana Ferreira", "juliana.f@example.com.br", "+5521998760004",
               "Fibra 300", "Rua Dona Mariana, 140", "Botafogo", -22.9531, -43.1921,
               "ZTEG0C3D0004", "F670L", "0/1/0"),
    Subscriber("DEMO-0005", "Marcos Vinícius Rocha", "marcos.rocha@example.com.br",
               "+5521998760005", "Fibra 600", "Rua Barata Ribeiro, 502", "Copacabana", -22.9689,
               -43.1881, "HWTC1A2B0005", "EG8145V5", "0/1/1", router_mac="50:c7:bf:1a:00:05"),
    Subscriber("DEMO-0006", "Fernanda Oliveira", "fernanda.o@example.com.br", "+5521998760006",
               "Fibra 300", "Rua Tonelero, 261", "Copacabana", -22.9662, -43.1897,
               "HWTC1A2B0006", "EG8145V5", "0/1/1", status="los"),
    Subscriber("DEMO-0007", "Hotel Posto Seis", "ti@postoseis.example.com.br", "+552125550007",
               "Empresarial 1G", "Avenida Atlântica, 3880", "Copacabana", -22.9837, -43.1896,
               "ZTEG0C3D0007", "F670L", "0/1/1"),
    Subscriber("DEMO-0008", "Ricardo Almeida", "ricardo.almeida@example.com.br",
               "+5521998760008", "Fibra 300", "Rua Santa Clara, 98", "Copacabana", -22.9700,
               -43.1880, "HWTC1A2B0008", "HG8245H", "0/1/1", status="offline"),
)  # fmt: skip

OLT_NAME = "OLT-BOTAFOGO-01"
SPLITTERS = {
    "0/1/0": ("SPL-BOTAFOGO-01", "POP Botafogo"),
    "0/1/1": ("SPL-COPA-01", "Armário Copacabana"),
}


#: Neighbourhood -> (round trip of the sampled pings in ms, how much it grows in the evening).
NEIGHBOURHOOD_LATENCY_MS = {"Botafogo": (8.0, 4.0), "Copacabana": (14.0, 10.0)}
#: The subscriber whose router's PPPoE session fails for the last hour (the demo's alert).
PPPOE_FAILING = "DEMO-0005"
PPPOE_FAILING_FOR = timedelta(hours=1)


@dataclass
class LabSummary:
    """What a seeding run found and added."""

    created: dict[str, int] = field(default_factory=dict)
    devices: int = 0
    customers: int = 0
    samples_added: int = 0

    def add(self, what: str, number: int = 1) -> None:
        if number:
            self.created[what] = self.created.get(what, 0) + number

    def describe(self) -> str:
        added = ", ".join(f"{n} {what}" for what, n in sorted(self.created.items()))
        return (
            f"Demo lab: {self.devices} devices and {self.customers} customers in Rio de Janeiro "
            f"(this run added {added or 'nothing new'}; {self.samples_added} telemetry samples)."
        )


def seed_lab(kernel: Kernel, *, now: datetime | None = None) -> LabSummary:
    """Seed the lab into ``kernel``'s database (idempotent) and say what is there."""
    now = now or utcnow()
    summary = LabSummary()
    sites = _sites(kernel, summary)
    _customers(kernel, sites, summary)
    devices = _devices(kernel, sites, summary)
    summary.samples_added = kernel.telemetry.write(_samples(devices, now))
    _rules(kernel, summary)
    if summary.created:
        kernel.audit.record(
            actor=ACTOR, action="demo.seed", target="demo-lab", params=dict(summary.created)
        )
    return summary


def _sites(kernel: Kernel, summary: LabSummary) -> dict[str, str]:
    """Site id by name: the POP, the cabinet, and each subscriber's home."""
    wanted: list[dict[str, Any]] = [
        {"name": name, "address": address, "neighbourhood": hood, "region": region,
         "latitude": lat, "longitude": lon}
        for name, address, hood, region, lat, lon in INFRASTRUCTURE_SITES
    ] + [
        {"name": s.address, "address": s.address, "neighbourhood": s.neighbourhood,
         "region": "Zona Sul", "latitude": s.latitude, "longitude": s.longitude}
        for s in SUBSCRIBERS
    ]  # fmt: skip
    ids: dict[str, str] = {}
    with kernel.db.session() as session:
        for data in wanted:
            site = session.exec(select(Site).where(Site.name == data["name"])).first()
            summary.add("sites", int(site is None))
            if site is None:
                site = create_site(
                    kernel, {**data, "city": "Rio de Janeiro", "state": "RJ"}, session=session
                )
            ids[data["name"]] = site.id
    return ids


def _customers(kernel: Kernel, sites: dict[str, str], summary: LabSummary) -> None:
    records = [
        (
            number,
            {
                "external_id": s.external_id,
                "name": s.name,
                "email": s.email,
                "phone": s.phone,
                "preferred_channel": "email",
                "plan": s.plan,
                **PLANS[s.plan],
                "site_id": sites[s.address],
            },
        )
        for number, s in enumerate(SUBSCRIBERS, start=1)
    ]
    with kernel.db.session() as session:
        report = import_records(session, records, retention_before=retention_cutoff(kernel))
    if report.rejected:
        raise RuntimeError(f"the demo lab's customers were rejected: {report.rejected}")
    summary.add("customers", len(report.created))
    summary.add("plans", len(report.plans_created))
    summary.customers = len(SUBSCRIBERS)


def _customer_ids(kernel: Kernel) -> dict[str, str]:
    from rjchronos.customers.models import Customer

    external_ids = [s.external_id for s in SUBSCRIBERS]
    with kernel.db.session() as session:
        rows = session.exec(select(Customer).where(col(Customer.external_id).in_(external_ids)))
        return {c.external_id: c.id for c in rows if c.external_id}


def _devices(kernel: Kernel, sites: dict[str, str], summary: LabSummary) -> dict[str, Any]:
    """Upsert the topology; return the devices by role for telemetry."""

    def upsert(data: dict[str, Any]) -> Any:
        device, created = upsert_device(kernel, data, actor=ACTOR)
        summary.add("devices", int(created))
        summary.devices += 1
        return device

    customers = _customer_ids(kernel)
    olt = upsert({
        "kind": "olt", "name": OLT_NAME, "vendor": "Huawei", "model": "MA5800-X7",
        "serial": "21023514103SK9000123", "firmware": "V100R021C10",
        "management_address": "10.20.0.1", "site_id": sites["POP Botafogo"],
        "tags": ["demo", "zona-sul"],
    })  # fmt: skip
    found: dict[str, Any] = {"olt": olt, "onus": [], "routers": []}
    splitters = {}
    for port, (splitter_name, site) in SPLITTERS.items():
        pon = upsert({
            "kind": "pon", "name": f"{OLT_NAME} {port}", "identity": f"demo:{OLT_NAME}:{port}",
            "parent_id": olt.id, "site_id": sites["POP Botafogo"], "attributes": {"port": port},
        })  # fmt: skip
        splitters[port] = upsert({
            "kind": "splitter", "name": splitter_name, "identity": f"demo:{splitter_name}",
            "model": "PLC 1:8", "parent_id": pon.id, "site_id": sites[site],
            "attributes": {"ratio": "1:8"},
        })  # fmt: skip
        set_status(kernel, pon.id, "online", actor=ACTOR)
    set_status(kernel, olt.id, "online", actor=ACTOR)
    for s in SUBSCRIBERS:
        onu = upsert({
            "kind": "onu", "name": f"ONU {s.name}", "serial": s.onu_serial,
            "vendor": "Huawei" if s.onu_serial.startswith("HWTC") else "ZTE", "model": s.onu_model,
            "parent_id": splitters[s.pon].id, "site_id": sites[s.address],
            "customer_id": customers[s.external_id], "tags": ["demo"],
        })  # fmt: skip
        details = {"reason": "no optical signal since the last poll"} if s.status == "los" else {}
        set_status(kernel, onu.id, s.status, details=details, actor=ACTOR)
        found["onus"].append((onu, s))
        if s.router_mac:
            router = upsert({
                "kind": "cpe", "name": f"Wi-Fi {s.name}", "vendor": "TP-Link",
                "model": "Archer C6", "mac": s.router_mac,
                "serial": "2231" + s.router_mac.replace(":", "")[-8:].upper(),
                "identity": "50C7BF-ArcherC6-2231" + s.router_mac.replace(":", "")[-8:].upper(),
                "parent_id": onu.id, "site_id": sites[s.address],
                "customer_id": customers[s.external_id],
            })  # fmt: skip
            set_status(kernel, router.id, "online", actor=ACTOR)
            found["routers"].append((router, s))
    return found


def _samples(devices: dict[str, Any], now: datetime) -> Iterator[Sample]:
    """A day of samples on the 15-minute grid, the same values whenever they are generated."""
    end = datetime.fromtimestamp(
        now.timestamp() // SAMPLE_EVERY.total_seconds() * SAMPLE_EVERY.total_seconds(), now.tzinfo
    )
    times = [end - SAMPLE_EVERY * k for k in range(int(HISTORY / SAMPLE_EVERY))]
    for time in times:
        hour = time.hour + time.minute / 60
        evening = math.sin((hour - 15) / 24 * 2 * math.pi)  # busiest around 21:00
        olt = devices["olt"]
        cpu = 35 + 15 * evening + 4 * _noise(olt.id, time)
        yield Sample(olt.id, "olt.cpu_percent", time, round(cpu, 1))
        for onu, subscriber in devices["onus"]:
            rx = -19.5 - 3 * _noise(onu.id, "base") + 0.3 * _noise(onu.id, time)
            if subscriber.status == "los":
                if time > end - timedelta(hours=2):
                    continue  # no light, no reading
                rx -= max(0.0, 6 - (end - time) / timedelta(hours=1))  # it faded before it died
            if subscriber.status == "offline" and time > end - timedelta(hours=5):
                continue
            yield Sample(onu.id, "onu.rx_power_dbm", time, round(rx, 2))
        for router, subscriber in devices["routers"]:
            clients = 4 + 5 * max(evening, 0) + 2 * _noise(router.id, time)
            yield Sample(router.id, "cpe.wifi_clients", time, float(round(clients)))
            base, spread = NEIGHBOURHOOD_LATENCY_MS[subscriber.neighbourhood]
            ping = base + spread * max(evening, 0) + 2 * _noise(router.id, "ping", time)
            yield Sample(router.id, "cpe.ping_avg_ms", time, round(ping, 1))
            failing = subscriber.external_id == PPPOE_FAILING and time > end - PPPOE_FAILING_FOR
            labels = {"error": "ERROR_AUTHENTICATION_FAILURE"} if failing else {}
            yield Sample(router.id, "cpe.pppoe_error", time, float(failing), labels)
            yield Sample(router.id, "cpe.dhcp_error", time, 0.0)


def _rules(kernel: Kernel, summary: LabSummary) -> None:
    """The PPPoE error rule (``PPPOE_ERRORS_RULE``), once, when the alerts built-in is loaded."""
    record = kernel.host.records.get("builtin.alerts")
    if record is None or record.state != "loaded":
        return
    from rjchronos.alerts.models import AlertRule
    from rjchronos.alerts.rules import PPPOE_ERRORS_RULE

    with kernel.db.session() as session:
        name = PPPOE_ERRORS_RULE["name"]
        if session.exec(select(AlertRule).where(AlertRule.name == name)).first() is not None:
            return
        document = {**PPPOE_ERRORS_RULE, "channels": []}
        session.add(AlertRule(name=name, enabled=True, document=document))
        session.commit()
    summary.add("alert rules")


def _noise(*key: Any) -> float:
    """A repeatable number in [0, 1) for ``key`` (so reseeding writes identical samples)."""
    digest = hashlib.blake2b(repr(key).encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") / 2**32
