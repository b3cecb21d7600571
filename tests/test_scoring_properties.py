"""Properties of tracker.scores.rules that must hold for any input (hypothesis)."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.scores import calibration, fits, rules

FAST = settings(max_examples=80, deadline=None)

probability = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
# Mix in values on and next to bin edges, where binning goes wrong.
edgy = st.one_of(probability, st.sampled_from([0.0, 0.1, 0.2, 0.3, 0.5, 0.6, 0.7, 1.0, 1 / 3, 2 / 3, 0.25, 0.75]))


@st.composite
def forecast_sets(draw: st.DrawFn, min_size: int = 1, max_size: int = 60) -> tuple[list[float], list[int]]:
    n = draw(st.integers(min_value=min_size, max_value=max_size))
    ps = draw(st.lists(edgy, min_size=n, max_size=n))
    ys = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    return ps, ys


def _mean_brier(ps: list[float], ys: list[int]) -> float:
    return math.fsum((p - y) ** 2 for p, y in zip(ps, ys, strict=True)) / len(ps)


@FAST
@given(forecast_sets(), st.integers(min_value=1, max_value=25))
def test_stephenson_identity(data: tuple[list[float], list[int]], bins: int) -> None:
    ps, ys = data
    d = calibration.murphy_decomposition(ps, ys, bins=bins)
    total = (d["reliability"] - d["resolution"] + d["uncertainty"]
             + d["within_bin_variance"] - d["within_bin_covariance"])
    assert abs(total - d["brier"]) <= 1e-12
    assert d["brier"] == pytest.approx(_mean_brier(ps, ys), abs=1e-15)
    assert d["n"] == len(ps)
    assert d["reliability"] >= 0 and d["resolution"] >= 0 and d["within_bin_variance"] >= 0


@FAST
@given(forecast_sets())
def test_yates_identity(data: tuple[list[float], list[int]]) -> None:
    ps, ys = data
    d = calibration.yates_decomposition(ps, ys)
    total = d["var_y"] + d["min_var_f"] + d["scatter"] + d["bias_squared"] - 2 * d["covariance"]
    assert abs(total - d["brier"]) <= 1e-12
    assert d["brier"] == pytest.approx(_mean_brier(ps, ys), abs=1e-15)


@FAST
@given(forecast_sets())
def test_yates_terms_are_the_exact_values_correctly_rounded(data: tuple[list[float], list[int]]) -> None:
    """Yates's terms, computed here with exact rationals from the forecasts themselves, then rounded
    once: the integer arithmetic of yates_from_sums must give the same floats to the bit."""
    from fractions import Fraction

    ps, ys = data
    f = [Fraction(p) for p in ps]
    n, e = len(ps), sum(ys)
    ybar = Fraction(e, n)
    events = [p for p, y in zip(f, ys, strict=True) if y]
    others = [p for p, y in zip(f, ys, strict=True) if not y]

    def mean(xs):
        return sum(xs, Fraction(0)) / len(xs)

    def var(xs):
        return mean([x * x for x in xs]) - mean(xs) ** 2 if xs else Fraction(0)

    fbar = mean(f)
    exact = {"brier": mean([(p - y) ** 2 for p, y in zip(f, ys, strict=True)]), "var_y": ybar * (1 - ybar),
             "min_var_f": (mean(events) - mean(others)) ** 2 * ybar * (1 - ybar) if events and others else 0,
             "scatter": ybar * var(events) + (1 - ybar) * var(others), "bias": fbar - ybar,
             "bias_squared": (fbar - ybar) ** 2,
             "covariance": mean([p * y for p, y in zip(f, ys, strict=True)]) - fbar * ybar}
    got = calibration.yates_from_sums(calibration.sums_of(ps, ys, 10))
    assert {k: got[k] for k in exact} == {k: float(v) for k, v in exact.items()}


@FAST
@given(forecast_sets(min_size=2), st.integers(min_value=1, max_value=20), st.randoms(use_true_random=False))
def test_decompositions_ignore_row_order(data: tuple[list[float], list[int]], bins: int, rnd: random.Random) -> None:
    ps, ys = data
    pairs = list(zip(ps, ys, strict=True))
    rnd.shuffle(pairs)
    ps2, ys2 = [p for p, _ in pairs], [y for _, y in pairs]
    m1, m2 = calibration.murphy_decomposition(ps, ys, bins), calibration.murphy_decomposition(ps2, ys2, bins)
    y1, y2 = calibration.yates_decomposition(ps, ys), calibration.yates_decomposition(ps2, ys2)
    for key in m1:
        assert m1[key] == pytest.approx(m2[key], abs=1e-12)
    for key in y1:
        assert y1[key] == pytest.approx(y2[key], abs=1e-12)
    t1, t2 = calibration.calibration_table(ps, ys, bins), calibration.calibration_table(ps2, ys2, bins)
    assert len(t1) == len(t2)
    for r1, r2 in zip(t1, t2, strict=True):
        assert r1 == pytest.approx(r2, abs=1e-12)


@FAST
@given(forecast_sets(), st.integers(min_value=1, max_value=25))
def test_calibration_table_counts_and_bounds(data: tuple[list[float], list[int]], bins: int) -> None:
    ps, ys = data
    table = calibration.calibration_table(ps, ys, bins=bins)
    assert sum(r["n"] for r in table) == len(ps)
    assert sum(round(r["observed"] * r["n"]) for r in table) == sum(ys)
    lowers = [r["lower"] for r in table]
    assert lowers == sorted(set(lowers))
    for r in table:
        assert r["n"] > 0
        assert 0.0 <= r["ci_low"] <= r["observed"] <= r["ci_high"] <= 1.0
        k = round(r["lower"] * bins)
        assert r["lower"] == k / bins and r["upper"] == (k + 1) / bins


@FAST
@given(edgy, st.integers(min_value=1, max_value=50))
def test_bin_index_is_in_range_and_monotone(p: float, bins: int) -> None:
    k = calibration.bin_index(p, bins)
    assert 0 <= k < bins
    # Never more than one float-step away from the exact rule on the float's own value.
    assert k == min(bins - 1, math.floor(p * bins)) or abs(p * bins - round(p * bins)) < 1e-9
    q = min(1.0, p + 1e-9)
    assert calibration.bin_index(q, bins) >= k


@pytest.mark.parametrize("q_index", range(1, 100))
def test_brier_and_log_are_proper_on_a_grid(q_index: int) -> None:
    grid = [i / 100 for i in range(1, 100)]
    q = grid[q_index - 1]
    expected_brier = [q * (1 - r) ** 2 + (1 - q) * r**2 for r in grid]
    assert grid[expected_brier.index(min(expected_brier))] == q
    expected_brier_ours = [q * rules.brier(r, 1) + (1 - q) * rules.brier(r, 0) for r in grid]
    assert grid[expected_brier_ours.index(min(expected_brier_ours))] == q
    expected_log = [q * rules.log_score(r, 1)[0] + (1 - q) * rules.log_score(r, 0)[0] for r in grid]
    assert grid[expected_log.index(min(expected_log))] == q
    expected_sph = [q * rules.spherical(r, 1) + (1 - q) * rules.spherical(r, 0) for r in grid]
    assert grid[expected_sph.index(max(expected_sph))] == q


@FAST
@given(st.lists(probability, min_size=2, max_size=30))
def test_peer_scores_sum_to_zero(ps: list[float]) -> None:
    scores = fits.peer_scores({f"f{i}": p for i, p in enumerate(ps)})
    assert len(scores) == len(ps)
    assert abs(math.fsum(scores.values())) <= 1e-9 * max(1.0, max(abs(v) for v in scores.values()))


@FAST
@given(forecast_sets(min_size=1))
def test_roc_auc_is_a_probability_and_flips(data: tuple[list[float], list[int]]) -> None:
    ps, ys = data
    auc = calibration.roc_auc(ps, ys)
    if len(set(ys)) < 2:
        assert auc is None
        return
    assert auc is not None and 0.0 <= auc <= 1.0
    flipped = calibration.roc_auc(ps, [1 - y for y in ys])
    assert flipped == pytest.approx(1 - auc, abs=1e-12)


@FAST
@given(probability, st.integers(0, 1))
def test_per_forecast_relations(p: float, y: int) -> None:
    assert rules.brier(p, y) == rules.brier_gj(p, y) / 2
    assert rules.brier_multi([1 - p, p], y) == pytest.approx(rules.brier_gj(p, y), abs=1e-12)
    nats, clipped = rules.log_score(p, y)
    bits, clipped_bits = rules.log_score_bits(p, y)
    assert clipped == clipped_bits and bits == pytest.approx(nats / math.log(2))
    base, clipped_base = rules.baseline_score(p, y)
    assert clipped_base == clipped and base == pytest.approx(100 * (1 - bits))
    assert 0.0 <= rules.spherical(p, y) <= 1.0


@FAST
@given(st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=2, max_size=30), st.integers(0, 2**32 - 1))
def test_paired_comparison_never_nan(a: list[float], seed: int) -> None:
    b = list(reversed(a))
    out = fits.paired_comparison(a, b, seed=seed, n_boot=100)
    assert out["n_common"] == len(a)
    for value in out.values():
        assert value is None or math.isfinite(value)
    if out["ci_low"] is not None:
        assert out["ci_low"] <= out["ci_high"]


@settings(max_examples=30, deadline=None)
@given(
    st.integers(min_value=2, max_value=6),
    st.integers(min_value=2, max_value=10),
    st.randoms(use_true_random=False),
)
def test_difficulty_adjustment_shift_and_common_set_ranking(n_authors: int, n_questions: int,
                                                            rnd: random.Random) -> None:
    rows = [(f"a{i}", f"q{j}", rnd.random()) for i in range(n_authors) for j in range(n_questions)]
    out = fits.difficulty_adjusted(rows)
    raw = {f"a{i}": math.fsum(r[2] for r in rows if r[0] == f"a{i}") / n_questions for i in range(n_authors)}
    for who in raw:
        assert out[who]["adjusted_brier"] == pytest.approx(raw[who], abs=1e-9)
    # Making one question harder for everybody changes nobody's adjusted score.
    harder = [(a, q, s + 0.3 if q == "q0" else s) for a, q, s in rows]
    out2 = fits.difficulty_adjusted(harder)
    diffs = [out2[w]["adjusted_brier"] - out[w]["adjusted_brier"] for w in out]
    assert max(diffs) - min(diffs) == pytest.approx(0.0, abs=1e-9)
