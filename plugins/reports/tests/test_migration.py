"""The plugin's migration history creates exactly its models' tables, down and up again."""

from __future__ import annotations

from typing import Any

import pytest

from rjchronos_reports import PLUGIN
from rjchronos_reports.models import REPORTS_METADATA
from rjchronos_sdk.conformance_migrations import MigrationConformance


class TestMigrations(MigrationConformance):
    plugin = PLUGIN
    metadata = REPORTS_METADATA
    head = "reports_0001"

    @pytest.fixture
    def kernel(self, reports_kernel: Any) -> Any:
        return reports_kernel
