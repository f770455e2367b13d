"""The plugin's migration history: its table matches its model, both ways, on both backends."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from rjchronos.db.migrate import alembic_config, branches, current, heads, upgrade
from rjchronos_olt_manager import PLUGIN
from rjchronos_olt_manager.models import OLT_METADATA

TABLES = {"olt_connections"}


def differences(kernel: Any) -> list[Any]:
    with kernel.db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_name": lambda name, kind, _: kind != "table" or name in TABLES,
            },
        )
        return list(compare_metadata(context, OLT_METADATA))


def test_the_migrated_table_is_the_model(olt_kernel: Any) -> None:
    assert current(olt_kernel) == heads(olt_kernel)
    assert "oltm_0001" in heads(olt_kernel)
    assert set(inspect(olt_kernel.db.engine).get_table_names()) >= TABLES
    assert differences(olt_kernel) == []


def test_downgrade_and_upgrade_again(olt_kernel: Any) -> None:
    branch = next(b for b in branches(olt_kernel) if b.owner == PLUGIN)
    config = alembic_config(olt_kernel, branch)
    with olt_kernel.db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert not TABLES & set(inspect(olt_kernel.db.engine).get_table_names())
    assert "devices" in inspect(olt_kernel.db.engine).get_table_names()
    upgrade(olt_kernel)
    assert differences(olt_kernel) == []
