"""Login rate limiting: failed attempts per username and per client address.

Counted in memory, per process: behind a load balancer with N API
processes an attacker gets at most N times the limit, still far too few
guesses for a brute force to matter. Only failures count, so a user who
signs in often is never locked out by their own successes.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque

WINDOW_SECONDS = 60.0
#: Keys remembered at most; the oldest are forgotten first (bounded memory under attack).
MAX_KEYS = 50_000


class LoginRateLimiter:
    """A sliding one-minute window of failures per key (``user:<name>``, ``ip:<address>``)."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = max(1, per_minute)
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, *keys: str) -> int:
        """Seconds to wait before another attempt, or 0 when none of ``keys`` is over the limit."""
        now = time.monotonic()
        wait = 0.0
        with self._lock:
            for key in keys:
                if key not in self._failures:
                    continue
                failures = self._trimmed(key, now)
                if len(failures) >= self.per_minute:
                    wait = max(wait, failures[0] + WINDOW_SECONDS - now)
        return math.ceil(wait) if wait > 0 else 0

    def failed(self, *keys: str) -> None:
        """Count a failed attempt against each of ``keys``."""
        now = time.monotonic()
        with self._lock:
            for key in keys:
                self._trimmed(key, now).append(now)
                self._failures[key] = self._failures.pop(key)  # most recent last
            while len(self._failures) > MAX_KEYS:
                del self._failures[next(iter(self._failures))]

    def _trimmed(self, key: str, now: float) -> deque[float]:
        failures = self._failures.setdefault(key, deque())
        while failures and failures[0] <= now - WINDOW_SECONDS:
            failures.popleft()
        return failures
