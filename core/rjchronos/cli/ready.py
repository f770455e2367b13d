"""``rjchronos ready``: the readiness check as an exit status, for exec probes."""

from __future__ import annotations

import json

import click

from rjchronos.cli.context import open_kernel, settings_from


@click.command("ready")
@click.option(
    "--url",
    help="Ask a running server instead (its /readyz or /healthz URL): ready when it answers 200.",
)
@click.option("--timeout", type=float, default=5.0, show_default=True, help="Seconds to wait.")
@click.pass_context
def command(ctx: click.Context, url: str | None, timeout: float) -> None:
    """Exit 0 when RJChronos can serve, 1 when it cannot; print what was checked.

    Without --url: the database answers, its migrations are current and the
    broker answers, with this process's settings (as `rjchronos worker` would
    use them). With --url: the server at that URL answers 200, which needs
    no HTTP client in the image.
    """
    if url:
        _probe_url(url, timeout)
        return
    from rjchronos.health import readiness

    with open_kernel(settings_from(ctx)) as kernel:
        ready, checks = readiness(kernel)
    click.echo(json.dumps({"ready": ready, "checks": checks}, sort_keys=True))
    ctx.exit(0 if ready else 1)


def _probe_url(url: str, timeout: float) -> None:
    import httpx

    if not url.startswith(("http://", "https://")):
        raise click.ClickException(f"--url: {url!r} is not an http:// or https:// URL")
    try:
        response = httpx.get(url, timeout=timeout)
    except httpx.HTTPError as exc:
        click.echo(f"not ready: {url}: {type(exc).__name__}", err=True)
        raise SystemExit(1) from None
    click.echo(f"{url}: {response.status_code}")
    if response.status_code != 200:
        raise SystemExit(1)
