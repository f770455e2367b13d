"""The notification and alert built-ins' migration histories match their models."""

from __future__ import annotations

from typing import Any

import pytest

from rjchronos.alerts.models import ALERTS_METADATA
from rjchronos.notifications.models import NOTIFICATIONS_METADATA
from rjchronos_sdk.conformance_migrations import MigrationConformance


class TestNotificationMigrations(MigrationConformance):
    plugin = "builtin.notifications"
    metadata = NOTIFICATIONS_METADATA
    head = "notif_0001"

    @pytest.fixture
    def kernel(self, alerts_kernel: Any) -> Any:
        return alerts_kernel


class TestAlertMigrations(MigrationConformance):
    plugin = "builtin.alerts"
    metadata = ALERTS_METADATA
    head = "alerts_0005"

    @pytest.fixture
    def kernel(self, alerts_kernel: Any) -> Any:
        return alerts_kernel
