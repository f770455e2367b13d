"""The dummy plugin's table (its own migration history, applied after core's).

Revision ID: dummy_0001
Applied after core's migrations, recorded in its own version table.
"""

import sqlalchemy as sa
from alembic import op

revision = "dummy_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dummy_items",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("dummy_items")
