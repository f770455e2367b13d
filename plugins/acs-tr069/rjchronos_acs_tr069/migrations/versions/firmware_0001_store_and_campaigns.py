"""Firmware manager: stored images, campaigns and their devices.

Revision ID: firmware_0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from rjchronos.db.types import JsonDocument, UtcDateTime

revision: str = "firmware_0001"
down_revision: str | None = "acs_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "acs_firmware",
        sa.Column("id", sa.String(26), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("product_class", sa.String(64), nullable=False),
        sa.Column("oui", sa.String(6), nullable=False),
        sa.Column("version", sa.String(128), nullable=False),
        sa.Column("file_type", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_acs_firmware_product_version", "acs_firmware", ["product_class", "version"]
    )
    op.create_table(
        "acs_campaigns",
        sa.Column("id", sa.String(26), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("firmware_id", sa.String(26), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("target", JsonDocument, nullable=False),
        sa.Column("batch_size", sa.Integer(), nullable=False),
        sa.Column("concurrency", sa.Integer(), nullable=False),
        sa.Column("max_failures", sa.Integer(), nullable=False),
        sa.Column("transfer_timeout_seconds", sa.Integer(), nullable=False),
        sa.Column("window", JsonDocument, nullable=True),
        sa.Column("reason", sa.String(255), nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["firmware_id"], ["acs_firmware.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "acs_campaign_devices",
        sa.Column("campaign_id", sa.String(26), nullable=False),
        sa.Column("device_id", sa.String(26), nullable=False),
        sa.Column("batch", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("previous_version", sa.String(128), nullable=False),
        sa.Column("task_id", sa.String(26), nullable=True),
        sa.Column("rollback_task_id", sa.String(26), nullable=True),
        sa.Column("error", sa.String(512), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["acs_campaigns.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("campaign_id", "device_id"),
    )
    op.create_index(
        "ix_acs_campaign_devices_state",
        "acs_campaign_devices",
        ["campaign_id", "state", "batch"],
    )


def downgrade() -> None:
    op.drop_index("ix_acs_campaign_devices_state", "acs_campaign_devices")
    op.drop_table("acs_campaign_devices")
    op.drop_table("acs_campaigns")
    op.drop_index("ix_acs_firmware_product_version", "acs_firmware")
    op.drop_table("acs_firmware")
