"""ZXAN/TITAN outputs written for these tests (see data/README.md for what each mirrors)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture
def capture() -> Callable[[str], str]:
    return lambda name: (DATA / name).read_text()
