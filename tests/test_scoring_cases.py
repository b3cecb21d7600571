"""tracker.scores.rules on small cases worked by hand."""

from __future__ import annotations

import datetime as dt
import math
import random

import pytest

from tracker import values
from tracker.scores import calibration, fits, rules

D0 = dt.date(2024, 3, 1)


def day(n: int) -> dt.date:
    return D0 + dt.timedelta(days=n)


# --- time-weighted Brier ----------------------------------------------------------------------


def test_time_weighted_reference_example() -> None:
    # 0.8 held 6 days, then 0.4 held 3 days, no event: (6 * 0.64 + 3 * 0.16) / 9.
    forecasts = [(day(0), 0.8), (day(6), 0.4)]
    score = rules.time_weighted_brier(forecasts, None, day(9), 0)
    assert score == pytest.approx(0.48, abs=1e-12)
    assert 2 * score == pytest.approx(0.96, abs=1e-12)  # Good Judgment's 0..2 scale
    daily_gj = [rules.brier_gj(0.8, 0)] * 6 + [rules.brier_gj(0.4, 0)] * 3
    assert math.fsum(daily_gj) / 9 == pytest.approx(0.96, abs=1e-12)


def test_time_weighted_keywords_order_and_start() -> None:
    forecasts = [(day(6), 0.4), (day(0), 0.8)]  # unsorted input
    assert rules.time_weighted_brier(forecasts, end=day(9), y=0) == pytest.approx(0.48)
    assert rules.time_weighted_brier(forecasts, day(0), day(9), 0) == pytest.approx(0.48)
    # Starting on day 3: 3 days at 0.8, 3 at 0.4.
    assert rules.time_weighted_brier(forecasts, day(3), day(9), 0) == pytest.approx((3 * 0.64 + 3 * 0.16) / 6)


def test_time_weighted_same_day_and_after_close() -> None:
    # The later of two forecasts on one day counts; a forecast on or after end is ignored.
    forecasts = [(day(0), 0.1), (day(0), 0.8), (day(6), 0.4), (day(9), 0.0)]
    assert rules.time_weighted_brier(forecasts, end=day(9), y=0) == pytest.approx(0.48)
    timed = [(dt.datetime(2024, 3, 1, 18), 0.8), (dt.datetime(2024, 3, 1, 9), 0.1), (dt.datetime(2024, 3, 7, 12), 0.4)]
    assert rules.time_weighted_brier(timed, end=day(9), y=0) == pytest.approx(0.48)


def test_time_weighted_single_day_and_event() -> None:
    assert rules.time_weighted_brier([(day(0), 0.7)], end=day(1), y=1) == pytest.approx(0.09)


def test_time_weighted_errors() -> None:
    with pytest.raises(ValueError):
        rules.time_weighted_brier([], end=day(3), y=0)
    with pytest.raises(ValueError):
        rules.time_weighted_brier([(day(3), 0.5)], end=day(3), y=0)
    with pytest.raises(ValueError):
        rules.time_weighted_brier([(day(3), 0.5)], end=day(1), y=0)
    with pytest.raises(ValueError):
        rules.time_weighted_brier([(day(3), 0.5)], day(1), day(5), 0)  # start before first forecast
    with pytest.raises(ValueError):
        rules.time_weighted_brier([(day(0), 1.5)], end=day(5), y=0)


# --- per-forecast scores ----------------------------------------------------------------------


def test_metaculus_baseline() -> None:
    assert round(rules.baseline_score(0.8, 1)[0], 2) == 67.81
    assert rules.baseline_score(0.2, 0)[0] == pytest.approx(rules.baseline_score(0.8, 1)[0])
    assert rules.baseline_score(0.5, 1) == (0.0, False)
    assert rules.baseline_score(0.5, 0) == (0.0, False)
    assert rules.baseline_score(1.0, 1) == (100.0, False)
    score, clipped = rules.baseline_score(0.0, 1)
    assert clipped and score == pytest.approx(100 * (1 + math.log2(rules.LOG_CLIP)))


@pytest.mark.parametrize("p", [0.0, 0.1, 0.3, 0.5, 0.6, 0.77, 1.0, 1 / 3])
@pytest.mark.parametrize("y", [0, 1])
def test_binary_brier_is_half_of_brier_gj(p: float, y: int) -> None:
    assert rules.brier(p, y) == rules.brier_gj(p, y) / 2


def test_brier_gj_always_half_is_half() -> None:
    assert rules.brier_gj(0.5, 1) == 0.5
    assert rules.brier_gj(0.0, 1) == 2.0


def test_log_score_bits() -> None:
    assert rules.log_score_bits(0.5, 1) == (pytest.approx(1.0), False)
    assert rules.log_score_bits(0.25, 1) == (pytest.approx(2.0), False)
    bits, clipped = rules.log_score_bits(1.0, 0)
    assert clipped and bits == pytest.approx(math.log2(1000))


def test_spherical() -> None:
    norm = math.sqrt(0.8**2 + 0.2**2)
    assert rules.spherical(0.8, 1) == pytest.approx(0.8 / norm)
    assert rules.spherical(0.8, 0) == pytest.approx(0.2 / norm)
    assert rules.spherical(1.0, 1) == 1.0
    assert rules.spherical(0.5, 0) == pytest.approx(1 / math.sqrt(2))


def test_skill_scores_worked_set() -> None:
    ps = [0.9, 0.6, 0.2, 0.1, 0.3]
    ys = [1, 1, 0, 0, 0]
    # Briers 0.01, 0.16, 0.04, 0.01, 0.09 -> mean 0.062; base rate 0.4 -> climatology 0.24.
    mean_bs = math.fsum(rules.brier(p, y) for p, y in zip(ps, ys, strict=True)) / len(ps)
    assert mean_bs == pytest.approx(0.062)
    assert rules.climatology_reference(ys) == pytest.approx(0.24)
    assert rules.CHANCE_REFERENCE == 0.25
    assert rules.skill_score(mean_bs, rules.CHANCE_REFERENCE) == pytest.approx(1 - 0.062 / 0.25)
    assert rules.skill_score(mean_bs, rules.climatology_reference(ys)) == pytest.approx(1 - 0.062 / 0.24)
    assert rules.skill_score(0.25, 0.25) == 0.0
    assert rules.skill_score(0.1, rules.climatology_reference([1, 1, 1])) is None
    with pytest.raises(ValueError):
        rules.climatology_reference([])


# --- multiple choice --------------------------------------------------------------------------


def test_multi_category_by_hand() -> None:
    probs = [0.5, 0.3, 0.2]
    # Outcome is category 1: (0.5 - 0)^2 + (0.3 - 1)^2 + (0.2 - 0)^2 = 0.25 + 0.49 + 0.04.
    assert rules.brier_multi(probs, 1) == pytest.approx(0.78)
    assert rules.brier_multi(probs, 0) == pytest.approx(0.25 + 0.09 + 0.04)
    assert rules.log_score_multi(probs, 1) == (pytest.approx(-math.log(0.3)), False)
    assert rules.log_score_multi([1.0, 0.0], 1) == (pytest.approx(-math.log(rules.LOG_CLIP)), True)
    # Two categories reduce to the binary forms (brier_multi on the 0..2 scale).
    assert rules.brier_multi([0.3, 0.7], 0) == pytest.approx(rules.brier_gj(0.3, 1))
    assert rules.brier_multi([1.0, 0.0, 0.0], 0) == 0.0
    assert rules.brier_multi([0.0, 1.0, 0.0], 0) == 2.0


def test_check_distribution() -> None:
    with pytest.raises(ValueError, match=r"^probabilities sum to 0\.9, not 1; pass normalise to rescale$"):
        values.check_distribution([0.3, 0.3, 0.3])
    assert values.check_distribution([0.3, 0.3, 0.3], normalise=True) == pytest.approx([1 / 3] * 3)
    assert values.check_distribution([0.2, 0.8]) == [0.2, 0.8]
    assert values.check_distribution([0.2, 0.8000001]) == [0.2, 0.8000001]  # within tol
    for bad in ([0.5, float("nan")], [1.2, -0.2], [-0.1, 1.1], [1.0]):
        with pytest.raises(ValueError):
            values.check_distribution(bad, normalise=True)
    with pytest.raises(ValueError):
        values.check_distribution([0.0, 0.0], normalise=True)
    with pytest.raises(ValueError):
        rules.brier_multi([0.5, 0.5], 2)


# --- binning ----------------------------------------------------------------------------------


def test_bin_edge_trap() -> None:
    assert 0.1 * 6 != 0.6  # the float trap the rule avoids
    assert calibration.bin_index(0.6, 10) == 6
    assert calibration.bin_index(0.7, 10) == 7
    assert calibration.bin_index(0.3, 10) == 3
    assert calibration.bin_index(1.0, 10) == 9
    assert calibration.bin_index(0.0, 10) == 0
    assert calibration.bin_index(0.1 * 6, 10) == 6
    assert calibration.bin_index(0.5999999999999999, 10) == 5
    assert calibration.bin_index(0.65, 10) == 6


def test_bin_edges_with_thirds() -> None:
    third = 0.3333333333333333
    assert third == 1 / 3
    # 0.3333333333333333 is the float of the edge 1/3 itself, so it opens bin 1 = [1/3, 2/3),
    # exactly as the table's `lower` shows it; the float just below stays in bin 0.
    assert calibration.bin_index(third, 3) == 1
    assert calibration.bin_index(0.33333333333333326, 3) == 0
    assert calibration.bin_index(0.6666666666666666, 3) == 2
    assert calibration.bin_index(0.29, 100) == 29
    for K in (3, 7, 10, 12, 100):
        for k in range(K):
            assert calibration.bin_index(k / K, K) == k
    assert calibration.bin_index(0.3333333333333334, 3) == 1
    assert calibration.bin_index(1.0, 3) == 2
    assert calibration.bin_index(0.0, 3) == 0
    assert calibration.bin_index(0.5, 1) == 0


def test_bin_index_rejects() -> None:
    for p, k in ((1.01, 10), (-0.1, 10), (float("nan"), 10), (0.5, 0), (0.5, 2.5)):
        with pytest.raises(ValueError):
            calibration.bin_index(p, k)  # type: ignore[arg-type]


def test_calibration_table_by_hand() -> None:
    ps = [0.6, 0.6, 0.65, 0.7, 0.1, 1.0]
    ys = [1, 0, 1, 1, 0, 1]
    table = calibration.calibration_table(ps, ys, bins=10)
    assert [(r["lower"], r["upper"], r["n"]) for r in table] == [
        (0.1, 0.2, 1), (0.6, 0.7, 3), (0.7, 0.8, 1), (0.9, 1.0, 1)]
    row = table[1]
    assert row["lower"] == 6 / 10 and row["upper"] == 7 / 10
    assert row["mean_forecast"] == pytest.approx(1.85 / 3)
    assert row["observed"] == pytest.approx(2 / 3)
    assert (row["ci_low"], row["ci_high"]) == calibration.wilson_interval(2, 3)
    assert row["ci_low"] < row["observed"] < row["ci_high"]
    assert set(row) == {"lower", "upper", "n", "mean_forecast", "observed", "ci_low", "ci_high"}


def test_wilson_interval_edges() -> None:
    low, high = calibration.wilson_interval(0, 10)
    assert low == 0.0 and 0 < high < 0.35
    low, high = calibration.wilson_interval(10, 10)
    assert high == 1.0 and 0.65 < low < 1
    with pytest.raises(ValueError):
        calibration.wilson_interval(0, 0)
    with pytest.raises(ValueError):
        calibration.wilson_interval(4, 3)


# --- decompositions ---------------------------------------------------------------------------


def test_murphy_by_hand_one_value_per_bin() -> None:
    ps = [0.2, 0.2, 0.2, 0.2, 0.8, 0.8, 0.8, 0.8]
    ys = [0, 0, 0, 1, 1, 1, 1, 0]
    d = calibration.murphy_decomposition(ps, ys, bins=10)
    # Bins: 0.2 -> observed 0.25, 0.8 -> observed 0.75; base rate 0.5.
    assert d["n"] == 8
    assert d["reliability"] == pytest.approx(0.05**2)
    assert d["resolution"] == pytest.approx(0.25**2)
    assert d["uncertainty"] == pytest.approx(0.25)
    assert d["within_bin_variance"] == 0.0 and d["within_bin_covariance"] == 0.0
    assert d["brier"] == pytest.approx((6 * 0.04 + 2 * 0.64) / 8)
    assert d["brier"] == pytest.approx(d["reliability"] - d["resolution"] + d["uncertainty"], abs=1e-12)


def test_murphy_within_bin_terms_by_hand() -> None:
    # One bin (K = 1): REL = (f̄ - ō)^2, RES = 0, WBV = Var(f), WBC = 2 Cov(f, o).
    ps = [0.2, 0.4, 0.9]
    ys = [0, 1, 1]
    d = calibration.murphy_decomposition(ps, ys, bins=1)
    assert d["resolution"] == 0.0
    assert d["reliability"] == pytest.approx((0.5 - 2 / 3) ** 2)
    assert d["within_bin_variance"] == pytest.approx(((0.3) ** 2 + (0.1) ** 2 + (0.4) ** 2) / 3)
    cov = ((-0.3) * (-2 / 3) + (-0.1) * (1 / 3) + 0.4 * (1 / 3)) / 3
    assert d["within_bin_covariance"] == pytest.approx(2 * cov)


def test_yates_by_hand() -> None:
    ps = [0.9, 0.7, 0.4, 0.2]
    ys = [1, 1, 0, 0]
    d = calibration.yates_decomposition(ps, ys)
    assert d["var_y"] == pytest.approx(0.25)
    assert d["min_var_f"] == pytest.approx((0.8 - 0.3) ** 2 * 0.25)
    assert d["scatter"] == pytest.approx(0.5 * 0.01 + 0.5 * 0.01)
    assert d["bias"] == pytest.approx(0.05)
    assert d["bias_squared"] == pytest.approx(0.0025)
    assert d["covariance"] == pytest.approx((0.35 * 0.5 + 0.15 * 0.5 + 0.15 * 0.5 + 0.35 * 0.5) / 4)
    identity = d["var_y"] + d["min_var_f"] + d["scatter"] + d["bias_squared"] - 2 * d["covariance"]
    assert d["brier"] == pytest.approx(identity, abs=1e-12)


def test_yates_one_class() -> None:
    d = calibration.yates_decomposition([0.9, 0.5, 0.7], [1, 1, 1])
    assert d["var_y"] == 0.0 and d["min_var_f"] == 0.0 and d["covariance"] == 0.0
    assert d["scatter"] == pytest.approx(((0.2) ** 2 + (0.2) ** 2 + 0.0) / 3)
    assert d["bias"] == pytest.approx(-0.3)
    identity = d["scatter"] + d["bias_squared"]
    assert d["brier"] == pytest.approx(identity, abs=1e-12)


def test_roc_auc_cases() -> None:
    assert calibration.roc_auc([0.9, 0.8, 0.2, 0.1], [1, 1, 0, 0]) == 1.0
    assert calibration.roc_auc([0.1, 0.2, 0.8, 0.9], [1, 1, 0, 0]) == 0.0
    assert calibration.roc_auc([0.5, 0.5], [1, 0]) == 0.5
    assert calibration.roc_auc([0.5, 0.7], [1, 1]) is None


# --- comparisons ------------------------------------------------------------------------------


def test_peer_scores_by_hand() -> None:
    scores = fits.peer_scores({"a": 0.8, "b": 0.2})
    # GM = 0.4; 100 * 2/1 * ln(0.8/0.4) = 200 ln 2.
    assert scores["a"] == pytest.approx(200 * math.log(2))
    assert scores["b"] == pytest.approx(-200 * math.log(2))
    three = fits.peer_scores({"a": 0.5, "b": 0.5, "c": 0.0})  # c clipped at LOG_CLIP
    assert math.isfinite(three["c"]) and three["c"] < 0
    assert math.fsum(three.values()) == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(ValueError):
        fits.peer_scores({"a": 0.5})


def test_paired_comparison_basic_and_deterministic() -> None:
    a = [0.1, 0.2, 0.05, 0.3, 0.15, 0.22]
    b = [0.2, 0.25, 0.1, 0.28, 0.3, 0.2]
    out = fits.paired_comparison(a, b, seed=1, n_boot=500)
    assert out["n_common"] == 6
    assert out["brier_a"] == pytest.approx(sum(a) / 6)
    assert out["brier_b"] == pytest.approx(sum(b) / 6)
    assert out["mean_difference"] == pytest.approx(out["brier_a"] - out["brier_b"])
    assert out["ci_low"] <= out["mean_difference"] <= out["ci_high"]
    assert out["t_ci_low"] < out["mean_difference"] < out["t_ci_high"]
    assert 0 < out["p_value"] < 1
    assert fits.paired_comparison(a, b, seed=1, n_boot=500) == out
    assert fits.paired_comparison(a, b, seed=2, n_boot=500)["ci_low"] != out["ci_low"]


def test_paired_comparison_degenerate() -> None:
    empty = fits.paired_comparison([], [])
    assert empty["n_common"] == 0 and all(v is None for k, v in empty.items() if k != "n_common")
    one = fits.paired_comparison([0.1], [0.3])
    assert one["mean_difference"] == pytest.approx(-0.2)
    assert all(one[k] is None for k in ("ci_low", "ci_high", "t_ci_low", "t_ci_high", "p_value"))
    flat = fits.paired_comparison([0.1, 0.2, 0.3], [0.2, 0.3, 0.4], n_boot=50)
    assert flat["p_value"] is None
    # every difference the same: no interval rather than a zero-width one that looks certain
    assert flat["ci_low"] is flat["ci_high"] is flat["t_ci_low"] is None and flat["mean_difference"] is not None
    same = fits.paired_comparison([0.1, 0.2], [0.1, 0.2], n_boot=50)
    assert same["mean_difference"] == 0.0 and same["p_value"] is None
    for out in (empty, one, flat, same):
        assert not any(isinstance(v, float) and math.isnan(v) for v in out.values())
    with pytest.raises(ValueError):
        fits.paired_comparison([0.1], [0.1, 0.2])


def test_difficulty_adjusted_recovers_additive_effects() -> None:
    a = {"A": 0.05, "B": 0.10, "C": 0.0}
    b = {"q1": 0.0, "q2": 0.3, "q3": 0.1}
    answered = {"A": ["q1", "q2"], "B": ["q2", "q3"], "C": ["q1", "q3"]}
    rows = [(who, q, a[who] + b[q]) for who, qs in answered.items() for q in qs]
    out = fits.difficulty_adjusted(rows)
    assert out["A"]["adjusted_brier"] - out["B"]["adjusted_brier"] == pytest.approx(-0.05, abs=1e-9)
    assert out["C"]["adjusted_brier"] - out["A"]["adjusted_brier"] == pytest.approx(-0.05, abs=1e-9)
    # Question effects average 0, so a_i is the Brier on a question of average difficulty.
    mean_b = sum(b.values()) / 3
    for who in a:
        assert out[who]["n"] == 2
        assert out[who]["fixed_effect"] == pytest.approx(a[who] + mean_b, abs=1e-9)
        assert out[who]["adjusted_brier"] == pytest.approx(out[who]["fixed_effect"], abs=1e-9)
    # Raw means put B 0.10 behind A, half of it from B drawing the hard q3 instead of q1.
    raw = {who: sum(a[who] + b[q] for q in qs) / 2 for who, qs in answered.items()}
    assert raw["B"] - raw["A"] == pytest.approx(0.10)


def test_difficulty_adjusted_common_questions_keeps_raw_ranking() -> None:
    rng = random.Random(5)
    questions = [f"q{j}" for j in range(12)]
    rows = [(f"f{i}", q, rng.random() * 0.5) for i in range(8) for q in questions]
    out = fits.difficulty_adjusted(rows)
    raw = {f"f{i}": sum(r[2] for r in rows if r[0] == f"f{i}") / len(questions) for i in range(8)}
    assert sorted(raw, key=raw.get) == sorted(out, key=lambda k: out[k]["adjusted_brier"])
    for who in raw:
        assert out[who]["adjusted_brier"] == pytest.approx(raw[who], abs=1e-9)


def test_difficulty_adjusted_disconnected_groups_and_empty() -> None:
    rows = [("A", "q1", 0.1), ("B", "q1", 0.3), ("C", "q9", 0.2)]
    out = fits.difficulty_adjusted(rows)
    assert out["C"]["adjusted_brier"] == pytest.approx(0.2)
    assert out["B"]["adjusted_brier"] - out["A"]["adjusted_brier"] == pytest.approx(0.2)
    assert fits.difficulty_adjusted([]) == {}


def test_difficulty_adjusted_counts_rows_and_distinct_questions() -> None:
    # two forecasts by A on q1 are two observations of one question
    rows = [("A", "q1", 0.1), ("A", "q1", 0.2), ("A", "q2", 0.3), ("B", "q1", 0.4), ("B", "q2", 0.1)]
    out = fits.difficulty_adjusted(rows)
    assert (out["A"]["n"], out["A"]["questions"]) == (3, 2)
    assert (out["B"]["n"], out["B"]["questions"]) == (2, 2)
