"""The inventory service: every change to devices goes through these functions.

Endpoints, the ACS, OLT drivers and simulators call them alike. Each takes
the kernel and, optionally, a ``session`` to join the caller's transaction;
without one it commits its own. Values are normalised here (serials to the
canonical form, MACs to lower-case colon form), the topology invariants are
kept (no cycles, ``olt_id`` is the OLT above), and each change records its
event on the timeline in the same transaction, delivered once it commits.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import column, select, table, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from rjchronos.db.types import utcnow
from rjchronos.inventory import topology
from rjchronos.inventory.errors import Conflict, InvalidField, NotFound
from rjchronos.inventory.models import DEVICE_KINDS, DEVICE_STATUSES, Device, Site, devices, sites
from rjchronos.serials import canonical_serial, normalise_mac

if TYPE_CHECKING:
    from rjchronos.kernel import Kernel

#: Fields a caller may set on a device (``kind`` only when creating it).
DEVICE_FIELDS = frozenset(
    {
        "name",
        "vendor",
        "model",
        "serial",
        "mac",
        "firmware",
        "hardware_version",
        "identity",
        "management_address",
        "status",
        "last_seen",
        "tags",
        "attributes",
        "parent_id",
        "site_id",
        "customer_id",
    }
)
_TEXT_FIELDS = frozenset(
    {
        "name",
        "vendor",
        "model",
        "firmware",
        "hardware_version",
        "management_address",
    }
)
_REFERENCES = ("parent_id", "site_id", "customer_id")
#: The customers table, referred to by name only: it belongs to the customers service.
_customers = table("customers", column("id"))


@contextmanager
def _unit(kernel: Kernel, session: Session | None) -> Iterator[Session]:
    if session is not None:
        yield session
        return
    with kernel.db.session() as own:
        yield own


# -- values ------------------------------------------------------------------


def clean_device_fields(data: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
    """Check and normalise device fields; raises :class:`InvalidField` naming the first bad one."""
    allowed = DEVICE_FIELDS | {"kind"} if creating else DEVICE_FIELDS
    cleaned: dict[str, Any] = {}
    for name, value in data.items():
        if name not in allowed:
            reason = "cannot be changed" if name == "kind" else "not a device field"
            raise InvalidField(name, reason)
        cleaned[name] = _clean(name, value)
    if creating and "kind" not in cleaned:
        raise InvalidField("kind", f"required: one of {', '.join(DEVICE_KINDS)}")
    return cleaned


def _clean(name: str, value: Any) -> Any:
    if name == "kind":
        if value not in DEVICE_KINDS:
            raise InvalidField(name, f"{value!r} is not one of {', '.join(DEVICE_KINDS)}")
        return value
    if name == "status":
        if value not in DEVICE_STATUSES:
            raise InvalidField(name, f"{value!r} is not one of {', '.join(DEVICE_STATUSES)}")
        return value
    if name in _TEXT_FIELDS:
        if value is None:
            return ""
        if not isinstance(value, str):
            raise InvalidField(name, "must be text")
        return value.strip()
    if name in ("serial", "mac", "identity", *_REFERENCES):
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if not isinstance(value, str):
            raise InvalidField(name, "must be text or null")
        try:
            if name == "serial":
                return canonical_serial(value)
            if name == "mac":
                return normalise_mac(value)
        except ValueError as exc:
            raise InvalidField(name, str(exc)) from None
        return value.strip()
    if name == "tags":
        if not isinstance(value, list | tuple) or not all(
            isinstance(t, str) and t.strip() for t in value
        ):
            raise InvalidField(name, "must be a list of non-empty texts")
        return list(dict.fromkeys(t.strip() for t in value))
    if name == "attributes":
        if not isinstance(value, Mapping):
            raise InvalidField(name, "must be an object")
        return dict(value)
    if name == "last_seen":
        return _timestamp(name, value)
    raise InvalidField(name, "not a device field")


def _timestamp(name: str, value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidField(name, f"{value!r} is not an ISO 8601 date-time") from None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise InvalidField(name, "must be a date-time with a time zone, e.g. 2025-01-31T12:00:00Z")
    return value


# -- lookups -----------------------------------------------------------------


def get_device(kernel: Kernel, device_id: str, *, session: Session | None = None) -> Device | None:
    """The device with ``device_id``, or ``None``."""
    with _unit(kernel, session) as s:
        return s.get(Device, device_id)


def find_devices(
    kernel: Kernel,
    *,
    serial: str | None = None,
    mac: str | None = None,
    identity: str | None = None,
    kind: str | None = None,
    session: Session | None = None,
) -> list[Device]:
    """Devices matching every criterion given; serial and MAC in any spelling."""
    if serial is None and mac is None and identity is None:
        raise ValueError("find_devices needs a serial, a mac or an identity")
    statement = select(Device)
    if serial is not None:
        statement = statement.where(devices.c.serial == canonical_serial(serial))
    if mac is not None:
        statement = statement.where(devices.c.mac == normalise_mac(mac))
    if identity is not None:
        statement = statement.where(devices.c.identity == identity)
    if kind is not None:
        statement = statement.where(devices.c.kind == kind)
    with _unit(kernel, session) as s:
        return list(s.execute(statement.order_by(devices.c.id).limit(100)).scalars())


def find_device(
    kernel: Kernel,
    *,
    serial: str | None = None,
    mac: str | None = None,
    identity: str | None = None,
    kind: str | None = None,
    session: Session | None = None,
) -> Device | None:
    """The one device matching; :class:`Conflict` when several do (give a ``kind``)."""
    found = find_devices(
        kernel, serial=serial, mac=mac, identity=identity, kind=kind, session=session
    )
    if len(found) > 1:
        kinds = ", ".join(sorted({d.kind for d in found}))
        raise Conflict("kind", f"{len(found)} devices match ({kinds}); say which kind")
    return found[0] if found else None


def ancestors(kernel: Kernel, device_id: str, *, session: Session | None = None) -> list[Device]:
    """The devices above ``device_id``, nearest first."""
    with _unit(kernel, session) as s:
        ids = topology.ancestor_ids(s, device_id)
        found = {d.id: d for d in s.execute(select(Device).where(devices.c.id.in_(ids))).scalars()}
        return [found[i] for i in ids if i in found]


def subtree(
    kernel: Kernel,
    root_id: str,
    *,
    max_depth: int = topology.MAX_DEPTH,
    session: Session | None = None,
) -> list[dict[str, Any]]:
    """The root and the devices below it, flat rows with ``depth``.

    :raises NotFound: no device ``root_id``.
    """
    with _unit(kernel, session) as s:
        rows = topology.subtree_rows(s, root_id, max_depth=max_depth)
    if not rows:
        raise NotFound("device", root_id)
    return rows


def affected(
    kernel: Kernel, device_id: str, *, session: Session | None = None
) -> topology.Affected:
    """Who fails with ``device_id``: counts per kind below it and the customers linked."""
    with _unit(kernel, session) as s:
        if s.get(Device, device_id) is None:
            raise NotFound("device", device_id)
        return topology.affected(s, device_id)


# -- changes -----------------------------------------------------------------


def create_device(
    kernel: Kernel,
    data: Mapping[str, Any],
    *,
    actor: str | None = None,
    session: Session | None = None,
) -> Device:
    """Add a device; emits ``device.created``.

    :raises InvalidField: a bad value, or a parent, site or customer that does not exist.
    :raises Conflict: the serial (for that kind) or the identity is taken.
    """
    fields = clean_device_fields(data, creating=True)
    with _unit(kernel, session) as s:
        _check_references(s, fields)
        device = Device(**fields)
        _check_unique(s, device)
        if device.status != "unknown":
            device.status_since = utcnow()
        device.olt_id = topology.olt_of(s, device.kind, device.id, device.parent_id)
        s.add(device)
        _flush(s, device)
        kernel.events.emit(
            "device.created",
            device.id,
            {"kind": device.kind, "name": device.name, "serial": device.serial},
            actor,
            session=s,
        )
        _link_by_serial(kernel, s, device, actor)
        return device


def _link_by_serial(kernel: Kernel, session: Session, device: Device, actor: str | None) -> None:
    """Put an ONT-type CPE under the ONU with its serial, whichever of the two appears first.

    The OLT and the ACS see one box under one GPON serial (the OLT prints
    ``HWTC-11E70E9A`` where CWMP sends ``4857544311E70E9A``; both are stored
    canonical). Only a CPE without a parent is placed, so an operator's link wins.
    """
    if not device.serial or device.kind not in ("cpe", "onu"):
        return
    if device.kind == "cpe":
        if device.parent_id is None:
            onu = session.execute(
                select(devices.c.id).where(
                    devices.c.serial == device.serial, devices.c.kind == "onu"
                )
            ).scalar_one_or_none()
            if onu is not None:
                update_device(kernel, device.id, {"parent_id": onu}, actor=actor, session=session)
        return
    orphans = session.execute(
        select(devices.c.id).where(
            devices.c.serial == device.serial,
            devices.c.kind == "cpe",
            devices.c.parent_id.is_(None),
        )
    ).scalars()
    for cpe in list(orphans):
        update_device(kernel, cpe, {"parent_id": device.id}, actor=actor, session=session)


def update_device(
    kernel: Kernel,
    device_id: str,
    changes: Mapping[str, Any],
    *,
    actor: str | None = None,
    session: Session | None = None,
) -> Device:
    """Change fields of a device; emits an event per kind of change, none when nothing changes.

    ``device.parent_changed`` and ``device.customer_changed`` for links,
    ``device.status_changed`` for a status, ``device.updated`` (naming the
    fields) for the rest.
    """
    fields = clean_device_fields(changes, creating=False)
    with _unit(kernel, session) as s:
        device = _locked(s, device_id)
        _apply(kernel, s, device, fields, actor)
        return device


def upsert_device(
    kernel: Kernel,
    data: Mapping[str, Any],
    *,
    actor: str | None = None,
    session: Session | None = None,
    status: str | None = None,
) -> tuple[Device, bool]:
    """Create the device, or update the one with the same identity, or serial and kind.

    Drivers and the ACS call this with what a device reports. Returns the
    device and whether it was created. Without a ``session`` a concurrent
    creation of the same device is retried once as an update. ``status``
    records the device's status in the same pass, as :func:`set_status` does
    (the row is found and locked once).
    """
    if status is not None:
        _clean("status", status)
    fields = clean_device_fields(data, creating=True)
    if not fields.get("identity") and not fields.get("serial"):
        raise InvalidField("serial", "an upsert needs a serial or an identity to match on")
    attempts = 1 if session is not None else 2
    for attempt in range(attempts):
        try:
            with _unit(kernel, session) as s:
                device = _match(s, fields)
                created = device is None
                if device is None:
                    try:
                        device = create_device(kernel, fields, actor=actor, session=s)
                    except Conflict as exc:  # nothing matched a moment ago: another writer won
                        raise _Raced(exc.field, exc.reason, exc.existing_id) from None
                elif device.kind != fields["kind"]:
                    raise Conflict(
                        "kind",
                        f"the identity belongs to a {device.kind}, not a {fields['kind']}",
                        device.id,
                    )
                else:
                    changes = {k: v for k, v in fields.items() if k != "kind"}
                    _apply(kernel, s, device, changes, actor)
                if status is not None:
                    _record_status(kernel, s, device, status, None, None, actor)
                return device, created
        except _Raced:
            if attempt + 1 == attempts:
                raise
    raise AssertionError("unreachable")


def set_status(
    kernel: Kernel,
    device_id: str,
    status: str,
    *,
    seen_at: datetime | None = None,
    details: Mapping[str, Any] | None = None,
    actor: str | None = None,
    session: Session | None = None,
) -> bool:
    """Record a device's status; ``online`` also sets ``last_seen``.

    Emits ``device.status_changed`` (``from``, ``to`` and ``details``) only
    on a transition. Returns whether the status changed.
    """
    _clean("status", status)
    with _unit(kernel, session) as s:
        device = _locked(s, device_id)
        return _record_status(kernel, s, device, status, seen_at, details, actor)


def _record_status(
    kernel: Kernel,
    session: Session,
    device: Device,
    status: str,
    seen_at: datetime | None,
    details: Mapping[str, Any] | None,
    actor: str | None,
) -> bool:
    now = utcnow()
    if seen_at is not None or status == "online":
        device.last_seen = seen_at or now
    if device.status == status:
        return False
    previous, device.status, device.status_since, device.updated_at = (
        device.status,
        status,
        now,
        now,
    )
    kernel.events.emit(
        "device.status_changed",
        device.id,
        {"from": previous, "to": status, **(details or {})},
        actor,
        session=session,
    )
    return True


def link_parent(
    kernel: Kernel,
    device_id: str,
    parent_id: str | None,
    *,
    actor: str | None = None,
    session: Session | None = None,
) -> Device:
    """Place a device under ``parent_id`` (``None`` detaches it); refuses cycles."""
    return update_device(kernel, device_id, {"parent_id": parent_id}, actor=actor, session=session)


def link_customer(
    kernel: Kernel,
    device_id: str,
    customer_id: str | None,
    *,
    actor: str | None = None,
    session: Session | None = None,
) -> Device:
    """Link a device to a customer (``None`` unlinks it)."""
    return update_device(
        kernel, device_id, {"customer_id": customer_id}, actor=actor, session=session
    )


def delete_device(
    kernel: Kernel, device_id: str, *, actor: str | None = None, session: Session | None = None
) -> Device:
    """Remove a device; emits ``device.deleted``.

    Its children move up to its parent, so removing a splitter keeps the
    ONUs below it on their PON port; removing an OLT leaves its ports
    unlinked, with no OLT. The timeline of the device stays.
    """
    with _unit(kernel, session) as s:
        device = _locked(s, device_id)
        children = list(
            s.execute(select(devices.c.id, devices.c.kind).where(devices.c.parent_id == device.id))
        )
        new_olt = topology.olt_below(s, device.parent_id)
        s.execute(
            update(devices)
            .where(devices.c.parent_id == device.id)
            .values(parent_id=device.parent_id, updated_at=utcnow())
        )
        if device.kind == "olt":
            for child_id, child_kind in children:
                if child_kind != "olt":
                    s.execute(
                        update(devices).where(devices.c.id == child_id).values(olt_id=new_olt)
                    )
                    topology.propagate_olt(s, child_id, new_olt)
        s.delete(device)
        s.flush()
        kernel.events.emit(
            "device.deleted",
            device.id,
            {
                "kind": device.kind,
                "name": device.name,
                "serial": device.serial,
                "children": len(children),
            },
            actor,
            session=s,
        )
        return device


# -- sites -------------------------------------------------------------------

SITE_FIELDS = frozenset(
    {
        "name",
        "address",
        "neighbourhood",
        "city",
        "state",
        "region",
        "latitude",
        "longitude",
    }
)


def create_site(kernel: Kernel, data: Mapping[str, Any], *, session: Session | None = None) -> Site:
    """Add a site."""
    fields = _clean_site(data)
    if not fields.get("name"):
        raise InvalidField("name", "required")
    with _unit(kernel, session) as s:
        site = Site(**fields)
        s.add(site)
        s.flush()
        return site


def update_site(
    kernel: Kernel, site_id: str, changes: Mapping[str, Any], *, session: Session | None = None
) -> Site:
    """Change fields of a site."""
    fields = _clean_site(changes)
    if "name" in fields and not fields["name"]:
        raise InvalidField("name", "must not be empty")
    with _unit(kernel, session) as s:
        site = s.get(Site, site_id)
        if site is None:
            raise NotFound("site", site_id)
        for name, value in fields.items():
            setattr(site, name, value)
        site.updated_at = utcnow()
        s.add(site)
        s.flush()
        return site


def delete_site(kernel: Kernel, site_id: str, *, session: Session | None = None) -> Site:
    """Remove a site; :class:`Conflict` while devices or customers are there."""
    with _unit(kernel, session) as s:
        site = s.get(Site, site_id)
        if site is None:
            raise NotFound("site", site_id)
        in_use = s.execute(
            select(devices.c.id).where(devices.c.site_id == site_id).limit(1)
        ).first()
        if in_use is not None:
            raise Conflict("site", "devices are at this site; move or remove them first", in_use[0])
        s.delete(site)
        try:
            s.flush()
        except IntegrityError:
            raise Conflict("site", "the site is still referenced (by customers)") from None
        return site


def _clean_site(data: Mapping[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for name, value in data.items():
        if name not in SITE_FIELDS:
            raise InvalidField(name, "not a site field")
        if name in ("latitude", "longitude"):
            limit = 90 if name == "latitude" else 180
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int | float) or abs(value) > limit
            ):
                raise InvalidField(name, f"must be a number from -{limit} to {limit}, or null")
            cleaned[name] = None if value is None else float(value)
        elif value is None or isinstance(value, str):
            cleaned[name] = (value or "").strip()
        else:
            raise InvalidField(name, "must be text")
    return cleaned


# -- internals ---------------------------------------------------------------


def _locked(session: Session, device_id: str) -> Device:
    device = session.execute(
        select(Device).where(devices.c.id == device_id).with_for_update()
    ).scalar_one_or_none()
    if device is None:
        raise NotFound("device", device_id)
    return device


def _match(session: Session, fields: Mapping[str, Any]) -> Device | None:
    """The device with the identity, else the serial and kind, of ``fields``, its row locked."""
    for condition in (
        devices.c.identity == fields["identity"] if fields.get("identity") else None,
        (devices.c.serial == fields["serial"]) & (devices.c.kind == fields["kind"])
        if fields.get("serial")
        else None,
    ):
        if condition is None:
            continue
        found = session.execute(
            select(Device).where(condition).with_for_update()
        ).scalar_one_or_none()
        if found is not None:
            return found
    return None


def _check_references(session: Session, values: Mapping[str, Any]) -> None:
    """Each link set in ``values`` points at something that exists."""
    targets = {
        "parent_id": ("device", devices),
        "site_id": ("site", sites),
        "customer_id": ("customer", _customers),
    }
    for name, (what, target) in targets.items():
        value = values.get(name)
        if value is None:
            continue
        if session.execute(select(target.c.id).where(target.c.id == value)).first() is None:
            raise InvalidField(name, f"no {what} with id {value!r}")


def _check_unique(session: Session, device: Device) -> None:
    if device.serial is not None:
        other = session.execute(
            select(devices.c.id).where(
                devices.c.serial == device.serial,
                devices.c.kind == device.kind,
                devices.c.id != device.id,
            )
        ).scalar()
        if other is not None:
            raise Conflict("serial", f"another {device.kind} has serial {device.serial}", other)
    if device.identity is not None:
        other = session.execute(
            select(devices.c.id).where(
                devices.c.identity == device.identity, devices.c.id != device.id
            )
        ).scalar()
        if other is not None:
            raise Conflict("identity", f"another device has identity {device.identity}", other)


class _Raced(Conflict):
    """A concurrent writer took the serial or identity between the check and the write."""


def _flush(session: Session, device: Device) -> None:
    try:
        session.flush()
    except IntegrityError as exc:
        field = "identity" if "identity" in str(exc.orig) else "serial"
        raise _Raced(field, f"another device took this {field} meanwhile") from None


def _apply(
    kernel: Kernel, session: Session, device: Device, fields: Mapping[str, Any], actor: str | None
) -> None:
    changed = {name: value for name, value in fields.items() if getattr(device, name) != value}
    if not changed:
        return
    previous = {name: getattr(device, name) for name in changed}
    _check_references(session, changed)
    now = utcnow()
    # The checks below query; the change must not be flushed before they pass.
    with session.no_autoflush:
        for name, value in changed.items():
            setattr(device, name, value)
        device.updated_at = now
        if {"serial", "identity"} & set(changed):
            _check_unique(session, device)
        if "parent_id" in changed:
            _reparent(session, device)
        if "status" in changed:
            device.status_since = now
    _flush(session, device)
    emit = kernel.events.emit
    for name, event_type in (
        ("parent_id", "device.parent_changed"),
        ("customer_id", "device.customer_changed"),
        ("status", "device.status_changed"),
    ):
        if name in changed:
            emit(
                event_type,
                device.id,
                {"from": previous[name], "to": changed[name]},
                actor,
                session=session,
            )
    others = sorted(set(changed) - {"parent_id", "customer_id", "status"})
    if others:
        emit("device.updated", device.id, {"fields": others}, actor, session=session)


def _reparent(session: Session, device: Device) -> None:
    parent_id = device.parent_id
    if parent_id is not None and (
        parent_id == device.id or device.id in topology.ancestor_ids(session, parent_id)
    ):
        raise Conflict("parent_id", "the new parent is below this device: that would make a loop")
    olt_id = topology.olt_of(session, device.kind, device.id, device.parent_id)
    if olt_id != device.olt_id:
        device.olt_id = olt_id
        if device.kind != "olt":
            topology.propagate_olt(session, device.id, olt_id)
