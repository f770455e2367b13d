"""The OLT manager's table: how to reach each OLT (the OLT itself is a core device).

It lives in a metadata of its own: the plugin's migration history creates
it, and core's schema checks see only core's tables. A row goes with its
device (``ON DELETE CASCADE``). Secrets are stored encrypted by
``kernel.secrets``; the API says only whether they are set.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from rjchronos.db.ids import new_id
from rjchronos.db.types import JsonDocument, UtcDateTime, utcnow
from rjchronos.inventory.models import devices


class OltManagerModel(SQLModel, registry=registry()):
    """Base of the OLT manager's tables, with a metadata of its own."""


class OltConnection(OltManagerModel, table=True):
    """The connection settings of one OLT and what its last collection found."""

    __tablename__ = "olt_connections"

    device_id: str = Field(
        sa_column=Column(String(26), ForeignKey(devices.c.id, ondelete="CASCADE"), primary_key=True)
    )
    ssh_port: int = 22
    username: str = Field(default="", max_length=128)
    password_encrypted: str = Field(default="")
    snmp_port: int = 161
    community_encrypted: str = Field(default="")
    driver: str = Field(default="", max_length=64)
    interval_seconds: int = 300
    timeout_seconds: float = 10.0
    default_vlan: int | None = None
    pon_ports: list[str] = Field(
        default_factory=list, sa_column=Column(JsonDocument, nullable=False)
    )
    #: Serials of the unconfigured ONUs the last collection saw (``onu.discovered`` fires once).
    unconfigured_seen: list[str] = Field(
        default_factory=list, sa_column=Column(JsonDocument, nullable=False)
    )
    #: ``ssh`` or ``telnet`` for the CLI.
    transport: str = Field(default="ssh", max_length=16, sa_column_kwargs={"server_default": "ssh"})
    telnet_port: int = Field(default=23, sa_column_kwargs={"server_default": "23"})
    #: The privileged-mode password some OLTs ask for after ``enable`` (ZTE), encrypted.
    enable_password_encrypted: str = Field(default="", sa_column_kwargs={"server_default": ""})
    #: Which SNMP tree the driver reads where a vendor has several ("" = the driver's choice).
    snmp_tree: str = Field(default="", max_length=16, sa_column_kwargs={"server_default": ""})
    last_backup_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    last_collected_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    last_error: str = Field(default="")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class OltConfigBackup(OltManagerModel, table=True):
    """One version of an OLT's running configuration (a new row only when it changed)."""

    __tablename__ = "olt_config_backups"
    __table_args__ = (Index("ix_olt_config_backups_device_taken", "device_id", "taken_at"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=26)
    device_id: str = Field(
        sa_column=Column(String(26), ForeignKey(devices.c.id, ondelete="CASCADE"), nullable=False)
    )
    taken_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    sha256: str = Field(max_length=64)
    size: int
    content: str = Field(sa_column=Column(Text, nullable=False))
    actor: str = Field(default="", max_length=128)


OLT_METADATA = OltManagerModel.metadata
connections = cast(Table, cast(Any, OltConnection).__table__)
