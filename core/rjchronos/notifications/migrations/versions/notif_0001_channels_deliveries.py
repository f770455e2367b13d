"""Notification channels and deliveries.

Revision ID: notif_0001
Applied after core's migrations, recorded in the built-in's own version table.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from rjchronos.db.types import JsonDocument, UtcDateTime

revision: str = "notif_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notification_channels",
        sa.Column("id", sa.String(26), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("config", JsonDocument, nullable=False),
        sa.Column("secrets_encrypted", JsonDocument, nullable=False),
        sa.Column("recipient", sa.String(512), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("team", sa.String(120), nullable=False),
        sa.Column("rate_limit_per_minute", sa.Integer(), nullable=True),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "notification_deliveries",
        sa.Column("id", sa.String(26), nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=False),
        sa.Column("channel_id", sa.String(26), nullable=False),
        sa.Column("recipient", sa.String(512), nullable=False),
        sa.Column("template", sa.String(64), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("body", sa.String(), nullable=False),
        sa.Column("variables", JsonDocument, nullable=False),
        sa.Column("subject_ref", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(), nullable=False),
        sa.Column("provider_id", sa.String(255), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("next_attempt_at", UtcDateTime(), nullable=True),
        sa.Column("delivered_at", UtcDateTime(), nullable=True),
        sa.Column("dead_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["channel_id"], ["notification_channels.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    op.create_index(
        "ix_notification_deliveries_channel_status",
        "notification_deliveries",
        ["channel_id", "status"],
    )
    op.create_index(
        "ix_notification_deliveries_subject", "notification_deliveries", ["subject_ref"]
    )


def downgrade() -> None:
    op.drop_table("notification_deliveries")
    op.drop_table("notification_channels")
