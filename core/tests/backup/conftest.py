"""Fresh restore targets on the backend under test: an empty data directory and database."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from rjchronos.config import Settings

ADMIN_URL = os.environ.get("RJC_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture
def empty_database(rjc_backend: str, tmp_path: Path) -> Iterator[Callable[[Path], str]]:
    """``empty_database(home)``: the URL of a database without tables for a restore."""
    created: list[str] = []

    def make(home: Path) -> str:
        if rjc_backend == "sqlite":
            return f"sqlite:///{home / 'rjchronos.db'}"
        name = f"rjc_restore_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    yield make
    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        for name in created:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def fresh_target(tmp_path: Path, empty_database: Callable[[Path], str]) -> Settings:
    """Settings of a data directory and database that hold nothing yet."""
    home = tmp_path / "restored"
    return Settings(home=home, database_url=empty_database(home), broker_url="inline:")
