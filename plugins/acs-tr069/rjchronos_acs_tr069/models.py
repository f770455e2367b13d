"""The ACS's tables: each CPE's parameter tree and its task queue.

They live in a metadata of their own (not ``SQLModel.metadata``): the
plugin's migration history creates them, and core's schema checks see
only core's tables. Rows go with their device (``ON DELETE CASCADE``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Column, ForeignKey, Index, String, Table
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from rjchronos.db.ids import new_id
from rjchronos.db.types import JsonDocument, UtcDateTime, utcnow
from rjchronos.inventory.models import devices

TASK_STATUSES = ("pending", "running", "done", "fault", "expired")


class AcsModel(SQLModel, registry=registry()):
    """Base of the ACS's tables, with a metadata of its own."""


def _device_column(primary_key: bool = False) -> Any:
    return Column(
        String(26),
        ForeignKey(devices.c.id, ondelete="CASCADE"),
        nullable=False,
        primary_key=primary_key,
    )


class CpeParameter(AcsModel, table=True):
    """One parameter of a CPE's data model as last read (TR-098 or TR-181 alike)."""

    __tablename__ = "acs_parameters"

    device_id: str = Field(sa_column=_device_column(primary_key=True))
    path: str = Field(primary_key=True, max_length=256)
    value: str | None = Field(default=None)
    type: str = Field(default="", max_length=32)
    writable: bool | None = None
    read_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class CpeTask(AcsModel, table=True):
    """A task for one CPE, run at its next session; ``params`` as posted, ``result`` as read."""

    __tablename__ = "acs_tasks"
    __table_args__ = (Index("ix_acs_tasks_device_status", "device_id", "status", "id"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=26)
    device_id: str = Field(sa_column=_device_column())
    type: str = Field(max_length=32)
    params: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JsonDocument, nullable=False)
    )
    status: str = Field(default="pending", max_length=16)
    fault: dict[str, Any] | None = Field(default=None, sa_column=Column(JsonDocument))
    result: dict[str, Any] | None = Field(default=None, sa_column=Column(JsonDocument))
    created_by: str = Field(default="", max_length=255)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    expires_at: datetime = Field(sa_type=UtcDateTime)


class SharedSession(AcsModel, table=True):
    """A live CWMP session, shared by every ACS process (``session_store = "database"``).

    One row per device: the Inform that starts a session takes the row when it is free or its
    lease (``expires_at``) has run out. ``seq`` counts the saves; ``data`` is the session's state.
    """

    __tablename__ = "acs_sessions"

    id: str = Field(primary_key=True, max_length=64)
    device_key: str = Field(max_length=256, unique=True)
    seq: int = 0
    expires_at: datetime = Field(sa_type=UtcDateTime)
    data: dict[str, Any] = Field(sa_column=Column(JsonDocument, nullable=False))


ACS_METADATA = AcsModel.metadata
#: The tables, for column expressions in queries.
parameters = cast(Table, CpeParameter.__table__)  # type: ignore[attr-defined]
task_rows = cast(Table, CpeTask.__table__)  # type: ignore[attr-defined]
session_rows = cast(Table, SharedSession.__table__)  # type: ignore[attr-defined]
