"""Keep the plugin contract honest: every hook documented, tested and in the dummy plugin."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from rjchronos import hookspecs

ROOT = Path(__file__).resolve().parents[1]
HOOKS_DOC = ROOT / "docs" / "hooks.md"
HOOKS = sorted(
    name
    for name, value in vars(hookspecs).items()
    if name.startswith("rjc_") and inspect.isfunction(value)
)


def _sections() -> dict[str, str]:
    """The text of each ``### rjc_*`` section of docs/hooks.md, by hook name."""
    text = HOOKS_DOC.read_text(encoding="utf-8")
    parts = re.split(r"^### (rjc_\w+)\s*$", text, flags=re.MULTILINE)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def _test_files() -> list[Path]:
    folders = [ROOT / "tests", ROOT / "core" / "tests", ROOT / "sdk" / "tests"]
    folders += sorted(ROOT.glob("examples/*/tests")) + sorted(ROOT.glob("plugins/*/tests"))
    this = Path(__file__).resolve()
    return [
        path
        for folder in folders
        for path in sorted(folder.rglob("test_*.py"))
        if path.resolve() != this
    ]


def test_the_hookspec_module_declares_hooks() -> None:
    assert len(HOOKS) >= 20
    assert all(hasattr(getattr(hookspecs, name), "rjchronos_spec") for name in HOOKS)


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_documented(hook: str) -> None:
    sections = _sections()
    assert hook in sections, f"{hook} has no '### {hook}' section in docs/hooks.md"
    section = sections[hook]
    signature = inspect.signature(getattr(hookspecs, hook))
    arguments = ", ".join(f"{p.name}: {p.annotation}" for p in signature.parameters.values())
    shown = f"{hook}({arguments}) -> {signature.return_annotation}"
    assert shown in section, f"docs/hooks.md should show the signature {shown}"
    assert "**Async:**" in section, f"docs/hooks.md does not say whether {hook} may be async"
    assert "**First result:**" in section, f"docs/hooks.md does not say whether {hook} stops early"
    assert re.search(rf"@hookimpl\n(async )?def {hook}\(", section), f"no example of {hook}"
    table = HOOKS_DOC.read_text(encoding="utf-8")
    assert f"[`{hook}`](#{hook})" in table, f"{hook} is missing from the table of docs/hooks.md"


def test_no_hook_is_documented_that_does_not_exist() -> None:
    assert sorted(_sections()) == HOOKS


def test_async_hooks_are_documented_as_such() -> None:
    sections = _sections()
    for hook in HOOKS:
        says_async = "**Async:** may be `async def`" in sections[hook]
        assert says_async == (hook in hookspecs.ASYNC_HOOKS), hook


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_test(hook: str) -> None:
    # The name as a word; underscores may join it to a test's name (test_rjc_startup_runs...).
    pattern = re.compile(rf"(?<![A-Za-z0-9]){hook}(?![A-Za-z0-9])")
    testing = [path for path in _test_files() if pattern.search(path.read_text(encoding="utf-8"))]
    assert testing, f"no test file mentions {hook}: add a test that shows its results reach core"


def test_the_dummy_plugin_implements_every_hook() -> None:
    import importlib.util

    path = ROOT / "tests" / "dummy_plugin.py"
    spec = importlib.util.spec_from_file_location("dummy_plugin_contract", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    implemented = sorted(
        name
        for name, value in vars(module).items()
        if name.startswith("rjc_") and hasattr(value, "rjchronos_impl")
    )
    assert implemented == HOOKS
