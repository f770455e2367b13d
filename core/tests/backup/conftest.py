"""A fresh restore target on the backend under test: an empty data directory and database."""

from __future__ import annotations

from pathlib import Path

import pytest

from rjchronos.config import Settings


@pytest.fixture
def fresh_target(tmp_path: Path, rjc_backend: str, rjc_empty_database_url: str) -> Settings:
    """Settings of a data directory and database that hold nothing yet."""
    home = tmp_path / "restored"
    database = (
        f"sqlite:///{home / 'rjchronos.db'}" if rjc_backend == "sqlite" else rjc_empty_database_url
    )
    return Settings(home=home, database_url=database, broker_url="inline:")
