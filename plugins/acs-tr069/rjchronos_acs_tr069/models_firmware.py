"""The firmware manager's tables: stored images, campaigns and each campaign's devices."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import BigInteger, Column, ForeignKey, Index, String, Table
from sqlmodel import Field

from rjchronos.db.ids import new_id
from rjchronos.db.types import JsonDocument, UtcDateTime, utcnow
from rjchronos.inventory.models import devices
from rjchronos_acs_tr069.models import AcsModel

#: A campaign device's states; ``rolling_back`` is a rollback download in flight.
DEVICE_STATES = ("pending", "in_progress", "succeeded", "failed", "rolling_back", "rolled_back")
CAMPAIGN_STATUSES = ("running", "paused", "cancelled", "completed")


class FirmwareImage(AcsModel, table=True):
    """A firmware image in the store; its bytes live under ``RJC_HOME/firmware/<id>``."""

    __tablename__ = "acs_firmware"
    __table_args__ = (Index("ix_acs_firmware_product_version", "product_class", "version"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=26)
    filename: str = Field(max_length=255)
    product_class: str = Field(default="", max_length=64)
    oui: str = Field(default="", max_length=6)
    version: str = Field(max_length=128)
    file_type: str = Field(max_length=64)
    size: int = Field(sa_type=BigInteger)
    sha256: str = Field(max_length=64)
    created_by: str = Field(default="", max_length=255)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class Campaign(AcsModel, table=True):
    """A staged firmware rollout (``target``, ``window`` and ``counts`` as JSON documents)."""

    __tablename__ = "acs_campaigns"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=26)
    name: str = Field(max_length=120)
    firmware_id: str = Field(
        sa_column=Column(String(26), ForeignKey("acs_firmware.id"), nullable=False)
    )
    status: str = Field(default="running", max_length=16)
    target: dict[str, Any] = Field(sa_column=Column(JsonDocument, nullable=False))
    batch_size: int
    concurrency: int
    max_failures: int
    transfer_timeout_seconds: int
    window: dict[str, Any] | None = Field(default=None, sa_column=Column(JsonDocument))
    reason: str = Field(default="", max_length=255)
    created_by: str = Field(default="", max_length=255)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class CampaignDevice(AcsModel, table=True):
    """One device of a campaign: its batch, state, tasks and the version it had before."""

    __tablename__ = "acs_campaign_devices"
    __table_args__ = (Index("ix_acs_campaign_devices_state", "campaign_id", "state", "batch"),)

    campaign_id: str = Field(
        sa_column=Column(
            String(26),
            ForeignKey("acs_campaigns.id", ondelete="CASCADE"),
            primary_key=True,
        )
    )
    device_id: str = Field(
        sa_column=Column(String(26), ForeignKey(devices.c.id, ondelete="CASCADE"), primary_key=True)
    )
    batch: int
    state: str = Field(default="pending", max_length=16)
    previous_version: str = Field(default="", max_length=128)
    task_id: str | None = Field(default=None, max_length=26)
    rollback_task_id: str | None = Field(default=None, max_length=26)
    error: str = Field(default="", max_length=512)
    started_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


images = cast(Table, FirmwareImage.__table__)  # type: ignore[attr-defined]
campaign_rows = cast(Table, Campaign.__table__)  # type: ignore[attr-defined]
campaign_devices = cast(Table, CampaignDevice.__table__)  # type: ignore[attr-defined]
