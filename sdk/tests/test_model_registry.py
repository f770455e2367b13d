"""The model registry on a real directory: versions, metadata, integrity, bad input."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from rjchronos_sdk.models import ModelRegistry, ModelRegistryError

START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2026, 2, 1, tzinfo=UTC)


def test_versions_count_up_and_keep_their_metadata(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path)
    first = registry.register(
        "rx-forecast",
        b"weights-1",
        analyzer="torch-forecast",
        seed=7,
        trained_from=START,
        trained_to=END,
        metrics={"nab_standard": 61.2},
        params={"hidden": 32},
    )
    second = registry.register("rx-forecast", b"weights-2", analyzer="torch-forecast", seed=8)
    assert (first.version, second.version) == (1, 2)
    reopened = ModelRegistry(tmp_path)
    assert reopened.names() == ["rx-forecast"]
    assert [v.version for v in reopened.versions("rx-forecast")] == [1, 2]
    assert reopened.get("rx-forecast") == second
    stored = reopened.get("rx-forecast", 1)
    assert stored == first
    assert (stored.seed, stored.trained_from, stored.trained_to) == (
        7,
        "2026-01-01T00:00:00+00:00",
        "2026-02-01T00:00:00+00:00",
    )
    assert stored.metrics == {"nab_standard": 61.2} and stored.params == {"hidden": 32}
    assert reopened.read_artefact(stored) == b"weights-1"


def test_an_interrupted_version_is_not_listed_nor_reused(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path)
    registry.register("m", b"one", analyzer="a")
    (tmp_path / "m" / "2").mkdir()  # artefact never finished: no model.json
    assert [v.version for v in registry.versions("m")] == [1]
    assert registry.register("m", b"three", analyzer="a").version == 3


def test_a_changed_artefact_is_refused(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path)
    model = registry.register("m", b"good", analyzer="a")
    (tmp_path / "m" / "1" / "artefact").write_bytes(b"evil")
    with pytest.raises(ModelRegistryError, match="does not match its SHA-256"):
        registry.read_artefact(model)


def test_bad_input_is_named(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path)
    for name in ("../etc", "Upper", "", "a/b"):
        with pytest.raises(ModelRegistryError, match="model name"):
            registry.register(name, b"x", analyzer="a")
    with pytest.raises(ModelRegistryError, match="timezone-aware"):
        registry.register("m", b"x", analyzer="a", trained_from=datetime(2026, 1, 1))
    with pytest.raises(ModelRegistryError, match="before trained_from"):
        registry.register("m", b"x", analyzer="a", trained_from=END, trained_to=START)
    with pytest.raises(ModelRegistryError, match="no model 'm'"):
        registry.get("m")
    assert not (tmp_path / "m").exists()
    registry.register("m", b"x", analyzer="a")
    with pytest.raises(ModelRegistryError, match="has no version 5; it has 1"):
        registry.get("m", 5)
    assert not (tmp_path / "etc").exists()
