"""What a diagnosis rule sees of a device: the device, its place in the topology, its
telemetry and events, and what the analyzers wrote about it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from rjchronos.inventory.models import DeviceEventRecord, devices

if TYPE_CHECKING:
    from rjchronos.ai.scoring import ScanScoring
    from rjchronos.kernel import Kernel

#: Telemetry metrics analyzers write about a device (scores in [0, 1]).
ANALYZER_METRICS = ("anomaly_score", "failure_probability")
_MAX_DEPTH = 16


@dataclass(frozen=True)
class DiagnosedDevice:
    """The inventory fields of one device a rule may need."""

    id: str
    kind: str
    name: str
    status: str
    parent_id: str | None
    olt_id: str | None
    vendor: str = ""
    model: str = ""
    tags: tuple[str, ...] = ()


def _facts(row: Any) -> DiagnosedDevice:
    return DiagnosedDevice(
        id=row.id,
        kind=row.kind,
        name=row.name,
        status=row.status,
        parent_id=row.parent_id,
        olt_id=row.olt_id,
        vendor=row.vendor,
        model=row.model,
        tags=tuple(row.tags or ()),
    )


def load_devices(kernel: Kernel, ids: Iterable[str]) -> dict[str, DiagnosedDevice]:
    """The devices of ``ids`` that exist, by id."""
    wanted = sorted(set(ids))
    found: dict[str, DiagnosedDevice] = {}
    with kernel.db.session() as session:
        for offset in range(0, len(wanted), 1000):
            chunk = wanted[offset : offset + 1000]
            for row in session.execute(select(devices).where(devices.c.id.in_(chunk))):
                found[row.id] = _facts(row)
    return found


@dataclass
class DiagnosisContext:
    """One device under diagnosis, at ``now``; reads are cached for the rules that follow.

    :param scoring: how a scan runs the analyzers (``None``: on demand, every analyzer
        from scratch).
    """

    kernel: Kernel
    device: DiagnosedDevice
    now: datetime
    scoring: ScanScoring | None = None
    _series: dict[tuple[str, str, datetime, datetime], list[tuple[datetime, float]]] = field(
        default_factory=dict, repr=False
    )

    # -- telemetry ---------------------------------------------------------------
    def series(
        self,
        metric: str,
        since: timedelta,
        *,
        entity: str | None = None,
        until: timedelta | None = None,
    ) -> list[tuple[datetime, float]]:
        """Samples of ``metric`` from ``now - since`` to ``now - until`` (default: now)."""
        entity = entity or self.device.id
        start = self.now - since
        end = self.now - until if until is not None else self.now + timedelta(seconds=1)
        key = (entity, metric, start, end)
        if key not in self._series:
            self._series[key] = list(self.kernel.telemetry.series(entity, metric, start, end))
        return self._series[key]

    def mean(
        self,
        metric: str,
        since: timedelta,
        *,
        entity: str | None = None,
        until: timedelta | None = None,
    ) -> float | None:
        """The mean of :meth:`series`, or ``None`` without samples."""
        points = self.series(metric, since, entity=entity, until=until)
        return sum(v for _, v in points) / len(points) if points else None

    def averages(
        self, entities: list[str], metric: str, since: timedelta, until: timedelta
    ) -> dict[str, float]:
        """Means of ``metric`` over many entities, ``now - since`` to ``now - until``."""
        if not entities:
            return {}
        return dict(
            self.kernel.telemetry.averages(entities, metric, self.now - since, self.now - until)
        )

    def analyzer_score(
        self, metric: str = "anomaly_score", since: timedelta = timedelta(hours=1)
    ) -> float | None:
        """The highest score an analyzer wrote for this device lately, if any."""
        points = self.series(metric, since)
        return max(v for _, v in points) if points else None

    # -- events ------------------------------------------------------------------
    def events(
        self, types: Iterable[str], since: timedelta, *, device_ids: Iterable[str] | None = None
    ) -> list[tuple[str, str, datetime]]:
        """``(device_id, type, time)`` of the events of ``types`` since ``now - since``."""
        ids = list(device_ids) if device_ids is not None else [self.device.id]
        if not ids:
            return []
        e = DeviceEventRecord.__table__.c  # type: ignore[attr-defined]
        found: list[tuple[str, str, datetime]] = []
        with self.kernel.db.session() as session:
            for offset in range(0, len(ids), 1000):
                statement = (
                    select(e.device_id, e.type, e.time)
                    .where(
                        e.device_id.in_(ids[offset : offset + 1000]),
                        e.type.in_(list(types)),
                        e.time >= self.now - since,
                        e.time <= self.now,
                    )
                    .order_by(e.time)
                )
                found.extend((r[0], r[1], r[2]) for r in session.execute(statement))
        return found

    # -- topology ----------------------------------------------------------------
    @cached_property
    def ancestors(self) -> list[DiagnosedDevice]:
        """The devices above this one, nearest first (ONU, splitters, PON, ..., OLT)."""
        chain: list[DiagnosedDevice] = []
        parent = self.device.parent_id
        with self.kernel.db.session() as session:
            for _ in range(_MAX_DEPTH):
                if parent is None:
                    break
                row = session.execute(select(devices).where(devices.c.id == parent)).first()
                if row is None:
                    break
                chain.append(_facts(row))
                parent = row.parent_id
        return chain

    def nearest(self, kind: str) -> DiagnosedDevice | None:
        """This device if it is of ``kind``, else the nearest device of ``kind`` above it."""
        if self.device.kind == kind:
            return self.device
        return next((d for d in self.ancestors if d.kind == kind), None)

    @cached_property
    def pon(self) -> DiagnosedDevice | None:
        """The PON port this device hangs from."""
        return self.nearest("pon")

    @cached_property
    def onu(self) -> DiagnosedDevice | None:
        """The ONU of this device (itself for an ONU, its parent for a CPE behind one)."""
        return self.nearest("onu")

    @cached_property
    def pon_onus(self) -> list[DiagnosedDevice]:
        """Every ONU under this device's PON (itself included), through splitters."""
        if self.pon is None:
            return []
        found: list[DiagnosedDevice] = []
        frontier = [self.pon.id]
        with self.kernel.db.session() as session:
            for _ in range(_MAX_DEPTH):
                if not frontier:
                    break
                rows = session.execute(
                    select(devices).where(devices.c.parent_id.in_(frontier))
                ).all()
                found.extend(_facts(r) for r in rows if r.kind == "onu")
                frontier = [r.id for r in rows if r.kind not in ("onu", "cpe")]
        return found

    @property
    def neighbours(self) -> list[DiagnosedDevice]:
        """The other ONUs of this device's PON."""
        own = self.onu.id if self.onu else None
        return [d for d in self.pon_onus if d.id != own]
