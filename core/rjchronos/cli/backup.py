"""``rjchronos backup`` and ``rjchronos restore``."""

from __future__ import annotations

import getpass
from pathlib import Path

import click

from rjchronos.cli.context import open_kernel, settings_from

_ENCRYPTION_HELP = (
    "File whose first line is the passphrase that encrypts the archive (AES-256-GCM, scrypt). "
    "Without it the archive, and the secrets key inside it, are stored unencrypted."
)
_PG_BIN_HELP = "Folder of pg_dump/pg_restore (default: the server's major version's client)."


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def read_passphrase(path: str | None) -> bytes | None:
    """The first line of ``path``; at least 12 characters."""
    if path is None:
        return None
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    passphrase = lines[0] if lines else ""
    if len(passphrase) < 12:
        raise click.ClickException(f"{path}: the passphrase must be at least 12 characters")
    return passphrase.encode("utf-8")


@click.command("backup")
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--passphrase-file", type=click.Path(exists=True, dir_okay=False), help=_ENCRYPTION_HELP
)
@click.option("--pg-bin", type=click.Path(file_okay=False), help=_PG_BIN_HELP)
@click.pass_context
def backup_command(
    ctx: click.Context, output: Path, passphrase_file: str | None, pg_bin: str | None
) -> None:
    """Write a backup of the database, telemetry, firmware files and secrets key to OUTPUT.

    Safe while the servers run: the database is read as one consistent
    snapshot (SQLite's online backup, or pg_dump of the server's version).
    """
    from rjchronos.backup import BackupError, create_backup

    passphrase = read_passphrase(passphrase_file)
    with open_kernel(settings_from(ctx)) as kernel:
        try:
            manifest = create_backup(kernel, output, passphrase=passphrase, pg_bin=pg_bin)
        except BackupError as exc:
            kernel.audit.record(
                actor=_actor(), action="backup.create", target=str(output), result=str(exc)
            )
            raise click.ClickException(str(exc)) from exc
        kernel.audit.record(
            actor=_actor(),
            action="backup.create",
            target=str(output.resolve()),
            params={
                "backend": manifest.backend,
                "files": len(manifest.files),
                "encrypted": passphrase is not None,
            },
        )
    click.echo(
        f"backup written to {output}: {manifest.backend} database, {len(manifest.files)} files"
        + (", encrypted" if passphrase else "")
    )
    if passphrase is None:
        click.secho(
            "warning: the archive is not encrypted and holds the secrets key; keep it private "
            "or use --passphrase-file",
            fg="yellow",
            err=True,
        )


@click.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--passphrase-file",
    type=click.Path(exists=True, dir_okay=False),
    help="File whose first line is the archive's passphrase.",
)
@click.option(
    "--force", is_flag=True, help="Overwrite a data directory or database that is not empty."
)
@click.option("--pg-bin", type=click.Path(file_okay=False), help=_PG_BIN_HELP)
@click.pass_context
def restore_command(
    ctx: click.Context,
    archive: Path,
    passphrase_file: str | None,
    force: bool,
    pg_bin: str | None,
) -> None:
    """Restore ARCHIVE into the data directory and database of --home / --database-url.

    Every checksum is verified before anything is written; a target that
    holds data is refused unless --force. Migrations run afterwards, so an
    archive of an older version is brought up to this one.
    """
    from rjchronos.backup import BackupError, restore_backup
    from rjchronos.db.migrate import upgrade

    settings = settings_from(ctx)
    passphrase = read_passphrase(passphrase_file)
    try:
        result = restore_backup(
            settings, archive, passphrase=passphrase, force=force, pg_bin=pg_bin
        )
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    manifest = result.manifest
    with open_kernel(settings) as kernel:
        upgrade(kernel)
        kernel.audit.record(
            actor=_actor(),
            action="backup.restore",
            target=str(archive.resolve()),
            params={
                "created": manifest.created,
                "version": manifest.version,
                "backend": manifest.backend,
                "files": len(manifest.files),
                "forced": force,
            },
        )
    for note in result.notes:
        click.secho(f"note: {note}", fg="yellow", err=True)
    click.echo(
        f"restored the backup of {manifest.created} (RJChronos {manifest.version}, "
        f"{len(manifest.files)} files) and migrated the database"
    )
