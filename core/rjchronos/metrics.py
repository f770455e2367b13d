"""Prometheus metrics of one kernel (its own registry, never the global one)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

if TYPE_CHECKING:
    from rjchronos.kernel import Kernel


class Metrics:
    """The kernel's registry and core's own series; plugins add theirs to ``registry``."""

    def __init__(self, kernel: Kernel) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.http_requests = Counter(
            "rjc_http_requests",
            "HTTP requests answered",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.http_latency = Histogram(
            "rjc_http_request_seconds",
            "HTTP request duration",
            ["route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.events = Counter(
            "rjc_device_events", "Device events emitted", ["type"], registry=self.registry
        )
        self.jobs = Counter("rjc_jobs", "Jobs finished", ["type", "status"], registry=self.registry)

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.http_requests.labels(method, route, str(status)).inc()
        self.http_latency.labels(route).observe(seconds)

    def exposition(self) -> bytes:
        """The registry in Prometheus text format."""
        return generate_latest(self.registry)
