"""Rules, alerts and silences, in a metadata of their own (the built-in's migration history).

``device_id`` columns carry no foreign key, like the timeline: an alert
outlives the device it spoke of.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import BigInteger, Column, Index, Integer, Table, text
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from rjchronos.db.ids import new_id
from rjchronos.db.types import JsonDocument, UtcDateTime, utcnow

#: The statuses of an alert not yet resolved; the evaluator keeps one such alert per dedup key.
UNRESOLVED = ("open", "acknowledged")
#: The same, as SQL: the predicate of the partial index the evaluator reads through.
UNRESOLVED_SQL = "status IN ({})".format(", ".join(f"'{status}'" for status in UNRESOLVED))


class AlertsModel(SQLModel, registry=registry()):
    """Base of the alert tables, with a metadata of their own."""


class AlertRule(AlertsModel, table=True):
    """A rule document (validated against :data:`rjchronos.alerts.rules.RULE_SCHEMA`)."""

    __tablename__ = "alert_rules"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=26)
    name: str = Field(max_length=120, unique=True)
    enabled: bool = True
    document: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JsonDocument, nullable=False)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class Alert(AlertsModel, table=True):
    """One firing of a rule for one dedup key: open, acknowledged, resolved."""

    __tablename__ = "alerts"
    __table_args__ = (
        Index("ix_alerts_dedup_status", "dedup_key", "status"),
        # What the evaluator reads for every batch: the unresolved alert of each key.
        Index(
            "ix_alerts_unresolved_dedup",
            "dedup_key",
            postgresql_where=text(UNRESOLVED_SQL),
            sqlite_where=text(UNRESOLVED_SQL),
        ),
        Index("ix_alerts_status_opened", "status", "opened_at"),
        Index("ix_alerts_device", "device_id"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=26)
    rule_id: str | None = Field(default=None, max_length=26)
    rule_name: str = Field(default="", max_length=120)
    dedup_key: str = Field(max_length=255)
    status: str = Field(default="open", max_length=16)
    severity: str = Field(default="major", max_length=16)
    device_id: str | None = Field(default=None, max_length=26)
    title: str = Field(default="", max_length=255)
    details: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JsonDocument, nullable=False)
    )
    silenced: bool = False
    flapping: bool = False
    notified: bool = False
    occurrences: int = 1
    opened_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    acknowledged_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    acknowledged_by: str = Field(default="", max_length=120)
    escalated_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    resolved_by: str = Field(default="", max_length=120)


class Silence(AlertsModel, table=True):
    """A maintenance window: matching alerts still open, but notify no one."""

    __tablename__ = "alert_silences"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=26)
    reason: str = Field(default="", max_length=500)
    starts_at: datetime = Field(sa_type=UtcDateTime)
    ends_at: datetime = Field(sa_type=UtcDateTime)
    rule_id: str | None = Field(default=None, max_length=26)
    scope: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JsonDocument, nullable=False)
    )
    created_by: str = Field(default="", max_length=120)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


ALERTS_METADATA = AlertsModel.metadata
alerts = cast(Table, cast(Any, Alert).__table__)
rules_table = cast(Table, cast(Any, AlertRule).__table__)
silences = cast(Table, cast(Any, Silence).__table__)


class Incident(AlertsModel, table=True):
    """Many devices failing from one cause: a fiber route, a power outage, a main link.

    ``element_id`` is the likely failed element; ``down_ids`` the devices
    still down (the incident recovers when it is empty); ``detected_at`` and
    ``recovered_at`` give the time to recover (MTTR, SLA reports).
    """

    __tablename__ = "incidents"
    __table_args__ = (Index("ix_incidents_status_kind", "status", "kind"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=26)
    kind: str = Field(max_length=16)
    status: str = Field(default="open", max_length=16)
    title: str = Field(default="", max_length=255)
    element_id: str | None = Field(default=None, max_length=26)
    element_kind: str = Field(default="", max_length=16)
    element_name: str = Field(default="", max_length=255)
    device_ids: list[str] = Field(
        default_factory=list, sa_column=Column(JsonDocument, nullable=False)
    )
    down_ids: list[str] = Field(
        default_factory=list, sa_column=Column(JsonDocument, nullable=False)
    )
    customer_ids: list[str] = Field(
        default_factory=list, sa_column=Column(JsonDocument, nullable=False)
    )
    details: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JsonDocument, nullable=False)
    )
    first_event_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    detected_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    recovered_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    resolved_by: str = Field(default="", max_length=120)


incidents = cast(Table, cast(Any, Incident).__table__)


class Ticket(AlertsModel, table=True):
    """A customer's or operator's problem: open, assigned, resolved; linked where it applies."""

    __tablename__ = "tickets"
    __table_args__ = (Index("ix_tickets_status_created", "status", "created_at"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=26)
    title: str = Field(max_length=255)
    description: str = Field(default="")
    status: str = Field(default="open", max_length=16)
    customer_id: str | None = Field(default=None, max_length=26)
    device_id: str | None = Field(default=None, max_length=26)
    incident_id: str | None = Field(default=None, max_length=26)
    assignee: str = Field(default="", max_length=120)
    resolution: str = Field(default="")
    created_by: str = Field(default="", max_length=120)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    assigned_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


tickets = cast(Table, cast(Any, Ticket).__table__)


class EvaluatedEvent(AlertsModel, table=True):
    """A device event an evaluator has evaluated (kept until the recovery cursor passes it)."""

    __tablename__ = "alert_evaluated_events"

    event_id: int = Field(
        sa_column=Column(
            BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=False
        )
    )


class RecoveryCursor(AlertsModel, table=True):
    """Every device event up to ``through`` is evaluated, or was replayed by the recovery."""

    __tablename__ = "alert_recovery_cursors"

    name: str = Field(primary_key=True, max_length=32)
    through: int = Field(sa_column=Column(BigInteger, nullable=False))


evaluated_events = cast(Table, cast(Any, EvaluatedEvent).__table__)
recovery_cursors = cast(Table, cast(Any, RecoveryCursor).__table__)
