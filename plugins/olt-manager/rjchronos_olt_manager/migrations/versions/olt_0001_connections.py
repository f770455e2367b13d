"""The OLT manager's table: connection settings of each OLT.

Revision ID: oltm_0001
Applied after core's migrations, recorded in the plugin's own version table.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from rjchronos.db.types import JsonDocument, UtcDateTime

revision: str = "oltm_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "olt_connections",
        sa.Column("device_id", sa.String(26), nullable=False),
        sa.Column("ssh_port", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(128), nullable=False),
        sa.Column("password_encrypted", sa.String(), nullable=False),
        sa.Column("snmp_port", sa.Integer(), nullable=False),
        sa.Column("community_encrypted", sa.String(), nullable=False),
        sa.Column("driver", sa.String(64), nullable=False),
        sa.Column("interval_seconds", sa.Integer(), nullable=False),
        sa.Column("timeout_seconds", sa.Float(), nullable=False),
        sa.Column("default_vlan", sa.Integer(), nullable=True),
        sa.Column("pon_ports", JsonDocument, nullable=False),
        sa.Column("unconfigured_seen", JsonDocument, nullable=False),
        sa.Column("last_collected_at", UtcDateTime(), nullable=True),
        sa.Column("last_error", sa.String(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("device_id"),
    )


def downgrade() -> None:
    op.drop_table("olt_connections")
