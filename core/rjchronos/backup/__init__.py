"""Backups and restores: the database, the data home's files and the secrets key, in one archive.

An archive is a tar.gz holding ``database/`` (a SQLite online-backup copy or a
``pg_dump -Fc`` dump), ``home/`` (firmware images and every other file of the
data directory), ``keys/secret.key`` and ``manifest.json`` (version, time,
backend, migration revisions and each file's SHA-256). With a passphrase the
whole archive is encrypted (:mod:`rjchronos.backup.crypto`).
"""

from rjchronos.backup.create import create_backup
from rjchronos.backup.errors import BackupError
from rjchronos.backup.manifest import Manifest
from rjchronos.backup.restore import RestoreResult, restore_backup, unpack

__all__ = ["BackupError", "Manifest", "RestoreResult", "create_backup", "restore_backup", "unpack"]
