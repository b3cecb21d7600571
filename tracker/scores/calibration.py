"""Calibration tables, the Murphy and Yates decompositions and the ROC AUC, from exact sums.

Every function of a list of forecasts here is the same function of the forecasts' sums (the
terms in tracker.scores.terms, which the score tables keep per group), so a table computed from a
list is the very float a score table holds for the same forecasts.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence

from tracker.scores import sums as sufficient
from tracker.scores.rules import _check_p, _check_y
from tracker.scores.sums import SHIFT, exact
from tracker.scores.terms import (
    BIN_EVENTS,
    BIN_FORECASTS,
    BIN_SUM_P,
    BIN_SUM_P2,
    BIN_SUM_P_EVENTS,
    EVENTS,
    FORECASTS,
    SUM_P,
    SUM_P2,
    SUM_P2_EVENTS,
    SUM_P_EVENTS,
)


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
    if type(bins) is not int or bins < 1:  # a plain positive int, the common case, skips the ABC check  # noqa: SIM102
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
    for fi, oi in zip(f, o, strict=True):
        counts.setdefault(fi, [0, 0])[1 - oi] += 1
    return counts


# ------------------------------------------------------------------ from exact sums
# Sums of p are in 2**-SHIFT units, sums of p² in 2**-2·SHIFT units (tracker.scores.terms).

_U = 1 << SHIFT


def forecast_terms(p: float, y: int, bins: int) -> dict[str, int]:
    """One forecast's contribution to its groups' calibration sums."""
    a = exact(p)
    a2 = a * a
    k = bin_index(p, bins)
    terms: dict[str, int] = {FORECASTS: 1, SUM_P: a, SUM_P2: a2,
                             BIN_FORECASTS[k]: 1, BIN_SUM_P[k]: a, BIN_SUM_P2[k]: a2}
    if y:
        terms.update({EVENTS: 1, SUM_P_EVENTS: a, SUM_P2_EVENTS: a2, BIN_EVENTS[k]: 1, BIN_SUM_P_EVENTS[k]: a})
    return terms


def sums_of(ps: Sequence[float], ys: Sequence[int], bins: int) -> dict[str, int]:
    """The calibration sums of a set of forecasts (see forecast_terms)."""
    f, o = _validated_arrays(ps, ys)
    sums: dict[str, int] = {}
    for fi, oi in zip(f, o, strict=True):
        sufficient.add(sums, forecast_terms(fi, oi, bins))
    return sums


def table_from_sums(sums: dict[str, int], bins: int) -> list[dict[str, float | int]]:
    rows: list[dict[str, float | int]] = []
    for k in range(int(bins)):
        n = sums.get(BIN_FORECASTS[k], 0)
        if not n:
            continue
        events = sums.get(BIN_EVENTS[k], 0)
        low, high = wilson_interval(events, n)
        rows.append({"lower": k / int(bins), "upper": (k + 1) / int(bins), "n": n,
                     "mean_forecast": sufficient.ratio(sums.get(BIN_SUM_P[k], 0), n * _U),
                     "observed": events / n, "ci_low": low, "ci_high": high})
    return rows


def exact_brier(sums: dict[str, int]) -> float:
    """Σ(p - y)² / N: Σp² - 2Σp·y + Σy over N, exact integers divided once (correctly rounded)."""
    n = sums[FORECASTS]
    return ((sums.get(SUM_P2, 0) - 2 * sums.get(SUM_P_EVENTS, 0) * _U + sums.get(EVENTS, 0) * _U * _U)
            / (n * _U * _U))


def murphy_from_sums(sums: dict[str, int], bins: int) -> dict[str, float | int]:
    # Each bin's term is a ratio of exact integers, rounded once (int / int is correctly rounded),
    # and math.fsum adds the terms without further error, so the result is a function of the sums
    # alone, as exact as a float allows; Fractions gave the same to the last bit or two at ten
    # times the cost (their gcds of 2,000-bit integers were most of a `resolve`'s own work).
    n, e = sums.get(FORECASTS, 0), sums.get(EVENTS, 0)
    if not n:
        raise ValueError("no forecasts")
    rel, res, wbv, wbc = [], [], [], []
    uu = _U * _U
    for k in range(int(bins)):
        nk = sums.get(BIN_FORECASTS[k], 0)
        if not nk:
            continue
        ek, p1, p2, p1y = (sums.get(family[k], 0) for family in (BIN_EVENTS, BIN_SUM_P, BIN_SUM_P2, BIN_SUM_P_EVENTS))
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
    n, e = sums.get(FORECASTS, 0), sums.get(EVENTS, 0)
    if not n:
        raise ValueError("no forecasts")
    p1, p2, p1y, p2y = (sums.get(t, 0) for t in (SUM_P, SUM_P2, SUM_P_EVENTS, SUM_P2_EVENTS))
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


#: events, and non-events, a set needs before its ROC AUC is shown: with fewer, one forecast
#: decides it (an AUC of 1.000 at n = 2 says nothing)
AUC_MIN_EACH = 3


def auc_shown(counts: Mapping[float, Sequence[int]]) -> float | None:
    """The ROC AUC as boards show it: None unless there are AUC_MIN_EACH events and non-events."""
    events = sum(c[0] for c in counts.values())
    non_events = sum(c[1] for c in counts.values())
    if events < AUC_MIN_EACH or non_events < AUC_MIN_EACH:
        return None
    return auc_from_counts(counts)


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


def table_and_summary(sums: dict[str, int], counts: Mapping[float, Sequence[int]], bins: int
                      ) -> tuple[list[dict], dict]:
    """The calibration table and the summary (Murphy–Stephenson and Yates terms, AUC as shown) of
    one set, from its sums and its events per forecast value."""
    table = table_from_sums(sums, bins)
    murphy = murphy_from_sums(sums, bins)
    yates = yates_from_sums(sums)
    summary: dict[str, float | int | None] = {
        k: murphy[k] for k in ("n", "brier", "reliability", "resolution", "uncertainty", "within_bin_variance",
                               "within_bin_covariance")}
    summary.update({f"yates_{k}": yates[k] for k in ("var_y", "min_var_f", "scatter", "bias", "bias_squared",
                                                     "covariance")})
    summary["auc"] = auc_shown(counts)
    return table, summary
