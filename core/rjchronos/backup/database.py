"""Consistent database snapshots: SQLite's online backup API, PostgreSQL's pg_dump.

Both read a snapshot of one moment while the server keeps writing. The
PostgreSQL tools are run with argument lists (never a shell) and the
password travels in ``PGPASSWORD``, not on the command line.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from rjchronos.backup.errors import BackupError

#: Folders searched for the PostgreSQL client of a server's major version, ``{major}`` filled in.
PG_BIN_DIRS = ("/usr/lib/postgresql/{major}/bin", "/usr/pgsql-{major}/bin")


def sqlite_path(url: str) -> Path:
    """The file of a SQLite URL."""
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(database)


def sqlite_snapshot(url: str, target: Path) -> None:
    """Copy the SQLite database at ``url`` to ``target`` with the online backup API."""
    source_path = sqlite_path(url)
    if not source_path.exists():
        raise BackupError(f"no SQLite database at {source_path}")
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, timeout=30)
    try:
        destination = sqlite3.connect(target)
        try:
            source.backup(destination)
        finally:
            destination.close()
    finally:
        source.close()


def sqlite_is_empty(path: Path) -> bool:
    """Whether ``path`` is missing, empty, or a database without tables."""
    if not path.exists() or path.stat().st_size == 0:
        return True
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
    finally:
        connection.close()


def sqlite_restore(snapshot: Path, target: Path) -> None:
    """Put ``snapshot`` in place as ``target`` (any old WAL and shared-memory files removed)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    staged = target.with_name(f".{target.name}.restoring")
    shutil.copyfile(snapshot, staged)
    os.replace(staged, target)


@dataclass(frozen=True)
class PgTarget:
    """How to reach one PostgreSQL database with libpq's tools."""

    conninfo: str
    environment: dict[str, str]

    @classmethod
    def from_url(cls, url: str) -> PgTarget:
        parsed: URL = make_url(url)
        environment = {"PGPASSWORD": parsed.password} if parsed.password else {}
        plain = parsed.set(drivername="postgresql", password=None)
        return cls(plain.render_as_string(hide_password=False), environment)


def _psycopg_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def pg_server_major(url: str) -> int:
    """The major version of the PostgreSQL server at ``url``."""
    import psycopg

    try:
        with psycopg.connect(_psycopg_url(url), connect_timeout=10) as connection:
            row = connection.execute("SHOW server_version_num").fetchone()
    except psycopg.Error as exc:
        raise BackupError(f"cannot reach PostgreSQL: {exc}") from exc
    assert row is not None
    return int(row[0]) // 10000


def pg_has_tables(url: str) -> bool:
    """Whether the database at ``url`` has any table outside the system schemas."""
    import psycopg

    query = (
        "SELECT count(*) FROM pg_catalog.pg_tables "
        "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
    )
    try:
        with psycopg.connect(_psycopg_url(url), connect_timeout=10) as connection:
            row = connection.execute(query).fetchone()
    except psycopg.Error as exc:
        raise BackupError(
            f"cannot reach the target database ({exc}); create it first (createdb)"
        ) from exc
    return bool(row and row[0])


def _tool_major(path: str) -> int | None:
    try:
        output = subprocess.run(  # noqa: S603 (argv list, no shell)
            [path, "--version"], capture_output=True, text=True, timeout=30, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"(\d+)(?:\.\d+)?", output)
    return int(match.group(1)) if match else None


def pg_tool(name: str, major: int, bin_dir: str | None = None) -> str:
    """The ``pg_dump`` or ``pg_restore`` for a server of ``major`` version.

    ``bin_dir`` first, then the version's folder under ``PG_BIN_DIRS``, then
    the one on ``PATH`` when its major version is the server's.
    """
    candidates = [str(Path(bin_dir) / name)] if bin_dir else []
    candidates += [str(Path(folder.format(major=major)) / name) for folder in PG_BIN_DIRS]
    on_path = shutil.which(name)
    if on_path:
        candidates.append(on_path)
    for candidate in candidates:
        if Path(candidate).is_file() and _tool_major(candidate) == major:
            return candidate
    raise BackupError(
        f"no {name} of PostgreSQL {major} found (looked in {', '.join(candidates) or 'PATH'}): "
        f"install postgresql-client-{major} or pass --pg-bin with its folder"
    )


def _run(argv: list[str], environment: dict[str, str], what: str) -> None:
    try:
        result = subprocess.run(  # noqa: S603 (argv list, no shell)
            argv,
            capture_output=True,
            text=True,
            env={**os.environ, **environment},
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except OSError as exc:
        raise BackupError(f"{what} could not start: {exc}") from exc
    if result.returncode != 0:
        raise BackupError(f"{what} failed ({result.returncode}): {result.stderr.strip()[-2000:]}")


def pg_dump(url: str, target: Path, bin_dir: str | None = None) -> int:
    """Dump the database at ``url`` to ``target`` (custom format); return the server's major."""
    major = pg_server_major(url)
    database = PgTarget.from_url(url)
    argv = [
        pg_tool("pg_dump", major, bin_dir),
        "--format=custom",
        "--no-owner",
        "--no-privileges",
        f"--file={target}",
        f"--dbname={database.conninfo}",
    ]
    _run(argv, database.environment, "pg_dump")
    return major


def pg_restore(dump: Path, url: str, *, clean: bool, bin_dir: str | None = None) -> None:
    """Restore a custom-format ``dump`` into the database at ``url``."""
    major = pg_server_major(url)
    database = PgTarget.from_url(url)
    argv = [
        pg_tool("pg_restore", major, bin_dir),
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
        f"--dbname={database.conninfo}",
    ]
    if clean:
        argv += ["--clean", "--if-exists"]
    _run([*argv, str(dump)], database.environment, "pg_restore")
