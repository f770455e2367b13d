"""A partial index on the dedup key of unresolved alerts.

The evaluator looks up the unresolved alert of every key in a batch. Through
``(status, opened_at)`` that read grows with the number of open alerts, which an
outage makes large; through this index it grows with the batch.

Revision ID: alerts_0005
Revises: alerts_0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "alerts_0005"
down_revision: str | None = "alerts_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNRESOLVED_SQL = "status IN ('open', 'acknowledged')"


def upgrade() -> None:
    op.create_index(
        "ix_alerts_unresolved_dedup",
        "alerts",
        ["dedup_key"],
        postgresql_where=sa.text(UNRESOLVED_SQL),
        sqlite_where=sa.text(UNRESOLVED_SQL),
    )


def downgrade() -> None:
    op.drop_index("ix_alerts_unresolved_dedup", table_name="alerts")
