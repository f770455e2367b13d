"""Telemetry: day-partitioned samples on PostgreSQL (a hypertable under TimescaleDB), rollups.

On PostgreSQL the plain ``telemetry_samples`` table becomes a table
range-partitioned by day on ``time``, with a BRIN index on ``time``; its rows
are moved into the partitions their days need. When the ``timescaledb``
extension is installed in the database the table becomes a hypertable of
one-day chunks instead. SQLite keeps its table and gets an index on ``time``.
Both get the rollup tables.

Revision ID: 0002_telemetry_partitions
Revises: 0001
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from rjchronos.db.types import UtcDateTime
from rjchronos.telemetry import partitions

revision: str = "0002_telemetry_partitions"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    "entity varchar(128) NOT NULL, metric varchar(128) NOT NULL, "
    '"time" timestamp with time zone NOT NULL, value double precision NOT NULL, '
    "labels jsonb NOT NULL"
)
BRIN = 'CREATE INDEX ix_telemetry_samples_time_brin ON telemetry_samples USING brin ("time")'


def _timescale() -> bool:
    found = op.get_bind().execute(
        sa.text("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'")
    )
    return found.first() is not None


def _partition_postgresql() -> None:
    op.execute("ALTER TABLE telemetry_samples RENAME TO telemetry_samples_plain")
    op.execute(
        "ALTER TABLE telemetry_samples_plain "
        "RENAME CONSTRAINT telemetry_samples_pkey TO telemetry_samples_plain_pkey"
    )
    op.execute(
        f"CREATE TABLE telemetry_samples ({COLUMNS}, "
        'CONSTRAINT telemetry_samples_pkey PRIMARY KEY (entity, metric, "time")) '
        'PARTITION BY RANGE ("time")'
    )
    op.execute(BRIN)
    days = op.get_bind().execute(
        sa.text(
            "SELECT DISTINCT (\"time\" AT TIME ZONE 'UTC')::date FROM telemetry_samples_plain"
        )
    )
    for (day,) in days.all():
        op.execute(partitions.create_sql(day))
    op.execute("INSERT INTO telemetry_samples SELECT * FROM telemetry_samples_plain")
    op.execute("DROP TABLE telemetry_samples_plain")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.create_index("ix_telemetry_samples_time", "telemetry_samples", ["time"])
    if op.get_bind().dialect.name == "postgresql":
        if _timescale():
            op.execute(BRIN)
            op.execute(
                "SELECT create_hypertable('telemetry_samples', 'time', "
                "chunk_time_interval => interval '1 day', migrate_data => true)"
            )
        else:
            _partition_postgresql()
    op.create_table(
        "telemetry_rollups",
        sa.Column("entity", sa.String(length=128), nullable=False),
        sa.Column("metric", sa.String(length=128), nullable=False),
        sa.Column("width", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("bucket", UtcDateTime(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("minimum", sa.Float(), nullable=False),
        sa.Column("maximum", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("entity", "metric", "width", "bucket"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_telemetry_rollups_bucket", "telemetry_rollups", ["width", "bucket"])
    op.create_table(
        "telemetry_rollup_marks",
        sa.Column("width", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("until", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("width"),
    )


def downgrade() -> None:
    op.drop_table("telemetry_rollup_marks")
    op.drop_index("ix_telemetry_rollups_bucket", table_name="telemetry_rollups")
    op.drop_table("telemetry_rollups")
    if op.get_bind().dialect.name == "sqlite":
        op.drop_index("ix_telemetry_samples_time", table_name="telemetry_samples")
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"CREATE TABLE telemetry_samples_plain ({COLUMNS}, "
        'CONSTRAINT telemetry_samples_plain_pkey PRIMARY KEY (entity, metric, "time"))'
    )
    op.execute("INSERT INTO telemetry_samples_plain SELECT * FROM telemetry_samples")
    op.execute("DROP TABLE telemetry_samples")  # with its partitions or chunks
    op.execute("ALTER TABLE telemetry_samples_plain RENAME TO telemetry_samples")
    op.execute(
        "ALTER TABLE telemetry_samples "
        "RENAME CONSTRAINT telemetry_samples_plain_pkey TO telemetry_samples_pkey"
    )
