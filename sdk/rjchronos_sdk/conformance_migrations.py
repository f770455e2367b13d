"""Conformance of a plugin's migration history: its tables are its models, both ways.

Subclass :class:`MigrationConformance` in the plugin's tests, name the plugin,
its SQLAlchemy metadata and its head revision, and provide a ``kernel``
fixture (a kernel with the plugin loaded, from ``rjc_kernel_factory``). The
tests run on every backend of ``--rjc-backends``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, inspect

from rjchronos.db.migrate import alembic_config, branches, current, heads, upgrade


class MigrationConformance:
    """Tests a plugin's migrations against its models (declare the class attributes)."""

    plugin: ClassVar[str]
    metadata: ClassVar[MetaData]
    head: ClassVar[str]

    def tables(self) -> set[str]:
        return set(self.metadata.tables)

    def differences(self, kernel: Any) -> list[Any]:
        """What autogenerate would change to make the database match the plugin's models."""
        tables = self.tables()
        with kernel.db.engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={
                    "compare_type": True,
                    "include_name": lambda name, kind, _: kind != "table" or name in tables,
                },
            )
            return list(compare_metadata(context, self.metadata))

    def test_the_migrated_tables_are_the_models(self, kernel: Any) -> None:
        assert current(kernel) == heads(kernel)
        assert self.head in heads(kernel)
        assert set(inspect(kernel.db.engine).get_table_names()) >= self.tables()
        assert self.differences(kernel) == []

    def test_downgrade_and_upgrade_again(self, kernel: Any) -> None:
        branch = next(b for b in branches(kernel) if b.owner == self.plugin)
        config = alembic_config(kernel, branch)
        with kernel.db.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
        remaining = set(inspect(kernel.db.engine).get_table_names())
        assert not self.tables() & remaining
        assert "devices" in remaining  # core's tables stay
        upgrade(kernel)
        assert self.differences(kernel) == []
