"""OLT records: a core device of kind ``olt`` plus its connection row, kept together."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from rjchronos.db.types import utcnow
from rjchronos.inventory import service
from rjchronos.inventory.errors import NotFound
from rjchronos.inventory.models import Device
from rjchronos_olt_manager.connection import Olt
from rjchronos_olt_manager.models import OltConnection

if TYPE_CHECKING:
    from rjchronos.kernel import Kernel

#: Fields of the OLT's device in inventory.
DEVICE_FIELDS = ("name", "vendor", "model", "site_id", "management_address")
#: Connection fields stored as given.
PLAIN_FIELDS = (
    "ssh_port",
    "username",
    "snmp_port",
    "driver",
    "interval_seconds",
    "timeout_seconds",
    "default_vlan",
    "pon_ports",
    "transport",
    "telnet_port",
    "snmp_tree",
)
#: Secret fields and the encrypted column that holds each.
SECRET_FIELDS = {
    "password": "password_encrypted",
    "community": "community_encrypted",
    "enable_password": "enable_password_encrypted",
}


def load(kernel: Kernel, olt_id: str, *, session: Session | None = None) -> Olt:
    """The OLT with ``olt_id``; :class:`NotFound` when there is none (or it is not managed)."""
    if session is None:
        with kernel.db.session() as own:
            return load(kernel, olt_id, session=own)
    device = session.get(Device, olt_id)
    settings = session.get(OltConnection, olt_id)
    if device is None or device.kind != "olt" or settings is None:
        raise NotFound("OLT", olt_id)
    return Olt(device, settings)


def _apply_settings(kernel: Kernel, row: OltConnection, data: Mapping[str, Any]) -> None:
    for name in PLAIN_FIELDS:
        if name in data:
            setattr(row, name, data[name])
    for name, column in SECRET_FIELDS.items():
        if name in data:
            setattr(row, column, kernel.secrets.encrypt(data[name]) if data[name] else "")
    row.updated_at = utcnow()


def create(kernel: Kernel, data: Mapping[str, Any], *, actor: str | None = None) -> Olt:
    """Add an OLT to inventory with its connection settings (secrets encrypted)."""
    with kernel.db.session() as session:
        fields = {name: data[name] for name in DEVICE_FIELDS if name in data}
        device = service.create_device(
            kernel, {"kind": "olt", **fields}, actor=actor, session=session
        )
        row = OltConnection(device_id=device.id)
        _apply_settings(kernel, row, data)
        session.add(row)
        session.flush()
        return Olt(device, row)


def update(
    kernel: Kernel, olt_id: str, changes: Mapping[str, Any], *, actor: str | None = None
) -> Olt:
    """Change an OLT's device fields and connection settings in one transaction."""
    with kernel.db.session() as session:
        olt = load(kernel, olt_id, session=session)
        fields = {name: changes[name] for name in DEVICE_FIELDS if name in changes}
        if fields:
            service.update_device(kernel, olt_id, fields, actor=actor, session=session)
        _apply_settings(kernel, olt.settings, changes)
        session.add(olt.settings)
        session.flush()
        return olt


def delete(kernel: Kernel, olt_id: str, *, actor: str | None = None) -> Olt:
    """Remove the OLT from inventory; its connection row goes with it."""
    with kernel.db.session() as session:
        olt = load(kernel, olt_id, session=session)
        session.delete(olt.settings)
        session.flush()
        service.delete_device(kernel, olt_id, actor=actor, session=session)
        return olt


def render(olt: Olt) -> dict[str, Any]:
    """The OLT as the API shows it: secrets only as whether they are set."""
    device, row = olt.device, olt.settings
    return {
        "id": device.id,
        "name": device.name,
        "vendor": device.vendor,
        "model": device.model,
        "firmware": device.firmware,
        "site_id": device.site_id,
        "management_address": device.management_address,
        "status": device.status,
        "last_seen": device.last_seen.isoformat() if device.last_seen else None,
        "ssh_port": row.ssh_port,
        "username": row.username,
        "password_set": bool(row.password_encrypted),
        "snmp_port": row.snmp_port,
        "community_set": bool(row.community_encrypted),
        "transport": row.transport,
        "telnet_port": row.telnet_port,
        "enable_password_set": bool(row.enable_password_encrypted),
        "snmp_tree": row.snmp_tree,
        "driver": row.driver,
        "interval_seconds": row.interval_seconds,
        "timeout_seconds": row.timeout_seconds,
        "default_vlan": row.default_vlan,
        "pon_ports": list(row.pon_ports),
        "last_collected_at": row.last_collected_at.isoformat() if row.last_collected_at else None,
        "last_error": row.last_error,
        "last_backup_at": row.last_backup_at.isoformat() if row.last_backup_at else None,
    }
