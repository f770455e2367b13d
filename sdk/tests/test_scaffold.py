"""``rjchronos-sdk new``: the generated packages install and pass their own tests unchanged."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from rjchronos_sdk.cli import main
from rjchronos_sdk.scaffold import KINDS, ScaffoldError, create_plugin, plugin_names


def test_names_follow_the_layout_convention() -> None:
    names = plugin_names("sms", "notify")
    assert names.name == "notify-sms"
    assert names.distribution == "rjchronos-notify-sms"
    assert names.package == "rjchronos_notify_sms"
    assert names.permission == "notify_sms.read"
    assert names.settings_env == "RJC_PLUGIN__NOTIFY_SMS__"
    assert 'sms = "rjchronos_notify_sms.notifier:SmsNotifier"' in names.driver_entry_points
    assert plugin_names("notify-sms", "notify").name == "notify-sms"
    assert plugin_names("acme-portal", "generic").driver_entry_points == ""
    assert plugin_names("big-olt", "olt").title == "BigOlt"


@pytest.mark.parametrize("bad", ["Acme", "9lives", "acme_portal", "acme--portal", "acme-", ""])
def test_bad_names_are_refused_with_the_rule(bad: str) -> None:
    with pytest.raises(ScaffoldError, match="lowercase letters and digits"):
        plugin_names(bad, "generic")


def test_an_existing_folder_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "acme").mkdir()
    (tmp_path / "acme" / "keep.txt").write_text("mine")
    result = CliRunner().invoke(main, ["new", "acme", "--dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "already exists" in result.output
    assert (tmp_path / "acme" / "keep.txt").read_text() == "mine"


def test_cli_creates_the_package(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["new", "sms", "--kind", "notify", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    root = tmp_path / "notify-sms"
    assert "created rjchronos-notify-sms" in result.output
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) == [
        "README.md",
        "pyproject.toml",
        "rjchronos_notify_sms/__init__.py",
        "rjchronos_notify_sms/notifier.py",
        "rjchronos_notify_sms/plugin.py",
        "tests/test_notifier.py",
        "tests/test_plugin.py",
    ]
    assert "$" not in (root / "rjchronos_notify_sms" / "plugin.py").read_text()


@pytest.fixture(scope="module")
def plugin_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A throwaway venv (with pip) that also sees the workspace's installed packages."""
    root = tmp_path_factory.mktemp("plugin-venv")
    venv.EnvBuilder(with_pip=True).create(root)
    python = root / "bin" / "python"
    site_packages = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # addsitedir, not a bare path: the workspace's own .pth files (its editable installs) run too.
    workspace = sysconfig.get_paths()["purelib"]
    (Path(site_packages) / "_rjchronos_workspace.pth").write_text(
        f"import site; site.addsitedir({workspace!r})\n"
    )
    return python


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "VIRTUAL_ENV"))}
    env["PIP_NO_INDEX"] = "1"
    return env


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield tmp_path_factory.mktemp("generated")


@pytest.mark.parametrize("kind", KINDS)
def test_generated_plugin_installs_and_passes_its_tests(
    kind: str, plugin_venv: Path, generated: Path, request: pytest.FixtureRequest
) -> None:
    created = create_plugin("acme", kind=kind, parent=generated)
    pip: list[str | Path] = [
        plugin_venv,
        "-m",
        "pip",
        "install",
        "--no-deps",
        "--no-build-isolation",
    ]
    install = subprocess.run(
        [*pip, "-e", created.path],
        capture_output=True,
        text=True,
        env=_clean_env(),
        timeout=240,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    backends = request.config.getoption("--rjc-backends")
    tests = subprocess.run(
        [plugin_venv, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--rjc-backends={backends}"],
        cwd=created.path,
        capture_output=True,
        text=True,
        env=_clean_env(),
        timeout=600,
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert " passed" in tests.stdout and "skipped" not in tests.stdout, tests.stdout


@pytest.mark.parametrize("kind", KINDS)
def test_generated_code_is_lint_clean(kind: str, tmp_path: Path) -> None:
    # Generated into plugins/, a package is linted by `make lint` with its own ruff settings.
    created = create_plugin("telegram", kind=kind, parent=tmp_path)
    ruff = str(Path(sys.executable).parent / "ruff")
    for command in ([ruff, "check", "."], [ruff, "format", "--check", "."]):
        result = subprocess.run(command, cwd=created.path, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


def test_workspace_python_is_not_touched() -> None:
    # The generated plugins went into the throwaway venv only.
    found = subprocess.run(
        [sys.executable, "-c", "import importlib.util as u; print(u.find_spec('rjchronos_acme'))"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert found.stdout.strip() == "None"
