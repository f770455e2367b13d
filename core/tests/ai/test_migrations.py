"""The AI built-in's migration history matches its model."""

from __future__ import annotations

from typing import Any

import pytest

from rjchronos.ai.models import AI_METADATA
from rjchronos_sdk.conformance_migrations import MigrationConformance


class TestAiMigrations(MigrationConformance):
    plugin = "builtin.ai"
    metadata = AI_METADATA
    head = "ai_0002"

    @pytest.fixture
    def kernel(self, rjc_kernel: Any) -> Any:
        return rjc_kernel
