"""Running-configuration backups of each OLT; Telnet, the enable password and the SNMP tree.

Revision ID: oltm_0002
Revises: oltm_0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from rjchronos.db.types import UtcDateTime

revision: str = "oltm_0002"
down_revision: str | None = "oltm_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("olt_connections") as table:
        table.add_column(sa.Column("transport", sa.String(16), nullable=False, server_default="ssh"))
        table.add_column(sa.Column("telnet_port", sa.Integer(), nullable=False, server_default="23"))
        table.add_column(
            sa.Column("enable_password_encrypted", sa.String(), nullable=False, server_default="")
        )
        table.add_column(sa.Column("snmp_tree", sa.String(16), nullable=False, server_default=""))
        table.add_column(sa.Column("last_backup_at", UtcDateTime(), nullable=True))
    op.create_table(
        "olt_config_backups",
        sa.Column("id", sa.String(26), nullable=False),
        sa.Column("device_id", sa.String(26), nullable=False),
        sa.Column("taken_at", UtcDateTime(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_olt_config_backups_device_taken", "olt_config_backups", ["device_id", "taken_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_olt_config_backups_device_taken", table_name="olt_config_backups")
    op.drop_table("olt_config_backups")
    with op.batch_alter_table("olt_connections") as table:
        for column in (
            "last_backup_at",
            "snmp_tree",
            "enable_password_encrypted",
            "telnet_port",
            "transport",
        ):
            table.drop_column(column)
