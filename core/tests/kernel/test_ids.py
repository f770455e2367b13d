"""Identifiers are unique and sort by creation time."""

from __future__ import annotations

import time

from rjchronos.db import new_id


def test_ids_are_unique_and_time_ordered() -> None:
    first = [new_id() for _ in range(1000)]
    time.sleep(0.002)
    later = new_id()
    assert len(set(first)) == 1000
    assert all(len(i) == 26 for i in first)
    assert later > max(first)
