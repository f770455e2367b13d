"""The scratch PostgreSQL database each benchmark runs on; not a benchmark itself."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from sqlalchemy.engine import make_url

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def admin_url() -> str:
    """``RJC_BENCH_DATABASE_URL``, else ``RJC_TEST_DATABASE_URL``, else the local server."""
    return os.environ.get(
        "RJC_BENCH_DATABASE_URL", os.environ.get("RJC_TEST_DATABASE_URL", DEFAULT_ADMIN_URL)
    )


@contextmanager
def scratch_database() -> Iterator[str]:
    """Creates ``rjc_bench_<hex>`` on the admin URL's server and yields its URL.

    The database is dropped ``WITH (FORCE)`` afterwards, also when the block raises.
    """
    database = f"rjc_bench_{uuid.uuid4().hex[:10]}"
    url = make_url(admin_url()).set(database=database).render_as_string(hide_password=False)
    with psycopg.connect(admin_url(), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{database}"')
    try:
        yield url
    finally:
        with psycopg.connect(admin_url(), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
