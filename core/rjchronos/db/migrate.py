"""Alembic migrations of core and of every plugin, applied together.

Core's revisions live in ``rjchronos/migrations/versions`` (branch
``core``); a plugin declares its own folder through ``rjc_migrations`` and
its revisions form a branch named after the plugin that ``depends_on`` core.
``upgrade`` applies every head, so installing a plugin and running
``rjchronos db upgrade`` creates its tables.
"""

from __future__ import annotations

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


def alembic_config(kernel: Kernel) -> Config:
    """An Alembic configuration for the kernel's database and plugins (no ini file)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    locations = [str(MIGRATIONS / "versions")]
    for folder in kernel.hook.rjc_migrations():
        if folder:
            locations.append(str(Path(folder).resolve()))
    config.set_main_option("version_locations", " ".join(locations))
    config.set_main_option("path_separator", "space")
    config.attributes["kernel"] = kernel
    return config


def upgrade(kernel: Kernel, revision: str = "heads") -> None:
    """Apply pending migrations (every branch by default)."""
    metadata = core_metadata()
    if not any((MIGRATIONS / "versions").glob("*.py")):
        # Until the initial revision is generated from the finished models.
        metadata.create_all(kernel.db.engine)
        return
    config = alembic_config(kernel)
    with kernel.db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current(kernel: Kernel) -> list[str]:
    """The applied revision of each branch."""
    with kernel.db.engine.connect() as connection:
        return sorted(MigrationContext.configure(connection).get_current_heads())


def heads(kernel: Kernel) -> list[str]:
    """The newest revision of each branch the installed code knows."""
    return sorted(ScriptDirectory.from_config(alembic_config(kernel)).get_heads())
