"""Inventory tables: sites, devices of every kind (the topology) and the event timeline.

The index choices are explained in ``docs/decisions/0002-inventory-indexes.md``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import BigInteger, Column, Index, Integer, Table, column, func
from sqlmodel import Field, SQLModel

from rjchronos.db.ids import new_id
from rjchronos.db.types import JsonDocument, UtcDateTime, utcnow

#: Kinds of device, from the central office to the subscriber's home.
DEVICE_KINDS: tuple[str, ...] = ("olt", "pon", "splitter", "route", "onu", "cpe")
#: What inventory knows of a device's state; ``unknown`` until something reports.
DEVICE_STATUSES: tuple[str, ...] = (
    "online",
    "offline",
    "los",
    "dying_gasp",
    "degraded",
    "disabled",
    "unknown",
)


class Site(SQLModel, table=True):
    """A place: a central office, a cabinet, a pole, a subscriber's address."""

    __tablename__ = "sites"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=26)
    name: str = Field(max_length=200)
    address: str = Field(default="", max_length=300)
    neighbourhood: str = Field(default="", max_length=120)
    city: str = Field(default="", max_length=120)
    state: str = Field(default="", max_length=60)
    region: str = Field(default="", max_length=120, index=True)
    latitude: float | None = None
    longitude: float | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class Device(SQLModel, table=True):
    """A network element of any kind; ``parent_id`` links form the topology.

    ``serial`` is canonical (:func:`rjchronos.serials.canonical_serial`),
    ``mac`` lower-case colon form, ``identity`` the protocol's own name for
    the device (CWMP ``OUI-ProductClass-SerialNumber``). ``olt_id`` is the
    OLT above the device (itself for an OLT), kept by the inventory service
    whenever a parent changes, so an OLT scope is one indexed equality.
    """

    __tablename__ = "devices"
    __table_args__ = (
        Index("ix_devices_kind_status", "kind", "status", "id"),
        Index(
            "ux_devices_serial_kind",
            "serial",
            "kind",
            unique=True,
            postgresql_ops={"serial": "text_pattern_ops"},
        ),
        Index("ix_devices_mac", "mac"),
        Index("ux_devices_identity", "identity", unique=True),
        Index("ix_devices_parent", "parent_id", "id"),
        Index("ix_devices_olt", "olt_id", "id"),
        Index("ix_devices_customer", "customer_id", "id"),
        Index("ix_devices_site", "site_id", "id"),
        Index("ix_devices_vendor_model", "vendor", "model"),
        Index(
            "ix_devices_tags",
            "tags",
            postgresql_using="gin",
            postgresql_ops={"tags": "jsonb_path_ops"},
        ).ddl_if(dialect="postgresql"),
        # Prefix search on names, any case: ``lower(name) LIKE 'abc%'``.
        Index(
            "ix_devices_name_prefix",
            func.lower(column("name")).label("name_lower"),
            postgresql_ops={"name_lower": "text_pattern_ops"},
        ).ddl_if(dialect="postgresql"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=26)
    kind: str = Field(max_length=16)
    name: str = Field(default="", max_length=255)
    vendor: str = Field(default="", max_length=64)
    model: str = Field(default="", max_length=64)
    serial: str | None = Field(default=None, max_length=64)
    mac: str | None = Field(default=None, max_length=17)
    firmware: str = Field(default="", max_length=128)
    hardware_version: str = Field(default="", max_length=64)
    identity: str | None = Field(default=None, max_length=255)
    management_address: str = Field(default="", max_length=255)
    status: str = Field(default="unknown", max_length=16)
    status_since: datetime | None = Field(default=None, sa_type=UtcDateTime)
    last_seen: datetime | None = Field(default=None, sa_type=UtcDateTime)
    tags: list[str] = Field(default_factory=list, sa_column=Column(JsonDocument, nullable=False))
    attributes: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JsonDocument, nullable=False)
    )
    # SET NULL is the database's last word: the service moves children up to
    # the removed device's parent first; a raw delete still never cascades
    # away thousands of ONUs with their serials and history.
    parent_id: str | None = Field(
        default=None, max_length=26, foreign_key="devices.id", ondelete="SET NULL"
    )
    olt_id: str | None = Field(
        default=None, max_length=26, foreign_key="devices.id", ondelete="SET NULL"
    )
    # RESTRICT: a site with devices is not deleted by accident.
    site_id: str | None = Field(
        default=None, max_length=26, foreign_key="sites.id", ondelete="RESTRICT"
    )
    customer_id: str | None = Field(
        default=None, max_length=26, foreign_key="customers.id", ondelete="SET NULL"
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class DeviceEventRecord(SQLModel, table=True):
    """One entry of the event timeline (see :class:`rjchronos.events.DeviceEvent`).

    ``device_id`` has no foreign key on purpose: the timeline outlives the
    devices it speaks of (``device.deleted`` included) and takes inserts at
    the rate events arrive.
    """

    __tablename__ = "device_events"
    __table_args__ = (
        Index("ix_device_events_device", "device_id", "id"),
        Index("ix_device_events_type_time", "type", "time"),
    )

    id: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
        ),
    )
    type: str = Field(max_length=64)
    device_id: str | None = Field(default=None, max_length=26)
    time: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    payload: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JsonDocument, nullable=False)
    )
    actor: str | None = Field(default=None, max_length=128)


#: The tables as SQLAlchemy Core sees them: typed column expressions for
#: queries that select columns rather than objects (``devices.c.serial``).
devices = cast(Table, Device.__table__)  # type: ignore[attr-defined]
sites = cast(Table, Site.__table__)  # type: ignore[attr-defined]
device_events = cast(Table, DeviceEventRecord.__table__)  # type: ignore[attr-defined]
