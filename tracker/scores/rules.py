"""Scoring rules as pure functions over numbers: the score of one forecast.

Nothing here knows of SQLite or the command line, so every function can be checked against the
independent oracles (scoringrules, properscoring, scikit-learn) and hand-worked cases alone.

Conventions: p is the probability given to "yes", y is 1 for yes and 0 for no. Brier and log
scores are losses (lower is better); the binary Brier score is on the 0..1 scale unless a name
says otherwise (``brier_gj`` and ``brier_multi`` are on Brier's original 0..2 scale).
Each function's docstring gives its formula and source.

What needs a set of forecasts lives beside this: calibration tables and decompositions in
tracker.scores.calibration, fits across forecasters (paired comparisons, the difficulty-adjusted
board, peer scores) in tracker.scores.fits, a group's means and intervals in tracker.scores.sums.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from collections.abc import Sequence

from tracker.values import check_distribution

#: Log scores floor the probability given to what happened at LOG_CLIP, so that a confident miss
#: costs a finite -ln(0.001) = 6.91 nats instead of infinity (the bound Metaculus uses). Every floored forecast is
#: flagged where it is stored and counted beside every mean.
LOG_CLIP = 0.001

#: Brier score (0..1 scale) of always saying 50 %: the "chance" reference for skill scores.
CHANCE_REFERENCE = 0.25


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
# Scores over time
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


def _as_date(value: dt.date) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _time_of(value: dt.date) -> dt.time:
    return value.time() if isinstance(value, dt.datetime) else dt.time.min
