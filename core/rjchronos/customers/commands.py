"""``rjchronos customers``: import a CSV file from the command line."""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from rjchronos.cli.context import open_kernel, settings_from
from rjchronos.customers.importing import ImportFileError, import_records, read_csv
from rjchronos.customers.lgpd import retention_cutoff
from rjchronos.db.migrate import upgrade


@click.group("customers")
def command() -> None:
    """Customers: import from a CSV export of the ERP."""


@command.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--encoding", default="utf-8", show_default=True, help="The file's text encoding.")
@click.option("--atomic", is_flag=True, help="Apply nothing when any row is rejected.")
@click.option("--json", "as_json", is_flag=True, help="Print the whole report as JSON.")
@click.pass_context
def import_command(
    ctx: click.Context, file: Path, encoding: str, atomic: bool, as_json: bool
) -> None:
    """Create or update customers from FILE (the columns of docs/customers.md), by external_id."""
    try:
        text = file.read_text(encoding=encoding)
    except (LookupError, UnicodeDecodeError) as exc:
        raise click.ClickException(
            f"{file} is not {encoding} text ({exc}); pass --encoding"
        ) from exc
    total = max(text.count("\n") - 1, 1)
    with open_kernel(settings_from(ctx)) as kernel:
        upgrade(kernel)
        with Progress(
            TextColumn("checking rows"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            transient=True,
            disable=as_json,
        ) as progress:
            task = progress.add_task("rows", total=total)

            def counted() -> Iterator[tuple[int, dict[str, Any]]]:
                for row in read_csv(text):
                    progress.advance(task)
                    yield row

            try:
                with kernel.db.session() as session:
                    report = import_records(
                        session, counted(), atomic=atomic, retention_before=retention_cutoff(kernel)
                    )
            except ImportFileError as exc:
                raise click.ClickException(f"{file}: {exc}") from exc
        kernel.audit.record(
            actor=f"cli:{getpass.getuser()}",
            action="customers.import",
            target="customers",
            params={"file": file.name, "atomic": atomic, **report.counts()},
            result="ok" if report.applied else "rejected",
        )
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2, default=str))
    else:
        counts = ", ".join(
            f"{value} {name.replace('_', ' ')}" for name, value in report.counts().items()
        )
        click.echo(f"{file.name}: {counts}{'' if report.applied else ' (nothing applied)'}")
        for rejected in report.rejected[:20]:
            reasons = "; ".join(f"{e['field']}: {e['reason']}" for e in rejected["errors"])
            click.echo(f"  row {rejected['row']}: {reasons}", err=True)
    if report.rejected:
        ctx.exit(1)
