"""Suggested and executed actions.

Revision ID: ai_0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from rjchronos.db.types import JsonDocument, UtcDateTime

revision: str = "ai_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ai_actions",
        sa.Column("id", sa.String(26), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("device_id", sa.String(26), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("cause", sa.String(64), nullable=False),
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("evidence", JsonDocument, nullable=False),
        sa.Column("params", JsonDocument, nullable=False),
        sa.Column("verify", JsonDocument, nullable=True),
        sa.Column("previous", JsonDocument, nullable=True),
        sa.Column("result", JsonDocument, nullable=False),
        sa.Column("note", sa.String(500), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("metric_before", sa.Float(), nullable=True),
        sa.Column("metric_after", sa.Float(), nullable=True),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("approved_by", sa.String(120), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("executed_at", UtcDateTime(), nullable=True),
        sa.Column("verify_at", UtcDateTime(), nullable=True),
        sa.Column("verified_at", UtcDateTime(), nullable=True),
        sa.Column("rolled_back_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_ai_actions_device_kind", "ai_actions", ["device_id", "kind", "status"])
    op.create_index("ix_ai_actions_status", "ai_actions", ["status", "id"])
    op.create_index("ix_ai_actions_kind_executed", "ai_actions", ["kind", "executed_at"])


def downgrade() -> None:
    op.drop_table("ai_actions")
