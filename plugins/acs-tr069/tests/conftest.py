"""Fixtures of the ACS tests (helpers live in ``acs_testkit``)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from acs_testkit import ScriptedCpe, acs_settings, assert_valid, served


@pytest.fixture
def validate() -> Any:
    """``validate(message_bytes, version)`` asserts the message matches its CWMP XSD."""
    return assert_valid


@pytest.fixture
def acs_kernel(rjc_kernel_factory: Any) -> Any:
    """A kernel with the ACS plugin (its migration applied) and shared CPE credentials."""
    from rjchronos_acs_tr069 import PLUGIN, hooks

    return rjc_kernel_factory(plugins={PLUGIN: hooks}, plugin_settings={PLUGIN: acs_settings()})


@pytest.fixture
def acs_http(acs_kernel: Any) -> Any:
    """A TestClient on the ACS's CWMP listener."""
    from starlette.testclient import TestClient

    from rjchronos_acs_tr069.server import build_app

    with TestClient(build_app(acs_kernel), base_url="http://127.0.0.1:7547") as client:
        yield client


@pytest.fixture
def api(acs_kernel: Any, rjc_client_factory: Any) -> Any:
    """The REST API of the same kernel, as an admin."""
    return rjc_client_factory("admin", kernel=acs_kernel)


@pytest.fixture
def cpe(acs_http: Any) -> ScriptedCpe:
    return ScriptedCpe(acs_http)


@pytest.fixture
def acs_url(acs_kernel: Any) -> Any:
    """The ACS's CWMP listener served by uvicorn on 127.0.0.1."""
    from rjchronos_acs_tr069.server import build_app

    with served(build_app(acs_kernel)) as url:
        yield url
