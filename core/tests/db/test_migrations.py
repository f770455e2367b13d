"""Migrations: the migrated schema is the models' schema, on both backends, both ways."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from rjchronos.db.metadata import core_metadata
from rjchronos.db.migrate import alembic_config, current, heads, upgrade
from rjchronos.telemetry.models import TelemetrySample

pytestmark = pytest.mark.filterwarnings(
    "ignore:autogenerate skipping metadata-specified expression-based index"
)

#: Indexes only PostgreSQL gets (SQLite scans instead); see docs/decisions/0002.
POSTGRES_ONLY_INDEXES = {
    "ix_devices_tags",
    "ix_devices_name_prefix",
    "ix_telemetry_samples_time_brin",
}
#: Indexes only SQLite gets (PostgreSQL has a BRIN index instead).
SQLITE_ONLY_INDEXES = {"ix_telemetry_samples_time"}


def telemetry_partitions(kernel: Any) -> set[str]:
    """The day partitions of ``telemetry_samples``: the store creates them, no model has them."""
    if kernel.db.is_sqlite:
        return set()
    with kernel.db.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'telemetry_samples'"
            )
        )
        return {name for (name,) in rows}


def schema_differences(kernel: Any) -> list[Any]:
    metadata = core_metadata()

    def core_only(name: str | None, type_: str, parent: Any) -> bool:
        # Built-ins with histories of their own (builtin.notifications...) add tables here.
        return type_ != "table" or name in metadata.tables

    with kernel.db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": core_only}
        )
        differences = compare_metadata(context, metadata)
    partitions = telemetry_partitions(kernel)
    differences = [
        d
        for d in differences
        if not (d[0] == "remove_table" and d[1].name in partitions)
        and not (d[0] == "remove_index" and d[1].table.name in partitions)
    ]
    only_elsewhere = SQLITE_ONLY_INDEXES if not kernel.db.is_sqlite else POSTGRES_ONLY_INDEXES
    differences = [
        d for d in differences if not (d[0] == "add_index" and d[1].name in only_elsewhere)
    ]
    return differences


def test_the_test_database_is_at_every_head(rjc_kernel: Any) -> None:
    assert current(rjc_kernel) == heads(rjc_kernel)
    assert "0002_telemetry_partitions" in heads(rjc_kernel)


def test_postgresql_samples_are_partitioned_by_day(rjc_kernel: Any) -> None:
    from datetime import UTC, datetime

    from rjchronos.telemetry.store import Sample

    if rjc_kernel.db.is_sqlite:
        assert telemetry_partitions(rjc_kernel) == set()
        return
    with rjc_kernel.db.engine.connect() as connection:
        kind = connection.execute(
            text("SELECT relkind FROM pg_class WHERE relname = 'telemetry_samples'")
        ).scalar()
    assert kind == "p"  # partitioned
    rjc_kernel.telemetry.write([Sample("d", "m", datetime(2024, 5, 1, 12, tzinfo=UTC), 1.0)])
    assert telemetry_partitions(rjc_kernel) == {"telemetry_samples_p20240501"}
    # a partition is no difference between the migrated schema and the models
    assert schema_differences(rjc_kernel) == []


def test_the_migrated_schema_is_the_models_schema(rjc_kernel: Any) -> None:
    assert schema_differences(rjc_kernel) == []


def test_the_audit_table_is_append_only_after_migrating(rjc_kernel: Any) -> None:
    rjc_kernel.audit.record(actor="test", action="probe", target="t", params={})
    with rjc_kernel.db.engine.connect() as connection:
        try:
            connection.execute(text("UPDATE audit_entries SET actor = 'mallory'"))
        except Exception as exc:
            assert "append-only" in str(exc)
        else:
            raise AssertionError("the audit table accepted an UPDATE")


def test_downgrade_to_base_and_upgrade_again(rjc_kernel_factory: Callable[..., Any]) -> None:
    kernel = rjc_kernel_factory()
    config = alembic_config(kernel)
    with kernel.db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    # Built-ins with histories of their own (builtin.notifications...) keep their tables.
    remaining = set(inspect(kernel.db.engine).get_table_names()) & set(core_metadata().tables)
    assert remaining == set()
    upgrade(kernel)
    assert current(kernel) == heads(kernel)
    assert schema_differences(kernel) == []


def migrating_plugin() -> Any:
    import types
    from pathlib import Path

    from rjchronos import hookimpl

    module = types.ModuleType("probe")

    @hookimpl
    def rjc_migrations() -> str:
        return str(Path(__file__).parent / "plugin_migrations")

    module.rjc_migrations = rjc_migrations  # type: ignore[attr-defined]
    return module


def test_an_uninstalled_plugins_history_does_not_block_upgrades(
    rjc_kernel_factory: Callable[..., Any],
) -> None:
    with_plugin = rjc_kernel_factory(plugins={"probe": migrating_plugin()})
    assert "probe_0001" in current(with_plugin)
    assert "probe_readings" in inspect(with_plugin.db.engine).get_table_names()

    without_plugin = rjc_kernel_factory()
    upgrade(without_plugin)
    assert "probe_0001" in current(without_plugin)
    assert "probe_0001" not in heads(without_plugin)
    assert "probe_readings" in inspect(without_plugin.db.engine).get_table_names()

    reinstalled = rjc_kernel_factory(plugins={"probe": migrating_plugin()})
    assert current(reinstalled) == heads(reinstalled)


def test_samples_stored_before_partitioning_move_into_their_days(
    rjc_kernel_factory: Callable[..., Any],
) -> None:
    from datetime import UTC, datetime

    kernel = rjc_kernel_factory()
    config = alembic_config(kernel)
    with kernel.db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
    times = [datetime(2024, 5, day, 23, 59, tzinfo=UTC) for day in (1, 2)]
    table = TelemetrySample.__table__  # type: ignore[attr-defined]
    with kernel.db.engine.begin() as connection:
        connection.execute(
            table.insert(),
            [
                {"entity": "d", "metric": "m", "time": time, "value": float(n), "labels": {}}
                for n, time in enumerate(times)
            ],
        )
    upgrade(kernel)
    assert schema_differences(kernel) == []
    points = kernel.telemetry.series("d", "m", times[0], datetime(2024, 5, 3, tzinfo=UTC))
    assert points == [(times[0], 0.0), (times[1], 1.0)]
    if not kernel.db.is_sqlite:
        assert telemetry_partitions(kernel) == {
            "telemetry_samples_p20240501",
            "telemetry_samples_p20240502",
        }
