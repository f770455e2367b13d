"""Channels and deliveries, in a metadata of their own (the plugin's migration history)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Column, ForeignKey, Index, String, Table
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from rjchronos.db.ids import new_id
from rjchronos.db.types import JsonDocument, UtcDateTime, utcnow


class NotificationsModel(SQLModel, registry=registry()):
    """Base of the notification tables, with a metadata of their own."""


class NotificationChannel(NotificationsModel, table=True):
    """Where notifications go: a notifier driver (``type``) with its configuration.

    Secret configuration fields (the type's ``secret_fields``) are kept in
    ``secrets_encrypted``, each encrypted with ``kernel.secrets``.
    """

    __tablename__ = "notification_channels"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=26)
    name: str = Field(max_length=120, unique=True)
    type: str = Field(max_length=64)
    config: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JsonDocument, nullable=False)
    )
    secrets_encrypted: dict[str, str] = Field(
        default_factory=dict, sa_column=Column(JsonDocument, nullable=False)
    )
    #: Default recipient of operator notifications (an address, a chat id, a URL...).
    recipient: str = Field(default="", max_length=512)
    language: str = Field(default="pt-BR", max_length=8)
    team: str = Field(default="", max_length=120)
    rate_limit_per_minute: int | None = None
    max_attempts: int = 5
    enabled: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class NotificationDelivery(NotificationsModel, table=True):
    """One message to one recipient on one channel, and what became of it.

    ``idempotency_key`` is unique: asking twice for the same message (a
    re-run job, a re-evaluated alert) finds the first delivery.
    ``status``: queued, retrying, throttled, delivered or dead
    (retries exhausted: the dead-letter record).
    """

    __tablename__ = "notification_deliveries"
    __table_args__ = (
        Index("ix_notification_deliveries_channel_status", "channel_id", "status"),
        Index("ix_notification_deliveries_subject", "subject_ref"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=26)
    idempotency_key: str = Field(max_length=255, unique=True)
    channel_id: str = Field(
        sa_column=Column(
            String(26), ForeignKey("notification_channels.id", ondelete="CASCADE"), nullable=False
        )
    )
    recipient: str = Field(max_length=512)
    template: str = Field(max_length=64)
    language: str = Field(max_length=8)
    subject: str = Field(default="")
    body: str = Field(default="")
    variables: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JsonDocument, nullable=False)
    )
    #: What the message is about: ``alert:<id>``, ``incident:<id>``, ``test``.
    subject_ref: str = Field(default="", max_length=64)
    status: str = Field(default="queued", max_length=16)
    attempts: int = 0
    last_error: str = Field(default="")
    provider_id: str = Field(default="", max_length=255)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    next_attempt_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    dead_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


NOTIFICATIONS_METADATA = NotificationsModel.metadata
channels = cast(Table, cast(Any, NotificationChannel).__table__)
deliveries = cast(Table, cast(Any, NotificationDelivery).__table__)
