"""The collector of one OLT: PON ports, ONUs, their state and optics, and the events between.

A collection reads everything from the OLT first and writes afterwards, so
a connection that breaks halfway leaves inventory as the last good read. A
dead OLT is recorded on that OLT (status ``offline``, ``olt.unreachable``)
and the job ends normally: each OLT is its own job, so the others carry on.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select
from sqlmodel import Session

from rjchronos.db.types import utcnow
from rjchronos.drivers.contracts import OltDriver, UnsupportedOperation
from rjchronos.drivers.olt_model import (
    Listing,
    OltCommandError,
    OltConnectionError,
    Onu,
    OnuStatus,
    PonPort,
    UnconfiguredOnu,
)
from rjchronos.inventory import service
from rjchronos.inventory.errors import NotFound
from rjchronos.inventory.models import devices
from rjchronos.telemetry.store import Sample
from rjchronos_olt_manager import store
from rjchronos_olt_manager.connection import DriverChoiceError, Olt, open_driver

if TYPE_CHECKING:
    from prometheus_client import Histogram

    from rjchronos.kernel import Kernel

log = logging.getLogger(__name__)

JOB_TYPE = "olt.collect"
#: Inventory status of each ONU status.
STATUS = {
    OnuStatus.ONLINE: "online",
    OnuStatus.LOS: "los",
    OnuStatus.DYING_GASP: "dying_gasp",
    OnuStatus.OFFLINE: "offline",
    OnuStatus.AUTH_FAILED: "offline",
    OnuStatus.SYNCING: "degraded",
    OnuStatus.UNKNOWN: "unknown",
}
#: The event each inventory status raises when an ONU enters it.
EVENTS = {
    "online": "onu.online",
    "los": "onu.los",
    "dying_gasp": "onu.dying_gasp",
    "offline": "onu.offline",
}
OPTICS = (("rx_dbm", "onu.rx_dbm"), ("tx_dbm", "onu.tx_dbm"), ("olt_rx_dbm", "onu.olt_rx_dbm"))
#: A scheduled run this much earlier than the OLT's own interval still collects.
INTERVAL_SLACK = timedelta(seconds=5)


def pon_identity(olt_id: str, port: str) -> str:
    """The inventory identity of a PON port: unique per OLT and port."""
    return f"olt:{olt_id}:pon:{port}"


async def read_olt(
    driver: OltDriver, pon_ports: Sequence[str]
) -> tuple[dict[str, Listing[Onu]], Listing[UnconfiguredOnu], dict[str, PonPort]]:
    """The ONUs of every PON port, the unconfigured ONUs and the ports' states, as read.

    Ports come from the OLT's settings, the driver's inventory when it has
    one, and the ports where unconfigured ONUs wait. A driver that reads every
    ONU at once (SNMP) is asked once; otherwise each port is read in turn.
    """
    ports = set(pon_ports)
    states: dict[str, PonPort] = {}
    with contextlib.suppress(UnsupportedOperation):
        states = {port.name: port for port in (await driver.inventory()).pon_ports}
    ports |= set(states)
    try:
        unconfigured = await driver.list_unconfigured_onus()
    except UnsupportedOperation:
        unconfigured = Listing()
    ports |= {onu.port for onu in unconfigured}
    if len(ports) > 1:
        with contextlib.suppress(UnsupportedOperation):
            every = await driver.list_onus()
            by_port: dict[str, list[Onu]] = {port: [] for port in ports}
            for onu in every:
                by_port.setdefault(onu.port, []).append(onu)
            listings = {port: Listing(by_port[port]) for port in sorted(by_port)}
            if every.issues:  # issues of the whole read go with the first port
                first = next(iter(listings))
                listings[first] = Listing(listings[first].items, list(every.issues))
            return listings, unconfigured, states
    listings = {port: await driver.list_onus(port) for port in sorted(ports)}
    return listings, unconfigured, states


async def collect(kernel: Kernel, olt_id: str, *, scheduled: bool = False) -> dict[str, Any]:
    """Collect one OLT now; the summary becomes the job's result."""
    try:
        olt = store.load(kernel, olt_id)
    except NotFound:
        return {"olt": olt_id, "skipped": "no such OLT"}
    last = olt.settings.last_collected_at
    if scheduled and last and utcnow() - last < _interval(olt) - INTERVAL_SLACK:
        return {"olt": olt_id, "skipped": "collected within its interval"}
    started, vendor = time.monotonic(), olt.settings.driver or "auto"
    try:
        async with open_driver(kernel, olt) as driver:
            vendor = driver.name
            listings, unconfigured, states = await read_olt(driver, olt.settings.pon_ports)
    except (OltConnectionError, OltCommandError, DriverChoiceError) as exc:
        _observe(kernel, vendor, "error", started)
        record_failure(kernel, olt_id, str(exc))
        return {"olt": olt_id, "ok": False, "error": str(exc)}
    _observe(kernel, vendor, "ok", started)
    return record(kernel, olt_id, listings, unconfigured, states)


def collection_seconds(kernel: Kernel) -> Histogram:
    """Collection time by driver and outcome (never per OLT: labels stay few)."""
    return kernel.metrics.histogram(
        "rjc_olt_collection_seconds", "OLT collection time by driver and outcome",
        ["driver", "outcome"],
    )  # fmt: skip


def _observe(kernel: Kernel, driver: str, outcome: str, started: float) -> None:
    collection_seconds(kernel).labels(driver, outcome).observe(time.monotonic() - started)


def _interval(olt: Olt) -> timedelta:
    return timedelta(seconds=olt.settings.interval_seconds)


def record_failure(kernel: Kernel, olt_id: str, error: str) -> None:
    """Mark the OLT offline with its error; ``olt.unreachable`` on the transition."""
    log.warning("collecting OLT %s failed: %s", olt_id, error)
    with kernel.db.session() as session:
        olt = store.load(kernel, olt_id, session=session)
        olt.settings.last_error = error
        session.add(olt.settings)
        if service.set_status(kernel, olt_id, "offline", details={"error": error}, session=session):
            kernel.events.emit("olt.unreachable", olt_id, {"error": error}, session=session)


def record(
    kernel: Kernel,
    olt_id: str,
    listings: Mapping[str, Listing[Onu]],
    unconfigured: Listing[UnconfiguredOnu],
    states: Mapping[str, PonPort] | None = None,
) -> dict[str, Any]:
    """Write one collection: ports and ONUs to inventory, events, then optics to telemetry."""
    states = states or {}
    now = utcnow()
    samples: list[Sample] = []
    changed = 0
    issues = sum(len(listing.issues) for listing in listings.values()) + len(unconfigured.issues)
    with kernel.db.session() as session:
        olt = store.load(kernel, olt_id, session=session)
        for port, listing in listings.items():
            state = states.get(port)
            pon, _ = service.upsert_device(
                kernel,
                {
                    "kind": "pon",
                    "identity": pon_identity(olt_id, port),
                    "name": f"{olt.device.name} {port}",
                    "parent_id": olt_id,
                    **({"attributes": _port_attributes(state)} if state else {}),
                },
                session=session,
            )
            if state is not None:
                samples += _port_samples(state, pon.id, olt_id, now)
            for onu in listing:
                device_id, status_changed = _record_onu(kernel, session, olt, pon.id, onu, now)
                changed += status_changed
                samples += _samples(onu, device_id, olt_id, now)
        _discovered(kernel, session, olt, unconfigured)
        linked = link_cpes(kernel, session, olt_id)
        olt.settings.last_collected_at = now
        olt.settings.last_error = ""
        session.add(olt.settings)
        service.set_status(kernel, olt_id, "online", seen_at=now, session=session)
    if samples:
        kernel.telemetry.write(samples)
    return {
        "olt": olt_id,
        "ok": True,
        "ports": len(listings),
        "onus": sum(len(listing) for listing in listings.values()),
        "status_changes": changed,
        "unconfigured": len(unconfigured),
        "samples": len(samples),
        "parse_issues": issues,
        "cpes_linked": linked,
    }


def _record_onu(
    kernel: Kernel, session: Session, olt: Olt, pon_id: str, onu: Onu, now: datetime
) -> tuple[str, bool]:
    """Upsert one ONU under its PON port and record its status: its id and whether it changed."""
    existing = service.find_device(kernel, serial=onu.serial, kind="onu", session=session)
    fields: dict[str, Any] = {
        "kind": "onu",
        "serial": onu.serial,
        "model": onu.type,
        "attributes": {
            **(existing.attributes if existing else {}),
            "olt_port": onu.port,
            "onu_id": onu.onu_id,
            "distance_m": onu.distance_m,
            "last_down_cause": onu.last_down_cause,
            "description": onu.description,
            # The latest optics, so the signal matrix reads one row per ONU.
            **{field: getattr(onu, field) for field, _ in OPTICS},
        },
    }
    if existing is None or not existing.name:
        fields["name"] = onu.name or onu.description or onu.serial
    # An ONU placed under a splitter of this OLT stays there; one new or moved goes under its port.
    moved = existing is not None and existing.attributes.get("olt_port") != onu.port
    if existing is None or existing.olt_id != olt.id or moved:
        fields["parent_id"] = pon_id
    device, created = service.upsert_device(kernel, fields, session=session)
    status = STATUS[onu.status]
    previous = "unknown" if created else device.status
    details = {"last_down_cause": onu.last_down_cause} if status != "online" else {}
    seen_at = now if status == "online" else None
    if not service.set_status(
        kernel, device.id, status, seen_at=seen_at, details=details, session=session
    ):
        return device.id, False
    event = EVENTS.get(status)
    if event and not (created and status == "online"):
        kernel.events.emit(
            event,
            device.id,
            {
                "olt_id": olt.id,
                "port": onu.port,
                "onu_id": onu.onu_id,
                "serial": onu.serial,
                "from": previous,
                "last_down_cause": onu.last_down_cause,
            },
            session=session,
        )
    return device.id, True


def _discovered(
    kernel: Kernel, session: Session, olt: Olt, unconfigured: Listing[UnconfiguredOnu]
) -> None:
    """``onu.discovered`` once for each unconfigured ONU not seen by the last collection."""
    seen = set(olt.settings.unconfigured_seen)
    for onu in unconfigured:
        if onu.serial not in seen:
            kernel.events.emit(
                "onu.discovered",
                olt.id,
                {"serial": onu.serial, "port": onu.port, "equipment_id": onu.equipment_id},
                session=session,
            )
    olt.settings.unconfigured_seen = sorted({onu.serial for onu in unconfigured})


def _samples(onu: Onu, device_id: str, olt_id: str, now: datetime) -> list[Sample]:
    """The ONU's optical readings (those it has) as samples of its device."""
    labels = {"olt": olt_id, "port": onu.port}
    return [
        Sample(device_id, metric, now, value, labels)
        for field, metric in OPTICS
        if (value := getattr(onu, field)) is not None
    ]


PORT_OPTICS = (("tx_dbm", "pon.tx_dbm"), ("rx_dbm", "pon.rx_dbm"))


def _port_attributes(state: PonPort) -> dict[str, Any]:
    """What inventory keeps of a PON port's state (the latest read)."""
    return {
        "admin_up": state.admin_up,
        "oper_up": state.oper_up,
        "onu_count": state.onu_count,
        "online_count": state.online_count,
        "tx_dbm": state.tx_dbm,
        "rx_dbm": state.rx_dbm,
    }


def _port_samples(state: PonPort, device_id: str, olt_id: str, now: datetime) -> list[Sample]:
    """The OLT-side optics of a PON port (those it has) as samples of its device."""
    labels = {"olt": olt_id, "port": state.name}
    return [
        Sample(device_id, metric, now, value, labels)
        for field, metric in PORT_OPTICS
        if (value := getattr(state, field)) is not None
    ]


def link_cpes(kernel: Kernel, session: Session, olt_id: str) -> int:
    """Put CPEs without a parent under this OLT's ONUs by MAC or PPPoE username; how many.

    An ONU's ``mac`` is set by the operator; its ``pppoe_username`` attribute
    comes from an authorization with PPPoE. A CPE matches with its own ``mac``
    or its ``pppoe_username`` attribute (what the ACS reads from its WAN). One
    query per collection, whatever the number of ONUs.
    """
    rows = session.execute(
        select(devices.c.id, devices.c.mac, devices.c.attributes).where(
            devices.c.olt_id == olt_id, devices.c.kind == "onu"
        )
    ).all()
    by_mac = {row.mac: row.id for row in rows if row.mac}
    by_user = {
        str(row.attributes["pppoe_username"]): row.id
        for row in rows
        if (row.attributes or {}).get("pppoe_username")
    }
    if not (by_mac or by_user):
        return 0
    username = devices.c.attributes["pppoe_username"].as_string()
    orphans = session.execute(
        select(devices.c.id, devices.c.mac, username.label("username")).where(
            devices.c.kind == "cpe",
            devices.c.parent_id.is_(None),
            or_(devices.c.mac.in_(list(by_mac)), username.in_(list(by_user))),
        )
    ).all()
    for cpe in orphans:
        onu = by_mac.get(cpe.mac) or by_user.get(cpe.username)
        if onu is not None:
            service.update_device(kernel, cpe.id, {"parent_id": onu}, session=session)
    return len(orphans)
