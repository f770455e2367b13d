"""The runnable examples of the docs, run in order against a real server on 127.0.0.1.

A fenced ``python`` block right after a ``<!-- runnable -->`` line is an example the
tests run; the blocks of one page share their variables, as a reader's session would.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from rjchronos.security.users import create_user
from rjchronos_sdk.testing import serve_asgi

DOCS = Path(__file__).resolve().parents[1] / "docs"
RUNNABLE = re.compile(r"<!-- runnable -->\s*\n```python\n(.*?)```", re.DOTALL)
PAGES = ["api.md"]


def examples(page: str) -> list[str]:
    return RUNNABLE.findall((DOCS / page).read_text())


def test_the_pages_have_runnable_examples() -> None:
    assert len(examples("api.md")) >= 6


@pytest.mark.parametrize("page", PAGES)
def test_examples_run_against_a_live_server(page: str, rjc_kernel_factory: Any) -> None:
    kernel = rjc_kernel_factory(entrypoints=["acs-tr069", "olt-manager"])
    create_user(kernel, "noc", "correct horse battery staple", roles=("admin",))
    with serve_asgi(kernel.asgi()) as base:
        scope: dict[str, Any] = {
            "BASE_URL": base,
            "USERNAME": "noc",
            "PASSWORD": "correct horse battery staple",
        }
        for number, code in enumerate(examples(page), start=1):
            try:
                exec(compile(code, f"{page} example {number}", "exec"), scope)
            except Exception as exc:
                raise AssertionError(f"{page}, example {number} failed: {exc!r}\n{code}") from exc
