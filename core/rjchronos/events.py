"""The one event model: a typed, timed occurrence on a device."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Severity = Literal["info", "warning", "minor", "major", "critical"]


@dataclass(frozen=True)
class EventType:
    """A kind of device event (``onu.los``, ``cpe.boot``) and its payload schema."""

    name: str
    description: str
    severity: Severity = "info"
    payload_schema: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DeviceEvent:
    """An event stored on a device's timeline and handed to every listener."""

    id: int
    type: str
    device_id: str | None
    time: datetime
    payload: Mapping[str, Any]
    actor: str | None = None

    @classmethod
    def of_row(cls, row: Any) -> DeviceEvent:
        """The event of a ``device_events`` row (or a record with the same attributes)."""
        return cls(row.id, row.type, row.device_id, row.time, row.payload, row.actor)
