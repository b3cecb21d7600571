"""Exact sufficient statistics: sums that one forecast can be added to, or taken out of, exactly.

A group's scores (its mean Brier with an interval, its calibration table, the Murphy and Yates
decompositions) depend on its forecasts only through a few sums. Keeping those sums lets one
outcome update a group in time independent of the group's size. Float sums would drift: adding a
value and taking it out again need not return the same float, and a rescore from scratch would
then disagree with the incremental tables. So each sum is kept exactly, as an integer count of
2**-SHIFT units (every double is a whole number of them), and turned into a float once, correctly
rounded, when a score is read off it. The result depends only on the set of forecasts, never on
their order, which is what makes "incremental equals full rescore" hold to the bit.

Which sums a group keeps, under which names and in which units, is declared once in
tracker.scores.terms; this module holds the arithmetic, the stored form, a group's score moments
(score_terms) and the summary read off them (summary_from_sums).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from functools import cache

from tracker.errors import TrackerError
from tracker.scores import terms as t
from tracker.scores.rules import CHANCE_REFERENCE, skill_score

#: 2**-1100 is finer than the smallest double (2**-1074), so every double is an integer multiple.
SHIFT = 1100
#: A product of two exact values is in units of 2**-(2 * SHIFT).
SHIFT2 = 2 * SHIFT

#: The stored sums' format (the term names in `score_sums`, tracker.scores.terms); a ledger whose
#: score tables were made with another format must be rebuilt. 1 had short keys ("bn", "p1y");
#: 2 has the named terms.
SUMS_FORMAT = 2


def exact(x: float) -> int:
    """x as an integer number of 2**-SHIFT units, exactly."""
    num, den = float(x).as_integer_ratio()
    return num << (SHIFT + 1 - den.bit_length())


def value(units: int, scale: int = SHIFT) -> float:
    """A sum in 2**-scale units as the nearest float (Python's int division rounds correctly)."""
    return units / (1 << scale)


def ratio(num: int, den: int) -> float:
    """num / den as the nearest float; both are exact integers."""
    return num / den


# ------------------------------------------------------------------ storage

def pack(units: int) -> str:
    """A compact, exact text form: hexadecimal with trailing zero bits counted, e.g. '1b.1047'."""
    if units == 0:
        return "0"
    zeros = (units & -units).bit_length() - 1
    return f"{units >> zeros:x}.{zeros}"


def unpack(text: str) -> int:
    mantissa, _, zeros = text.partition(".")
    return int(mantissa, 16) << int(zeros or 0)


def dumps(sums: Mapping[str, int]) -> str:
    """Sums as a JSON object of packed integers, keys sorted, zeros left out."""
    return json.dumps({k: pack(v) for k, v in sorted(sums.items()) if v}, separators=(",", ":"))


def loads(text: str | None) -> dict[str, int]:
    """Sums as dumps wrote them. A key that names no declared term is from another SUMS_FORMAT:
    adding to such sums would give wrong scores, so it is refused."""
    sums = {k: unpack(v) for k, v in json.loads(text).items()} if text else {}
    for k in sums:
        if not t.declared(k):
            raise TrackerError(f"the score tables hold a sum {k!r} that this version of tracker does not "
                               f"keep (sums format {SUMS_FORMAT}): run `tracker migrate` to rebuild them")
    return sums


def add(into: dict[str, int], terms: Mapping[str, int], sign: int = 1) -> None:
    """into += sign * terms, key by key, dropping keys that reach zero."""
    for k, v in terms.items():
        total = into.get(k, 0) + sign * v
        if total:
            into[k] = total
        else:
            into.pop(k, None)


# ------------------------------------------------------------------ means and intervals

#: the moments of values given directly rather than kept for a group (not a stored term)
SAMPLE = t.Moments("sample", "value", register=False)


def moments(values: Iterable[float], of: t.Moments = SAMPLE) -> dict[str, int]:
    """The terms of: n, Σx and Σx² of values, exactly."""
    n = s1 = s2 = 0
    for x in values:
        a = exact(x)
        n, s1, s2 = n + 1, s1 + a, s2 + a * a
    return {of.n: n, of.sum: s1, of.sum_sq: s2}


def mean_interval(sums: Mapping[str, int], of: t.Moments = SAMPLE, level: float = 0.95
                  ) -> tuple[float | None, float | None, float | None]:
    """(mean, low, high) from the moments `of`: mean ± t(n-1) · s / √n, with the sample variance
    computed exactly from Σx and Σx² (no cancellation) and rounded once. Not clipped to the
    score's range. With n < 2 there is no spread: (mean, None, None); with n = 0, all None."""
    n, s1, s2 = sums.get(of.n, 0), sums.get(of.sum, 0), sums.get(of.sum_sq, 0)
    if n == 0:
        return None, None, None
    mean = ratio(s1, n << SHIFT)
    if n < 2:
        return mean, None, None
    var = ratio(n * s2 - s1 * s1, (n * (n - 1)) << SHIFT2)
    half = t_quantile(0.5 + level / 2, n - 1) * math.sqrt(var / n)
    return mean, mean - half, mean + half


# ------------------------------------------------------------------ a group's scores

def score_terms(brier: float, log: float, clipped: bool, sph: float) -> dict[str, int]:
    """One forecast's contribution to its groups' score moments."""
    b, l_, s = exact(brier), exact(log), exact(sph)
    terms: dict[str, int] = {t.BRIER.n: 1, t.BRIER.sum: b, t.BRIER.sum_sq: b * b,
                             t.LOG.n: 1, t.LOG.sum: l_, t.LOG.sum_sq: l_ * l_,
                             t.SPHERICAL.n: 1, t.SPHERICAL.sum: s, t.SPHERICAL.sum_sq: s * s}
    if clipped:
        terms[t.LOG_CLIPPED] = 1
    return terms


def sensitivity_terms(p: float, y: int, brier: float, p_low: float, p_high: float, readings: str | None
                       ) -> dict[str, int]:
    """A forecast's Brier under other readings of its words: the interval's low and high ends, the
    end nearer to (best) and farther from (worst) what happened, and each scale that reads its
    phrase (as a difference from the recorded Brier, so uncovered forecasts add nothing).
    `readings` is the forecast's {scale: value} as JSON, or None."""
    best, worst = (p_high, p_low) if y else (p_low, p_high)
    terms: dict[str, int] = {t.BRIER_AT_LOW: exact((p_low - y) ** 2), t.BRIER_AT_HIGH: exact((p_high - y) ** 2),
                             t.BRIER_BEST: exact((best - y) ** 2), t.BRIER_WORST: exact((worst - y) ** 2)}
    if readings:
        recorded = exact(brier)
        for scale, v in json.loads(readings).items():
            terms[t.SCALE_DIFFERENCE[scale]] = exact((v - y) ** 2) - recorded
            terms[t.SCALE_COVERED[scale]] = 1
    return terms


def summary_from_sums(sums: Mapping[str, int]) -> dict:
    """A group's means with n and 95 % intervals, from its exact sums (calibration.forecast_terms
    and score_terms)."""
    n = sums.get(t.BRIER.n, 0)
    brier_, b_low, b_high = mean_interval(sums, t.BRIER)
    log, l_low, l_high = mean_interval(sums, t.LOG)
    sph, s_low, s_high = mean_interval(sums, t.SPHERICAL)
    base = sums.get(t.EVENTS, 0) / n
    clim = base * (1.0 - base)

    def skill(value, reference):
        return None if value is None else skill_score(value, reference)

    def double(v):
        return None if v is None else 2 * v

    return {
        "n": n, "brier": brier_, "brier_ci_low": b_low, "brier_ci_high": b_high,
        "brier_gj": double(brier_), "brier_gj_ci_low": double(b_low), "brier_gj_ci_high": double(b_high),
        "log_score": log, "log_score_ci_low": l_low, "log_score_ci_high": l_high,
        "log_score_bits": None if log is None else log / math.log(2), "log_clipped_n": sums.get(t.LOG_CLIPPED, 0),
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


# ------------------------------------------------------------------ Student's t without SciPy

def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz), to full precision."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 10_000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-16:
            return h
    raise ArithmeticError("incomplete beta did not converge")


def _log_gamma_half_ratio(a: float) -> float:
    """ln Γ(a + ½) - ln Γ(a). For large a, the difference of two lgamma values of ~a·ln a would
    lose digits, so it is taken from the difference of Stirling's series instead."""
    if a < 50:
        return math.lgamma(a + 0.5) - math.lgamma(a)

    def series(z: float) -> float:
        return 1 / (12 * z) - 1 / (360 * z ** 3) + 1 / (1260 * z ** 5) - 1 / (1680 * z ** 7)

    return 0.5 * math.log(a) + a * math.log1p(0.5 / a) - 0.5 + series(a + 0.5) - series(a)


def _t_upper_tail(t: float, df: float) -> float:
    """P(T > t) for t >= 0: I_x(df/2, 1/2) / 2 with x = df / (df + t²)."""
    a, b = df / 2.0, 0.5
    x = df / (df + t * t)
    one_minus_x = t * t / (df + t * t)
    if one_minus_x == 0:
        return 0.5
    # ln of x^a (1-x)^b / B(a, b), with B(a, ½) = Γ(a)Γ(½)/Γ(a+½)
    log_front = (_log_gamma_half_ratio(a) - 0.5 * math.log(math.pi) - a * math.log1p(t * t / df)
                 + b * math.log(one_minus_x))
    front = math.exp(log_front)
    if x < (a + 1.0) / (a + b + 2.0):
        ix = front * _betacf(a, b, x) / a
    else:
        ix = 1.0 - front * _betacf(b, a, one_minus_x) / b
    return ix / 2.0


@cache
def t_quantile(q: float, df: int) -> float:
    """The q-quantile (q > 1/2) of Student's t with df degrees of freedom.

    SciPy's ``stats.t.ppf`` gives the same number (tests hold it to 1e-12 relative), but every
    write that updates a group's interval needs this, and (measured on a 2-core machine) importing
    scipy.stats costs a process 2 s against 60-100 us for a call here (cached per df after that).
    Exact for df = 1 and 2; otherwise Newton's method on the t distribution's upper tail, computed
    from the incomplete beta function, from Fisher's expansion as a start.
    """
    if not 0.5 < q < 1.0 or df < 1:
        raise ValueError(f"need 1/2 < q < 1 and df >= 1, got q={q}, df={df}")
    if df == 1:
        t = math.tan(math.pi * (q - 0.5))
    elif df == 2:
        t = (2 * q - 1) / math.sqrt(2 * q * (1 - q))
    else:
        # Fisher's expansion in powers of 1/df (Abramowitz & Stegun 26.7.5). From df = 1000 the
        # next term is below 1e-16, and Newton on the tail would lose more than that to rounding;
        # below, it starts Newton close enough that one step, or two, settles it.
        z = normal_quantile(q)
        g = ((z ** 3 + z) / 4,
             (5 * z ** 5 + 16 * z ** 3 + 3 * z) / 96,
             (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / 384,
             (79 * z ** 9 + 776 * z ** 7 + 1482 * z ** 5 - 1920 * z ** 3 - 945 * z) / 92160)
        t = z + sum(gk / df ** (k + 1) for k, gk in enumerate(g))
        if df >= 1000:
            return t
        target = 1.0 - q
        log_norm = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
        for _ in range(100):
            pdf = math.exp(log_norm - (df + 1) / 2 * math.log1p(t * t / df))
            step = (_t_upper_tail(t, df) - target) / pdf
            t += step
            # Newton converges quadratically: after a step this small the error left is far
            # below the float noise of the tail itself, and smaller steps only chase that noise.
            if abs(step) <= 1e-10 * abs(t):
                break
    return t


#: statistics.NormalDist().inv_cdf(0.975): z of every two-sided 95 % interval (a test holds it to that)
Z_975 = 1.9599639845400536


def normal_quantile(q: float) -> float:
    """statistics.NormalDist().inv_cdf(q). Every interval the tables keep is a 95 % one, so
    q = 0.975 is the constant Z_975; importing statistics (with random, fractions and decimal)
    would cost each write 3-4 ms, so it is imported only for another level."""
    if q == 0.975:
        return Z_975
    if not 0.0 < q < 1.0:
        raise ValueError(f"need 0 < q < 1, got q={q}")
    from statistics import NormalDist

    return NormalDist().inv_cdf(q)
