"""Tables of customers and the plans they subscribe to."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import Column, ForeignKey, Index, Numeric, String
from sqlmodel import Field, SQLModel

from rjchronos.db.ids import new_id
from rjchronos.db.types import JsonDocument, UtcDateTime, utcnow

CustomerStatus = Literal["active", "suspended", "cancelled"]
CUSTOMER_STATUSES: tuple[str, ...] = ("active", "suspended", "cancelled")


class Plan(SQLModel, table=True):
    """A service plan: speeds, the availability promised, and its price."""

    __tablename__ = "plans"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=26)
    name: str = Field(max_length=120, unique=True)
    download_mbps: float
    upload_mbps: float
    sla_availability_percent: float | None = None
    price: Decimal | None = Field(default=None, sa_column=Column(Numeric(12, 2), nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)


class Customer(SQLModel, table=True):
    """A subscriber. Personal data: ``name``, ``document`` and ``contacts``.

    ``external_id`` is the key in the ISP's ERP; imports and syncs upsert by
    it. ``name_key`` is the name folded for prefix search (lower case, no
    accents). An erased customer keeps its row, plan, site and device links
    for statistics, with every personal field blanked and ``erased_at`` set.
    """

    __tablename__ = "customers"
    __table_args__ = (
        Index(
            "ix_customers_name_key",
            "name_key",
            postgresql_ops={"name_key": "text_pattern_ops"},
        ),
        Index("ix_customers_status_cancelled_at", "status", "cancelled_at"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=26)
    external_id: str | None = Field(default=None, max_length=64, unique=True)
    name: str = Field(max_length=200)
    name_key: str = Field(default="", max_length=200)
    document: str | None = Field(default=None, max_length=14)
    contacts: dict[str, Any] = Field(default_factory=dict, sa_type=JsonDocument, nullable=False)
    preferred_channel: str | None = Field(default=None, max_length=16)
    plan_id: str | None = Field(
        default=None,
        sa_column=Column(String(26), ForeignKey("plans.id", ondelete="RESTRICT"), index=True),
    )
    site_id: str | None = Field(
        default=None,
        sa_column=Column(String(26), ForeignKey("sites.id", ondelete="SET NULL"), index=True),
    )
    status: str = Field(default="active", max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)
    cancelled_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    erased_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
