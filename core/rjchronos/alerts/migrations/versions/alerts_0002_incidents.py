"""Incidents: route outages, power outages, main links down.

Revision ID: alerts_0002
Revises: alerts_0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from rjchronos.db.types import JsonDocument, UtcDateTime

revision: str = "alerts_0002"
down_revision: str | None = "alerts_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.String(26), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("element_id", sa.String(26), nullable=True),
        sa.Column("element_kind", sa.String(16), nullable=False),
        sa.Column("element_name", sa.String(255), nullable=False),
        sa.Column("device_ids", JsonDocument, nullable=False),
        sa.Column("down_ids", JsonDocument, nullable=False),
        sa.Column("customer_ids", JsonDocument, nullable=False),
        sa.Column("details", JsonDocument, nullable=False),
        sa.Column("first_event_at", UtcDateTime(), nullable=False),
        sa.Column("detected_at", UtcDateTime(), nullable=False),
        sa.Column("recovered_at", UtcDateTime(), nullable=True),
        sa.Column("resolved_by", sa.String(120), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_incidents_status_kind", "incidents", ["status", "kind"])


def downgrade() -> None:
    op.drop_table("incidents")
