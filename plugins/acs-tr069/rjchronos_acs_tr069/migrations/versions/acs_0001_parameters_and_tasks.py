"""The ACS's tables: CPE parameters and the per-device task queue.

Revision ID: acs_0001
Applied after core's migrations, recorded in the plugin's own version table.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from rjchronos.db.types import JsonDocument, UtcDateTime

revision: str = "acs_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "acs_parameters",
        sa.Column("device_id", sa.String(26), nullable=False),
        sa.Column("path", sa.String(256), nullable=False),
        sa.Column("value", sa.String(), nullable=True),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("writable", sa.Boolean(), nullable=True),
        sa.Column("read_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("device_id", "path"),
    )
    op.create_table(
        "acs_tasks",
        sa.Column("id", sa.String(26), nullable=False),
        sa.Column("device_id", sa.String(26), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("params", JsonDocument, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("fault", JsonDocument, nullable=True),
        sa.Column("result", JsonDocument, nullable=True),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_acs_tasks_device_status", "acs_tasks", ["device_id", "status", "id"])


def downgrade() -> None:
    op.drop_index("ix_acs_tasks_device_status", table_name="acs_tasks")
    op.drop_table("acs_tasks")
    op.drop_table("acs_parameters")
