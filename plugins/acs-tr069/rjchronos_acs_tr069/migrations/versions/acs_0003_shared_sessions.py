"""Shared CWMP sessions: the state of live sessions, for several ACS processes.

Revision ID: acs_0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from rjchronos.db.types import JsonDocument, UtcDateTime

revision: str = "acs_0003"
down_revision: str | None = "firmware_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "acs_sessions",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("device_key", sa.String(256), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("data", JsonDocument, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("device_key"),
    )


def downgrade() -> None:
    op.drop_table("acs_sessions")
