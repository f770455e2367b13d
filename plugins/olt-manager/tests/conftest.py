"""Fixtures of the OLT manager's tests: a kernel with the plugin and simulated OLTs."""

from __future__ import annotations

import socket
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from olt_testkit import RunningOlt


@pytest.fixture
def running_olt() -> Iterator[Callable[..., RunningOlt]]:
    """``running_olt(vendor, ports=1, onus_per_port=2)``: a started simulator, stopped after."""
    started: list[RunningOlt] = []

    def start(vendor: str, *, ports: int = 1, onus_per_port: int = 2, seed: int = 3) -> RunningOlt:
        olt = RunningOlt(
            vendor,
            ports=ports,
            onus_per_port=onus_per_port,
            seed=seed,
            password="olt-s3cret",
            community="c0mmunity",
        )
        started.append(olt.__enter__())
        return olt

    yield start
    for olt in started:
        olt.__exit__(None, None, None)


@pytest.fixture
def closed_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def olt_kernel(rjc_kernel_factory: Any) -> Any:
    """A kernel with the OLT manager (its migration applied)."""
    from rjchronos_olt_manager import PLUGIN, hooks

    return rjc_kernel_factory(plugins={PLUGIN: hooks})


@pytest.fixture
def api(olt_kernel: Any, rjc_client_factory: Any) -> Any:
    """The REST API of the same kernel, as an admin."""
    return rjc_client_factory("admin", kernel=olt_kernel)
