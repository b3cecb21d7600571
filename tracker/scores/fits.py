"""Fits across forecasters: paired comparisons, the difficulty-adjusted board and peer scores.

Unlike the per-forecast rules (tracker.scores.rules) each of these needs several forecasters'
scores at once. NumPy and SciPy are imported by the functions that need them, so importing this
module costs nothing.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

from tracker.scores import sums
from tracker.scores.rules import LOG_CLIP, _check_p

#: Spread of paired differences below which they are treated as all equal (float noise).
_ZERO_SPREAD = 1e-12


def paired_comparison(
    a_scores: Sequence[float],
    b_scores: Sequence[float],
    *,
    seed: int = 0,
    n_boot: int = 10000,
    level: float = 0.95,
) -> dict[str, Any]:
    """Compare forecasters A and B on common questions, from paired per-question Brier scores.

    d_i = a_i - b_i (negative favours A). Keys: n_common, brier_a, brier_b, mean_difference,
    ci_low/ci_high (percentile bootstrap over questions, n_boot resamples from
    numpy.random.default_rng(seed), so the result is reproducible), t_ci_low/t_ci_high (paired
    Student-t interval, mean d ± t(n-1)·s/√n) and p_value (two-sided paired t-test).

    Undefined values are None, never NaN: with no pairs everything but n_common; with n < 2 both
    intervals and the p-value; when every d_i is equal (zero variance, judged with a 1e-12
    allowance for float noise) both intervals and the p-value too (t is 0/0 or ±∞, and a
    zero-width interval would look certain).
    """
    import numpy as np
    from scipy import stats  # SciPy only when a comparison runs: its import costs 0.5 s

    if len(a_scores) != len(b_scores):
        raise ValueError(f"need paired scores, got {len(a_scores)} and {len(b_scores)}")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    n = len(a_scores)
    out: dict[str, Any] = {
        "n_common": n, "brier_a": None, "brier_b": None, "mean_difference": None,
        "ci_low": None, "ci_high": None, "t_ci_low": None, "t_ci_high": None, "p_value": None,
    }
    if n == 0:
        return out
    a = np.asarray(a_scores, dtype=float)
    b = np.asarray(b_scores, dtype=float)
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise ValueError("scores must be finite numbers")
    d = a - b
    mean_d = math.fsum(d) / n
    out.update(brier_a=math.fsum(a) / n, brier_b=math.fsum(b) / n, mean_difference=mean_d)
    if n < 2:
        return out
    # Differences equal but for float noise (0.1 - 0.2 vs 0.3 - 0.4) count as zero variance, or
    # the t-test would report p ≈ 1e-32 from rounding error.
    if float(np.ptp(d)) <= _ZERO_SPREAD:
        return out  # no spread: a zero-width interval would look certain, so none is given
    rng = np.random.default_rng(seed)
    boot = d[rng.integers(0, n, size=(n_boot, n))].mean(axis=1)
    tail = (1.0 - level) / 2
    low, high = np.quantile(boot, [tail, 1.0 - tail])
    _, t_low, t_high = sums.mean_interval(sums.moments(d), level=level)
    s = math.sqrt(math.fsum((x - mean_d) ** 2 for x in d) / (n - 1))
    t_stat = mean_d / (s / math.sqrt(n))
    out.update(
        ci_low=float(low), ci_high=float(high), t_ci_low=t_low, t_ci_high=t_high,
        p_value=float(2.0 * stats.t.sf(abs(t_stat), n - 1)),
    )
    return out


def difficulty_adjusted(rows: Sequence[tuple[Hashable, Hashable, float]]
                        ) -> dict[Hashable, dict[str, float | int | None]]:
    """Difficulty-adjusted Brier by two-way fixed effects, brier_ij = a_i + b_j + u_ij.

    As ForecastBench's leaderboard (``src/leaderboard/main.py``, ``two_way_fixed_effects``:
    pyfixest ``feols("brier_score ~ 1 | question_pk + model_pk")``, question effects b̂_j,
    score brier - b̂_j): least squares over rows (author i, question j, brier); each author gets
    n (rows), questions (distinct), adjusted_brier = mean of (brier - b̂_j) over their rows, and
    fixed_effect = â_i.
    At the least-squares solution each author's residuals sum to 0, so the two agree (to solver
    tolerance); both are given so either can be shown.

    Identifying constraint: question effects average 0 over the questions of each connected
    group of authors and questions (one constraint per component; levels in different
    components are not comparable). Then a_i is the author's Brier on a question of average
    difficulty, and when every author answered the same questions adjusted_brier equals the
    raw mean Brier. ForecastBench pins one author's effect at 0 instead and later shifts all
    scores by one constant; any such choice moves every score by the same amount, so
    differences and ranks are identical.

    Solved with scipy.sparse.linalg.lsqr on the sparse 0/1 design matrix (columns scaled by
    1/sqrt(count) to speed convergence), deterministic, and comfortable at ~10k authors × 50k
    questions. Repeated (author, question) rows are kept as separate observations.
    """
    import numpy as np
    from scipy import sparse  # SciPy only when a fit runs: its import costs 0.3 s
    from scipy.sparse.csgraph import connected_components
    from scipy.sparse.linalg import lsqr

    if not rows:
        return {}
    authors: dict[Hashable, int] = {}
    questions: dict[Hashable, int] = {}
    ai = np.empty(len(rows), dtype=np.int64)
    qj = np.empty(len(rows), dtype=np.int64)
    score = np.empty(len(rows), dtype=float)
    for r, (author, question, value) in enumerate(rows):
        ai[r] = authors.setdefault(author, len(authors))
        qj[r] = questions.setdefault(question, len(questions))
        score[r] = float(value)
    if not np.all(np.isfinite(score)):
        raise ValueError("brier scores must be finite numbers")
    n_a, n_q, n_rows = len(authors), len(questions), len(rows)
    # Columns 0..n_a-1 are author effects, n_a.. question effects.
    row_idx = np.concatenate([np.arange(n_rows), np.arange(n_rows)])
    col_idx = np.concatenate([ai, n_a + qj])
    design = sparse.csr_matrix((np.ones(2 * n_rows), (row_idx, col_idx)), shape=(n_rows, n_a + n_q))
    counts = np.asarray(design.sum(axis=0)).ravel()
    scale = 1.0 / np.sqrt(counts)
    solved = lsqr(design @ sparse.diags(scale), score, atol=1e-14, btol=1e-14, conlim=0,
                  iter_lim=max(1000, 20 * (n_a + n_q)))[0]
    coef = solved * scale
    a_hat, b_hat = coef[:n_a].copy(), coef[n_a:].copy()
    # Components of the author-question graph; within each the effects are fixed up to a shift.
    graph = sparse.csr_matrix((np.ones(n_rows), (ai, n_a + qj)), shape=(n_a + n_q, n_a + n_q))
    _, label = connected_components(graph, directed=False)
    for c in np.unique(label):
        q_in = label[n_a:] == c
        shift = b_hat[q_in].mean()
        b_hat[q_in] -= shift
        a_hat[label[:n_a] == c] += shift
    adjusted = score - b_hat[qj]
    n_by_author = np.bincount(ai, minlength=n_a)
    mean_by_author = np.bincount(ai, weights=adjusted, minlength=n_a) / n_by_author
    # Student-t interval of each author's adjusted scores, taking the fitted question effects
    # as known (so it is a little narrow where questions have few forecasters).
    squares = np.bincount(ai, weights=(adjusted - mean_by_author[ai]) ** 2, minlength=n_a)
    # (the t quantile is tracker.scores.sums', as for every other interval: scipy.stats alone would add
    # 0.5 s to importing the fit)
    t = np.array([sums.t_quantile(0.975, int(k) - 1) if k > 1 else np.nan for k in n_by_author])
    with np.errstate(divide="ignore", invalid="ignore"):
        half = t * np.sqrt(squares / (n_by_author - 1) / n_by_author)
    # distinct questions per author (a question forecast twice is two observations above): the
    # graph's author rows, whose repeated (author, question) entries were summed into one
    questions_by_author = np.diff(graph.indptr)[:n_a]
    # An author alone in their component shares no question with anyone: every question effect
    # there absorbs their score exactly, so the interval would be a spurious zero width.
    authors_in = np.bincount(label[:n_a])
    out: dict[Hashable, dict[str, float | int | None]] = {}
    for author, i in authors.items():
        n = int(n_by_author[i]) if authors_in[label[i]] > 1 else 1
        out[author] = {
            "n": int(n_by_author[i]),
            "questions": int(questions_by_author[i]),
            "adjusted_brier": float(mean_by_author[i]),
            "fixed_effect": float(a_hat[i]),
            "adjusted_ci_low": float(mean_by_author[i] - half[i]) if n > 1 else None,
            "adjusted_ci_high": float(mean_by_author[i] + half[i]) if n > 1 else None,
        }
    return out


def peer_scores(p_outcomes: Mapping[Hashable, float]) -> dict[Hashable, float]:
    """Metaculus peer scores on one question: 100 · N/(N - 1) · ln(p_i / GM).

    p_i is forecaster i's probability on the outcome that happened (clipped below at LOG_CLIP),
    GM the geometric mean of all N forecasters' p_i; the scores sum to 0. Needs N >= 2.
    Source: Metaculus scoring documentation and ``scoring/score_math.py``.
    """
    n = len(p_outcomes)
    if n < 2:
        raise ValueError(f"peer scores need at least two forecasters, got {n}")
    logs: dict[Hashable, float] = {}
    for author, p in p_outcomes.items():
        _check_p(p)
        logs[author] = math.log(max(float(p), LOG_CLIP))
    log_gm = math.fsum(logs.values()) / n
    factor = 100.0 * n / (n - 1)
    return {author: factor * (lp - log_gm) for author, lp in logs.items()}
