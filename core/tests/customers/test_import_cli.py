"""``rjchronos customers import``: the same import as the API, from a file, audited."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from click.testing import CliRunner
from sqlmodel import select

from rjchronos.cli.main import cli
from rjchronos.config import Settings
from rjchronos.customers.models import Customer
from rjchronos.kernel import Kernel

CSV = """external_id,name,document,email,plan,plan_download_mbps,plan_upload_mbps
ERP-1,Ana Souza,529.982.247-25,ana@example.com,Fibra 300,300,150
ERP-2,Bruno Costa,123.456.789-00,bruno@example.com,Fibra 300,,
"""


def run(database_url: str, tmp_path: Path, *args: str) -> Any:
    env = {
        "RJC_HOME": str(tmp_path / "home"),
        "RJC_DATABASE_URL": database_url,
        "RJC_AUTOLOAD_PLUGINS": "false",
        "RJC_CONFIG": str(tmp_path / "absent.toml"),
    }
    return CliRunner(env=env).invoke(cli, list(args), catch_exceptions=False)


def test_import_applies_good_rows_names_bad_ones_and_is_audited(
    rjc_database_url: str, tmp_path: Path
) -> None:
    file = tmp_path / "clientes.csv"
    file.write_text(CSV, encoding="utf-8")
    result = run(rjc_database_url, tmp_path, "customers", "import", str(file))
    assert result.exit_code == 1
    assert "clientes.csv: 1 created" in result.output
    assert "1 rejected" in result.output
    assert "row 3: document:" in result.output

    kernel = Kernel(
        Settings(home=tmp_path / "home", database_url=rjc_database_url), entrypoints=False
    )
    try:
        with kernel.db.session() as session:
            names = [c.name for c in session.exec(select(Customer)).all()]
        assert names == ["Ana Souza"]
        entry = kernel.audit.tail(1)[0]
        assert entry["action"] == "customers.import"
        assert entry["params"]["created"] == 1
        assert entry["params"]["rejected"] == 1
    finally:
        kernel.db.dispose()


def test_atomic_import_applies_nothing(rjc_database_url: str, tmp_path: Path) -> None:
    file = tmp_path / "clientes.csv"
    file.write_text(CSV, encoding="utf-8")
    result = run(rjc_database_url, tmp_path, "customers", "import", "--atomic", str(file))
    assert result.exit_code == 1
    assert "(nothing applied)" in result.output
    kernel = Kernel(
        Settings(home=tmp_path / "home", database_url=rjc_database_url), entrypoints=False
    )
    try:
        with kernel.db.session() as session:
            assert session.exec(select(Customer)).all() == []
    finally:
        kernel.db.dispose()


def test_a_file_in_the_wrong_encoding_is_a_clear_error(
    rjc_database_url: str, tmp_path: Path
) -> None:
    file = tmp_path / "latin1.csv"
    file.write_bytes("external_id,name\nERP-1,João\n".encode("latin-1"))
    result = CliRunner().invoke(
        cli, ["--database-url", rjc_database_url, "customers", "import", str(file)]
    )
    assert result.exit_code == 1
    assert "is not utf-8 text" in result.output
    assert "--encoding" in result.output
