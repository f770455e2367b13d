"""The telemetry store's contract, and the choice of backend for a kernel's database.

Every plugin writes telemetry through ``kernel.telemetry`` (a
:class:`TelemetryStore`) and reads series back from it, whatever database
is underneath.

Duplicates: a sample whose ``(entity, metric, time)`` is already stored is
dropped and the first value kept, so a collector that retries a poll after
a timeout writes nothing twice. Within one batch the earliest of repeated
samples is the one kept.
"""

from __future__ import annotations

import importlib
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rjchronos.db import Database
    from rjchronos.kernel import Kernel

#: A point of a series: the time (the bucket's start when bucketed) and the value.
Point = tuple[datetime, float]
#: Longest entity and metric names.
MAX_NAME = 128
#: Widths of the rollups every backend keeps, in seconds: 5 minutes and 1 hour.
ROLLUP_WIDTHS = (300, 3600)
#: Automatic resolution: the longest range read raw, and the widths for longer ones.
RAW_UP_TO = timedelta(hours=6)
AUTO_RESOLUTIONS = (
    (timedelta(days=7), timedelta(minutes=5)),
    (timedelta(days=90), timedelta(hours=1)),
)
LONGEST_BUCKET = timedelta(days=1)

#: Backend class per database dialect, as ``module:Class``; the class is
#: built with the kernel's :class:`~rjchronos.db.Database`. A partitioned
#: PostgreSQL backend replaces its entry; nothing else changes.
BACKENDS: dict[str, str] = {
    "sqlite": "rjchronos.telemetry.backends.sqlite:SqliteTelemetryStore",
    "postgresql": "rjchronos.telemetry.backends.postgres:PostgresTelemetryStore",
}


@dataclass(frozen=True, slots=True)
class Sample:
    """One measurement.

    :param entity: what was measured, usually a device id.
    :param metric: what was measured on it, such as ``onu.rx_power_dbm``.
    :param time: when, timezone-aware (stored in UTC).
    :param value: a finite number.
    :param labels: extra dimensions (``{"port": "1/1/3"}``), stored with the sample.
    """

    entity: str
    metric: str
    time: datetime
    value: float
    labels: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.entity or len(self.entity) > MAX_NAME:
            raise ValueError(f"sample entity must have 1 to {MAX_NAME} characters")
        if not self.metric or len(self.metric) > MAX_NAME:
            raise ValueError(f"sample metric must have 1 to {MAX_NAME} characters")
        if self.time.tzinfo is None:
            raise ValueError(f"sample time {self.time.isoformat()} has no time zone")
        if isinstance(self.value, bool) or not math.isfinite(self.value):
            raise ValueError(f"sample value {self.value!r} is not a finite number")

    @property
    def key(self) -> tuple[str, str, datetime]:
        return self.entity, self.metric, self.time


@dataclass(frozen=True, slots=True)
class Summary:
    """How many samples, their sum, minimum and maximum; the mean is ``total / count``."""

    count: int
    total: float
    minimum: float
    maximum: float

    @property
    def mean(self) -> float:
        return self.total / self.count

    def __add__(self, other: Summary) -> Summary:
        return Summary(
            self.count + other.count,
            self.total + other.total,
            min(self.minimum, other.minimum),
            max(self.maximum, other.maximum),
        )


class TooManySamples(ValueError):
    """A read would return more samples than its limit."""


def percentile(ordered: list[float], percent: float) -> float:
    """The ``percent`` percentile of sorted ``ordered``, interpolated linearly between ranks
    (the ``inclusive`` method of :func:`statistics.quantiles`, NumPy's default)."""
    if not ordered:
        raise ValueError("percentile of no values")
    rank = (len(ordered) - 1) * percent / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def resolution_for(start: datetime, end: datetime) -> timedelta | None:
    """The resolution a range is read at when none is asked for.

    Raw samples up to 6 hours, 5-minute buckets up to 7 days, 1-hour buckets
    up to 90 days, days beyond: a few thousand points at most, each bucket
    width one the rollups answer.
    """
    span = end - start
    if span <= RAW_UP_TO:
        return None
    for longest, width in AUTO_RESOLUTIONS:
        if span <= longest:
            return width
    return LONGEST_BUCKET


class TelemetryStore(ABC):
    """Where samples are written and series read, by entity and metric over time."""

    @abstractmethod
    def write(self, samples: Iterable[Sample]) -> int:
        """Store ``samples``; those already stored (same entity, metric and time) are dropped.

        :return: how many samples were new.
        """

    @abstractmethod
    def series(
        self,
        entity: str,
        metric: str,
        start: datetime,
        end: datetime,
        *,
        resolution: timedelta | None = None,
        limit: int | None = None,
    ) -> list[Point]:
        """The points of ``metric`` on ``entity`` from ``start`` (included) to ``end`` (excluded).

        :param resolution: ``None`` for the raw samples; a whole number of
            seconds to average samples into buckets of that width, aligned to
            the Unix epoch and labelled by their start. Empty buckets are left out.
        :param limit: return at most this many points (the earliest).
        :return: ``(time, value)`` in time order.
        """

    @abstractmethod
    def averages(
        self, entities: Iterable[str], metric: str, start: datetime, end: datetime
    ) -> dict[str, float]:
        """The mean of ``metric`` per entity over ``[start, end)``, in one read.

        Entities without a sample in the range are left out.
        """

    @abstractmethod
    def metrics(self, entity: str) -> list[str]:
        """The metrics stored for ``entity``, sorted."""

    @abstractmethod
    def delete_before(self, time: datetime) -> int:
        """Delete every sample older than ``time`` (retention); how many went.

        Rollups are kept: they have a retention of their own
        (:meth:`delete_rollups_before`), so history stays readable at 5 minutes
        and 1 hour after the raw samples are gone.
        """

    def summaries(
        self, entities: Iterable[str], metric: str, start: datetime, end: datetime
    ) -> dict[str, Summary]:
        """Count, sum, minimum and maximum of ``metric`` per entity over ``[start, end)``.

        Entities without a sample in the range are left out.
        """
        raise NotImplementedError(f"{type(self).__name__} has no summaries")

    def values(
        self,
        entities: Iterable[str],
        metric: str,
        start: datetime,
        end: datetime,
        *,
        limit: int = 1_000_000,
    ) -> dict[str, list[float]]:
        """The raw sample values of ``metric`` per entity over ``[start, end)`` (percentiles).

        Rollups keep no distribution, so only samples not yet deleted by
        retention count. Entities without a sample in the range are left out.

        :raise TooManySamples: the entities hold more than ``limit`` samples in the range.
        """
        raise NotImplementedError(f"{type(self).__name__} has no values")

    def roll_up(  # noqa: B027 (optional: a backend without rollups has nothing to do)
        self, start: datetime, end: datetime, entities: Iterable[str] | None = None
    ) -> None:
        """Recompute the rollups of every bucket that ``[start, end)`` touches (a backfill)."""

    def maintain(self, now: datetime) -> dict[str, object]:
        """Periodic upkeep (the ``telemetry.maintain`` job): roll up closed buckets and, where
        the backend partitions, create the partitions of the days ahead. What was done."""
        return {}

    def delete_rollups_before(self, time: datetime) -> int:
        """Delete the rollups of buckets that start before ``time``; how many went."""
        return 0


def unique_samples(samples: Iterable[Sample]) -> list[Sample]:
    """``samples`` without repeats of one (entity, metric, time), the first one kept."""
    batch = list(samples)
    if len({(s.entity, s.metric, s.time) for s in batch}) == len(batch):
        return batch  # the usual case, checked without building a dict of samples
    seen: dict[tuple[str, str, datetime], Sample] = {}
    for sample in batch:
        seen.setdefault(sample.key, sample)
    return list(seen.values())


def check_range(start: datetime, end: datetime, resolution: timedelta | None) -> None:
    """Refuse naive times, empty ranges and resolutions that are not whole seconds."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("series start and end must be timezone-aware")
    if end <= start:
        raise ValueError("series end must be after its start")
    if resolution is not None and (resolution < timedelta(seconds=1) or resolution.microseconds):
        raise ValueError("a resolution is a whole number of seconds, at least one")


def open_store(kernel: Kernel) -> TelemetryStore:
    """The telemetry store for the kernel's database (``kernel.telemetry`` calls this)."""
    dialect = kernel.db.dialect
    try:
        module_name, class_name = BACKENDS[dialect].split(":")
    except KeyError:
        raise RuntimeError(
            f"no telemetry backend for the {dialect} database; known: {', '.join(BACKENDS)}"
        ) from None
    backend: Callable[[Database], TelemetryStore] = getattr(
        importlib.import_module(module_name), class_name
    )
    return backend(kernel.db)
