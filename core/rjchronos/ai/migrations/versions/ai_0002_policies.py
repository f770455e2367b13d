"""Policies set through the API.

Revision ID: ai_0002
Revises: ai_0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from rjchronos.db.types import JsonDocument, UtcDateTime

revision: str = "ai_0002"
down_revision: str | None = "ai_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ai_policies",
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("policy", JsonDocument, nullable=False),
        sa.Column("updated_by", sa.String(120), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("kind"),
    )


def downgrade() -> None:
    op.drop_table("ai_policies")
