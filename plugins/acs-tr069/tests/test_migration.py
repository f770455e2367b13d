"""The plugin's migration history: its tables match its models, both ways, on both backends."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from rjchronos.db.migrate import alembic_config, branches, current, heads, upgrade
from rjchronos_acs_tr069 import PLUGIN
from rjchronos_acs_tr069.models import ACS_METADATA

TABLES = {
    "acs_parameters",
    "acs_tasks",
    "acs_profiles",
    "acs_profile_versions",
    "acs_pppoe_credentials",
    "acs_provision_requests",
}


def differences(kernel: Any) -> list[Any]:
    with kernel.db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_name": lambda name, kind, _: kind != "table" or name in TABLES,
            },
        )
        return list(compare_metadata(context, ACS_METADATA))


def test_the_migrated_tables_are_the_models(acs_kernel: Any) -> None:
    assert current(acs_kernel) == heads(acs_kernel)
    assert "acs_0002" in heads(acs_kernel)
    assert set(inspect(acs_kernel.db.engine).get_table_names()) >= TABLES
    assert differences(acs_kernel) == []


def test_downgrade_and_upgrade_again(acs_kernel: Any) -> None:
    branch = next(b for b in branches(acs_kernel) if b.owner == PLUGIN)
    config = alembic_config(acs_kernel, branch)
    with acs_kernel.db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert not TABLES & set(inspect(acs_kernel.db.engine).get_table_names())
    assert "devices" in inspect(acs_kernel.db.engine).get_table_names()  # core's stay
    upgrade(acs_kernel)
    assert differences(acs_kernel) == []
