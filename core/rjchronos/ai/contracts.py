"""What plugins declare to the diagnosis and the action engine.

A :class:`DiagnosisRule` looks at one device through a
:class:`~rjchronos.ai.context.DiagnosisContext` and returns the causes it
finds, each a :class:`Cause` with a score, evidence in English and Brazilian
Portuguese and the :class:`SuggestedAction` s that could fix it. An
:class:`ActionExecutor` carries out one kind of action (and undoes it), for
example through the ACS's task queue.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rjchronos.ai.context import DiagnosisContext
    from rjchronos.kernel import Kernel

#: The languages every title and piece of evidence is given in.
LANGUAGES = ("en", "pt-BR")


def texts(en: str, pt_br: str) -> dict[str, str]:
    """A text in each of :data:`LANGUAGES`."""
    return {"en": en, "pt-BR": pt_br}


@dataclass(frozen=True)
class Verification:
    """How to tell whether an action helped: a metric of an entity, before and after.

    :param entity: the telemetry entity (a device id, or ``<id>/radio/<n>``).
    :param metric: the metric compared.
    :param better: ``lower`` or ``higher``: which way is an improvement.
    :param min_change: the change, in the metric's unit, that counts as recovered or worse.
    """

    entity: str
    metric: str
    better: str = "lower"
    min_change: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "metric": self.metric,
            "better": self.better,
            "min_change": self.min_change,
        }


@dataclass(frozen=True)
class SuggestedAction:
    """An action a cause suggests: its kind (an executor's name), parameters, how to verify it."""

    kind: str
    params: Mapping[str, Any] = field(default_factory=dict)
    verify: Verification | None = None


@dataclass(frozen=True)
class Cause:
    """A likely cause of a device's trouble.

    :param cause: a stable code (``wifi_interference``, ``fiber_cut``...).
    :param score: how likely, in [0, 1].
    :param title: a short name per language (:func:`texts`).
    :param evidence: what was seen, per language, with the figures behind it.
    """

    cause: str
    score: float
    title: Mapping[str, str]
    evidence: Mapping[str, str]
    actions: tuple[SuggestedAction, ...] = ()
    facts: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"cause {self.cause!r}: score {self.score} is outside [0, 1]")
        for name, text in (("title", self.title), ("evidence", self.evidence)):
            missing = [lang for lang in LANGUAGES if not text.get(lang)]
            if missing:
                raise ValueError(f"cause {self.cause!r}: {name} has no text in {missing}")


@dataclass(frozen=True)
class DiagnosisRule:
    """A rule: ``evaluate(context)`` returns the causes it finds for one device.

    :param kinds: the device kinds it looks at (empty: every kind).
    """

    name: str
    evaluate: Callable[[DiagnosisContext], Iterable[Cause]]
    kinds: tuple[str, ...] = ()
    description: str = ""


class ActionError(Exception):
    """An action could not be carried out; the message says why (nothing was changed)."""


@dataclass(frozen=True)
class Applied:
    """What an executor did: the values it replaced (for a rollback) and details to keep."""

    previous: Mapping[str, Any] = field(default_factory=dict)
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ActionExecutor:
    """Carries out one kind of action on a device, and undoes it.

    ``execute(kernel, device_id, params)`` returns :class:`Applied` (with
    the previous values of what it changed) or raises :class:`ActionError`;
    ``rollback(kernel, device_id, previous)`` restores those values. Both are
    ``async``. An executor without ``rollback`` changes nothing that can be
    restored (a reboot, a ticket).
    """

    name: str
    title: Mapping[str, str]
    execute: Callable[[Kernel, str, Mapping[str, Any]], Coroutine[Any, Any, Applied]]
    rollback: Callable[[Kernel, str, Mapping[str, Any]], Coroutine[Any, Any, Applied]] | None = None
    device_kinds: tuple[str, ...] = ()
