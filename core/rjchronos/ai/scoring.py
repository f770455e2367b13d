"""How the ``ai.scan`` job runs the analyzers: models kept between scans, and a time budget.

A scan keeps, per ``(analyzer, entity, metric)``, the analyzer that scored the
series and the time of the last sample it saw (:class:`SeriesCache`, least
recently used first out). The next scan gives it only the samples after that
time: a streaming analyzer scores each sample once, in time order, so the
scores are those of one analyzer fed the whole series from its first scan.

Analyzers declared ``expensive`` (:class:`~rjchronos.plugins.declarations.AnalyzerSpec`)
run within a budget of seconds per scan (:class:`ScanScoring`); the devices
they did not reach go first in the next scan. A diagnosis on demand uses
neither: every analyzer, from scratch.
"""

from __future__ import annotations

import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

Scores = dict[float, float | None]


@dataclass
class _Kept:
    analyzer: Any
    #: The time of the last sample the analyzer saw (seconds since the epoch).
    last: float
    #: The scores of the samples it saw since the scan's ``since``, by time.
    scores: dict[float, float | None]


class SeriesCache:
    """Analyzers with the series they have scored, at most ``size`` series."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._kept: OrderedDict[tuple[str, str, str], _Kept] = OrderedDict()

    def __len__(self) -> int:
        return len(self._kept)

    def last(self, name: str, entity: str, metric: str) -> float | None:
        """The time of the last sample the kept analyzer of a series saw, if one is kept."""
        kept = self._kept.get((name, entity, metric))
        return None if kept is None else kept.last

    def scores(
        self,
        name: str,
        make: Callable[[], Any],
        entity: str,
        metric: str,
        times: Sequence[float],
        values: Sequence[float],
        since: float,
        start: float | None = None,
    ) -> tuple[Scores, bool]:
        """The scores of the series' samples from ``since`` on, by time (those of earlier
        scans included), and whether a kept analyzer gave them.

        A kept analyzer that saw the series up to a time from ``start`` (where the
        series was read from; the first of ``times`` by default) to the last of
        ``times`` scores only the later samples; otherwise (new series, a gap, an
        earlier time) a new analyzer scores them all and is kept, with its scores
        since ``since``.
        """
        key = (name, entity, metric)
        kept = self._kept.pop(key, None)
        first = times[0] if start is None else start
        hit = kept is not None and first <= kept.last <= times[-1]
        if kept is None or not hit:
            kept = _Kept(make(), float("-inf"), {})
        fresh = [i for i, t in enumerate(times) if t > kept.last]
        if fresh:
            new = kept.analyzer.score_series(
                entity, metric, [times[i] for i in fresh], [values[i] for i in fresh]
            )
            kept.scores.update(zip((times[i] for i in fresh), new, strict=True))
            kept.last = times[-1]
        kept.scores = {t: s for t, s in kept.scores.items() if t >= since}
        self._kept[key] = kept
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)
        return dict(kept.scores), hit


@dataclass
class ScanScoring:
    """What one scan allows the analyzers, and what they did.

    :param budget: seconds of expensive analyzers per scan; they run at least once a
        scan, so every scan makes progress.
    """

    cache: SeriesCache
    budget: float
    #: Whether the device under diagnosis gets the expensive analyzers (the scan sets it).
    expensive: bool = True
    spent: float = 0.0
    #: Series the expensive analyzers scored in this scan.
    runs: int = 0
    counts: dict[str, int] = field(default_factory=lambda: {"scored": 0, "cached": 0, "skipped": 0})

    def allow_next(self) -> bool:
        """Decide (and remember) whether the next device gets the expensive analyzers."""
        self.expensive = self.runs == 0 or self.spent < self.budget
        return self.expensive


def timed(scoring: ScanScoring | None, expensive: bool, run: Callable[[], Any]) -> Any:
    """``run()``, its time counted against the budget when the analyzer is expensive."""
    if scoring is None or not expensive:
        return run()
    started = time.perf_counter()
    try:
        return run()
    finally:
        scoring.spent += time.perf_counter() - started
        scoring.runs += 1


@dataclass
class ScanState:
    """What a process keeps between scans: models, where the rotation is, who waits."""

    cache: SeriesCache
    #: The last device id scanned, when the devices seen outnumber a scan.
    cursor: str = ""
    #: Per device, the number of the last scan that gave it the expensive analyzers.
    analyzed: dict[str, int] = field(default_factory=dict)
    scans: int = 0


_states: weakref.WeakKeyDictionary[Any, ScanState] = weakref.WeakKeyDictionary()


def scan_state(kernel: Any, cache_size: int) -> ScanState:
    """This kernel's :class:`ScanState` (its cache resized to ``cache_size``)."""
    state = _states.get(kernel)
    if state is None:
        state = _states[kernel] = ScanState(SeriesCache(cache_size))
    state.cache.size = cache_size
    return state
