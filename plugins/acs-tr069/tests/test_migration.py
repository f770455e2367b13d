"""The plugin's migration history: its tables match its models, both ways, on both backends."""

from __future__ import annotations

from typing import Any

import pytest

from rjchronos_acs_tr069 import PLUGIN, models_firmware  # noqa: F401 - its tables
from rjchronos_acs_tr069.models import ACS_METADATA
from rjchronos_sdk.conformance_migrations import MigrationConformance

TABLES = {
    "acs_parameters",
    "acs_tasks",
    "acs_profiles",
    "acs_profile_versions",
    "acs_pppoe_credentials",
    "acs_provision_requests",
    "acs_firmware",
    "acs_campaigns",
    "acs_campaign_devices",
    "acs_sessions",
}


class TestMigrations(MigrationConformance):
    plugin = PLUGIN
    metadata = ACS_METADATA
    head = "acs_0003"

    def tables(self) -> set[str]:
        return TABLES

    @pytest.fixture
    def kernel(self, acs_kernel: Any) -> Any:
        return acs_kernel
