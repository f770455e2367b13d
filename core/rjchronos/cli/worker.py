"""``rjchronos worker``: run jobs from the shared broker."""

from __future__ import annotations

import click

from rjchronos.cli.context import open_kernel, settings_from


@click.command("worker")
@click.option("--threads", type=int, default=4, show_default=True, help="Worker threads.")
@click.option("--queue", "queues", multiple=True, help="Only these queues (repeatable).")
@click.pass_context
def command(ctx: click.Context, threads: int, queues: tuple[str, ...]) -> None:
    """Run task workers against RJC_BROKER_URL (Redis or RabbitMQ) until interrupted."""
    settings = settings_from(ctx)
    if settings.embedded_broker:
        raise click.ClickException(
            "no broker configured: set RJC_BROKER_URL (redis://... or amqp://...); "
            "with the embedded broker `rjchronos serve` runs the jobs itself"
        )
    with open_kernel(settings) as kernel:
        kernel.jobs.run_worker(threads=threads, queues=queues or None)
