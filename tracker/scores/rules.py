"""Scoring rules as pure functions over numbers.

Nothing here knows of SQLite or the command line, so every function can be checked against the
independent oracles (scoringrules, properscoring, scikit-learn) and hand-worked cases alone.

Conventions: p is the probability given to "yes", y is 1 for yes and 0 for no. Brier and log
scores are losses (lower is better); the binary Brier score is on the 0..1 scale unless a name
says otherwise (``brier_gj`` and ``brier_multi`` are on Brier's original 0..2 scale).
Each function's docstring gives its formula and source.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

from tracker.scores import sums as sufficient
from tracker.scores.sums import SHIFT, exact

#: Log scores clip p into [LOG_CLIP, 1 - LOG_CLIP] so that a confident miss costs a finite
#: -ln(0.001) = 6.91 nats instead of infinity (the bound Metaculus uses). Every clipped forecast is
#: flagged where it is stored and counted beside every mean.
LOG_CLIP = 0.001

#: Brier score (0..1 scale) of always saying 50 %: the "chance" reference for skill scores.
CHANCE_REFERENCE = 0.25

#: Spread of paired differences below which they are treated as all equal (float noise).
_ZERO_SPREAD = 1e-12


# --------------------------------------------------------------------------------------------
# Per-forecast scores
# --------------------------------------------------------------------------------------------


def brier(p: float, y: int) -> float:
    """Binary Brier score (p - y)^2 on the 0..1 scale: 0 is perfect, always-50 % scores 0.25."""
    return (p - y) ** 2


def log_score(p: float, y: int) -> tuple[float, bool]:
    """Logarithmic loss in nats, -ln(probability given to what happened), and whether p was clipped."""
    p_outcome = p if y == 1 else 1.0 - p
    clipped = p_outcome < LOG_CLIP
    return -math.log(max(p_outcome, LOG_CLIP)), clipped


def mean_interval(values: Sequence[float], level: float = 0.95) -> tuple[float | None, float | None, float | None]:
    """Mean with a two-sided Student-t interval: (mean, low, high).

    The interval is the textbook one, mean ± t(n-1) · s / √n. It is not clipped to the score's
    range: an interval that reaches below 0 says plainly that n is too small. With n < 2 there is
    no spread to estimate, so the interval is (None, None); with no values everything is None.
    """
    # The same exact sums the score tables keep (tracker.scores.sums), so a mean computed here from
    # a list is the very float the tables hold for the same forecasts.
    return sufficient.mean_interval(sufficient.moments(values), level=level)


def brier_gj(p: float, y: int) -> float:
    """Brier's original two-category score, 0..2 scale: (p - y)^2 + ((1-p) - (1-y))^2 = 2(p - y)^2.

    Brier (1950), Monthly Weather Review 78:1-3; the scale Good Judgment Open quotes
    (always-50 % scores 0.5). Exactly twice ``brier``.
    """
    _check_p(p)
    _check_y(y)
    return 2.0 * (p - y) ** 2


def log_score_bits(p: float, y: int) -> tuple[float, bool]:
    """Logarithmic loss in bits, -log2(p_outcome), clipped as ``log_score``: (bits, clipped)."""
    _check_p(p)
    _check_y(y)
    nats, clipped = log_score(p, y)
    return nats / math.log(2), clipped


def spherical(p: float, y: int) -> float:
    """Spherical score p_y / sqrt(p^2 + (1 - p)^2), in [0, 1], higher is better (strictly proper)."""
    _check_p(p)
    _check_y(y)
    p_outcome = p if y == 1 else 1.0 - p
    return p_outcome / math.hypot(p, 1.0 - p)


def skill_score(score: float, reference: float) -> float | None:
    """Skill score 1 - score / reference (1 perfect, 0 no better than the reference, < 0 worse).

    Use the same scale for both numbers. Returns None when reference is 0 (a perfect reference
    leaves nothing to improve on, and the ratio is undefined).
    """
    if reference == 0:
        return None
    return 1.0 - score / reference


def climatology_reference(ys: Sequence[int]) -> float:
    """Brier score (0..1) of always forecasting the base rate: ȳ(1 - ȳ)."""
    n = len(ys)
    if n == 0:
        raise ValueError("climatology needs at least one outcome")
    for y in ys:
        _check_y(y)
    ybar = math.fsum(ys) / n
    return ybar * (1.0 - ybar)


def baseline_score(p: float, y: int) -> tuple[float, bool]:
    """Metaculus binary baseline score 100 · (log2 p_outcome + 1): (score, clipped).

    Higher is better; 0 for 50 %, 100 for certainty on the right side. p_outcome is clipped at
    LOG_CLIP as in ``log_score`` (so the worst score is 100 · (1 - log2 1000) ≈ -896.6).
    Source: Metaculus scoring documentation and ``scoring/score_math.py``.
    """
    bits, clipped = log_score_bits(p, y)
    return 100.0 * (1.0 - bits), clipped


# --------------------------------------------------------------------------------------------
# Multiple choice
# --------------------------------------------------------------------------------------------


def check_distribution(probs: Sequence[float], *, normalise: bool = False, tol: float = 1e-6) -> list[float]:
    """Validate a probability distribution over two or more categories; return it as floats.

    Every value must be a number in [0, 1] (NaN is refused). If the sum is off 1 by more than
    tol, a ValueError is raised unless normalise is true, in which case the values are divided by
    their sum. A distribution already summing to 1 within tol is returned unchanged.
    """
    values = [float(v) for v in probs]
    if len(values) < 2:
        raise ValueError(f"a distribution needs at least two categories, got {len(values)}")
    for j, v in enumerate(values):
        if not 0.0 <= v <= 1.0:  # also false for NaN
            raise ValueError(f"probability {v!r} for category {j} is not in [0, 1]")
    total = math.fsum(values)
    if abs(total - 1.0) <= tol:
        return values
    if not normalise:
        raise ValueError(f"probabilities sum to {total:.6g}, not 1; pass normalise to rescale")
    if total == 0.0:
        raise ValueError("probabilities sum to 0; cannot normalise")
    return [v / total for v in values]


def brier_multi(probs: Sequence[float], k: int) -> float:
    """Brier (1950) multi-category score Σ_j (f_j - o_j)^2, o_j = 1 for the outcome k, 0..2 scale."""
    f = check_distribution(probs)
    _check_category(k, len(f))
    return math.fsum((fj - (1.0 if j == k else 0.0)) ** 2 for j, fj in enumerate(f))


def log_score_multi(probs: Sequence[float], k: int) -> tuple[float, bool]:
    """Multi-category log loss -ln f_k in nats, f_k clipped at LOG_CLIP: (nats, clipped)."""
    f = check_distribution(probs)
    _check_category(k, len(f))
    return -math.log(max(f[k], LOG_CLIP)), f[k] < LOG_CLIP


# --------------------------------------------------------------------------------------------
# Calibration tables and decompositions
# --------------------------------------------------------------------------------------------


def bin_index(p: float, bins: int) -> int:
    """Index k of the equal-width bin [k/K, (k+1)/K) holding p, K = bins; the last bin is closed at 1.

    Edge rule: p is in bin k exactly when float(k/K) <= p < float((k+1)/K), where each edge is the
    correctly rounded quotient k/K, the same number the calibration table shows as `lower`/`upper`.
    Edges are never built by repeated addition or by multiplying p, so float error cannot move a
    value written on an edge: 0.6 with K = 10 is in bin 6 = [0.6, 0.7) (although 0.1 * 6 =
    0.6000000000000001 and 0.29 * 100 = 28.999999999999996), and 1/3 written 0.3333333333333333
    with K = 3 is in bin 1, whose lower edge is that very float.
    """
    _check_p(p)
    if type(bins) is not int or bins < 1:  # a plain positive int, the common case, skips the ABC check
        if isinstance(bins, bool) or not isinstance(bins, numbers.Integral) or bins < 1:
            raise ValueError(f"bins must be a positive integer, got {bins!r}")
    K = int(bins)
    p = float(p)
    k = min(int(p * K), K - 1)  # a first guess, off by at most one; the exact edges settle it
    while k > 0 and p < k / K:
        k -= 1
    while k < K - 1 and p >= (k + 1) / K:
        k += 1
    return k


def wilson_interval(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion k/n: (low, high), clipped to [0, 1].

    centre = (k + z²/2) / (n + z²), half-width = z / (n + z²) · sqrt(k(n - k)/n + z²/4),
    z the two-sided normal quantile for level (Wilson 1927). Unlike the Wald interval it stays
    inside [0, 1] and keeps a width at k = 0 or k = n, which matters for sparse calibration bins.
    """
    if n < 1 or not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n and n >= 1, got k={k}, n={n}")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    z = sufficient.normal_quantile(0.5 + level / 2)
    z2 = z * z
    centre = (k + z2 / 2) / (n + z2)
    half = z / (n + z2) * math.sqrt(k * (n - k) / n + z2 / 4)
    # At k = 0 (k = n) the bound is exactly 0 (1) in algebra; rounding could leave 1e-17.
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return low, high


def calibration_table(ps: Sequence[float], ys: Sequence[int], bins: int = 10) -> list[dict[str, float | int]]:
    """One row per non-empty bin (binned by ``bin_index``), in bin order.

    Keys: lower, upper (k/K and (k+1)/K), n, mean_forecast, observed (share of events) and
    ci_low, ci_high: a 95 % Wilson score interval for the observed frequency, chosen because
    bins are often small and the Wilson interval behaves at 0 or n events where Wald collapses.
    """
    return table_from_sums(sums_of(ps, ys, bins), bins)


def murphy_decomposition(ps: Sequence[float], ys: Sequence[int], bins: int = 10) -> dict[str, float | int]:
    """Murphy (1973) decomposition with the Stephenson, Coelho & Jolliffe (2008) within-bin terms.

    Over K bins (``bin_index``), bin k with n_k forecasts, mean forecast f̄_k, event share ō_k:
    REL = (1/N) Σ n_k (f̄_k - ō_k)², RES = (1/N) Σ n_k (ō_k - ȳ)², UNC = ȳ(1 - ȳ),
    WBV = (1/N) Σ_k Σ_j (f_kj - f̄_k)², WBC = (2/N) Σ_k Σ_j (f_kj - f̄_k)(o_kj - ō_k),
    and brier = REL - RES + UNC + WBV - WBC exactly for any binning (Weather and Forecasting
    23:752-757). With one forecast value per bin WBV = WBC = 0, the classic three-term form.
    Every term is computed exactly from the forecasts' sums and rounded once, so the identity
    holds to the last bit or two of each float.
    """
    return murphy_from_sums(sums_of(ps, ys, bins), bins)


def yates_decomposition(ps: Sequence[float], ys: Sequence[int]) -> dict[str, float | int]:
    """Yates (1982) covariance decomposition of the mean Brier score (0..1 scale).

    brier = var_y + min_var_f + scatter + bias² - 2·covariance, all population moments:
    var_y = ȳ(1 - ȳ); min_var_f = (f̄₁ - f̄₀)² ȳ(1 - ȳ) (f̄₁, f̄₀ mean forecast when y = 1 / 0);
    scatter = ȳ Var(f | y=1) + (1 - ȳ) Var(f | y=0); bias = f̄ - ȳ (calibration-in-the-large);
    covariance = Cov(f, y). Source: Yates (1982) OBHP 30:132-156.

    One-class sets (every y equal): f̄ of the missing class is undefined, but every term that
    would use it carries the weight ȳ(1 - ȳ) = 0, so var_y = min_var_f = covariance = 0 and
    scatter is the plain variance of the forecasts; the identity still holds.
    """
    return yates_from_sums(sums_of(ps, ys, 1))


def roc_auc(ps: Sequence[float], ys: Sequence[int]) -> float | None:
    """ROC AUC: probability that a random event got a higher forecast than a random non-event.

    Ties count 1/2 (Mann-Whitney U / (n₁ n₀)). None when only one class is present, since there
    is no pair to compare. Computed from how many events and non-events share each forecast
    value, the counts the score tables keep per group.
    """
    return auc_from_counts(value_counts(ps, ys))


def value_counts(ps: Sequence[float], ys: Sequence[int]) -> dict[float, list[int]]:
    """{forecast value: [events, non-events]}, what the AUC is computed from."""
    f, o = _validated_arrays(ps, ys)
    counts: dict[float, list[int]] = {}
    for fi, oi in zip(f, o):
        counts.setdefault(fi, [0, 0])[1 - oi] += 1
    return counts


# --------------------------------------------------------------------------------------------
# The same, from exact sums (what the score tables keep per group; see tracker.scores.sums)
# --------------------------------------------------------------------------------------------
#
# Keys of a group's binary sums: n forecasts, e events; p1, p2 = Σp, Σp² and p1y, p2y the same
# over events only; and per bin k: kn, ke, kp1, kp2, kp1y. Sums of p are in 2**-SHIFT units,
# sums of p² in 2**-2·SHIFT units. Scores' moments: b (Brier), l (log), s (spherical) with
# suffixes n, 1, 2 as in sufficient.moments, and clip, the forecasts whose log score was clipped.

_U = 1 << SHIFT


def forecast_terms(p: float, y: int, bins: int) -> dict[str, int]:
    """One forecast's contribution to its groups' calibration sums."""
    a = exact(p)
    a2 = a * a
    k = bin_index(p, bins)
    terms = {"n": 1, "p1": a, "p2": a2, f"{k}n": 1, f"{k}p1": a, f"{k}p2": a2}
    if y:
        terms.update({"e": 1, "p1y": a, "p2y": a2, f"{k}e": 1, f"{k}p1y": a})
    return terms


def score_terms(brier_: float, log: float, clipped: bool, sph: float) -> dict[str, int]:
    """One forecast's contribution to its groups' score moments."""
    b, l_, s = exact(brier_), exact(log), exact(sph)
    terms = {"bn": 1, "b1": b, "b2": b * b, "ln": 1, "l1": l_, "l2": l_ * l_, "sn": 1, "s1": s, "s2": s * s}
    if clipped:
        terms["clip"] = 1
    return terms


def sums_of(ps: Sequence[float], ys: Sequence[int], bins: int) -> dict[str, int]:
    """The calibration sums of a set of forecasts (see forecast_terms)."""
    f, o = _validated_arrays(ps, ys)
    sums: dict[str, int] = {}
    for fi, oi in zip(f, o):
        sufficient.add(sums, forecast_terms(fi, oi, bins))
    return sums


def table_from_sums(sums: dict[str, int], bins: int) -> list[dict[str, float | int]]:
    rows: list[dict[str, float | int]] = []
    for k in range(int(bins)):
        n = sums.get(f"{k}n", 0)
        if not n:
            continue
        events = sums.get(f"{k}e", 0)
        low, high = wilson_interval(events, n)
        rows.append({"lower": k / int(bins), "upper": (k + 1) / int(bins), "n": n,
                     "mean_forecast": sufficient.ratio(sums.get(f"{k}p1", 0), n * _U),
                     "observed": events / n, "ci_low": low, "ci_high": high})
    return rows


def exact_brier(sums: dict[str, int]) -> float:
    """Σ(p - y)² / N: Σp² - 2Σp·y + Σy over N, exact integers divided once (correctly rounded)."""
    n = sums["n"]
    return (sums.get("p2", 0) - 2 * sums.get("p1y", 0) * _U + sums.get("e", 0) * _U * _U) / (n * _U * _U)


def murphy_from_sums(sums: dict[str, int], bins: int) -> dict[str, float | int]:
    # Each bin's term is a ratio of exact integers, rounded once (int / int is correctly rounded),
    # and math.fsum adds the terms without further error, so the result is a function of the sums
    # alone, as exact as a float allows; Fractions gave the same to the last bit or two at ten
    # times the cost (their gcds of 2,000-bit integers were most of a `resolve`'s own work).
    n, e = sums.get("n", 0), sums.get("e", 0)
    if not n:
        raise ValueError("no forecasts")
    rel, res, wbv, wbc = [], [], [], []
    uu = _U * _U
    for k in range(int(bins)):
        nk = sums.get(f"{k}n", 0)
        if not nk:
            continue
        ek, p1, p2, p1y = (sums.get(f"{k}{s}", 0) for s in ("e", "p1", "p2", "p1y"))
        rel.append((p1 - ek * _U) ** 2 / (nk * uu))
        res.append((ek * n - nk * e) ** 2 / (nk * n * n))
        wbv.append((nk * p2 - p1 * p1) / (nk * uu))
        wbc.append((nk * p1y - p1 * ek) / (nk * _U))
    return {"n": n, "brier": exact_brier(sums), "reliability": math.fsum(rel) / n,
            "resolution": math.fsum(res) / n, "uncertainty": e * (n - e) / (n * n),
            "within_bin_variance": math.fsum(wbv) / n, "within_bin_covariance": 2 * math.fsum(wbc) / n}


def yates_from_sums(sums: dict[str, int]) -> dict[str, float | int]:
    # Every term is one ratio of exact integers divided once, so each is correctly rounded (as the
    # Fractions it replaced were, at a tenth of the cost). With ybar = e/n, fbar = Σp/n and the
    # forecasts' population variances among events (count e) and non-events (count m):
    # min_var_f = (mean p | event - mean p | non-event)² · ybar(1 - ybar), and
    # scatter = ybar · var(p | event) + (1 - ybar) · var(p | non-event).
    n, e = sums.get("n", 0), sums.get("e", 0)
    if not n:
        raise ValueError("no forecasts")
    p1, p2, p1y, p2y = (sums.get(s, 0) for s in ("p1", "p2", "p1y", "p2y"))
    m, q1, q2 = n - e, p1 - p1y, p2 - p2y  # the non-events' count and sums
    uu = _U * _U
    a = e * p2y - p1y * p1y  # e² U² var(p | event)
    b = m * q2 - q1 * q1     # m² U² var(p | non-event)
    if e and m:
        gap = p1y * m - q1 * e  # e m U (mean p | event - mean p | non-event)
        min_var_f = gap * gap / (e * m * uu * n * n)
        scatter = (a * m + b * e) / (n * e * m * uu)
    else:
        min_var_f = 0.0
        scatter = a / (n * e * uu) if e else b / (n * m * uu)
    bias = p1 - e * _U  # n U (fbar - ybar)
    return {"n": n, "brier": exact_brier(sums), "var_y": e * m / (n * n), "min_var_f": min_var_f,
            "scatter": scatter, "bias": bias / (n * _U), "bias_squared": bias * bias / (n * n * uu),
            "covariance": (n * p1y - p1 * e) / (n * n * _U)}


def auc_from_counts(counts: Mapping[float, Sequence[int]]) -> float | None:
    """ROC AUC from {forecast value: (events, non-events)}: U = Σ events_v · (non-events below v
    + ½ non-events at v), over (events · non-events); None with only one class."""
    below = twice_u = positives = 0
    for v in sorted(counts):
        pos, neg = counts[v]
        twice_u += pos * (2 * below + neg)
        below += neg
        positives += pos
    if positives == 0 or below == 0:
        return None
    return twice_u / (2 * positives * below)


def summary_from_sums(sums: dict[str, int]) -> dict:
    """A group's means with n and 95 % intervals, from its exact sums (see forecast_terms, score_terms)."""
    n = sums.get("bn", 0)
    brier_, b_low, b_high = sufficient.mean_interval(sums, "b")
    log, l_low, l_high = sufficient.mean_interval(sums, "l")
    sph, s_low, s_high = sufficient.mean_interval(sums, "s")
    base = sums.get("e", 0) / n
    clim = base * (1.0 - base)

    def skill(value, reference):
        return None if value is None else skill_score(value, reference)

    def double(v):
        return None if v is None else 2 * v

    return {
        "n": n, "brier": brier_, "brier_ci_low": b_low, "brier_ci_high": b_high,
        "brier_gj": double(brier_), "brier_gj_ci_low": double(b_low), "brier_gj_ci_high": double(b_high),
        "log_score": log, "log_score_ci_low": l_low, "log_score_ci_high": l_high,
        "log_score_bits": log / math.log(2), "log_clipped_n": sums.get("clip", 0),
        "spherical": sph, "spherical_ci_low": s_low, "spherical_ci_high": s_high,
        "base_rate": base,
        # A skill score falls as Brier rises, so the interval's ends swap.
        "skill_vs_chance": skill(brier_, CHANCE_REFERENCE),
        "skill_vs_chance_ci_low": skill(b_high, CHANCE_REFERENCE),
        "skill_vs_chance_ci_high": skill(b_low, CHANCE_REFERENCE),
        "skill_vs_climatology": skill(brier_, clim),
        "skill_vs_climatology_ci_low": skill(b_high, clim),
        "skill_vs_climatology_ci_high": skill(b_low, clim),
    }


# --------------------------------------------------------------------------------------------
# Scores over time and across forecasters
# --------------------------------------------------------------------------------------------


def time_weighted_brier(
    forecasts: Sequence[tuple[dt.date, float]],
    start: dt.date | None = None,
    end: dt.date | None = None,
    y: int | None = None,
) -> float:
    """Good Judgment Open style time-averaged Brier score, 0..1 scale (double it for GJ's 0..2).

    One author's forecasts on one question, as (date, p). Every day from start (inclusive;
    default the first forecast's date) to end (exclusive; the resolution or close date) is
    scored with the latest forecast dated on or before it; the result is the mean daily Brier.
    Several forecasts on one date: the last in the list (or latest datetime) counts for the day.
    Forecasts dated on or after end are ignored. Example: 0.8 held 6 days, then 0.4 held 3 days,
    y = 0 gives (6·0.64 + 3·0.16)/9 = 0.48.

    Raises ValueError for no forecasts, end <= start, or a start before the first forecast
    (a day without a forecast in force needs a policy, e.g. GJ Open's crowd fill, chosen by
    the caller). datetime values are taken by their date.
    """
    if end is None or y is None:
        raise TypeError("time_weighted_brier needs end and y")
    _check_y(y)
    if not forecasts:
        raise ValueError("no forecasts to score")
    # Sort on (day, time of day, list position) so dates and datetimes can be mixed.
    ordered = sorted(enumerate(forecasts), key=lambda item: (_as_date(item[1][0]), _time_of(item[1][0]), item[0]))
    days_p: list[tuple[dt.date, float]] = []
    for _, (when, p) in ordered:
        _check_p(p)
        day = _as_date(when)
        if days_p and days_p[-1][0] == day:
            days_p[-1] = (day, float(p))
        else:
            days_p.append((day, float(p)))
    first = days_p[0][0]
    begin = first if start is None else _as_date(start)
    stop = _as_date(end)
    if begin < first:
        raise ValueError(f"start {begin} is before the first forecast ({first})")
    if stop <= begin:
        raise ValueError(f"end {stop} is not after the first scored day {begin}")
    total_days = (stop - begin).days
    parts: list[float] = []
    for i, (day, p) in enumerate(days_p):
        seg_start = max(day, begin)
        seg_end = days_p[i + 1][0] if i + 1 < len(days_p) else stop
        seg_end = min(seg_end, stop)
        days = (seg_end - seg_start).days
        if days > 0:
            parts.append(days * (p - y) ** 2)
    return math.fsum(parts) / total_days


#: Horizon buckets: (label, largest number of days from forecast to resolve-by date it holds).
HORIZON_BUCKETS: tuple[tuple[str, float], ...] = (
    ("up to 1 week", 7), ("8 days to 1 month", 30), ("1 to 3 months", 91), ("3 to 6 months", 182),
    ("6 to 12 months", 365), ("over 1 year", math.inf),
)


def horizon_bucket(days: int | None) -> str | None:
    """The horizon bucket of a forecast made `days` before its question's resolve-by date."""
    if days is None:
        return None
    if days < 0:
        raise ValueError(f"horizon of {days} days: the forecast was made after the resolve-by date")
    return next(label for label, limit in HORIZON_BUCKETS if days <= limit)


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
    allowance for float noise) the p-value (t is 0/0 or ±∞), while both intervals collapse to
    (d̄, d̄).
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
        out.update(ci_low=mean_d, ci_high=mean_d, t_ci_low=mean_d, t_ci_high=mean_d)
        return out
    rng = np.random.default_rng(seed)
    boot = d[rng.integers(0, n, size=(n_boot, n))].mean(axis=1)
    tail = (1.0 - level) / 2
    low, high = np.quantile(boot, [tail, 1.0 - tail])
    _, t_low, t_high = mean_interval(list(d), level)
    s = math.sqrt(math.fsum((x - mean_d) ** 2 for x in d) / (n - 1))
    t_stat = mean_d / (s / math.sqrt(n))
    out.update(
        ci_low=float(low), ci_high=float(high), t_ci_low=t_low, t_ci_high=t_high,
        p_value=float(2.0 * stats.t.sf(abs(t_stat), n - 1)),
    )
    return out


def difficulty_adjusted(rows: Sequence[tuple[Hashable, Hashable, float]]) -> dict[Hashable, dict[str, float | int]]:
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
    # (the t quantile is sufficient's, as for every other interval: scipy.stats alone would add
    # 0.5 s to importing the fit)
    t = np.array([sufficient.t_quantile(0.975, int(k) - 1) if k > 1 else np.nan for k in n_by_author])
    with np.errstate(divide="ignore", invalid="ignore"):
        half = t * np.sqrt(squares / (n_by_author - 1) / n_by_author)
    # distinct questions per author (a question forecast twice is two observations above): the
    # graph's author rows, whose repeated (author, question) entries were summed into one
    questions_by_author = np.diff(graph.indptr)[:n_a]
    # An author alone in their component shares no question with anyone: every question effect
    # there absorbs their score exactly, so the interval would be a spurious zero width.
    authors_in = np.bincount(label[:n_a])
    out: dict[Hashable, dict[str, float | int]] = {}
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


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _check_p(p: float) -> None:
    if type(p) is float and 0.0 <= p <= 1.0:  # the common case, without the ABC check below
        return
    if isinstance(p, bool) or not isinstance(p, numbers.Real):
        raise ValueError(f"probability {p!r} is not a number")
    if not 0.0 <= p <= 1.0:  # also false for NaN
        raise ValueError(f"probability {p!r} is not in [0, 1]")


def _check_y(y: int) -> None:
    if y not in (0, 1):
        raise ValueError(f"outcome {y!r} is not 0 or 1")


def _check_category(k: int, size: int) -> None:
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or not 0 <= k < size:
        raise ValueError(f"outcome category {k!r} is not an index into {size} categories")


def _validated_arrays(ps: Sequence[float], ys: Sequence[int]) -> tuple[list[float], list[int]]:
    if len(ps) != len(ys):
        raise ValueError(f"got {len(ps)} forecasts but {len(ys)} outcomes")
    if len(ps) == 0:
        raise ValueError("no forecasts")
    for p in ps:
        _check_p(p)
    for y in ys:
        _check_y(y)
    return [float(p) for p in ps], [int(y) for y in ys]


def _as_date(value: dt.date) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _time_of(value: dt.date) -> dt.time:
    return value.time() if isinstance(value, dt.datetime) else dt.time.min
