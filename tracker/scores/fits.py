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


#: resamples of the questions for the difficulty-adjusted board's intervals (each one a refit)
ADJUSTED_BOOTSTRAP = 200
ADJUSTED_SEED = 16
#: questions an author needs before the adjusted board gives an interval (as the fair boards)
ADJUSTED_MIN_N = 10


def _fit_effects(ai, qj, score, n_a: int, n_q: int):
    """Least squares brier_ij = a_i + b_j (+ noise), question effects centred in each connected
    group: (each author's mean of brier − b̂_j, â, component label of each author and question,
    the graph, rows per author, b̂)."""
    import numpy as np
    from scipy import sparse
    from scipy.sparse.csgraph import connected_components
    from scipy.sparse.linalg import lsqr

    n_rows = len(score)
    row_idx = np.concatenate([np.arange(n_rows), np.arange(n_rows)])
    col_idx = np.concatenate([ai, n_a + qj])
    design = sparse.csr_matrix((np.ones(2 * n_rows), (row_idx, col_idx)), shape=(n_rows, n_a + n_q))
    counts = np.asarray(design.sum(axis=0)).ravel()
    present = counts > 0
    scale = np.where(present, 1.0 / np.sqrt(np.where(present, counts, 1)), 0.0)
    solved = lsqr(design @ sparse.diags(scale), score, atol=1e-14, btol=1e-14, conlim=0,
                  iter_lim=max(1000, 20 * (n_a + n_q)))[0]
    coef = solved * scale
    a_hat, b_hat = coef[:n_a].copy(), coef[n_a:].copy()
    graph = sparse.csr_matrix((np.ones(n_rows), (ai, n_a + qj)), shape=(n_a + n_q, n_a + n_q))
    _, label = connected_components(graph, directed=False)
    q_present = present[n_a:]
    for c in np.unique(label[n_a:][q_present]):
        q_in = (label[n_a:] == c) & q_present
        shift = b_hat[q_in].mean()
        b_hat[q_in] -= shift
        a_hat[label[:n_a] == c] += shift
    adjusted = score - b_hat[qj]
    n_by_author = np.bincount(ai, minlength=n_a)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_by_author = np.bincount(ai, weights=adjusted, minlength=n_a) / n_by_author
    return mean_by_author, a_hat, label, graph, n_by_author, b_hat


def _refit(ai, qj, score, n_a: int, n_q: int, a_start, tol: float = 1e-11, limit: int = 2000):
    """The same fit for a bootstrap resample, by alternating projections (each effect set to the
    mean residual of its rows, in turn) from the full fit's author effects: a few passes of
    bincount instead of a sparse solve, so 200 resamples of a think-tank ledger take a fraction of
    a second. Question effects are centred in each connected group, as in _fit_effects; returns
    each author's mean adjusted score (NaN for authors not in the resample) and the question
    effects."""
    import numpy as np
    from scipy import sparse
    from scipy.sparse.csgraph import connected_components

    count_a = np.bincount(ai, minlength=n_a)
    count_q = np.bincount(qj, minlength=n_q)
    safe_a, safe_q = np.maximum(count_a, 1), np.maximum(count_q, 1)
    a = a_start.copy()
    b = np.bincount(qj, weights=score - a[ai], minlength=n_q) / safe_q
    for _ in range(limit):
        a_new = np.bincount(ai, weights=score - b[qj], minlength=n_a) / safe_a
        b_new = np.bincount(qj, weights=score - a_new[ai], minlength=n_q) / safe_q
        done = max(np.max(np.abs(a_new - a)), np.max(np.abs(b_new - b))) < tol
        a, b = a_new, b_new
        if done:
            break
    graph = sparse.csr_matrix((np.ones(len(score)), (ai, n_a + qj)), shape=(n_a + n_q, n_a + n_q))
    _, label = connected_components(graph, directed=False)
    q_label = label[n_a:]
    present = count_q > 0
    sums = np.bincount(q_label[present], weights=b[present], minlength=label.max() + 1)
    sizes = np.bincount(q_label[present], minlength=label.max() + 1)
    b = b - np.where(present, sums[q_label] / np.maximum(sizes[q_label], 1), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.bincount(ai, weights=score - b[qj], minlength=n_a) / count_a, b


def difficulty_adjusted(rows: Sequence[tuple[Hashable, Hashable, float]], *, samples: int = ADJUSTED_BOOTSTRAP,
                        seed: int = ADJUSTED_SEED,
                        benchmarks: Sequence[tuple[Hashable, Hashable, float]] = ()
                        ) -> dict[Any, dict[str, Any]]:
    """Difficulty-adjusted Brier by two-way fixed effects, brier_ij = a_i + b_j + u_ij.

    As ForecastBench's leaderboard (``src/leaderboard/main.py``, ``two_way_fixed_effects``:
    pyfixest ``feols("brier_score ~ 1 | question_pk + model_pk")``, question effects b̂_j,
    score brier - b̂_j): least squares over rows (author i, question j, brier), one row per
    (author, question) as the fair boards score them; each author gets n (rows), questions
    (distinct), adjusted_brier = mean of (brier - b̂_j) over their rows, and fixed_effect = â_i.

    Identifying constraint: question effects average 0 over the questions of each connected
    group of authors and questions (`group`: 1 for the largest, and so on). Levels in different
    groups are not comparable, so the board shows each group apart. Then a_i is the author's
    Brier on a question of average difficulty in their group, and with common questions
    adjusted_brier equals the raw mean. The adjusted score is a difference from the questions'
    difficulty, on the Brier's scale but not a Brier of its own: it can fall below 0.

    An author who shares no question with anyone (alone in their group) is not comparable: every
    question effect there absorbs their score, and no interval is given. The interval is a
    percentile bootstrap over questions (`samples` resamples of the questions with replacement,
    numpy.random.default_rng(seed), the whole fit redone on each by alternating projections),
    from ADJUSTED_MIN_N questions.

    Benchmarks (the crowd's aggregates: rows of the same shape) take no part in the fit: each is
    scored against the people's question effects, adjusted_brier = mean of (brier − b̂_j) over
    its questions in the fit, once per group its questions fall in, keyed (benchmark, group),
    with the same bootstrap (b̂ refitted from the people's rows on every resample).

    Solved with scipy.sparse.linalg.lsqr on the sparse 0/1 design matrix (columns scaled by
    1/sqrt(count) to speed convergence), deterministic, and comfortable at ~10k authors × 50k
    questions.
    """
    import numpy as np

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
    n_a, n_q = len(authors), len(questions)
    mean_by_author, a_hat, label, graph, n_by_author, b_hat = _fit_effects(ai, qj, score, n_a, n_q)
    questions_by_author = np.diff(graph.indptr)[:n_a]
    authors_in = np.bincount(label[:n_a])
    # groups numbered by size (most authors first), then by their first author's id
    order = sorted(set(label[:n_a].tolist()), key=lambda c: (-authors_in[c], min(
        str(a) for a, i in authors.items() if label[i] == c)))
    group_of = {c: k + 1 for k, c in enumerate(order)}
    comparable = authors_in[label[:n_a]] > 1
    wanted = comparable & (questions_by_author >= ADJUSTED_MIN_N)
    # benchmark rows on the fit's questions, each keyed by (benchmark, group of its question)
    keys: dict[tuple[Hashable, int], int] = {}
    bk, bq, bs = [], [], []
    for who, question, value in benchmarks:
        j = questions.get(question)
        if j is not None:
            bk.append(keys.setdefault((who, group_of[label[n_a + j]]), len(keys)))
            bq.append(j)
            bs.append(float(value))
    bk_a, bq_a, bs_a = np.asarray(bk, dtype=np.int64), np.asarray(bq, dtype=np.int64), np.asarray(bs, dtype=float)
    n_k = len(keys)
    count_k = np.bincount(bk_a, minlength=n_k)
    with np.errstate(divide="ignore", invalid="ignore"):
        bench_mean = np.bincount(bk_a, weights=bs_a - b_hat[bq_a], minlength=n_k) / count_k
        bench_raw = np.bincount(bk_a, weights=bs_a, minlength=n_k) / count_k
    bench_questions = np.array([len(set(bq_a[bk_a == k].tolist())) for k in range(n_k)], dtype=np.int64)
    bench_low = np.full(n_k, np.nan)
    bench_high = np.full(n_k, np.nan)
    bench_wanted = bench_questions >= ADJUSTED_MIN_N
    low = np.full(n_a, np.nan)
    high = np.full(n_a, np.nan)
    if (wanted.any() or bench_wanted.any()) and samples > 0:
        rng = np.random.default_rng(seed)
        by_question = [np.flatnonzero(qj == j) for j in range(n_q)]
        bench_by_question = [np.flatnonzero(bq_a == j) for j in range(n_q)]
        boot = np.full((samples, n_a), np.nan)
        bench_boot = np.full((samples, n_k), np.nan)
        for b in range(samples):
            drawn = rng.integers(0, n_q, size=n_q)
            idx = np.concatenate([by_question[j] for j in drawn])
            # each draw of a question is a question of its own in the resample
            new_q = np.repeat(np.arange(n_q), [len(by_question[j]) for j in drawn])
            boot[b], effects = _refit(ai[idx], new_q, score[idx], n_a, n_q, a_hat)
            if n_k:
                bidx = np.concatenate([bench_by_question[j] for j in drawn])
                bnew = np.repeat(np.arange(n_q), [len(bench_by_question[j]) for j in drawn])
                with np.errstate(divide="ignore", invalid="ignore"):
                    bench_boot[b] = (np.bincount(bk_a[bidx], weights=bs_a[bidx] - effects[bnew], minlength=n_k)
                                     / np.bincount(bk_a[bidx], minlength=n_k))
        with np.errstate(all="ignore"):
            for k in np.flatnonzero(wanted):
                i = int(k)
                got = boot[:, i][np.isfinite(boot[:, i])]
                if len(got) >= samples // 2:
                    low[i], high[i] = np.quantile(got, [0.025, 0.975])
            for k in np.flatnonzero(bench_wanted):
                got = bench_boot[:, k][np.isfinite(bench_boot[:, k])]
                if len(got) >= samples // 2:
                    bench_low[k], bench_high[k] = np.quantile(got, [0.025, 0.975])
    # people by their id; benchmarks by (id, group)
    out: dict[Any, dict[str, Any]] = {}
    for author, i in authors.items():
        has = bool(np.isfinite(low[i]))
        out[author] = {
            "n": int(n_by_author[i]),
            "questions": int(questions_by_author[i]),
            "adjusted_brier": float(mean_by_author[i]),
            "fixed_effect": float(a_hat[i]),
            "adjusted_ci_low": float(low[i]) if has else None,
            "adjusted_ci_high": float(high[i]) if has else None,
            "group": group_of[label[i]],
            "comparable": bool(comparable[i]),
            "interval_method": ("bootstrap over questions" if has else "not comparable" if not comparable[i]
                                else "too few"),
        }
    for (who, group), b_index in keys.items():
        has = bool(np.isfinite(bench_low[b_index]))
        out[(who, group)] = {
            "n": int(count_k[b_index]), "brier": float(bench_raw[b_index]), "questions": int(bench_questions[b_index]),
            "adjusted_brier": float(bench_mean[b_index]), "fixed_effect": None,
            "adjusted_ci_low": float(bench_low[b_index]) if has else None,
            "adjusted_ci_high": float(bench_high[b_index]) if has else None, "group": group, "comparable": True,
            "interval_method": "bootstrap over questions" if has else "too few", "benchmark": True}
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
