"""A plugin's own migration history: one table, applied after core's.

Revision ID: probe_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "probe_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("probe_readings", sa.Column("id", sa.Integer, primary_key=True))


def downgrade() -> None:
    op.drop_table("probe_readings")
