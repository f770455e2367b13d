"""Failure-prediction scoring at a lead time: precision, recall and F1 of alarms.

An alarm says "this entity will fail". For a lead time ``L`` and a longest
useful warning ``W``:

- a failure at ``T`` is caught when its entity raised an alarm in
  ``[T - W, T - L]``: early enough to act, not so early it means nothing;
- an alarm at ``t`` is right when its entity fails in ``[t + L, t + W]``;
  an alarm followed by no failure, or by one sooner than ``L``, is wrong at ``L``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

HOUR = 3600.0
DAY = 24 * HOUR


@dataclass(frozen=True)
class LeadTimeScore:
    """Alarms against failures at one lead time."""

    lead_hours: float
    failures: int
    caught: int
    alarms: int
    right_alarms: int

    @property
    def recall(self) -> float:
        return self.caught / self.failures if self.failures else 0.0

    @property
    def precision(self) -> float:
        return self.right_alarms / self.alarms if self.alarms else 0.0

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0

    def as_dict(self) -> dict[str, Any]:
        figures = asdict(self)
        figures.update(
            precision=round(self.precision, 3), recall=round(self.recall, 3), f1=round(self.f1, 3)
        )
        return figures


def score_alarms(
    failures: Iterable[tuple[str, float]],
    alarms: Iterable[tuple[str, float]],
    lead: float,
    longest_warning: float = 14 * DAY,
) -> LeadTimeScore:
    """Score ``alarms`` (entity, time) against ``failures`` (entity, time) at ``lead`` seconds."""
    failed: dict[str, list[float]] = defaultdict(list)
    for entity, moment in failures:
        failed[entity].append(moment)
    raised: dict[str, list[float]] = defaultdict(list)
    for entity, moment in alarms:
        raised[entity].append(moment)

    def any_between(moments: Sequence[float], low: float, high: float) -> bool:
        return any(low <= m <= high for m in moments)

    caught = sum(
        any_between(raised[entity], moment - longest_warning, moment - lead)
        for entity, times in failed.items()
        for moment in times
    )
    right = sum(
        any_between(failed[entity], moment + lead, moment + longest_warning)
        for entity, times in raised.items()
        for moment in times
    )
    return LeadTimeScore(
        lead_hours=lead / HOUR,
        failures=sum(len(t) for t in failed.values()),
        caught=caught,
        alarms=sum(len(t) for t in raised.values()),
        right_alarms=right,
    )
