"""The plugin's migration history: its table matches its model, both ways, on both backends."""

from __future__ import annotations

from typing import Any

import pytest

from rjchronos_olt_manager import PLUGIN
from rjchronos_olt_manager.models import OLT_METADATA
from rjchronos_sdk.conformance_migrations import MigrationConformance


class TestMigrations(MigrationConformance):
    plugin = PLUGIN
    metadata = OLT_METADATA
    head = "oltm_0002"

    @pytest.fixture
    def kernel(self, olt_kernel: Any) -> Any:
        return olt_kernel
