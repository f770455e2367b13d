"""NAB scoring: hand-computed cases and the threshold sweep against brute force."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from rjchronos_sdk.nab import (
    PROFILES,
    Corpus,
    NabDataError,
    NabFile,
    load_corpus,
    optimise_threshold,
    probation_rows,
    score_detector,
)

NAB_DIR = Path(__file__).parent / "data" / "nab"
STANDARD = PROFILES["standard"]


def sigmoid(y: float) -> float:
    return 2 / (1 + math.exp(5 * y)) - 1


def series(windows: list[tuple[int, int]], n: int = 100) -> NabFile:
    return NabFile("s.csv", np.arange(n, dtype=float), np.zeros(n), windows)


def fire(*rows: int, n: int = 100) -> np.ndarray:
    detections = np.zeros(n, dtype=bool)
    detections[list(rows)] = True
    return detections


def test_probation_is_15_percent_capped_at_750_rows() -> None:
    assert probation_rows(100) == 15
    assert probation_rows(4032) == 604
    assert probation_rows(15831) == 750


def test_detection_at_window_start_end_and_missed() -> None:
    f = series([(40, 49)])
    assert f.raw_score(fire(40), STANDARD) == pytest.approx(sigmoid(-1.0))
    assert f.raw_score(fire(40), STANDARD) == pytest.approx(0.98661, abs=1e-5)
    assert f.raw_score(fire(49), STANDARD) == pytest.approx(sigmoid(-0.1))
    # Only the first detection of a window counts.
    assert f.raw_score(fire(45, 41), STANDARD) == pytest.approx(sigmoid(-0.9))
    assert f.raw_score(fire(), STANDARD) == -1.0
    assert f.raw_score(fire(), PROFILES["reward_low_FN_rate"]) == -2.0


def test_false_positives_before_and_after_a_window() -> None:
    f = series([(40, 49)])
    # No window before row 20: the full -fp.
    assert f.raw_score(fire(20), STANDARD) == pytest.approx(-1.0 - 0.11)
    # Row 60 is 11 rows after a 10-row window: y = 11 / 9.
    assert f.raw_score(fire(60), STANDARD) == pytest.approx(-1.0 + 0.11 * sigmoid(11 / 9))
    # Just after the window the sigmoid is near 0: a late detection costs little.
    assert f.raw_score(fire(50), STANDARD) == pytest.approx(-1.0 + 0.11 * sigmoid(1 / 9))
    assert f.raw_score(fire(60), PROFILES["reward_low_FP_rate"]) == pytest.approx(
        -1.0 + 0.22 * sigmoid(11 / 9)
    )


def test_probationary_rows_are_not_scored() -> None:
    f = series([(40, 49)])
    assert f.raw_score(fire(3, 14), STANDARD) == -1.0
    partly = series([(10, 19)])
    # Rows 10-14 are probationary; row 15 is the first that can count.
    assert partly.raw_score(fire(12, 16), STANDARD) == pytest.approx(sigmoid(-4 / 10))


def test_normalised_score_of_a_late_detection() -> None:
    f = series([(40, 49)])

    corpus = Corpus(Path("."), [f])
    scores = np.zeros(100)
    scores[49] = 0.9
    result = score_detector(corpus, [scores])["standard"]
    assert result.threshold == 0.9
    assert result.null == -1.0
    assert result.perfect == pytest.approx(sigmoid(-1))
    assert result.score == pytest.approx(100 * (sigmoid(-0.1) + 1) / (sigmoid(-1) + 1))


def test_threshold_sweep_matches_brute_force() -> None:
    rng = np.random.default_rng(7)
    files = [series([(30, 39), (70, 79)]), series([]), series([(50, 59)])]

    corpus = Corpus(Path("."), files)
    scores = [np.round(rng.random(100), 2) for _ in files]
    for profile in PROFILES.values():
        threshold, raw = optimise_threshold(corpus, scores, profile)
        candidates = [*np.unique(np.concatenate(scores)), 2.0]
        brute = max(
            sum(f.raw_score(s >= t, profile) for f, s in zip(files, scores, strict=True))
            for t in candidates
        )
        assert raw == pytest.approx(brute)
        recomputed = sum(
            f.raw_score(s >= threshold, profile) for f, s in zip(files, scores, strict=True)
        )
        assert recomputed == pytest.approx(raw)


def test_null_and_perfect_detectors_on_real_nab_files() -> None:
    corpus = load_corpus(NAB_DIR)
    assert [f.name for f in corpus.files] == [
        "artificialNoAnomaly/art_daily_small_noise.csv",
        "artificialWithAnomaly/art_daily_jumpsup.csv",
    ]
    jumps = corpus.files[1]
    assert len(jumps.values) == 4032
    (start, end) = jumps.windows[0]
    assert end - start + 1 == 403  # 10% of the file
    null = score_detector(corpus, [np.zeros(len(f.values)) for f in corpus.files])
    perfect = score_detector(corpus, [f.perfect_detections().astype(float) for f in corpus.files])
    for profile in PROFILES:
        assert null[profile].score == 0.0
        assert perfect[profile].score == pytest.approx(100.0)
    # Firing on every row: one early true positive, and every other row a false positive.
    always = score_detector(corpus, [np.ones(len(f.values)) for f in corpus.files])
    assert always["standard"].threshold > 1.0  # never firing beats firing everywhere


def test_halves_take_every_other_file_in_name_order() -> None:
    corpus = load_corpus(NAB_DIR)
    even, odd = corpus.half("even"), corpus.half("odd")
    assert [f.name for f in even.files] == [corpus.files[0].name]
    assert [f.name for f in odd.files] == [corpus.files[1].name]
    assert even.window_count + odd.window_count == corpus.window_count
    with pytest.raises(ValueError, match="half is one of even, odd"):
        corpus.half("first")


def test_bad_files_are_named(tmp_path: Path) -> None:
    (tmp_path / "data" / "c").mkdir(parents=True)
    (tmp_path / "labels").mkdir()
    (tmp_path / "labels" / "combined_windows.json").write_text(json.dumps({"c/a.csv": []}))
    with pytest.raises(NabDataError, match=r"c/a.csv is labelled but .* is missing"):
        load_corpus(tmp_path)
    (tmp_path / "data" / "c" / "a.csv").write_text("timestamp,value\n2014-01-01 00:00:00,x\n")
    with pytest.raises(NabDataError, match=r"c/a.csv:2: value 'x' is not a number"):
        load_corpus(tmp_path)
    with pytest.raises(NabDataError, match="not a NAB directory"):
        load_corpus(tmp_path / "data")


def literal_raw_score(
    n: int, windows: list[tuple[int, int]], fired: set[int], tp: float, fp: float, fn: float
) -> float:
    """NAB's rules applied row by row, as its documentation states them, for comparison."""
    probation = probation_rows(n)
    total = 0.0
    caught: set[int] = set()
    previous: tuple[int, int] | None = None
    for i in range(n):
        inside = [k for k, (a, b) in enumerate(windows) if a <= i <= b]
        if inside:
            previous = None
        else:
            before = [w for w in windows if w[1] < i]
            previous = before[-1] if before else None
        if i < probation or i not in fired:
            continue
        if inside:
            k = inside[0]
            if k not in caught:
                caught.add(k)
                a, b = windows[k]
                total += tp * sigmoid(-(b - i + 1) / (b - a + 1))
        elif previous is not None:
            a, b = previous
            y = (i - b) / (b - a)
            total += fp * (-1.0 if y > 3 else sigmoid(y))
        else:
            total -= fp
    return total - fn * (len(windows) - len(caught))


def test_raw_scores_match_the_rules_applied_row_by_row() -> None:
    rng = np.random.default_rng(11)
    for _ in range(30):
        n = int(rng.integers(60, 300))
        cuts = np.sort(
            rng.choice(np.arange(5, n - 5), size=2 * int(rng.integers(0, 4)), replace=False)
        )
        windows = [(int(a), int(b)) for a, b in cuts.reshape(-1, 2)]
        fired = set(rng.choice(n, size=int(rng.integers(0, 12)), replace=False).tolist())
        nab_file = series(windows, n)
        detections = np.zeros(n, dtype=bool)
        detections[list(fired)] = True
        for profile in PROFILES.values():
            expected = literal_raw_score(n, windows, fired, profile.tp, profile.fp, profile.fn)
            assert nab_file.raw_score(detections, profile) == pytest.approx(expected)
