"""The manifest of a backup archive: what it holds, from which version, with checksums."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from rjchronos.backup.errors import BackupError

FORMAT = "rjchronos-backup"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
DATABASE_DIR = "database"
HOME_DIR = "home"
KEYS_DIR = "keys"
KEY_MEMBER = f"{KEYS_DIR}/secret.key"


@dataclass(frozen=True)
class FileEntry:
    """One file of the archive with its size and SHA-256."""

    path: str
    sha256: str
    size: int


@dataclass
class Manifest:
    """What one archive holds (written last into it as ``manifest.json``)."""

    version: str
    created: str
    backend: str
    database_file: str
    revisions: list[str] = field(default_factory=list)
    server_major: int | None = None
    key_source: str | None = None
    files: list[FileEntry] = field(default_factory=list)

    def to_json(self) -> bytes:
        document = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "version": self.version,
            "created": self.created,
            "database": {
                "backend": self.backend,
                "file": self.database_file,
                "server_major": self.server_major,
                "revisions": self.revisions,
            },
            "key": {"file": KEY_MEMBER, "source": self.key_source} if self.key_source else None,
            "files": [asdict(entry) for entry in self.files],
        }
        return json.dumps(document, indent=2, sort_keys=True).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        try:
            document: dict[str, Any] = json.loads(data)
            if document.get("format") != FORMAT:
                raise BackupError("not an RJChronos backup (the manifest names another format)")
            if document.get("format_version") != FORMAT_VERSION:
                raise BackupError(
                    f"backup format {document.get('format_version')} is not supported "
                    f"(this version reads format {FORMAT_VERSION})"
                )
            database = document["database"]
            key = document.get("key")
            return cls(
                version=str(document["version"]),
                created=str(document["created"]),
                backend=str(database["backend"]),
                database_file=str(database["file"]),
                revisions=[str(r) for r in database.get("revisions", [])],
                server_major=database.get("server_major"),
                key_source=key["source"] if key else None,
                files=[
                    FileEntry(str(e["path"]), str(e["sha256"]), int(e["size"]))
                    for e in document["files"]
                ],
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise BackupError(f"the backup's manifest is unreadable: {exc}") from exc
