"""What an Inform does to the inventory: the device, its parameters and its events."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from sqlalchemy import (
    Connection,
    String,
    Table,
    any_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlmodel import Session

from rjchronos.db.driver import DriverStatement
from rjchronos.db.types import utcnow
from rjchronos.inventory import service
from rjchronos.inventory.models import devices
from rjchronos.serials import canonical_serial, normalise_mac
from rjchronos_acs_tr069 import PLUGIN, links
from rjchronos_acs_tr069.messages import Inform, ParameterValue
from rjchronos_acs_tr069.models import CpeParameter, parameters, task_rows
from rjchronos_acs_tr069.profiles import ProvisionRequest

if TYPE_CHECKING:
    from rjchronos.kernel import Kernel

ACTOR = "acs"
#: Seconds an unchanged parameter's ``read_at`` may age before an Inform rewrites it.
DEFAULT_READ_AT_REFRESH = 300.0
#: Inform parameters that fill inventory fields, TR-098 and TR-181 spellings alike.
_FIRMWARE = ("DeviceInfo.SoftwareVersion",)
_HARDWARE = ("DeviceInfo.HardwareVersion",)
_MODEL = ("DeviceInfo.ModelName",)
_WAN_IP_SUFFIXES = (".ExternalIPAddress", ".IPv4Address.1.IPAddress")
_MAC_SUFFIX = ".MACAddress"
requests = cast(Table, ProvisionRequest.__table__)  # type: ignore[attr-defined]


def _first_suffix(parameters: Iterable[ParameterValue], suffix: str) -> str | None:
    return next((p.value for p in parameters if p.name.endswith(suffix) and p.value), None)


def inventory_fields(inform: Inform) -> dict[str, Any]:
    """The inventory fields an Inform reports (only those present).

    ``last_seen`` is not among them: marking the device online sets it, and
    as a field it would change on every Inform and emit ``device.updated``.
    """
    fields: dict[str, Any] = {
        "kind": "cpe",
        "identity": inform.identity,
        "serial": canonical_serial(inform.serial_number),
    }
    if inform.manufacturer:
        fields["vendor"] = inform.manufacturer[:64]
    model = inform.parameter(*_MODEL) or inform.product_class
    if model:
        fields["model"] = model[:64]
    for key, names in (("firmware", _FIRMWARE), ("hardware_version", _HARDWARE)):
        value = inform.parameter(*names)
        if value:
            fields[key] = value[:64]
    wan_ip = next((v for s in _WAN_IP_SUFFIXES if (v := _first_suffix(inform.parameters, s))), None)
    if wan_ip:
        fields["management_address"] = wan_ip[:255]
    mac = _first_suffix(inform.parameters, _MAC_SUFFIX)
    if mac:
        # A CPE reporting a malformed MAC keeps the one inventory has.
        with contextlib.suppress(ValueError):
            fields["mac"] = normalise_mac(mac)
    return fields


@dataclass(frozen=True)
class Recorded:
    """What recording an Inform learnt: the device, and whether work waits for it."""

    device_id: str
    model: str
    firmware: str
    tags: frozenset[str]
    customer_id: str | None
    #: Tasks pending or running, and a provisioning request, at the time of the Inform.
    tasks_queued: bool
    provision_requested: bool


class Claim(NamedTuple):
    """A session row to take in the device's own statement: :data:`DEVICE_TOUCH` with it."""

    statement: DriverStatement
    values: dict[str, Any]


def may_be_routine(kernel: Kernel, inform: Inform) -> bool:
    """Whether :func:`record_routine` may take ``inform`` (its events alone say no)."""
    if set(inform.event_codes) != {"2 PERIODIC"}:
        return False
    return not kernel.plugin_settings(PLUGIN).get("periodic_inform_events")


def record_routine(
    kernel: Kernel, inform: Inform, connection: Connection, claim: Claim | None = None
) -> tuple[Recorded | None, bool]:
    """Record a routine Inform on an autocommitted PostgreSQL connection.

    Routine: only ``2 PERIODIC`` (:func:`may_be_routine`), from an online CPE
    that reports what the inventory holds and has no task queued. Then nothing
    needs a transaction: the device's ``UPDATE ... RETURNING`` and any refreshed
    values each commit on their own (no BEGIN or COMMIT). With ``claim`` the
    same statement also takes a session's row. Returns what was recorded
    (``None`` for anything else: the device may have been touched, and goes
    through :func:`record_inform`) and whether the claim took the row.
    """
    settings = kernel.plugin_settings(PLUGIN)
    fields = inventory_fields(inform)
    paths = [p.name for p in inform.parameters]
    if claim is None:
        device = _touched_unchanged(connection, fields, paths)
        taken = False
    else:
        values = {
            **claim.values,
            "d_identity": fields["identity"],
            "d_now": utcnow(),
            "d_paths": paths,
        }
        row = claim.statement.execute(connection, values).fetchone()
        device = row if _unchanged(row, fields) else None
        taken = row is not None and row.taken is not None
    if device is None or device.tasks_queued:
        return None, taken
    refresh = float(settings.get("read_at_refresh_seconds", DEFAULT_READ_AT_REFRESH))
    store_values(
        connection,
        device.id,
        inform.parameters,
        refresh_after=refresh,
        stored=_decode_stored(device.stored),
    )
    recorded = _recorded(device, device.customer_id, False, bool(device.provision_requested))
    return recorded, taken


def record_inform(kernel: Kernel, inform: Inform, session: Session) -> Recorded:
    """Upsert the device (online), store the reported parameters and emit its events.

    The work joins ``session`` (the caller commits). A periodic Inform, and
    nothing else, writes no ``cpe.inform`` event unless the setting
    ``periodic_inform_events`` is on: at a 15-minute interval a million CPEs
    would write 96 million timeline rows a day.
    """
    settings = kernel.plugin_settings(PLUGIN)
    fields = inventory_fields(inform)
    reported = [p.name for p in inform.parameters]
    device: Any = _seen_unchanged(session, fields, reported)
    fast = device is not None
    stored = None
    if device is None:
        device, _ = service.upsert_device(
            kernel, fields, actor=ACTOR, session=session, status="online"
        )
    elif "stored" in device._fields:
        stored = _decode_stored(device.stored)
    refresh = float(settings.get("read_at_refresh_seconds", DEFAULT_READ_AT_REFRESH))
    changed = store_values(
        session, device.id, inform.parameters, refresh_after=refresh, stored=stored
    )
    codes = inform.event_codes
    identity = {"identity": inform.identity}
    emit = kernel.events.emit
    if set(codes) - {"2 PERIODIC"} or settings.get("periodic_inform_events", False):
        emit("cpe.inform", device.id, {"events": codes, **identity}, ACTOR, session=session)
    if "1 BOOT" in codes:
        emit("cpe.boot", device.id, identity, ACTOR, session=session)
    if "0 BOOTSTRAP" in codes:
        emit("cpe.bootstrap", device.id, identity, ACTOR, session=session)
    if "4 VALUE CHANGE" in codes and changed:
        emit("cpe.value_change", device.id, {"parameters": changed}, ACTOR, session=session)
    customer_id = device.customer_id
    if customer_id is None and set(codes) - {"2 PERIODIC"}:
        customer_id = links.link_customer(kernel, session, device.id)
    if fast:
        # The fast path read the queue with the device.
        tasks_queued, provision_requested = device.tasks_queued, device.provision_requested
    else:
        tasks_queued, provision_requested = session.execute(
            select(_queued(device.id), _provision_requested(device.id))
        ).one()
    return _recorded(device, customer_id, bool(tasks_queued), bool(provision_requested))


def _recorded(
    device: Any, customer_id: str | None, tasks_queued: bool, provision_requested: bool
) -> Recorded:
    return Recorded(
        device_id=device.id,
        model=device.model or "",
        firmware=device.firmware or "",
        tags=frozenset(device.tags or ()),
        customer_id=customer_id,
        tasks_queued=tasks_queued,
        provision_requested=provision_requested,
    )


#: The inventory fields an Inform may report (see :func:`inventory_fields`).
_COMPARED = (
    "kind",
    "identity",
    "serial",
    "vendor",
    "model",
    "firmware",
    "hardware_version",
    "management_address",
    "mac",
)


def _queued(device_id: Any) -> Any:
    # Two comparisons rather than IN: no list parameter to expand at each execution.
    status = task_rows.c.status
    return exists().where(
        task_rows.c.device_id == device_id, or_(status == "pending", status == "running")
    )


def _provision_requested(device_id: Any) -> Any:
    return exists().where(requests.c.device_id == device_id)


#: The routine Inform's statements, built once (their SQL is compiled once and cached).
_DEVICE_COLUMNS = (
    devices.c.id,
    devices.c.status,
    devices.c.tags,
    devices.c.customer_id,
    *(devices.c[name] for name in _COMPARED),
    _queued(devices.c.id).label("tasks_queued"),
    _provision_requested(devices.c.id).label("provision_requested"),
)
#: The stored values of the Inform's paths, as ``[[path, value, type, read_at epoch], ...]``.
_STORED_OF_DEVICE = (
    select(
        func.json_agg(
            func.json_build_array(
                parameters.c.path,
                parameters.c.value,
                parameters.c.type,
                func.extract("epoch", parameters.c.read_at),
            )
        )
    )
    .where(
        parameters.c.device_id == devices.c.id,
        parameters.c.path == any_(bindparam("d_paths", type_=postgresql.ARRAY(String))),
    )
    .correlate(devices)
    .scalar_subquery()
)
#: On PostgreSQL the device is touched and read, row locked, with the stored values of the
#: Inform's parameters, in one statement (one round trip).
DEVICE_TOUCH = (
    update(devices)
    .where(devices.c.identity == bindparam("d_identity"))
    .values(last_seen=bindparam("d_now"))
    .returning(*_DEVICE_COLUMNS, _STORED_OF_DEVICE.label("stored"))
)
_DEVICE_TOUCHED = DriverStatement(DEVICE_TOUCH)
#: Elsewhere (SQLite) it is read, then touched when the fast path holds.
_DEVICE_READ = (
    select(*_DEVICE_COLUMNS)
    .where(devices.c.identity == bindparam("d_identity"))
    .with_for_update(of=devices)
)
_TOUCH = (
    update(devices).where(devices.c.id == bindparam("d_id")).values(last_seen=bindparam("d_now"))
)
_STORED_COLUMNS = (parameters.c.path, parameters.c.value, parameters.c.type, parameters.c.read_at)
_STORED_IN = select(*_STORED_COLUMNS).where(
    parameters.c.device_id == bindparam("device"),
    parameters.c.path.in_(bindparam("paths", expanding=True)),
)
#: On PostgreSQL the paths go as one array parameter: no statement expanded per list length.
_STORED_ANY = select(*_STORED_COLUMNS).where(
    parameters.c.device_id == bindparam("device"),
    parameters.c.path == any_(bindparam("paths", type_=postgresql.ARRAY(String))),
)
_INSERT_VALUES = insert(parameters)
_UPDATE_VALUES = (
    update(parameters)
    .where(
        parameters.c.device_id == bindparam("p_device"), parameters.c.path == bindparam("p_path")
    )
    .values(value=bindparam("p_value"), type=bindparam("p_type"), read_at=bindparam("p_now"))
)


def _seen_unchanged(session: Session, fields: dict[str, Any], paths: list[str]) -> Any | None:
    """The fast path of a routine Inform, in plain statements: the device, row locked.

    When an online CPE reports exactly what the inventory holds, only
    ``last_seen`` changes: no ORM load, no events. On PostgreSQL one
    ``UPDATE ... RETURNING`` writes it (an Inform always does) and returns
    the device with its queue and the stored values of ``paths``; elsewhere
    a SELECT reads the device and queue and an UPDATE follows. Anything else
    (a new device, a changed field, another status) returns ``None`` and goes
    through ``service.upsert_device`` in the same transaction.
    """
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        return _touched_unchanged(connection, fields, paths)
    now = utcnow()
    row: Any = connection.execute(
        _DEVICE_READ, {"d_identity": fields["identity"], "d_now": now}
    ).one_or_none()
    if not _unchanged(row, fields):
        return None
    connection.execute(_TOUCH, {"d_id": row.id, "d_now": now})
    return row


def _touched_unchanged(connection: Connection, fields: dict[str, Any], paths: list[str]) -> Any:
    """PostgreSQL: touch the device and read it back; the row if it is online and unchanged."""
    values = {"d_identity": fields["identity"], "d_now": utcnow(), "d_paths": paths}
    row = _DEVICE_TOUCHED.execute(connection, values).fetchone()
    return row if _unchanged(row, fields) else None


def _unchanged(row: Any, fields: dict[str, Any]) -> bool:
    if row is None or row.status != "online":
        return False
    current = row._asdict()
    return all(name in current and current[name] == value for name, value in fields.items())


class Stored(NamedTuple):
    """A stored parameter as :func:`store_values` compares it (``read_at`` in epoch seconds)."""

    value: str | None
    type: str | None
    read_at: float


def _epoch(moment: datetime) -> float:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _decode_stored(rows: list[list[Any]] | None) -> dict[str, Stored]:
    """The ``stored`` column of the routine Inform's statement."""
    return {path: Stored(value, kind, float(read_at)) for path, value, kind, read_at in rows or ()}


def store_values(
    db: Session | Connection,
    device_id: str,
    values: Iterable[ParameterValue],
    *,
    refresh_after: float = 0.0,
    stored: dict[str, Stored] | None = None,
) -> dict[str, str]:
    """Store read values; the paths whose value changed, with their new value.

    An unchanged value keeps its ``read_at`` until that is ``refresh_after``
    seconds old, which spares a write of every parameter at every Inform.
    Plain statements, in ``db`` (a session, or a connection): one read (none
    when the caller read ``stored``, the values held for these paths), then at
    most one insert and one update.
    """
    reported = {v.name: v for v in values}
    if not reported:
        return {}
    if isinstance(db, Connection):
        connection = db
    else:
        db.flush()  # the statements below go past the ORM: a new device must exist first
        connection = db.connection()
    if stored is None:
        query = _STORED_ANY if connection.dialect.name == "postgresql" else _STORED_IN
        rows = connection.execute(query, {"device": device_id, "paths": list(reported)})
        stored = {row[0]: Stored(row[1], row[2], _epoch(row[3])) for row in rows}
    changed: dict[str, str] = {}
    now = utcnow()
    stale = now.timestamp() - refresh_after
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for value in reported.values():
        row = stored.get(value.name)
        if row is None:
            inserts.append(
                {
                    "device_id": device_id,
                    "path": value.name,
                    "value": value.value,
                    "type": value.type,
                    "read_at": now,
                }
            )
            continue
        if row.value == value.value and row.type == value.type and row.read_at > stale:
            continue
        if row.value is not None and row.value != value.value:
            changed[value.name] = value.value
        updates.append(
            {
                "p_device": device_id,
                "p_path": value.name,
                "p_value": value.value,
                "p_type": value.type,
                "p_now": now,
            }
        )
    if inserts:
        connection.execute(_INSERT_VALUES, inserts)
    if updates:
        connection.execute(_UPDATE_VALUES, updates)
    return changed


def store_names(session: Session, device_id: str, names: Iterable[tuple[str, bool]]) -> None:
    """Store paths and their writability from a GetParameterNamesResponse."""
    names = list(names)
    stored = _stored(session, device_id, [n for n, _ in names])
    now = utcnow()
    for path, writable in names:
        row = stored.get(path) or CpeParameter(device_id=device_id, path=path, read_at=now)
        row.writable = writable
        session.add(row)
    session.flush()


def forget_subtree(session: Session, device_id: str, prefix: str) -> None:
    """Drop the stored parameters under a deleted object."""
    session.execute(
        delete(CpeParameter).where(
            parameters.c.device_id == device_id,
            parameters.c.path.startswith(prefix),
        )
    )


def stored_types(session: Session, device_id: str, paths: Iterable[str]) -> dict[str, str]:
    """The known types of ``paths`` (for ``xsi:type`` in SetParameterValues)."""
    return {p: row.type for p, row in _stored(session, device_id, list(paths)).items() if row.type}


def _stored(session: Session, device_id: str, paths: list[str]) -> dict[str, CpeParameter]:
    if not paths:
        return {}
    rows = session.execute(
        select(CpeParameter).where(
            parameters.c.device_id == device_id,
            parameters.c.path.in_(paths),
        )
    ).scalars()
    return {row.path: row for row in rows}
