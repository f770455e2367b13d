"""``rjchronos backup`` and ``rjchronos restore`` from the command line, audited."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from click.testing import CliRunner

from rjchronos.cli.main import cli
from rjchronos.config import Settings
from rjchronos.kernel import Kernel


def run(home: Path, database_url: str, *args: str) -> Any:
    env = {
        "RJC_HOME": str(home),
        "RJC_DATABASE_URL": database_url,
        "RJC_AUTOLOAD_PLUGINS": "false",
        "RJC_CONFIG": str(home.parent / "absent.toml"),
    }
    return CliRunner(env=env).invoke(cli, list(args), catch_exceptions=False)


def last_actions(home: Path, database_url: str, count: int = 3) -> list[dict[str, Any]]:
    kernel = Kernel(Settings(home=home, database_url=database_url), entrypoints=False)
    try:
        return list(kernel.audit.tail(count))
    finally:
        kernel.db.dispose()


def test_backup_and_restore_commands_are_audited(
    rjc_database_url: str, fresh_target: Settings, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    passphrase = tmp_path / "passphrase"
    passphrase.write_text("twelve chars or more\n")
    archive = tmp_path / "out.rjcbak"
    made = run(home, rjc_database_url, "backup", str(archive), "--passphrase-file", str(passphrase))
    assert made.exit_code == 0, made.output
    entry = last_actions(home, rjc_database_url)[-1]
    assert entry["action"] == "backup.create"
    assert entry["params"]["encrypted"] is True
    assert entry["result"] == "ok"

    refused = run(home, rjc_database_url, "backup", str(archive))
    assert refused.exit_code == 1 and "exists" in refused.output
    failed = last_actions(home, rjc_database_url)[-1]
    assert failed["action"] == "backup.create" and "exists" in failed["result"]

    short = tmp_path / "short"
    short.write_text("short\n")
    weak = run(
        home, rjc_database_url, "backup", str(tmp_path / "x"), "--passphrase-file", str(short)
    )
    assert weak.exit_code == 1 and "at least 12 characters" in weak.output

    restored = run(
        Path(fresh_target.home),
        fresh_target.database,
        "restore",
        str(archive),
        "--passphrase-file",
        str(passphrase),
    )
    assert restored.exit_code == 0, restored.output
    entry = last_actions(Path(fresh_target.home), fresh_target.database)[-1]
    assert entry["action"] == "backup.restore"
    assert entry["params"]["forced"] is False
