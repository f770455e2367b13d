"""Tickets.

Revision ID: alerts_0003
Revises: alerts_0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from rjchronos.db.types import UtcDateTime

revision: str = "alerts_0003"
down_revision: str | None = "alerts_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tickets",
        sa.Column("id", sa.String(26), nullable=False),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("description", sa.String(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("customer_id", sa.String(26), nullable=True),
        sa.Column("device_id", sa.String(26), nullable=True),
        sa.Column("incident_id", sa.String(26), nullable=True),
        sa.Column("assignee", sa.String(120), nullable=False),
        sa.Column("resolution", sa.String(), nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("assigned_at", UtcDateTime(), nullable=True),
        sa.Column("resolved_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_tickets_status_created", "tickets", ["status", "created_at"])


def downgrade() -> None:
    op.drop_table("tickets")
