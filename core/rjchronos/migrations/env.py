"""Alembic environment: runs on the connection and version table the kernel hands over."""

from __future__ import annotations

from alembic import context

from rjchronos.db.metadata import core_metadata

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=core_metadata(),
    version_table=config.attributes.get("version_table", "alembic_version"),
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
