"""Captured SmartAX outputs: ntc-templates' test data (Apache-2.0, data/LICENSE.ntc-templates)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


def read_capture(folder: str, name: str = "*") -> str:
    """The one capture in ``data/<folder>`` whose name matches ``name``."""
    files = sorted((DATA / folder).glob(f"{name}.raw"))
    assert len(files) == 1, files
    return files[0].read_text()


@pytest.fixture
def capture() -> Callable[..., str]:
    return read_capture
