"""Route outage analysis: many ONUs failing together under one element become one incident.

On each ``onu.los`` (fiber) or ``onu.dying_gasp`` (power) the ONUs that
reported the same event within the window are matched against the ONU's
ancestors in the topology (OLT > PON > splitter > ONU). The failed element
is the highest ancestor at least ``outage_ratio`` of whose ONUs (and at
least ``outage_min_devices``) are down: the smallest element that explains
the outage. One incident is opened for it, operators hear of it once on the
incident channels and every affected customer once on their preferred
channel; ``onu.online`` of the last ONU still down recovers it and both are
told again. Detection and recovery times are kept for MTTR.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import weakref
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from rjchronos.alerts.models import Incident, incidents
from rjchronos.customers.models import Customer
from rjchronos.db.types import utcnow
from rjchronos.events import DeviceEvent
from rjchronos.inventory import topology
from rjchronos.inventory.models import Device, DeviceEventRecord
from rjchronos.notifications import service as notifications
from rjchronos.notifications.models import NotificationChannel

if TYPE_CHECKING:
    from sqlmodel import Session

    from rjchronos.kernel import Kernel

log = logging.getLogger(__name__)
PLUGIN = "builtin.alerts"
SYSTEM = "system:alerts"
CAUSES = {"onu.los": "fiber", "onu.dying_gasp": "power"}
RECOVERY = "onu.online"
DEFAULTS: dict[str, Any] = {
    "outage_window_seconds": 120,
    "outage_min_devices": 4,
    "outage_ratio": 0.8,
    "incident_channels": [],
    "customer_channels": {},
}
SETTINGS_PROPERTIES: dict[str, Any] = {
    "outage_window_seconds": {"type": "integer", "minimum": 5, "default": 120},
    "outage_min_devices": {"type": "integer", "minimum": 2, "default": 4},
    "outage_ratio": {"type": "number", "exclusiveMinimum": 0, "maximum": 1, "default": 0.8},
    "incident_channels": {
        "type": "array",
        "items": {"type": "string"},
        "description": "names of the channels operators hear of incidents on",
    },
    "customer_channels": {
        "type": "object",
        "description": "contact kind (email, phone, whatsapp, telegram) -> channel name",
        "additionalProperties": {"type": "string"},
    },
}
_EVENTS = DeviceEventRecord.__table__  # type: ignore[attr-defined]
_locks: weakref.WeakKeyDictionary[Any, threading.Lock] = weakref.WeakKeyDictionary()
_locks_guard = threading.Lock()


def _lock(kernel: Kernel) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(kernel, threading.Lock())


def _settings(kernel: Kernel) -> dict[str, Any]:
    return {**DEFAULTS, **kernel.plugin_settings(PLUGIN)}


def render(incident: Incident) -> dict[str, Any]:
    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    recovered = incident.recovered_at
    return {
        "id": incident.id,
        "kind": incident.kind,
        "status": incident.status,
        "title": incident.title,
        "element": {
            "id": incident.element_id,
            "kind": incident.element_kind,
            "name": incident.element_name,
        },
        "devices": len(incident.device_ids),
        "device_ids": incident.device_ids,
        "still_down": len(incident.down_ids),
        "customer_ids": incident.customer_ids,
        "details": incident.details,
        "first_event_at": iso(incident.first_event_at),
        "detected_at": iso(incident.detected_at),
        "recovered_at": iso(recovered),
        "time_to_recover_seconds": (
            (recovered - incident.detected_at).total_seconds() if recovered else None
        ),
        "resolved_by": incident.resolved_by,
    }


def concerns(event: DeviceEvent) -> bool:
    """Whether ``event`` is one the outage analysis reads."""
    return event.device_id is not None and (event.type in CAUSES or event.type == RECOVERY)


def on_event(kernel: Kernel, event: DeviceEvent) -> str | None:
    """Correlate one ONU event; the id of the incident it opened, joined or recovered."""
    if not concerns(event):
        return None
    # Correlation is serialised per process; notifying happens outside the lock.
    if event.type == RECOVERY:
        with _lock(kernel):
            found, done = _recovered(kernel, str(event.device_id))
        for incident_id in done:
            with contextlib.suppress(ValueError):  # resolved meanwhile
                resolve(kernel, incident_id, SYSTEM, event.time)
        return found
    with _lock(kernel):
        joined, opened = _down(kernel, event, CAUSES[event.type])
    if opened is not None:
        notify_operators(kernel, opened, "incident.opened")
        _notify_customers(kernel, opened, "customer.outage")
    return joined


def incident_of(kernel: Kernel, device_id: str, event_type: str) -> str | None:
    """The open incident of ``event_type``'s kind that ``device_id`` is down in, if any."""
    kind = CAUSES.get(event_type)
    if kind is None:
        return None
    with kernel.db.session() as session:
        for incident in _open(session, kind):
            if device_id in incident.down_ids:
                return incident.id
    return None


def _open(session: Session, kind: str) -> list[Incident]:
    return list(
        session.execute(
            select(Incident).where(incidents.c.status == "open", incidents.c.kind == kind)
        ).scalars()
    )


def _down_in_window(session: Session, type: str, start: datetime, end: datetime) -> set[str]:
    rows = session.execute(
        select(_EVENTS.c.device_id)
        .where(_EVENTS.c.type == type, _EVENTS.c.time >= start, _EVENTS.c.time <= end)
        .distinct()
    )
    return {row[0] for row in rows if row[0]}


def _onus_below(session: Session, element_id: str) -> set[str]:
    rows = topology.subtree_rows(session, element_id, columns=("id", "kind"))
    return {row["id"] for row in rows if row["kind"] == "onu"}


def _down(kernel: Kernel, event: DeviceEvent, kind: str) -> tuple[str | None, Incident | None]:
    """The incident the ONU is part of, and the incident to announce when opened or widened."""
    settings = _settings(kernel)
    device_id = str(event.device_id)
    with kernel.db.session() as session:
        ancestors = topology.ancestor_ids(session, device_id)
        for incident in _open(session, kind):
            if device_id in incident.device_ids:
                return incident.id, None
            if incident.element_id in ancestors:
                incident.device_ids = sorted({*incident.device_ids, device_id})
                incident.down_ids = sorted({*incident.down_ids, device_id})
                session.commit()
                return incident.id, None
        window = timedelta(seconds=int(settings["outage_window_seconds"]))
        down = _down_in_window(session, event.type, event.time - window, event.time)
        if len(down) < int(settings["outage_min_devices"]):
            return None, None
        chosen: tuple[str, set[str]] | None = None
        for ancestor in ancestors:
            below = _onus_below(session, ancestor)
            hit = below & down
            if len(hit) >= int(settings["outage_min_devices"]) and len(hit) >= float(
                settings["outage_ratio"]
            ) * len(below):
                chosen = (ancestor, hit)
        if chosen is None:
            return None, None
        element_id, hit = chosen
        element = session.get(Device, element_id)
        assert element is not None
        customers = topology.affected(session, element_id).customer_ids
        widened = next(
            (
                i
                for i in _open(session, kind)
                if i.element_id and element_id in topology.ancestor_ids(session, i.element_id)
            ),
            None,
        )
        incident = widened or Incident(kind=kind, first_event_at=event.time, detected_at=utcnow())
        incident.element_id = element_id
        incident.element_kind = element.kind
        incident.element_name = element.name or element.id
        incident.title = (
            f"{'Fiber' if kind == 'fiber' else 'Power'} outage at "
            f"{element.kind} {incident.element_name}"
        )
        incident.device_ids = sorted({*incident.device_ids, *hit})
        incident.down_ids = sorted({*incident.down_ids, *hit})
        incident.customer_ids = customers
        incident.details = {
            "cause": event.type,
            "onus_below": len(_onus_below(session, element_id)),
        }
        session.add(incident)
        session.flush()
        action = "widened" if widened else "opened"
        kernel.events.emit(
            f"incident.{action}",
            element_id,
            {"incident_id": incident.id, "kind": kind, "devices": len(incident.device_ids)},
            actor=SYSTEM,
            session=session,
        )
        session.commit()
        session.refresh(incident)
        session.expunge(incident)
    kernel.audit.record(
        actor=SYSTEM,
        action=f"incident.{action}",
        target=f"incident:{incident.id}",
        params={"element": element_id, "kind": kind, "devices": len(incident.device_ids)},
    )
    return incident.id, incident


def _recovered(kernel: Kernel, device_id: str) -> tuple[str | None, list[str]]:
    """Mark the device up in its open incidents: (the first one, those now fully up)."""
    with kernel.db.session() as session:
        found = [
            i
            for kind in ("fiber", "power")
            for i in _open(session, kind)
            if device_id in i.down_ids
        ]
        for incident in found:
            incident.down_ids = [d for d in incident.down_ids if d != device_id]
        session.commit()
        done = [i.id for i in found if not i.down_ids]
    return (found[0].id if found else None), done


def resolve(kernel: Kernel, incident_id: str, actor: str, time: datetime | None = None) -> Incident:
    """Close an incident (recovery or an operator) and tell whoever heard of it."""
    with kernel.db.session() as session:
        incident = session.get(Incident, incident_id)
        if incident is None:
            raise LookupError(incident_id)
        if incident.status != "open":
            raise ValueError(f"incident {incident_id} is already resolved")
        incident.status = "resolved"
        incident.recovered_at = time or utcnow()
        incident.resolved_by = actor
        kernel.events.emit(
            "incident.resolved",
            incident.element_id,
            {"incident_id": incident.id, "kind": incident.kind},
            actor=actor,
            session=session,
        )
        session.commit()
        session.refresh(incident)
        session.expunge(incident)
    kernel.audit.record(actor=actor, action="incident.resolved", target=f"incident:{incident.id}")
    notify_operators(kernel, incident, "incident.resolved")
    _notify_customers(kernel, incident, "customer.restored")
    return incident


def _channel_ids(kernel: Kernel, names: list[str]) -> dict[str, str]:
    if not names:
        return {}
    with kernel.db.session() as session:
        rows = session.execute(
            select(NotificationChannel.id, NotificationChannel.name).where(  # type: ignore[call-overload]
                NotificationChannel.name.in_(names)  # type: ignore[attr-defined]
            )
        ).all()
    found = {name: channel_id for channel_id, name in rows}
    for name in set(names) - set(found):
        log.warning("incident notifications: no channel named %r", name)
    return found


def _variables(incident: Incident) -> dict[str, Any]:
    recovered = incident.recovered_at
    return {
        "title": incident.title,
        "cause": incident.kind,
        "element": f"{incident.element_kind} {incident.element_name}",
        "details": "\n".join(f"{k}: {v}" for k, v in sorted(incident.details.items())),
        "customers": len(incident.customer_ids),
        "devices": len(incident.device_ids),
        "incident_id": incident.id,
        "time": (recovered or incident.detected_at).isoformat(),
        "duration": str(recovered - incident.detected_at).split(".")[0] if recovered else "",
    }


def notify_operators(kernel: Kernel, incident: Incident, template: str) -> None:
    channels = _channel_ids(kernel, list(_settings(kernel)["incident_channels"]))
    for channel_id in channels.values():
        notifications.notify(
            kernel,
            channel_id,
            template,
            _variables(incident),
            idempotency_key=f"incident:{incident.id}:{template}:{channel_id}",
            subject_ref=f"incident:{incident.id}",
        )


def _contact(customer: Customer, by_kind: Mapping[str, str]) -> tuple[str, str] | None:
    """The channel id and address to reach ``customer``: the preferred contact first."""
    kinds = [customer.preferred_channel] if customer.preferred_channel else []
    kinds += [k for k in ("whatsapp", "email", "phone", "telegram") if k not in kinds]
    for kind in kinds:
        address = (customer.contacts or {}).get(kind or "")
        if address and kind in by_kind:
            return by_kind[kind], str(address)
    return None


def _notify_customers(kernel: Kernel, incident: Incident, template: str) -> None:
    mapping: Mapping[str, str] = _settings(kernel)["customer_channels"]
    ids = _channel_ids(kernel, list(mapping.values()))
    by_kind = {kind: ids[name] for kind, name in mapping.items() if name in ids}
    if not by_kind:
        return
    for start in range(0, len(incident.customer_ids), 500):
        with kernel.db.session() as session:
            customers = list(
                session.execute(
                    select(Customer).where(
                        Customer.id.in_(incident.customer_ids[start : start + 500])  # type: ignore[attr-defined]
                    )
                ).scalars()
            )
            session.expunge_all()
        for customer in customers:
            if customer.erased_at is not None or customer.status != "active":
                continue
            reach = _contact(customer, by_kind)
            if reach is None:
                continue
            channel_id, address = reach
            notifications.notify(
                kernel,
                channel_id,
                template,
                {"customer": customer.name.split(" ")[0], "incident_id": incident.id},
                idempotency_key=f"incident:{incident.id}:{template}:{customer.id}",
                recipient=address,
                subject_ref=f"incident:{incident.id}",
            )
