"""What an Inform does to the inventory: the device, its parameters and its events."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select
from sqlmodel import Session

from rjchronos.db.types import utcnow
from rjchronos.inventory import service
from rjchronos.serials import canonical_serial, normalise_mac
from rjchronos_acs_tr069.messages import Inform, ParameterValue
from rjchronos_acs_tr069.models import CpeParameter, parameters

if TYPE_CHECKING:
    from rjchronos.kernel import Kernel

ACTOR = "acs"
#: Inform parameters that fill inventory fields, TR-098 and TR-181 spellings alike.
_FIRMWARE = ("DeviceInfo.SoftwareVersion",)
_HARDWARE = ("DeviceInfo.HardwareVersion",)
_MODEL = ("DeviceInfo.ModelName",)
_WAN_IP_SUFFIXES = (".ExternalIPAddress", ".IPv4Address.1.IPAddress")
_MAC_SUFFIX = ".MACAddress"


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


def record_inform(kernel: Kernel, inform: Inform, session: Session | None = None) -> str:
    """Upsert the device, store the reported parameters and emit its events; its id.

    With ``session`` the work joins that transaction (the caller commits).
    """
    unit = contextlib.nullcontext(session) if session is not None else kernel.db.session()
    with unit as session:
        device, _ = service.upsert_device(
            kernel, inventory_fields(inform), actor=ACTOR, session=session
        )
        service.set_status(kernel, device.id, "online", actor=ACTOR, session=session)
        changed = store_values(session, device.id, inform.parameters)
        codes = inform.event_codes
        emit = kernel.events.emit
        emit(
            "cpe.inform",
            device.id,
            {"events": codes, "identity": inform.identity},
            ACTOR,
            session=session,
        )
        if "1 BOOT" in codes:
            emit("cpe.boot", device.id, {"identity": inform.identity}, ACTOR, session=session)
        if "0 BOOTSTRAP" in codes:
            emit("cpe.bootstrap", device.id, {"identity": inform.identity}, ACTOR, session=session)
        if "4 VALUE CHANGE" in codes and changed:
            emit("cpe.value_change", device.id, {"parameters": changed}, ACTOR, session=session)
        return device.id


def store_values(
    session: Session, device_id: str, values: Iterable[ParameterValue]
) -> dict[str, str]:
    """Store read values; the paths whose value changed, with their new value."""
    values = list(values)
    stored = _stored(session, device_id, [v.name for v in values])
    changed: dict[str, str] = {}
    now = utcnow()
    for value in values:
        row = stored.get(value.name)
        if row is None:
            row = CpeParameter(device_id=device_id, path=value.name)
            stored[value.name] = row
        if row.value is not None and row.value != value.value:
            changed[value.name] = value.value
        row.value, row.type, row.read_at = value.value, value.type, now
        session.add(row)
    session.flush()
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
