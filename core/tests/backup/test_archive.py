"""Backup archives: round trip, checksums, tampering, passphrases and refused targets."""

from __future__ import annotations

import io
import json
import os
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from rjchronos.backup import BackupError, create_backup, restore_backup, unpack
from rjchronos.backup.crypto import CHUNK
from rjchronos.config import Settings
from rjchronos.db.migrate import upgrade
from rjchronos.kernel import Kernel
from rjchronos.security.models import User
from rjchronos.security.users import create_user

PASSPHRASE = b"a passphrase of some length"


@pytest.fixture
def source(rjc_kernel_factory: Callable[..., Any]) -> Any:
    """A kernel with a user, a firmware file, a config file and a stored secret."""
    kernel = rjc_kernel_factory()
    create_user(kernel, "ana", "correct horse battery", roles=("operator",))
    home = Path(kernel.settings.home)
    (home / "firmware").mkdir(parents=True)
    (home / "firmware" / "image-1").write_bytes(b"\x7fELF firmware" * 1000)
    (home / "rjchronos.toml").write_text("trace_hooks = false\n")
    kernel.stored_secret = kernel.secrets.encrypt("olt-password")
    return kernel


def _restored_kernel(settings: Settings) -> Kernel:
    kernel = Kernel(settings, entrypoints=False)
    upgrade(kernel)
    return kernel


def test_round_trip_restores_database_files_and_key(
    source: Any, fresh_target: Settings, tmp_path: Path
) -> None:
    archive = tmp_path / "backup.tar.gz"
    manifest = create_backup(source, archive)
    assert manifest.backend == ("sqlite" if source.db.is_sqlite else "postgresql")
    assert archive.stat().st_mode & 0o077 == 0
    names = {entry.path for entry in manifest.files}
    assert {"home/firmware/image-1", "home/rjchronos.toml", "keys/secret.key"} <= names
    assert manifest.database_file in names
    assert manifest.revisions

    result = restore_backup(fresh_target, archive)
    assert result.manifest.created == manifest.created
    home = Path(fresh_target.home)
    assert (home / "firmware" / "image-1").read_bytes() == b"\x7fELF firmware" * 1000
    assert (home / "secret.key").stat().st_mode & 0o077 == 0
    restored = _restored_kernel(fresh_target)
    try:
        with restored.db.session() as session:
            assert "ana" in {u.username for u in session.exec(select(User)).all()}
        assert restored.secrets.decrypt(source.stored_secret) == "olt-password"
        assert restored.audit.check().ok
    finally:
        restored.db.dispose()


def test_encrypted_archive_needs_the_right_passphrase(
    source: Any, fresh_target: Settings, tmp_path: Path
) -> None:
    archive = tmp_path / "backup.rjcbak"
    create_backup(source, archive, passphrase=PASSPHRASE)
    raw = archive.read_bytes()
    assert b"olt-password" not in raw and not raw.startswith(b"\x1f\x8b")
    with pytest.raises(BackupError, match="wrong passphrase"):
        restore_backup(fresh_target, archive, passphrase=b"not the passphrase at all")
    with pytest.raises(BackupError, match="encrypted: give its passphrase"):
        restore_backup(fresh_target, archive)
    assert not Path(fresh_target.home).exists() or not any(Path(fresh_target.home).iterdir())
    restore_backup(fresh_target, archive, passphrase=PASSPHRASE)
    assert (Path(fresh_target.home) / "firmware" / "image-1").exists()


def test_an_edited_or_truncated_encrypted_archive_is_refused(
    source: Any, fresh_target: Settings, tmp_path: Path
) -> None:
    (Path(source.settings.home) / "firmware" / "big").write_bytes(os.urandom(CHUNK * 2 + 1000))
    archive = tmp_path / "backup.rjcbak"
    create_backup(source, archive, passphrase=PASSPHRASE)
    raw = archive.read_bytes()
    flipped = bytearray(raw)
    flipped[len(raw) // 2] ^= 0x01
    edited = tmp_path / "edited.rjcbak"
    edited.write_bytes(bytes(flipped))
    with pytest.raises(BackupError, match="damaged"):
        restore_backup(fresh_target, edited, passphrase=PASSPHRASE)
    truncated = tmp_path / "truncated.rjcbak"
    assert len(raw) > 2 * CHUNK
    truncated.write_bytes(raw[: len(raw) - 100])
    with pytest.raises(BackupError, match="truncated"):
        restore_backup(fresh_target, truncated, passphrase=PASSPHRASE)
    assert not (Path(fresh_target.home) / "firmware").exists()


def _rewrite(archive: Path, target: Path, change: Callable[[str, bytes], Any]) -> None:
    """Copy ``archive`` to ``target`` with ``change(name, data)`` applied to each member."""
    members: list[tuple[str, bytes]] = []
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar:
            extracted = tar.extractfile(member)
            assert extracted is not None
            members.append((member.name, extracted.read()))
    with tarfile.open(target, "w:gz") as tar:
        for name, data in members:
            for new_name, new_data in change(name, data):
                info = tarfile.TarInfo(new_name)
                info.size = len(new_data)
                tar.addfile(info, io.BytesIO(new_data))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda n, d: [(n, d.replace(b"ELF", b"ELV") if n.endswith("image-1") else d)],
            "checksum mismatch for home/firmware/image-1",
        ),
        (
            lambda n, d: [(n, d)] + ([("home/extra", b"x")] if n == "keys/secret.key" else []),
            "does not list",
        ),
        (lambda n, d: [] if n.endswith("image-1") else [(n, d)], "lacks files"),
        (lambda n, d: [] if n == "manifest.json" else [(n, d)], "no manifest"),
        (
            lambda n, d: (
                [(n, d)] + ([("home/../../escape", b"x")] if n == "keys/secret.key" else [])
            ),
            "unexpected member",
        ),
        (
            lambda n, d: (
                [(n, json.dumps({**json.loads(d), "format": "other"}).encode())]
                if n == "manifest.json"
                else [(n, d)]
            ),
            "another format",
        ),
    ],
    ids=["edited-file", "added-file", "removed-file", "no-manifest", "path-escape", "format"],
)
def test_a_tampered_archive_is_refused_before_anything_is_written(
    source: Any,
    fresh_target: Settings,
    tmp_path: Path,
    change: Callable[[str, bytes], Any],
    message: str,
) -> None:
    archive = tmp_path / "backup.tar.gz"
    create_backup(source, archive)
    tampered = tmp_path / "tampered.tar.gz"
    _rewrite(archive, tampered, change)
    with pytest.raises(BackupError, match=message):
        restore_backup(fresh_target, tampered)
    assert not Path(fresh_target.home).exists() or not any(Path(fresh_target.home).iterdir())
    assert not (tmp_path / "escape").exists()


def test_a_non_empty_target_is_refused_unless_forced(
    source: Any, fresh_target: Settings, tmp_path: Path
) -> None:
    archive = tmp_path / "backup.tar.gz"
    create_backup(source, archive)
    restore_backup(fresh_target, archive)
    with pytest.raises(BackupError, match="not empty|already has tables"):
        restore_backup(fresh_target, archive)
    # Only the database holds data: still refused.
    for item in Path(fresh_target.home).iterdir():
        if item.is_file() and not item.name.startswith("rjchronos.db"):
            item.unlink()
    (Path(fresh_target.home) / "firmware" / "image-1").unlink()
    (Path(fresh_target.home) / "firmware").rmdir()
    with pytest.raises(BackupError, match="rjchronos.db|already has tables"):
        restore_backup(fresh_target, archive)
    restore_backup(fresh_target, archive, force=True)
    assert (Path(fresh_target.home) / "firmware" / "image-1").exists()


def test_a_backup_of_one_backend_is_refused_on_the_other(
    source: Any, tmp_path: Path, rjc_backend: str
) -> None:
    archive = tmp_path / "backup.tar.gz"
    create_backup(source, archive)
    other = (
        "postgresql://postgres@127.0.0.1:5432/none"
        if rjc_backend == "sqlite"
        else f"sqlite:///{tmp_path / 'other' / 'rjchronos.db'}"
    )
    target = Settings(home=tmp_path / "other", database_url=other)
    with pytest.raises(BackupError, match="restore into the same kind of database"):
        restore_backup(target, archive, force=True)


def test_the_backups_folder_of_the_home_is_left_out(source: Any) -> None:
    backups = Path(source.settings.home) / "backups"
    backups.mkdir()
    (backups / "older.tar.gz").write_bytes(b"an older backup")
    manifest = create_backup(source, backups / "today.tar.gz")
    names = {entry.path for entry in manifest.files}
    assert "home/firmware/image-1" in names
    assert not [name for name in names if name.startswith("home/backups")]


def test_backups_never_overwrite_and_leave_no_partial_file(source: Any, tmp_path: Path) -> None:
    archive = tmp_path / "backup.tar.gz"
    archive.write_bytes(b"older backup")
    with pytest.raises(BackupError, match="exists"):
        create_backup(source, archive)
    assert archive.read_bytes() == b"older backup"
    manifest = unpack_manifest(source, tmp_path)
    assert manifest["format"] == "rjchronos-backup"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def unpack_manifest(source: Any, tmp_path: Path) -> dict[str, Any]:
    archive = tmp_path / "second.tar.gz"
    create_backup(source, archive)
    staging = tmp_path / "staging"
    staging.mkdir()
    unpack(archive, staging, None)
    document: dict[str, Any] = json.loads((staging / "manifest.json").read_text())
    for entry in document["files"]:
        assert len(entry["sha256"]) == 64
    return document
