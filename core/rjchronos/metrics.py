"""Prometheus metrics of one kernel (its own registry, never the global one).

Core's series are attributes of :class:`Metrics`. A plugin gets its own with
:meth:`Metrics.counter`, :meth:`Metrics.histogram` and :meth:`Metrics.gauge`
(the same name twice gives the same series, so an app built twice on one
kernel is fine), and values read at scrape time with :meth:`Metrics.on_scrape`.
No label carries a device id: a series per device would swamp Prometheus.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from rjchronos.kernel import Kernel

log = logging.getLogger(__name__)
SECONDS_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
#: What a scrape-time reading returns: ``(labels, value)`` pairs.
Readings = Iterable[tuple[Sequence[str], float]]
_M = TypeVar("_M", bound=MetricWrapperBase)


class _ScrapeGauge(Collector):
    """A gauge whose values a callback reads at scrape time (a count in the database)."""

    def __init__(
        self, name: str, documentation: str, labels: Sequence[str], read: Callable[[], Readings]
    ) -> None:
        self.name, self.documentation, self.labels, self.read = name, documentation, labels, read

    def describe(self) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily(self.name, self.documentation, labels=list(self.labels))

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(self.name, self.documentation, labels=list(self.labels))
        try:
            for labels, value in self.read():
                family.add_metric(list(labels), value)
        except Exception:  # a scrape must not fail because one reading did
            log.exception("metrics: reading %s failed", self.name)
        yield family


class Metrics:
    """The kernel's registry and core's own series."""

    def __init__(self, kernel: Kernel) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._lock = threading.Lock()
        self._owned: dict[str, MetricWrapperBase | _ScrapeGauge] = {}
        self.http_requests = self.counter(
            "rjc_http_requests", "HTTP requests answered", ["method", "route", "status"]
        )
        self.http_latency = self.histogram(
            "rjc_http_request_seconds", "HTTP request duration", ["route"]
        )
        self.events = self.counter("rjc_device_events", "Device events emitted", ["type"])
        self.jobs = self.counter("rjc_jobs", "Jobs finished", ["type", "status"])
        self.job_seconds = self.histogram("rjc_job_seconds", "Job run time (one attempt)", ["type"])
        self.deliveries = self.counter(
            "rjc_notification_deliveries",
            "Notification delivery attempts by channel type and outcome",
            ["channel_type", "outcome"],
        )
        self.alerts = self.counter(
            "rjc_alerts", "Alert transitions by severity", ["transition", "severity"]
        )
        owner = weakref.ref(kernel)
        self.on_scrape(
            "rjc_jobs_unfinished",
            "Jobs waiting or running, by queue and status (the queue depth)",
            ["queue", "status"],
            lambda: _unfinished_jobs(owner()),
        )
        self.on_scrape(
            "rjc_alerts_unresolved",
            "Open and acknowledged alerts, by severity",
            ["severity"],
            lambda: _unresolved_alerts(owner()),
        )

    # -- series for plugins ------------------------------------------------------------

    def counter(self, name: str, documentation: str, labels: Sequence[str] = ()) -> Counter:
        """The counter ``name`` of this kernel, made on first use."""
        return self._get(Counter, name, documentation, labels)

    def gauge(self, name: str, documentation: str, labels: Sequence[str] = ()) -> Gauge:
        """The gauge ``name`` of this kernel, made on first use."""
        return self._get(Gauge, name, documentation, labels)

    def histogram(
        self,
        name: str,
        documentation: str,
        labels: Sequence[str] = (),
        buckets: Sequence[float] = SECONDS_BUCKETS,
    ) -> Histogram:
        """The histogram ``name`` of this kernel (seconds buckets by default), made on first use."""
        return self._get(Histogram, name, documentation, labels, buckets=tuple(buckets))

    def on_scrape(
        self,
        name: str,
        documentation: str,
        labels: Sequence[str],
        read: Callable[[], Readings],
    ) -> None:
        """A gauge read by ``read()`` at every scrape: ``[(label values, value), ...]``."""
        with self._lock:
            if name in self._owned:
                return
            collector = _ScrapeGauge(name, documentation, labels, read)
            self.registry.register(collector)
            self._owned[name] = collector

    def _get(
        self,
        kind: type[_M],
        name: str,
        documentation: str,
        labels: Sequence[str],
        **options: Any,
    ) -> _M:
        with self._lock:
            found = self._owned.get(name)
            if found is None:
                made = kind(name, documentation, list(labels), registry=self.registry, **options)
                self._owned[name] = made
                return made
        if not isinstance(found, kind) or tuple(found._labelnames) != tuple(labels):
            raise ValueError(f"metric {name} exists with another type or other labels")
        return found

    # -- core's own ----------------------------------------------------------------------

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.http_requests.labels(method, route, str(status)).inc()
        self.http_latency.labels(route).observe(seconds)

    def exposition(self) -> bytes:
        """The registry in Prometheus text format."""
        return generate_latest(self.registry)


def _unfinished_jobs(kernel: Kernel | None) -> Readings:
    if kernel is None:
        return []
    from sqlalchemy import func, select

    from rjchronos.jobs.models import UNFINISHED, Job

    table = Job.__table__  # type: ignore[attr-defined]
    statement = (
        select(table.c.queue, table.c.status, func.count())
        .where(table.c.status.in_(UNFINISHED))
        .group_by(table.c.queue, table.c.status)
    )
    with kernel.db.engine.connect() as connection:
        return [
            ((queue, str(status)), count) for queue, status, count in connection.execute(statement)
        ]


def _unresolved_alerts(kernel: Kernel | None) -> Readings:
    if kernel is None:
        return []
    from sqlalchemy import func, select

    from rjchronos.alerts.models import alerts

    statement = (
        select(alerts.c.severity, func.count())
        .where(alerts.c.status.in_(("open", "acknowledged")))
        .group_by(alerts.c.severity)
    )
    with kernel.db.engine.connect() as connection:
        rows = connection.execute(statement).all()
    return [((severity,), count) for severity, count in rows]
