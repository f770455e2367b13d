"""``rjchronos serve``: UI, API, protocol listeners and the in-process worker."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import click
import uvicorn
from sqlalchemy.exc import SQLAlchemyError

from rjchronos.cli.context import open_kernel, settings_from
from rjchronos.config import ROLES, Settings

log = logging.getLogger(__name__)


class _ServeCommand(click.Command):
    """``serve`` with the options that plugins add through ``rjc_serve_options``."""

    _plugin_options: list[click.Option] | None = None

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        if self._plugin_options is None:
            self._plugin_options = plugin_serve_options()
        return [*super().get_params(ctx), *self._plugin_options]


def plugin_serve_options() -> list[click.Option]:
    """Options plugins add to ``serve`` (loaded from the installed plugins)."""
    from rjchronos import __version__
    from rjchronos.builtin import BUILTIN_PLUGINS
    from rjchronos.config import load_settings
    from rjchronos.plugins import PluginHost

    try:
        settings = load_settings()
    except ValueError:
        return []
    host = PluginHost(core_version=__version__, blocked=settings.blocked_plugins)
    host.load_builtins(BUILTIN_PLUGINS)
    if settings.autoload_plugins:
        host.load_entrypoints()
    return [
        option
        for _, options in host.results_with_plugins("rjc_serve_options")
        for option in options
    ]


@click.command("serve", cls=_ServeCommand)
@click.option("--host", help="Address to listen on [RJC_HOST, default 127.0.0.1].")
@click.option("--port", type=int, help="UI and API port [RJC_PORT, default 8000].")
@click.option(
    "--role", type=click.Choice(ROLES), help="all: UI, API, protocols and worker; api; acs."
)
@click.option(
    "--no-migrate",
    is_flag=True,
    help="Do not apply database migrations at start; wait until another process has "
    "(rjchronos db upgrade, the migrate job).",
)
@click.option(
    "--migrate-wait",
    type=click.IntRange(min=0),
    default=300,
    show_default=True,
    help="With --no-migrate: seconds to wait for the schema to be current before giving up.",
)
@click.pass_context
def command(
    ctx: click.Context,
    host: str | None,
    port: int | None,
    role: str | None,
    no_migrate: bool,
    migrate_wait: int,
    **plugin_options: Any,
) -> None:
    """Serve RJChronos. Starts no simulators: `rjchronos demo` does that."""
    settings = settings_from(ctx, host=host, port=port, role=role)
    options = {k: v for k, v in plugin_options.items() if v is not None}
    settings = settings.with_overrides(options={**settings.options, **options})
    run_server(settings, migrate=not no_migrate, migrate_wait=migrate_wait)


def run_server(
    settings: Settings, *, migrate: bool = True, migrate_wait: float = 300, extra_tasks: Any = ()
) -> None:
    """Run the servers of ``settings.role`` until interrupted.

    :param migrate: apply pending migrations first; otherwise wait up to
        ``migrate_wait`` seconds for another process to apply them.
    """
    from rjchronos.db.migrate import upgrade
    from rjchronos.security.users import ensure_first_admin

    with open_kernel(settings) as kernel:
        if migrate:
            upgrade(kernel)
        else:
            wait_for_schema(kernel, migrate_wait)
        password = ensure_first_admin(kernel)
        if password:
            click.secho(
                f"First administrator created: user 'admin', password '{password}' "
                "(shown once; change it after signing in).",
                fg="yellow",
                bold=True,
            )
        asyncio.run(_serve(kernel, settings, extra_tasks))


def wait_for_schema(kernel: Any, timeout: float, interval: float = 2.0) -> None:
    """Return once every installed migration history is at its head; give up after ``timeout``."""
    from rjchronos.health import pending_migrations

    deadline = time.monotonic() + timeout
    told = False
    while True:
        try:
            pending = pending_migrations(kernel)
        except SQLAlchemyError as exc:
            pending = {f"database unavailable: {type(exc).__name__}"}
        if not pending:
            return
        if time.monotonic() >= deadline:
            raise click.ClickException(
                "the database schema is not current; run `rjchronos db upgrade` "
                "(the migrate job) or start serve without --no-migrate"
            )
        if not told:
            click.echo("waiting for the database schema to be migrated (rjchronos db upgrade)")
            told = True
        time.sleep(interval)


def endpoint_config(
    declared: Any, kernel: Any, host: str, port: int, log_level: str = "info"
) -> uvicorn.Config:
    """The uvicorn configuration of a ``ProtocolEndpoint`` (HTTPS when it names a certificate).

    The listener answers ``GET /healthz`` and ``/readyz`` like the API does.
    """
    from rjchronos.health import WithProbes

    tls = bool(declared.certfile and declared.keyfile)
    return uvicorn.Config(
        WithProbes(declared.app_factory(kernel), kernel),
        host=host,
        port=port,
        lifespan="off",
        log_level=log_level,
        ssl_certfile=declared.certfile if tls else None,
        ssl_keyfile=declared.keyfile if tls else None,
    )


async def _serve(kernel: Any, settings: Settings, extra_tasks: Any) -> None:
    servers: list[uvicorn.Server] = []
    log_level = logging.getLevelName(logging.getLogger().level).lower()
    if settings.role in ("all", "api"):
        config = uvicorn.Config(
            kernel.asgi(lifespan=False),
            host=settings.host,
            port=settings.port,
            lifespan="off",
            log_level=log_level,
            proxy_headers=True,
        )
        servers.append(uvicorn.Server(config))
        click.echo(f"RJChronos UI and API on http://{settings.host}:{settings.port}/")
    for endpoint in kernel.hook.rjc_protocol_endpoints(kernel=kernel):
        for declared in endpoint:
            if settings.role not in ("all", declared.name):
                continue
            port = int(settings.options.get(declared.port_option) or declared.default_port)
            config = endpoint_config(declared, kernel, settings.host, port, log_level)
            servers.append(uvicorn.Server(config))
            tls = " (HTTPS)" if config.ssl_certfile else ""
            click.echo(f"{declared.name} listener on {settings.host}:{port}{tls}")
    await kernel.start()
    try:
        await asyncio.gather(*(server.serve() for server in servers), *extra_tasks)
    finally:
        await kernel.stop()
