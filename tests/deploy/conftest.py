"""Fixtures of the deployment tests; helpers live in ``processes.py`` beside this file."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from processes import Server


@pytest.fixture
def launch() -> Iterator[Callable[..., Server]]:
    """``launch(args, env)``: a background ``rjchronos`` process, stopped after the test."""
    started: list[Server] = []

    def start(args: list[str], env: dict[str, str]) -> Server:
        server = Server(args, env)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
