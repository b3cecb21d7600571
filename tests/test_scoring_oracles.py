"""tracker.scores.rules checked against independent implementations (test-only dependencies)."""

from __future__ import annotations

import math

import numpy as np
import properscoring
import pytest
import scoringrules
from scipy import stats
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

from tracker.scores import calibration, fits, rules

RNG = np.random.default_rng(20240601)
PS = np.round(RNG.uniform(0, 1, 200), 3)
YS = (RNG.uniform(0, 1, 200) < PS).astype(int)


@pytest.mark.parametrize("p", [0.0, 0.001, 0.2, 0.5, 0.73, 0.999, 1.0])
@pytest.mark.parametrize("y", [0, 1])
def test_brier_matches_scoringrules_and_properscoring(p: float, y: int) -> None:
    # Both libraries take observations first.
    assert rules.brier(p, y) == pytest.approx(float(scoringrules.brier_score(y, p)), abs=1e-12)
    assert rules.brier(p, y) == pytest.approx(float(properscoring.brier_score(y, p)), abs=1e-12)


def test_mean_brier_matches_sklearn() -> None:
    ours = math.fsum(rules.brier(p, y) for p, y in zip(PS, YS, strict=True)) / len(PS)
    assert ours == pytest.approx(brier_score_loss(YS, PS), abs=1e-12)


@pytest.mark.parametrize("p", [0.01, 0.2, 0.5, 0.73, 0.99])
@pytest.mark.parametrize("y", [0, 1])
def test_log_score_matches_scoringrules(p: float, y: int) -> None:
    nats, clipped = rules.log_score(p, y)
    assert not clipped
    assert nats == pytest.approx(float(scoringrules.log_score(y, p)), abs=1e-12)
    bits, _ = rules.log_score_bits(p, y)
    assert bits == pytest.approx(float(scoringrules.log_score(y, p)) / math.log(2), abs=1e-12)


def test_mean_log_score_matches_sklearn_when_unclipped() -> None:
    ps = np.clip(PS, 0.01, 0.99)
    ours = math.fsum(rules.log_score(p, y)[0] for p, y in zip(ps, YS, strict=True)) / len(ps)
    assert ours == pytest.approx(log_loss(YS, ps, labels=[0, 1]), abs=1e-12)


def test_roc_auc_matches_sklearn_with_ties() -> None:
    ps = np.round(PS, 1)  # coarse rounding makes many ties across classes
    assert calibration.roc_auc(ps, YS) == pytest.approx(roc_auc_score(YS, ps), abs=1e-12)
    ps = [0.5, 0.5, 0.5, 0.5, 0.9, 0.1]
    ys = [1, 0, 1, 0, 1, 0]
    assert calibration.roc_auc(ps, ys) == pytest.approx(roc_auc_score(ys, ps), abs=1e-12)


def test_roc_auc_matches_sklearn_random() -> None:
    rng = np.random.default_rng(7)
    for _ in range(20):
        n = int(rng.integers(2, 60))
        ps = rng.choice([0.1, 0.2, 0.5, 0.7, 0.9], n)
        ys = rng.integers(0, 2, n)
        if ys.min() == ys.max():
            assert calibration.roc_auc(ps, ys) is None
            continue
        assert calibration.roc_auc(ps, ys) == pytest.approx(roc_auc_score(ys, ps), abs=1e-12)


def test_calibration_table_matches_sklearn_calibration_curve() -> None:
    # Keep every value off a bin edge: sklearn puts an edge value in the bin below.
    ps = RNG.uniform(0, 1, 500)
    ps = ps[np.abs(ps * 10 - np.round(ps * 10)) > 1e-6]
    ys = (RNG.uniform(0, 1, len(ps)) < ps).astype(int)
    for bins in (5, 10):
        prob_true, prob_pred = calibration_curve(ys, ps, n_bins=bins, strategy="uniform")
        table = calibration.calibration_table(ps, ys, bins=bins)
        assert len(table) == len(prob_true)
        assert [r["observed"] for r in table] == pytest.approx(list(prob_true), abs=1e-12)
        assert [r["mean_forecast"] for r in table] == pytest.approx(list(prob_pred), abs=1e-12)


@pytest.mark.parametrize("k,n", [(0, 1), (1, 1), (0, 5), (3, 5), (5, 5), (7, 40), (120, 130)])
@pytest.mark.parametrize("level", [0.9, 0.95])
def test_wilson_interval_matches_scipy(k: int, n: int, level: float) -> None:
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=level, method="wilson")
    low, high = calibration.wilson_interval(k, n, level)
    assert low == pytest.approx(ci.low, abs=1e-12)
    assert high == pytest.approx(ci.high, abs=1e-12)


def test_paired_t_matches_scipy_ttest_rel() -> None:
    rng = np.random.default_rng(3)
    a = rng.uniform(0, 0.5, 25)
    b = np.clip(a + rng.normal(0.03, 0.05, 25), 0, 1)
    out = fits.paired_comparison(list(a), list(b), n_boot=200)
    ref = stats.ttest_rel(a, b)
    assert out["p_value"] == pytest.approx(ref.pvalue, rel=1e-9)
    ci = ref.confidence_interval(0.95)
    assert out["t_ci_low"] == pytest.approx(ci.low, abs=1e-12)
    assert out["t_ci_high"] == pytest.approx(ci.high, abs=1e-12)


def test_multi_category_brier_is_sum_of_one_vs_rest_briers() -> None:
    # properscoring scores one binary event; Brier's multi-category score is the sum over the
    # one-vs-rest indicators of each category.
    probs = [0.2, 0.5, 0.3]
    for k in range(3):
        expected = sum(float(properscoring.brier_score(int(j == k), f)) for j, f in enumerate(probs))
        assert rules.brier_multi(probs, k) == pytest.approx(expected, abs=1e-12)
