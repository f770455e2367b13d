"""Numenta Anomaly Benchmark (NAB) scoring.

A detector emits a score in [0, 1] for every row of every file, seeing rows
one at a time. For one threshold, a row is a detection when its score is at
least the threshold; then:

- rows of the probationary period (the first 15% of a file, at most 750 rows,
  as NAB counts it) are not scored;
- inside a labelled window only the first detection counts, weighted by
  ``tp * sigmoid(y)`` where ``sigmoid(y) = 2 / (1 + exp(5y)) - 1`` and ``y`` is
  the row's position relative to the window's right edge (-1 at the left edge);
- a window without a detection costs ``-fn``;
- a detection outside every window adds ``fp * sigmoid(y)`` with ``y`` its
  distance after the preceding window in window widths (a negative amount),
  or ``-fp`` when no window precedes it.

The threshold of a detector and profile is the one that maximises the raw
score summed over the corpus; the reported score is
``100 * (raw - null) / (perfect - null)``, where the null detector never fires
and the perfect one fires at the left edge of every window.

A corpus is a directory in NAB's layout: ``data/<category>/<file>.csv`` with
``timestamp,value`` columns and ``labels/combined_windows.json``.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

PROBATION_FRACTION = 0.15
#: The two halves of a corpus (see :meth:`Corpus.half`).
HALVES = ("even", "odd")
#: NAB caps the probationary period at 15% of 5,000 rows.
PROBATION_MAX_ROWS = 750

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Profile:
    """The weights of one NAB cost profile."""

    name: str
    tp: float
    fp: float
    fn: float


PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile("standard", tp=1.0, fp=0.11, fn=1.0),
        Profile("reward_low_FP_rate", tp=1.0, fp=0.22, fn=1.0),
        Profile("reward_low_FN_rate", tp=1.0, fp=0.11, fn=2.0),
    )
}


class NabDataError(ValueError):
    """A corpus file or label does not follow NAB's layout."""


def scaled_sigmoid(position: float | FloatArray) -> FloatArray:
    """NAB's weight of a row at ``position`` relative to a window's right edge.

    +0.987 at the left edge (-1), 0 at the right edge, towards -1 after it;
    -1 beyond three window widths, as NAB has it.
    """
    y = np.asarray(position, dtype=np.float64)
    with np.errstate(over="ignore"):
        value = 2.0 / (1.0 + np.exp(5.0 * y)) - 1.0
    return np.where(y > 3.0, -1.0, value)


def probation_rows(length: int) -> int:
    """Rows at the start of a file of ``length`` rows that are not scored."""
    return min(math.floor(PROBATION_FRACTION * length), int(PROBATION_FRACTION * 5000))


@dataclass
class NabFile:
    """One series of a corpus with its labelled windows as row indexes."""

    name: str
    timestamps: FloatArray
    values: FloatArray
    windows: list[tuple[int, int]]

    def __post_init__(self) -> None:
        self.probation = probation_rows(len(self.values))
        self._weights()

    def _weights(self) -> None:
        """Per row: its window (-1 outside) and its sigmoid weight before the profile's."""
        n = len(self.values)
        self.window_of = np.full(n, -1, dtype=np.int64)
        self.position_weight = np.zeros(n)
        self.preceded = np.zeros(n, dtype=bool)
        previous: tuple[int, int] | None = None
        bounds = [*self.windows, (n, n)]
        cursor = 0
        for index, (start, end) in enumerate(bounds):
            gap = np.arange(cursor, start)
            if previous is not None and gap.size:
                left, right = previous
                width = right - left + 1
                self.position_weight[gap] = scaled_sigmoid((gap - right) / max(width - 1, 1))
                self.preceded[gap] = True
            if start >= n:
                break
            rows = np.arange(start, end + 1)
            width = end - start + 1
            self.window_of[rows] = index
            self.position_weight[rows] = scaled_sigmoid(-(end - rows + 1) / width)
            previous, cursor = (start, end), end + 1

    def raw_score(self, detections: npt.NDArray[np.bool_], profile: Profile) -> float:
        """The file's raw score when ``detections`` marks the rows that fired."""
        scored = np.zeros(len(self.values), dtype=bool)
        scored[self.probation :] = True
        fired = detections & scored
        outside = fired & (self.window_of < 0)
        fp_weights = np.where(self.preceded[outside], self.position_weight[outside], -1.0)
        total = float(profile.fp * fp_weights.sum())
        for start, end in self.windows:
            hits = np.flatnonzero(fired[start : end + 1])
            if hits.size:
                total += profile.tp * float(self.position_weight[start + hits[0]])
            else:
                total -= profile.fn
        return total

    def perfect_detections(self) -> npt.NDArray[np.bool_]:
        """The perfect detector: it fires at the left edge of every window."""
        detections = np.zeros(len(self.values), dtype=bool)
        for start, _end in self.windows:
            detections[start] = True
        return detections


@dataclass
class Corpus:
    """The files of a NAB-layout directory."""

    root: Path
    files: list[NabFile] = field(default_factory=list)

    @property
    def window_count(self) -> int:
        return sum(len(f.windows) for f in self.files)

    def half(self, which: str) -> Corpus:
        """Every other file in name order: ``even`` (1st, 3rd...) or ``odd`` (2nd, 4th...).

        Settings tuned on one half and scored on the other show how much a
        score owes to over-fitting.
        """
        if which not in HALVES:
            raise ValueError(f"half is one of {', '.join(HALVES)}, not {which!r}")
        return Corpus(self.root, self.files[HALVES.index(which) :: 2])


def _parse_time(text: str, where: str) -> float:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise NabDataError(f"{where}: timestamp {text!r} is not ISO 8601") from exc
    # NAB's timestamps carry no zone: read them as UTC, which has no DST gaps.
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _read_series(path: Path, where: str) -> tuple[FloatArray, FloatArray]:
    times: list[float] = []
    values: list[float] = []
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or not {"timestamp", "value"} <= set(reader.fieldnames):
            raise NabDataError(f"{where}: needs the columns timestamp,value")
        for line, row in enumerate(reader, start=2):
            times.append(_parse_time(row["timestamp"], f"{where}:{line}"))
            try:
                values.append(float(row["value"]))
            except (TypeError, ValueError) as exc:
                raise NabDataError(
                    f"{where}:{line}: value {row['value']!r} is not a number"
                ) from exc
    # A few NAB files have a row out of time order: rows are scored in file order, as NAB does.
    return np.asarray(times), np.asarray(values)


def _window_rows(
    stamps: FloatArray, windows: Sequence[Sequence[str]], where: str
) -> list[tuple[int, int]]:
    rows: list[tuple[int, int]] = []
    for window in windows:
        if len(window) != 2:
            raise NabDataError(f"{where}: a window is [start, end], not {window!r}")
        inside = np.flatnonzero(
            (stamps >= _parse_time(window[0], where)) & (stamps <= _parse_time(window[1], where))
        )
        if not inside.size:
            raise NabDataError(f"{where}: window {window!r} holds no row")
        start, end = int(inside[0]), int(inside[-1])
        if start > end:
            raise NabDataError(f"{where}: window {window!r} holds no row")
        if rows and start <= rows[-1][1]:
            raise NabDataError(f"{where}: windows overlap or are out of order")
        rows.append((start, end))
    return rows


def load_corpus(root: str | Path, only: Callable[[str], bool] | None = None) -> Corpus:
    """Read every file of ``labels/combined_windows.json`` under ``root/data``.

    :param only: keep the files (``category/name.csv``) it accepts.
    :raises NabDataError: naming the file and line that is not in NAB's layout.
    """
    base = Path(root)
    labels = base / "labels" / "combined_windows.json"
    if not labels.is_file():
        raise NabDataError(f"{base}: no labels/combined_windows.json (not a NAB directory)")
    try:
        windows: Mapping[str, list[list[str]]] = json.loads(labels.read_text())
    except json.JSONDecodeError as exc:
        raise NabDataError(f"{labels}: {exc}") from exc
    corpus = Corpus(base)
    for name in sorted(windows):
        if only is not None and not only(name):
            continue
        path = base / "data" / name
        if not path.is_file():
            raise NabDataError(f"{labels}: {name} is labelled but {path} is missing")
        stamps, values = _read_series(path, name)
        corpus.files.append(
            NabFile(name, stamps, values, _window_rows(stamps, windows[name], name))
        )
    if not corpus.files:
        raise NabDataError(f"{base}: no labelled file to score")
    return corpus


@dataclass(frozen=True)
class ProfileResult:
    """A detector's result on one profile."""

    profile: str
    threshold: float
    raw: float
    null: float
    perfect: float
    per_file: dict[str, float]

    @property
    def score(self) -> float:
        """The normalised score: 0 for the null detector, 100 for the perfect one."""
        if self.perfect == self.null:
            return 0.0
        return 100.0 * (self.raw - self.null) / (self.perfect - self.null)


def _threshold_events(
    nab_file: NabFile, scores: FloatArray, profile: Profile
) -> tuple[FloatArray, FloatArray]:
    """(score, change of the raw score) when the threshold comes down to each score."""
    event_scores: list[FloatArray] = []
    event_deltas: list[FloatArray] = []
    scorable = np.arange(len(scores)) >= nab_file.probation
    outside = scorable & (nab_file.window_of < 0)
    fp_weights = np.where(nab_file.preceded, nab_file.position_weight, -1.0)
    event_scores.append(scores[outside])
    event_deltas.append(profile.fp * fp_weights[outside])
    for start, end in nab_file.windows:
        start = max(start, nab_file.probation)
        if start > end:
            continue
        window_scores = scores[start : end + 1]
        weights = profile.tp * nab_file.position_weight[start : end + 1]
        order = np.argsort(-window_scores, kind="stable")
        # Earlier rows weigh more, so the window's value is the best weight
        # among the rows at or above the threshold.
        best = np.maximum.accumulate(weights[order])
        value = np.concatenate(([-profile.fn], best))
        changed = np.flatnonzero(np.diff(value) != 0)
        event_scores.append(window_scores[order][changed])
        event_deltas.append(np.diff(value)[changed])
    return np.concatenate(event_scores), np.concatenate(event_deltas)


def optimise_threshold(
    corpus: Corpus, scores: Sequence[FloatArray], profile: Profile
) -> tuple[float, float]:
    """The threshold that maximises the corpus raw score, and that score.

    Every distinct score is a candidate, as in NAB's sweep; a threshold above
    every score (the detector never fires) is one too.
    """
    pairs = [_threshold_events(f, s, profile) for f, s in zip(corpus.files, scores, strict=True)]
    event_scores = np.concatenate([p[0] for p in pairs])
    event_deltas = np.concatenate([p[1] for p in pairs])
    base = -profile.fn * corpus.window_count
    if not event_scores.size:
        return 1.1, base
    order = np.argsort(-event_scores, kind="stable")
    ordered_scores = event_scores[order]
    totals = base + np.cumsum(event_deltas[order])
    # The threshold t counts every event at or above t: keep the last of equal scores.
    last = np.flatnonzero(np.append(ordered_scores[1:] != ordered_scores[:-1], True))
    best = int(np.argmax(totals[last]))
    if totals[last][best] <= base:
        return float(ordered_scores[0]) + 1.0, base
    return float(ordered_scores[last][best]), float(totals[last][best])


def score_detector(
    corpus: Corpus,
    scores: Sequence[FloatArray],
    profiles: Iterable[Profile] = PROFILES.values(),
) -> dict[str, ProfileResult]:
    """Normalised NAB scores of one detector's ``scores`` (one array per corpus file)."""
    results: dict[str, ProfileResult] = {}
    for profile in profiles:
        threshold, _raw = optimise_threshold(corpus, scores, profile)
        per_file = {
            f.name: f.raw_score(s >= threshold, profile)
            for f, s in zip(corpus.files, scores, strict=True)
        }
        null = -profile.fn * corpus.window_count
        perfect = sum(f.raw_score(f.perfect_detections(), profile) for f in corpus.files)
        results[profile.name] = ProfileResult(
            profile.name, threshold, sum(per_file.values()), null, perfect, per_file
        )
    return results


def run_detector(
    corpus: Corpus, detect: Callable[[NabFile], Sequence[float | None]]
) -> list[FloatArray]:
    """Scores of ``detect`` on every file, None (still learning) counted as 0."""
    runs: list[FloatArray] = []
    for nab_file in corpus.files:
        raw = detect(nab_file)
        if len(raw) != len(nab_file.values):
            raise ValueError(f"{nab_file.name}: {len(raw)} scores for {len(nab_file.values)} rows")
        runs.append(np.asarray([0.0 if s is None else s for s in raw], dtype=np.float64))
    return runs


def analyzer_scores(corpus: Corpus, make: Callable[[], Any]) -> list[FloatArray]:
    """Run a fresh :class:`~rjchronos.drivers.contracts.Analyzer` from ``make`` on each file.

    The file's rows go through ``score_series`` (the analyzer sees them in
    time order, without look-ahead); scores are clipped to [0, 1].
    """

    def detect(nab_file: NabFile) -> Sequence[float | None]:
        analyzer = make()
        return analyzer.score_series(
            nab_file.name, "value", nab_file.timestamps.tolist(), nab_file.values.tolist()
        )

    return [np.clip(s, 0.0, 1.0) for s in run_detector(corpus, detect)]
