"""Alembic migrations of core and of every plugin.

Core's revisions live in ``rjchronos/migrations/versions`` and are recorded
in ``alembic_version``. A plugin declares its own folder through
``rjc_migrations``; its revisions form an independent history recorded in a
version table of its own (``alembic_version_<plugin>``) and are applied
after core's, so they may rely on core's tables. ``upgrade`` applies every
history: installing a plugin and running ``rjchronos db upgrade`` creates
its tables, and uninstalling one leaves its tables and history alone without
blocking anyone else's upgrades.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from rjchronos.db.metadata import core_metadata

if TYPE_CHECKING:
    from rjchronos.kernel import Kernel

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
CORE_VERSION_TABLE = "alembic_version"


@dataclass(frozen=True)
class Branch:
    """One migration history: who owns it, where its scripts are, where it is recorded."""

    owner: str
    folder: Path
    version_table: str


def branches(kernel: Kernel) -> list[Branch]:
    """Core's history first, then each plugin's that declares a migrations folder."""
    found = [Branch("core", MIGRATIONS / "versions", CORE_VERSION_TABLE)]
    for plugin, folder in kernel.host.results_with_plugins("rjc_migrations"):
        slug = re.sub(r"[^a-z0-9]+", "_", plugin.lower()).strip("_")
        found.append(Branch(plugin, Path(folder).resolve(), f"{CORE_VERSION_TABLE}_{slug}"))
    return found


def alembic_config(kernel: Kernel, branch: Branch | None = None) -> Config:
    """An Alembic configuration for one history (core's by default); no ini file."""
    branch = branch or branches(kernel)[0]
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("version_locations", str(branch.folder))
    config.set_main_option("path_separator", "space")
    config.attributes["kernel"] = kernel
    config.attributes["version_table"] = branch.version_table
    return config


def upgrade(kernel: Kernel) -> None:
    """Apply every pending migration: core's, then each installed plugin's."""
    core_metadata()
    for branch in branches(kernel):
        config = alembic_config(kernel, branch)
        with kernel.db.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "heads")


def current(kernel: Kernel) -> list[str]:
    """The applied revisions of every history, installed or not."""
    with kernel.db.engine.connect() as connection:
        tables = [CORE_VERSION_TABLE] + [
            name
            for name in connection.dialect.get_table_names(connection)
            if name.startswith(CORE_VERSION_TABLE + "_")
        ]
        revisions: list[str] = []
        for table in tables:
            context = MigrationContext.configure(connection, opts={"version_table": table})
            revisions.extend(context.get_current_heads())
    return sorted(revisions)


def heads(kernel: Kernel) -> list[str]:
    """The newest revision of each history the installed code knows."""
    return sorted(
        head
        for branch in branches(kernel)
        for head in ScriptDirectory.from_config(alembic_config(kernel, branch)).get_heads()
    )
