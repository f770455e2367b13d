"""``restore_backup``: check an archive completely, then put it into an empty target."""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from sqlalchemy.engine import make_url

from rjchronos.backup import database
from rjchronos.backup.crypto import DecryptingReader, DecryptionError, is_encrypted
from rjchronos.backup.errors import BackupError
from rjchronos.backup.manifest import (
    DATABASE_DIR,
    HOME_DIR,
    KEY_MEMBER,
    KEYS_DIR,
    MANIFEST_NAME,
    Manifest,
)
from rjchronos.config import Settings, config_path
from rjchronos.security.secrets import KEY_FILE_NAME

_TOP = {DATABASE_DIR, HOME_DIR, KEYS_DIR}


@dataclass
class RestoreResult:
    """What was restored, and what the operator should know about it."""

    manifest: Manifest
    notes: list[str] = field(default_factory=list)


def _member_path(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if name == MANIFEST_NAME:
        return path
    if path.is_absolute() or ".." in path.parts or len(path.parts) < 2 or path.parts[0] not in _TOP:
        raise BackupError(f"the archive holds an unexpected member {name!r}: refusing it")
    return path


def unpack(archive: Path, staging: Path, passphrase: bytes | None) -> Manifest:
    """Extract ``archive`` into ``staging`` and check every file against the manifest."""
    try:
        handle = archive.open("rb")
    except OSError as exc:
        raise BackupError(f"cannot read {archive}: {exc}") from exc
    with handle:
        encrypted = is_encrypted(handle.read(16))
        handle.seek(0)
        if encrypted and passphrase is None:
            raise BackupError(
                "the archive is encrypted: give its passphrase with --passphrase-file"
            )
        if not encrypted and passphrase is not None:
            raise BackupError("the archive is not encrypted, yet a passphrase was given")
        source: BinaryIO | DecryptingReader = (
            DecryptingReader(handle, passphrase) if passphrase else handle
        )
        try:
            digests = _extract(source, staging)
        except DecryptionError as exc:
            raise BackupError(str(exc)) from exc
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise BackupError(f"the archive is damaged or truncated: {exc}") from exc
    manifest_file = staging / MANIFEST_NAME
    if not manifest_file.is_file():
        raise BackupError("the archive has no manifest: not a complete RJChronos backup")
    manifest = Manifest.from_json(manifest_file.read_bytes())
    _verify(manifest, digests)
    return manifest


def _extract(source: BinaryIO | DecryptingReader, staging: Path) -> dict[str, str]:
    digests: dict[str, str] = {}
    with tarfile.open(fileobj=source, mode="r|gz") as tar:  # type: ignore[call-overload]
        for member in tar:
            path = _member_path(member.name)
            if not member.isfile():
                raise BackupError(f"the archive member {member.name!r} is not a regular file")
            if member.name in digests:
                raise BackupError(f"the archive holds {member.name!r} twice")
            target = staging.joinpath(*path.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            extracted = tar.extractfile(member)
            assert extracted is not None
            digest = hashlib.sha256()
            with target.open("wb") as out:
                while chunk := extracted.read(1 << 20):
                    digest.update(chunk)
                    out.write(chunk)
            digests[member.name] = digest.hexdigest()
    return digests


def _verify(manifest: Manifest, digests: dict[str, str]) -> None:
    listed = {entry.path: entry for entry in manifest.files}
    present = {name for name in digests if name != MANIFEST_NAME}
    if missing := sorted(set(listed) - present):
        raise BackupError(f"the archive lacks files its manifest lists: {missing[:5]}")
    if extra := sorted(present - set(listed)):
        raise BackupError(f"the archive holds files its manifest does not list: {extra[:5]}")
    for name, entry in listed.items():
        if digests[name] != entry.sha256:
            raise BackupError(f"checksum mismatch for {name}: the archive was altered or damaged")
    if manifest.database_file not in listed:
        raise BackupError("the manifest names no database file in the archive")


def _backend(settings: Settings) -> str:
    name = make_url(settings.database).get_backend_name()
    return "postgresql" if name in ("postgresql", "postgres") else name


def check_target(settings: Settings, manifest: Manifest | None, *, force: bool) -> None:
    """Refuse a target that already holds data (unless ``force``) or another backend."""
    backend = _backend(settings)
    if manifest is not None and manifest.backend != backend:
        raise BackupError(
            f"the backup holds a {manifest.backend} database but the target is {backend}: "
            "restore into the same kind of database"
        )
    if force:
        return
    home = Path(settings.home)
    config = config_path(os.environ).resolve()
    if home.is_dir():
        occupied = sorted(p.name for p in home.iterdir() if p.resolve() != config)
        if occupied:
            raise BackupError(
                f"the data directory {home} is not empty ({', '.join(occupied[:5])}): restore "
                "into a fresh one, or pass --force to overwrite"
            )
    if backend == "sqlite":
        path = database.sqlite_path(settings.database)
        if not database.sqlite_is_empty(path):
            raise BackupError(f"the database {path} is not empty: pass --force to overwrite it")
    elif backend == "postgresql" and database.pg_has_tables(settings.database):
        target = make_url(settings.database).render_as_string(hide_password=True)
        raise BackupError(
            f"the database {target} already has tables: restore into a fresh database "
            "(createdb), or pass --force to replace them"
        )


def restore_backup(
    settings: Settings,
    archive: Path,
    *,
    passphrase: bytes | None = None,
    force: bool = False,
    pg_bin: str | None = None,
) -> RestoreResult:
    """Check ``archive`` whole, then restore its database, files and key into ``settings``' target.

    Nothing is written to the target until every checksum matched. Run the
    migrations afterwards (the ``rjchronos restore`` command does).
    """
    check_target(settings, None, force=force)
    home = Path(settings.home).resolve()
    # Staged in TMPDIR: the data home stays untouched until everything checked out.
    with tempfile.TemporaryDirectory(prefix="rjc-restore-") as scratch:
        staging = Path(scratch)
        manifest = unpack(archive, staging, passphrase)
        check_target(settings, manifest, force=force)
        result = RestoreResult(manifest)
        _restore_database(settings, manifest, staging, force=force, pg_bin=pg_bin)
        _restore_files(settings, staging, home, result)
    return result


def _restore_database(
    settings: Settings, manifest: Manifest, staging: Path, *, force: bool, pg_bin: str | None
) -> None:
    snapshot = staging.joinpath(*PurePosixPath(manifest.database_file).parts)
    if manifest.backend == "sqlite":
        database.sqlite_restore(snapshot, database.sqlite_path(settings.database))
    else:
        database.pg_restore(snapshot, settings.database, clean=force, bin_dir=pg_bin)


def _restore_files(settings: Settings, staging: Path, home: Path, result: RestoreResult) -> None:
    home.mkdir(parents=True, exist_ok=True)
    config = config_path(os.environ).resolve()
    files = staging / HOME_DIR
    if files.is_dir():
        for source in sorted(p for p in files.rglob("*") if p.is_file()):
            target = home / source.relative_to(files)
            if target.resolve() == config and target.exists():
                target = target.with_name(f"{target.name}.from-backup")
                result.notes.append(
                    f"kept the existing config file; the backup's is at {target.name}"
                )
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
    key = staging.joinpath(*PurePosixPath(KEY_MEMBER).parts)
    if key.is_file():
        target = home / KEY_FILE_NAME
        descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            out.write(key.read_bytes())
        os.chmod(target, 0o600)
        if result.manifest.key_source == "environment" or settings.secret_key:
            result.notes.append(
                f"the secret key was restored to {target}; RJC_SECRET_KEY, when set, takes "
                "precedence over that file, so set it to the same key or unset it"
            )
