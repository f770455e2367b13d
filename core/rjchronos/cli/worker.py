"""``rjchronos worker``: run jobs from the shared broker."""

from __future__ import annotations

import asyncio

import click

from rjchronos.cli.context import open_kernel, settings_from
from rjchronos.cli.serve import wait_for_schema
from rjchronos.jobs.errors import BrokerUnavailable


@click.command("worker")
@click.option(
    "--threads", type=click.IntRange(min=1), default=4, show_default=True, help="Worker threads."
)
@click.option("--queue", "queues", multiple=True, help="Only these queues (repeatable).")
@click.option(
    "--migrate-wait",
    type=click.IntRange(min=0),
    default=300,
    show_default=True,
    help="Seconds to wait for the database schema to be migrated (rjchronos db upgrade).",
)
@click.pass_context
def command(ctx: click.Context, threads: int, queues: tuple[str, ...], migrate_wait: int) -> None:
    """Run task workers against RJC_BROKER_URL (Redis or RabbitMQ) until interrupted.

    Workers also reconcile unfinished jobs and enqueue due schedules, so any
    number of them can run on any number of machines. Workers never migrate:
    they wait until `rjchronos db upgrade` has.
    """
    settings = settings_from(ctx)
    if settings.embedded_broker:
        raise click.ClickException(
            "no broker configured: set RJC_BROKER_URL (redis://... or amqp://...); "
            "with the embedded broker `rjchronos serve` runs the jobs itself"
        )
    with open_kernel(settings) as kernel:
        try:
            if kernel.jobs.kind not in ("redis", "amqp"):
                raise click.ClickException(
                    "rjchronos worker needs a redis:// or amqp:// broker, "
                    f"not {settings.broker_url!r}"
                )
            kernel.jobs.ping()
        except BrokerUnavailable as exc:
            raise click.ClickException(str(exc)) from exc
        wait_for_schema(kernel, migrate_wait)
        asyncio.run(kernel.start())
        try:
            kernel.jobs.run_worker(threads=threads, queues=queues or None)
        finally:
            asyncio.run(kernel.stop())
