"""Failure-prediction scoring at a lead time: precision, recall and F1 of alarms.

An alarm says "this entity will fail". For a lead time ``L`` and a longest
useful warning ``W``:

- a failure at ``T`` is caught when its entity raised an alarm in
  ``[T - W, T - L]``: early enough to act, not so early it means nothing;
- an alarm at ``t`` is right when its entity fails in ``[t + L, t + W]``;
  an alarm followed by no failure, or by one sooner than ``L``, is wrong at ``L``.

Predictors are the ``rjchronos.predictors`` entry points: subclasses of
:class:`Predictor` that can be built without arguments.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from rjchronos_sdk.sim.telemetry import Scenario

HOUR = 3600.0
DAY = 24 * HOUR
#: The entry-point group of failure predictors.
PREDICTORS = "rjchronos.predictors"


class Predictor(ABC):
    """Failure prediction over a fleet's telemetry (``rjchronos.predictors``).

    :meth:`alarms` sees only the telemetry, never the labels; a predictor
    that learns does it in :meth:`fit`, on other (labelled) scenarios.
    """

    #: The predictor's name (its entry point's).
    name: ClassVar[str] = ""
    #: Its settings, recorded with its model card; its seed, if it draws random numbers.
    params: Mapping[str, Any] = {}
    seed: int | None = None

    def fit(self, scenarios: Sequence[Scenario]) -> Mapping[str, Any]:
        """Learn from labelled scenarios; returns what was learned (empty: nothing to learn)."""
        return {}

    @abstractmethod
    def alarms(
        self,
        times: npt.NDArray[np.float64],
        metrics: Mapping[str, npt.NDArray[np.float64]],
        pon_of: npt.NDArray[np.int64],
    ) -> list[tuple[int, float]]:
        """(ONU index, time) of each alarm, each raised from the samples up to its time only.

        ``metrics[name][onu, step]`` are the telemetry of
        :mod:`rjchronos_sdk.sim.telemetry`; ``pon_of[onu]`` is each ONU's PON.
        """

    def artefact(self) -> bytes:
        """What the model registry stores for this predictor: by default its params as JSON."""
        return json.dumps(dict(self.params), sort_keys=True, default=str).encode()


def installed_predictors() -> dict[str, type[Predictor]]:
    """Every predictor installed as an ``rjchronos.predictors`` entry point, by name."""
    found: dict[str, type[Predictor]] = {}
    for point in entry_points(group=PREDICTORS):
        loaded = point.load()
        if not (isinstance(loaded, type) and issubclass(loaded, Predictor)):
            raise TypeError(f"predictor {point.name} ({point.value}) is not a Predictor subclass")
        found[point.name] = loaded
    return dict(sorted(found.items()))


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
