"""pytest plugin for RJChronos plugins and core: kernels, databases, clients.

Fixtures:

``rjc_kernel_factory``
    Build a :class:`~rjchronos.kernel.Kernel` with only the plugins you name,
    entry-point autoloading off, a fresh migrated database and the inline
    job broker (jobs run as soon as they are enqueued).
``rjc_kernel``
    A kernel with the built-ins only.
``rjc_client_factory`` / ``rjc_client``
    A Starlette ``TestClient`` (the app's lifespan runs) authenticated as a
    user of the given role; ``rjc_client`` is an admin.
``rjc_cli``
    ``rjc_cli(command, *args)``: invoke a click command as ``rjchronos``
    would, on this test's home and database, without a configuration file.
``rjc_empty_database_url``
    A database without tables on the same backend (restores, migrate jobs).
``rjc_database_url``
    A fresh database for one test. Tests that use it (directly or through
    the fixtures above) run once per backend of ``--rjc-backends``
    (``sqlite`` by default; ``sqlite,postgresql`` in RJChronos's own suite).
    A test marked ``@pytest.mark.rjc_backends("postgresql")`` runs on those
    of its backends that were chosen (for what exists on one backend only).

PostgreSQL comes from ``RJC_TEST_DATABASE_URL`` (default
``postgresql://postgres@127.0.0.1:5432/postgres``): each test gets its own
database, cloned from a template migrated once per session. When the server
does not answer, the run stops with a message that says so; it never skips.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
BACKENDS = ("sqlite", "postgresql")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("rjchronos")
    group.addoption(
        "--rjc-backends",
        default=os.environ.get("RJC_TEST_BACKENDS", "sqlite"),
        help="comma-separated database backends persistence tests run on (sqlite,postgresql)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "rjc_backends(*names): run only on these database backends, when chosen"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "rjc_backend" in metafunc.fixturenames:
        chosen = [
            b.strip() for b in metafunc.config.getoption("--rjc-backends").split(",") if b.strip()
        ]
        unknown = set(chosen) - set(BACKENDS)
        if unknown:
            raise pytest.UsageError(f"--rjc-backends: unknown {sorted(unknown)}; use {BACKENDS}")
        marker = metafunc.definition.get_closest_marker("rjc_backends")
        if marker is not None:
            chosen = [b for b in chosen if b in marker.args]
        metafunc.parametrize("rjc_backend", chosen, scope="function")


def _admin_url() -> str:
    return os.environ.get("RJC_TEST_DATABASE_URL", DEFAULT_PG_URL)


class _PostgresTemplates:
    """Per-test PostgreSQL databases cloned from one migrated template."""

    def __init__(self) -> None:
        self.template: str | None = None
        self.created: list[str] = []

    def _connect(self) -> Any:
        import psycopg

        try:
            return psycopg.connect(_admin_url(), autocommit=True, connect_timeout=5)
        except psycopg.OperationalError as exc:
            pytest.exit(
                f"PostgreSQL is not answering at {_admin_url()}: {exc}\n"
                "Start it (make test-services), point RJC_TEST_DATABASE_URL at a server, "
                "or run only SQLite with --rjc-backends=sqlite.",
                returncode=3,
            )

    def url_for(self, database: str) -> str:
        from sqlalchemy.engine import make_url

        return make_url(_admin_url()).set(database=database).render_as_string(hide_password=False)

    def new_database(self, migrate: Callable[[str], None]) -> str:
        with self._connect() as connection:
            if self.template is None:
                name = f"rjc_tpl_{uuid.uuid4().hex[:12]}"
                connection.execute(f'CREATE DATABASE "{name}"')
                self.created.append(name)
                migrate(self.url_for(name))
                self.template = name
            database = f"rjc_t_{uuid.uuid4().hex[:12]}"
            connection.execute(f'CREATE DATABASE "{database}" TEMPLATE "{self.template}"')
            self.created.append(database)
        return self.url_for(database)

    def new_empty_database(self) -> str:
        with self._connect() as connection:
            database = f"rjc_e_{uuid.uuid4().hex[:12]}"
            connection.execute(f'CREATE DATABASE "{database}"')
            self.created.append(database)
        return self.url_for(database)

    def drop(self, database_url: str) -> None:
        from sqlalchemy.engine import make_url

        name = make_url(database_url).database
        with self._connect() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if name in self.created:
            self.created.remove(name)

    def close(self) -> None:
        if not self.created:
            return
        with self._connect() as connection:
            for name in reversed(self.created):
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _migrate_url(url: str, home: Path) -> None:
    from rjchronos.config import Settings
    from rjchronos.db.migrate import upgrade
    from rjchronos.kernel import Kernel

    kernel = Kernel(Settings(home=home, database_url=url, broker_url="inline:"), entrypoints=False)
    try:
        upgrade(kernel)
    finally:
        kernel.db.dispose()


@pytest.fixture(scope="session")
def _rjc_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    state: dict[str, Any] = {"postgres": _PostgresTemplates(), "sqlite": None}
    yield state
    state["postgres"].close()


@pytest.fixture
def rjc_backend() -> str:
    """The database backend of this test run (parametrised by ``--rjc-backends``)."""
    return "sqlite"


@pytest.fixture
def rjc_database_url(
    rjc_backend: str,
    _rjc_templates: dict[str, Any],
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    """A migrated database of its own for this test."""
    if rjc_backend == "postgresql":
        templates: _PostgresTemplates = _rjc_templates["postgres"]
        url = templates.new_database(lambda u: _migrate_url(u, tmp_path_factory.mktemp("tpl")))
        yield url
        templates.drop(url)
        return
    if _rjc_templates["sqlite"] is None:
        folder = tmp_path_factory.mktemp("sqlite-template")
        template = folder / "template.db"
        _migrate_url(f"sqlite:///{template}", folder)
        _rjc_templates["sqlite"] = template
    database = tmp_path / "rjchronos.db"
    shutil.copyfile(_rjc_templates["sqlite"], database)
    yield f"sqlite:///{database}"


@pytest.fixture
def rjc_empty_database_url(
    rjc_backend: str, _rjc_templates: dict[str, Any], tmp_path: Path
) -> Iterator[str]:
    """A database without any table on this test's backend (nothing migrated)."""
    if rjc_backend == "postgresql":
        templates: _PostgresTemplates = _rjc_templates["postgres"]
        url = templates.new_empty_database()
        yield url
        templates.drop(url)
        return
    folder = tmp_path / f"empty-{uuid.uuid4().hex[:8]}"
    folder.mkdir()
    yield f"sqlite:///{folder / 'rjchronos.db'}"


@pytest.fixture
def rjc_kernel_factory(rjc_database_url: str, tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """Build kernels on this test's database.

    ``factory(plugins={name: module}, plugin_settings={name: {...}}, **settings)``:
    ``plugins`` are plugin objects to register, ``plugin_settings`` their
    ``[plugins.<name>]`` settings, the rest :class:`~rjchronos.config.Settings` fields.
    """
    from rjchronos.config import Settings
    from rjchronos.db.migrate import upgrade
    from rjchronos.kernel import Kernel

    kernels: list[Any] = []

    def factory(
        plugins: Mapping[str, Any] | None = None,
        *,
        entrypoints: bool | list[str] = False,
        plugin_settings: Mapping[str, Mapping[str, Any]] | None = None,
        **settings: Any,
    ) -> Any:
        values: dict[str, Any] = {
            "home": tmp_path / "home",
            "database_url": rjc_database_url,
            "broker_url": "inline:",
            "secret_key": "",
            "plugins": dict(plugin_settings or {}),
        }
        values.update(settings)
        kernel = Kernel(Settings(**values), plugins=plugins, entrypoints=entrypoints)
        upgrade(kernel)
        kernels.append(kernel)
        return kernel

    yield factory
    for kernel in kernels:
        kernel.db.dispose()


@pytest.fixture
def rjc_cli(rjc_database_url: str, tmp_path: Path) -> Callable[..., Any]:
    """``rjc_cli(command, *args)``: click's ``Result`` of ``command`` run with ``args``.

    The command sees ``RJC_HOME`` = ``tmp_path / "home"``, this test's database
    and no configuration file (``RJC_CONFIG`` names a missing one).
    """
    from click.testing import CliRunner

    env = {
        "RJC_HOME": str(tmp_path / "home"),
        "RJC_DATABASE_URL": rjc_database_url,
        "RJC_CONFIG": str(tmp_path / "absent.toml"),
    }

    def invoke(command: Any, *args: str) -> Any:
        return CliRunner(env=env).invoke(command, list(args))

    return invoke


@pytest.fixture
def rjc_kernel(rjc_kernel_factory: Callable[..., Any]) -> Any:
    """A kernel with only the built-in plugins."""
    return rjc_kernel_factory()


@pytest.fixture
def rjc_client_factory(request: pytest.FixtureRequest) -> Iterator[Callable[..., Any]]:
    """``factory(role="admin", kernel=None)``: a TestClient signed in with a bearer token.

    Without ``kernel`` the client talks to ``rjc_kernel`` (built-ins only); ``role=None``
    gives an anonymous client.
    """
    from starlette.testclient import TestClient

    from rjchronos.security.tokens import issue_access_token
    from rjchronos.security.users import create_user

    clients: list[Any] = []
    counter = iter(range(1_000_000))

    def factory(role: str | None = "admin", kernel: Any = None, **user: Any) -> Any:
        kernel = kernel or request.getfixturevalue("rjc_kernel")
        client = TestClient(kernel.asgi(), base_url="http://127.0.0.1")
        client.__enter__()
        clients.append(client)
        if role is not None:
            username = user.pop("username", f"{role}-{next(counter)}")
            account = create_user(
                kernel,
                username,
                user.pop("password", "correct horse battery"),
                roles=(role,),
                **user,
            )
            token, _ = issue_access_token(kernel, account)
            client.headers["Authorization"] = f"Bearer {token}"
        return client

    yield factory
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def rjc_client(rjc_client_factory: Callable[..., Any]) -> Any:
    """A TestClient of a kernel with the built-ins, signed in as an admin."""
    return rjc_client_factory("admin")
