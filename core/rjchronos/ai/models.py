"""Suggested and executed actions, in a metadata of their own (the built-in's migration history).

``device_id`` carries no foreign key, like the timeline: an action's record
outlives the device it acted on.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Column, Index, Table
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from rjchronos.db.ids import new_id
from rjchronos.db.types import JsonDocument, UtcDateTime, utcnow

#: ``suggested`` and ``awaiting_approval`` wait for an operator; ``scheduled`` for its
#: execution job, ``executing`` while its executor works; ``verifying`` for its check.
#: The rest are final.
STATUSES = (
    "suggested",
    "awaiting_approval",
    "scheduled",
    "executing",
    "verifying",
    "succeeded",
    "failed",
    "rolled_back",
    "rejected",
)
OPEN_STATUSES = ("suggested", "awaiting_approval", "scheduled", "executing", "verifying")
EXECUTED_STATUSES = ("verifying", "succeeded", "failed", "rolled_back")


class AiModel(SQLModel, registry=registry()):
    """Base of the AI tables, with a metadata of their own."""


class AiAction(AiModel, table=True):
    """One action a diagnosis suggested, and what became of it."""

    __tablename__ = "ai_actions"
    __table_args__ = (
        Index("ix_ai_actions_device_kind", "device_id", "kind", "status"),
        Index("ix_ai_actions_status", "status", "id"),
        Index("ix_ai_actions_kind_executed", "kind", "executed_at"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=26)
    kind: str = Field(max_length=64)
    device_id: str | None = Field(default=None, max_length=26)
    status: str = Field(default="suggested", max_length=20)
    mode: str = Field(default="suggest", max_length=16)
    cause: str = Field(default="", max_length=64)
    rule: str = Field(default="", max_length=64)
    score: float = 0.0
    evidence: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JsonDocument, nullable=False)
    )
    params: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JsonDocument, nullable=False)
    )
    verify: dict[str, Any] | None = Field(default=None, sa_column=Column(JsonDocument))
    previous: dict[str, Any] | None = Field(default=None, sa_column=Column(JsonDocument))
    result: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JsonDocument, nullable=False)
    )
    note: str = Field(default="", max_length=500)
    outcome: str = Field(default="", max_length=16)
    metric_before: float | None = None
    metric_after: float | None = None
    created_by: str = Field(default="", max_length=120)
    approved_by: str = Field(default="", max_length=120)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    executed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    verify_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    verified_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    rolled_back_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class AiPolicy(AiModel, table=True):
    """A policy set through the API; it takes precedence over the settings' for its kind."""

    __tablename__ = "ai_policies"

    kind: str = Field(primary_key=True, max_length=64)
    policy: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JsonDocument, nullable=False)
    )
    updated_by: str = Field(default="", max_length=120)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


AI_METADATA = AiModel.metadata
ai_actions = cast(Table, AiAction.__table__)  # type: ignore[attr-defined]
ai_policies = cast(Table, AiPolicy.__table__)  # type: ignore[attr-defined]
