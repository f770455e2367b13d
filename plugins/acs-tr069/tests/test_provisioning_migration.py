"""The provisioning tables come from migration acs_0002, which also goes down cleanly."""

from __future__ import annotations

from typing import Any

from alembic import command
from sqlalchemy import inspect

from rjchronos.db.migrate import alembic_config, branches, heads, upgrade
from rjchronos_acs_tr069 import PLUGIN

TABLES = {"acs_profiles", "acs_profile_versions", "acs_pppoe_credentials", "acs_provision_requests"}


def test_acs_0002_creates_and_drops_the_provisioning_tables(acs_kernel: Any) -> None:
    assert set(inspect(acs_kernel.db.engine).get_table_names()) >= TABLES
    assert "acs_0003" in heads(acs_kernel)  # the head of the plugin, above acs_0002
    branch = next(b for b in branches(acs_kernel) if b.owner == PLUGIN)
    config = alembic_config(acs_kernel, branch)
    with acs_kernel.db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "acs_0001")
    names = set(inspect(acs_kernel.db.engine).get_table_names())
    assert not TABLES & names
    assert "acs_tasks" in names
    upgrade(acs_kernel)
    assert set(inspect(acs_kernel.db.engine).get_table_names()) >= TABLES
