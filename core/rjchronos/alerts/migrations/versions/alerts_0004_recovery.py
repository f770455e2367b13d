"""Marks of evaluated events and the recovery cursor.

Events stored before this revision count as evaluated: the cursor starts at
the last of them.

Revision ID: alerts_0004
Revises: alerts_0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "alerts_0004"
down_revision: str | None = "alerts_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert_evaluated_events",
        sa.Column(
            "event_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_table(
        "alert_recovery_cursors",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("through", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.execute(
        "INSERT INTO alert_recovery_cursors (name, through) "
        "SELECT 'events', COALESCE(MAX(id), 0) FROM device_events"
    )


def downgrade() -> None:
    op.drop_table("alert_recovery_cursors")
    op.drop_table("alert_evaluated_events")
