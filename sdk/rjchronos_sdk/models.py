"""A registry of trained analyzer models: versioned artefacts with their metadata.

Layout, under a root directory (``<home>/models`` for a server)::

    <name>/<version>/artefact      the model's bytes, whatever the analyzer stores
    <name>/<version>/model.json    a ModelVersion: seed, training range, metrics...

Versions count from 1 and never change once written: registering again adds a
version. The metadata is written last, so a version without ``model.json``
(an interrupted write) is not listed. Reading an artefact checks its SHA-256.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")
ARTEFACT = "artefact"
METADATA = "model.json"


class ModelRegistryError(ValueError):
    """A bad model name, a missing version or an artefact that does not match its hash."""


@dataclass(frozen=True)
class ModelVersion:
    """What is known of one version of a model (its model card's facts)."""

    name: str
    version: int
    analyzer: str
    created: str
    sha256: str
    size: int
    seed: int | None = None
    trained_from: str | None = None
    trained_to: str | None = None
    metrics: Mapping[str, float] = field(default_factory=dict)
    params: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise ModelRegistryError("training range times must be timezone-aware")
    return moment.astimezone(UTC).isoformat()


class ModelRegistry:
    """Models stored as files under ``root``."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _folder(self, name: str) -> Path:
        if not NAME.match(name):
            raise ModelRegistryError(
                f"model name {name!r}: lower-case letters, digits, '.', '_' and '-' only, "
                "starting with a letter or digit, at most 100 characters"
            )
        return self.root / name

    def register(
        self,
        name: str,
        artefact: bytes,
        *,
        analyzer: str,
        seed: int | None = None,
        trained_from: datetime | None = None,
        trained_to: datetime | None = None,
        metrics: Mapping[str, float] | None = None,
        params: Mapping[str, Any] | None = None,
        description: str = "",
    ) -> ModelVersion:
        """Store ``artefact`` as the next version of ``name``."""
        folder = self._folder(name)
        # Check everything before writing anything.
        start, end = _iso(trained_from), _iso(trained_to)
        if trained_from and trained_to and trained_to < trained_from:
            raise ModelRegistryError("trained_to is before trained_from")
        folder.mkdir(parents=True, exist_ok=True)
        version = max(self._numbers(folder), default=0) + 1
        while True:
            target = folder / str(version)
            try:
                target.mkdir()  # atomic: two writers never get the same version
                break
            except FileExistsError:
                version += 1
        (target / ARTEFACT).write_bytes(artefact)
        record = ModelVersion(
            name=name,
            version=version,
            analyzer=analyzer,
            created=datetime.now(UTC).isoformat(),
            sha256=hashlib.sha256(artefact).hexdigest(),
            size=len(artefact),
            seed=seed,
            trained_from=start,
            trained_to=end,
            metrics=dict(metrics or {}),
            params=dict(params or {}),
            description=description,
        )
        temporary = target / f".{METADATA}.tmp"
        temporary.write_text(json.dumps(asdict(record), indent=2, sort_keys=True))
        os.replace(temporary, target / METADATA)
        return record

    @staticmethod
    def _numbers(folder: Path) -> list[int]:
        if not folder.is_dir():
            return []
        return [int(p.name) for p in folder.iterdir() if p.name.isdigit()]

    def names(self) -> list[str]:
        """Every model with at least one complete version."""
        if not self.root.is_dir():
            return []
        return sorted(
            p.name for p in self.root.iterdir() if NAME.match(p.name) and self.versions(p.name)
        )

    def versions(self, name: str) -> list[ModelVersion]:
        """The complete versions of ``name``, oldest first."""
        folder = self._folder(name)
        found = []
        for number in sorted(self._numbers(folder)):
            metadata = folder / str(number) / METADATA
            if metadata.is_file():
                found.append(ModelVersion(**json.loads(metadata.read_text())))
        return found

    def get(self, name: str, version: int | None = None) -> ModelVersion:
        """One version of ``name``; the latest when ``version`` is None."""
        versions = self.versions(name)
        if not versions:
            raise ModelRegistryError(f"no model {name!r} in {self.root}")
        if version is None:
            return versions[-1]
        for candidate in versions:
            if candidate.version == version:
                return candidate
        known = ", ".join(str(v.version) for v in versions)
        raise ModelRegistryError(f"model {name!r} has no version {version}; it has {known}")

    def read_artefact(self, model: ModelVersion) -> bytes:
        """The artefact's bytes, checked against the hash recorded when it was registered."""
        data = (self._folder(model.name) / str(model.version) / ARTEFACT).read_bytes()
        if hashlib.sha256(data).hexdigest() != model.sha256:
            raise ModelRegistryError(
                f"model {model.name} version {model.version}: the artefact does not match its "
                "SHA-256; it was changed or damaged after registration"
            )
        return data
