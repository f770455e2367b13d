"""Alert rules, alerts and silences.

Revision ID: alerts_0001
Applied after core's migrations, recorded in the built-in's own version table.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from rjchronos.db.types import JsonDocument, UtcDateTime

revision: str = "alerts_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert_rules",
        sa.Column("id", sa.String(26), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("document", JsonDocument, nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.String(26), nullable=False),
        sa.Column("rule_id", sa.String(26), nullable=True),
        sa.Column("rule_name", sa.String(120), nullable=False),
        sa.Column("dedup_key", sa.String(255), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("device_id", sa.String(26), nullable=True),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("details", JsonDocument, nullable=False),
        sa.Column("silenced", sa.Boolean(), nullable=False),
        sa.Column("flapping", sa.Boolean(), nullable=False),
        sa.Column("notified", sa.Boolean(), nullable=False),
        sa.Column("occurrences", sa.Integer(), nullable=False),
        sa.Column("opened_at", UtcDateTime(), nullable=False),
        sa.Column("last_seen_at", UtcDateTime(), nullable=False),
        sa.Column("acknowledged_at", UtcDateTime(), nullable=True),
        sa.Column("acknowledged_by", sa.String(120), nullable=False),
        sa.Column("escalated_at", UtcDateTime(), nullable=True),
        sa.Column("resolved_at", UtcDateTime(), nullable=True),
        sa.Column("resolved_by", sa.String(120), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_alerts_dedup_status", "alerts", ["dedup_key", "status"])
    op.create_index("ix_alerts_status_opened", "alerts", ["status", "opened_at"])
    op.create_index("ix_alerts_device", "alerts", ["device_id"])
    op.create_table(
        "alert_silences",
        sa.Column("id", sa.String(26), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("starts_at", UtcDateTime(), nullable=False),
        sa.Column("ends_at", UtcDateTime(), nullable=False),
        sa.Column("rule_id", sa.String(26), nullable=True),
        sa.Column("scope", JsonDocument, nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("alert_silences")
    op.drop_table("alerts")
    op.drop_table("alert_rules")
