"""A week of network life on top of the SDK's demo lab, with the numbers it must give.

The lab is seeded through its real services (customers on plans with SLA
targets, an OLT, PONs, splitters, ONUs, routers, a day of telemetry). The
week is then played through the same services: ``set_status`` for outages,
the event bus for reboots, the telemetry store for counters, the incident
model for incidents. Each step's timeline entries are then moved to the
instant of the week they stand for (the timeline stores the time of
recording; a report reads a past week).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update

from rjchronos.alerts.models import Incident
from rjchronos.customers.models import Customer
from rjchronos.inventory.models import device_events, devices
from rjchronos.inventory.service import set_status, update_device
from rjchronos.telemetry.store import Sample
from rjchronos_sdk.lab import SUBSCRIBERS, seed_lab

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
WEEK = timedelta(days=7)


def last_monday(now: datetime | None = None) -> datetime:
    """00:00 UTC of this week's Monday."""
    now = now or datetime.now(UTC)
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


@dataclass
class Scenario:
    start: datetime
    end: datetime
    onus: dict[str, str] = field(default_factory=dict)  # external id -> ONU id
    routers: dict[str, str] = field(default_factory=dict)
    customers: dict[str, str] = field(default_factory=dict)  # external id -> customer id
    #: Down hours of each customer's ONU within the week.
    down_hours: dict[str, float] = field(default_factory=dict)
    reboots: int = 0
    wan_error_rise: float = 0.0


def _at(kernel: Any, when: datetime, action: Callable[[], Any]) -> None:
    """Run ``action`` and date the timeline entries it made at ``when``."""
    with kernel.db.engine.connect() as connection:
        before = connection.execute(select(func.max(device_events.c.id))).scalar() or 0
    action()
    with kernel.db.engine.begin() as connection:
        connection.execute(
            update(device_events).where(device_events.c.id > before).values(time=when)
        )


def seed_scenario(kernel: Any) -> Scenario:
    end = last_monday()
    start = end - WEEK
    seed_lab(kernel, now=end)
    # The lab existed before the week: its devices and first statuses are older.
    with kernel.db.engine.begin() as connection:
        connection.execute(update(devices).values(created_at=start - WEEK))
        connection.execute(update(device_events).values(time=start - HOUR))
    scenario = Scenario(start, end)
    with kernel.db.session() as session:
        by_customer = {c.external_id: c.id for c in session.execute(select(Customer)).scalars()}
        rows = session.execute(
            select(devices.c.id, devices.c.kind, devices.c.customer_id).where(
                devices.c.customer_id.is_not(None)
            )
        ).all()
    external = {customer_id: ext for ext, customer_id in by_customer.items()}
    scenario.customers = by_customer
    for device_id, kind, customer_id in rows:
        target = scenario.onus if kind == "onu" else scenario.routers
        target[external[customer_id]] = device_id
    scenario.down_hours = {s.external_id: 0.0 for s in SUBSCRIBERS}

    def outage(ext: str, status: str, begins: datetime | None, ends: datetime | None) -> None:
        onu = scenario.onus[ext]
        if begins is not None:
            _at(kernel, begins, lambda: set_status(kernel, onu, status, actor="test"))
        if ends is not None:
            _at(kernel, ends, lambda: set_status(kernel, onu, "online", actor="test"))
        scenario.down_hours[ext] += ((ends or end) - (begins or start)) / HOUR

    outage("DEMO-0001", "los", start + DAY, start + DAY + 2 * HOUR)  # Ana: 2 h
    outage("DEMO-0006", "los", None, start + 3 * DAY)  # Fernanda: in LOS since before the week
    outage("DEMO-0008", "offline", None, start + 6 * DAY)  # Ricardo: offline since before
    outage("DEMO-0007", "dying_gasp", start + 2 * DAY, start + 2 * DAY + HOUR / 2)  # the hotel

    # Incidents: two recovered in the lab's region, a main link still down, one the week before.
    with kernel.db.session() as session:
        pon = (
            session.execute(
                select(devices.c.id).where(devices.c.kind == "pon").order_by(devices.c.name)
            )
            .scalars()
            .first()
        )
        splitter = session.execute(
            select(devices.c.id).where(devices.c.name == "SPL-COPA-01")
        ).scalar_one()
        for kind, element, detected, minutes in (
            ("fiber", pon, start + DAY, 30),
            ("power", splitter, start + 2 * DAY, 90),
            ("link", None, start + 4 * DAY, None),
            ("fiber", pon, start - DAY, 10),
        ):
            session.add(
                Incident(
                    kind=kind,
                    status="resolved" if minutes else "open",
                    title=f"{kind} incident",
                    element_id=element,
                    first_event_at=detected,
                    detected_at=detected,
                    recovered_at=detected + timedelta(minutes=minutes) if minutes else None,
                )
            )
        session.commit()

    # Reboots of Ana's router: three in the week, one the week before.
    router = scenario.routers["DEMO-0001"]
    for when in (start + DAY, start + DAY + HOUR, start + 4 * DAY, start - DAY):
        _at(kernel, when, lambda: kernel.events.emit(
            "cpe.boot", router, {"identity": "50C7BF-ArcherC6-2231BF1A0001"}, "test"))  # fmt: skip
    scenario.reboots = 3
    kernel.telemetry.write(
        [
            Sample(router, "cpe.wan_errors_received", start + HOUR, 100.0),
            Sample(router, "cpe.wan_errors_received", start + 2 * DAY, 130.0),
            Sample(router, "cpe.wan_errors_received", start + 5 * DAY, 160.0),
        ]
    )
    scenario.wan_error_rise = 60.0
    for ext in ("DEMO-0001", "DEMO-0002"):
        update_device(kernel, scenario.onus[ext], {"firmware": "V5R019C10S125"}, actor="test")
    return scenario
