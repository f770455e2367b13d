"""Identifiers are unique and sort by creation time."""

from __future__ import annotations

import os
import time

from rjchronos.db import new_id


def test_ids_are_unique_and_time_ordered() -> None:
    first = [new_id() for _ in range(1000)]
    time.sleep(0.002)
    later = new_id()
    assert len(set(first)) == 1000
    assert all(len(i) == 26 for i in first)
    assert later > max(first)


def test_a_forked_child_never_repeats_the_parents_ids() -> None:
    new_id()  # the parent holds a block of random bytes now
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report its next ids and leave at once
        os.close(reader)
        os.write(writer, ",".join(new_id() for _ in range(5)).encode())
        os._exit(0)
    os.close(writer)
    with os.fdopen(reader) as pipe:
        child = pipe.read().split(",")
    os.waitpid(pid, 0)
    parent = [new_id() for _ in range(5)]
    # The random part (the last 16 characters) would be the same had the block been shared.
    assert len(child) == 5
    assert not {i[10:] for i in child} & {i[10:] for i in parent}
