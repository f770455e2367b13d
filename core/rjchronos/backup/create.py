"""``create_backup``: database, data-home files and key into one tar.gz, optionally encrypted."""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from rjchronos.backup import database
from rjchronos.backup.crypto import EncryptingWriter
from rjchronos.backup.errors import BackupError
from rjchronos.backup.manifest import (
    DATABASE_DIR,
    HOME_DIR,
    KEY_MEMBER,
    MANIFEST_NAME,
    FileEntry,
    Manifest,
)
from rjchronos.security.secrets import KEY_FILE_NAME

if TYPE_CHECKING:
    from rjchronos.kernel import Kernel


class _HashingReader:
    """Reads at most ``size`` bytes of ``source`` and hashes what it gives."""

    def __init__(self, source: BinaryIO, size: int) -> None:
        self.source, self.left, self.digest = source, size, hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        wanted = self.left if size < 0 else min(size, self.left)
        data = self.source.read(wanted)
        self.left -= len(data)
        self.digest.update(data)
        return data


class _ArchiveWriter:
    """Adds members to a streamed tar.gz and records each one's checksum."""

    def __init__(self, tar: tarfile.TarFile) -> None:
        self.tar = tar
        self.entries: list[FileEntry] = []

    def add_file(self, source: Path, name: str) -> None:
        with source.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            reader = _HashingReader(handle, size)
            info = self._info(name, size)
            self.tar.addfile(info, reader)
            if reader.left:
                raise BackupError(f"{source} shrank while it was being archived")
        self.entries.append(FileEntry(name, reader.digest.hexdigest(), size))

    def add_bytes(self, data: bytes, name: str, *, record: bool = True) -> None:
        self.tar.addfile(self._info(name, len(data)), io.BytesIO(data))
        if record:
            self.entries.append(FileEntry(name, hashlib.sha256(data).hexdigest(), len(data)))

    @staticmethod
    def _info(name: str, size: int) -> tarfile.TarInfo:
        info = tarfile.TarInfo(name)
        info.size, info.mode, info.mtime = size, 0o600, int(time.time())
        return info


#: A folder of the data home for backup archives; never put into a backup itself.
BACKUPS_DIR = "backups"


def home_files(home: Path, skip: set[Path]) -> Iterator[tuple[Path, str]]:
    """Regular files under ``home`` (not the database, the key, ``backups/`` or ``skip``)."""
    if not home.is_dir():
        return
    for folder, folders, files in os.walk(home):
        here = Path(folder)
        folders[:] = sorted(d for d in folders if (here / d).resolve() not in skip)
        for name in sorted(files):
            path = here / name
            if path.resolve() in skip or path.is_symlink() or not path.is_file():
                continue
            if name.startswith(f".{KEY_FILE_NAME}.") or name.endswith(".restoring"):
                continue
            yield path, path.relative_to(home).as_posix()


def _database_files(kernel: Kernel) -> set[Path]:
    if not kernel.db.is_sqlite:
        return set()
    path = database.sqlite_path(kernel.settings.database).resolve()
    return {Path(f"{path}{suffix}") for suffix in ("", "-wal", "-shm", "-journal")}


def _key_material(kernel: Kernel) -> tuple[bytes, str] | None:
    if kernel.settings.secret_key:
        return kernel.settings.secret_key.encode("utf-8") + b"\n", "environment"
    path = Path(kernel.settings.home) / KEY_FILE_NAME
    if path.is_file():
        return path.read_bytes(), "file"
    return None


def create_backup(
    kernel: Kernel,
    output: Path,
    *,
    passphrase: bytes | None = None,
    pg_bin: str | None = None,
) -> Manifest:
    """Write a backup of ``kernel``'s database, data home and key to ``output``.

    The database is read as one consistent snapshot while the server runs.
    ``output`` appears only when the archive is complete (written beside it,
    then renamed), with mode 0600.
    """
    from rjchronos.db.migrate import current

    output = output.resolve()
    if output.exists():
        raise BackupError(f"{output} exists: choose another name, backups are never overwritten")
    output.parent.mkdir(parents=True, exist_ok=True)
    home = Path(kernel.settings.home).resolve()
    manifest = Manifest(
        version=kernel.version,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        backend="sqlite" if kernel.db.is_sqlite else "postgresql",
        database_file="",
        revisions=current(kernel),
    )
    partial = output.with_name(f".{output.name}.partial")
    with tempfile.TemporaryDirectory(prefix=".rjc-backup-", dir=output.parent) as scratch:
        snapshot = Path(scratch) / "database"
        if kernel.db.is_sqlite:
            database.sqlite_snapshot(kernel.settings.database, snapshot)
            manifest.database_file = f"{DATABASE_DIR}/rjchronos.sqlite"
        else:
            manifest.server_major = database.pg_dump(kernel.settings.database, snapshot, pg_bin)
            manifest.database_file = f"{DATABASE_DIR}/postgresql.dump"
        skip = _database_files(kernel) | {
            home / KEY_FILE_NAME,
            home / BACKUPS_DIR,
            output,
            partial,
            Path(scratch).resolve(),
        }
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as sink:
                _write_archive(kernel, manifest, sink, snapshot, home, skip, passphrase)
            os.replace(partial, output)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    return manifest


def _write_archive(
    kernel: Kernel,
    manifest: Manifest,
    sink: BinaryIO,
    snapshot: Path,
    home: Path,
    skip: set[Path],
    passphrase: bytes | None,
) -> None:
    target: BinaryIO | EncryptingWriter = EncryptingWriter(sink, passphrase) if passphrase else sink
    with tarfile.open(fileobj=target, mode="w|gz") as tar:  # type: ignore[call-overload]
        writer = _ArchiveWriter(tar)
        writer.add_file(snapshot, manifest.database_file)
        for path, name in home_files(home, skip):
            writer.add_file(path, f"{HOME_DIR}/{name}")
        key = _key_material(kernel)
        if key is not None:
            writer.add_bytes(key[0], KEY_MEMBER)
            manifest.key_source = key[1]
        manifest.files = writer.entries
        writer.add_bytes(manifest.to_json(), MANIFEST_NAME, record=False)
    if isinstance(target, EncryptingWriter):
        target.close()
    os.fsync(sink.fileno())
