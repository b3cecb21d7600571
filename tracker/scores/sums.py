"""Exact sufficient statistics: sums that one forecast can be added to, or taken out of, exactly.

A group's scores (its mean Brier with an interval, its calibration table, the Murphy and Yates
decompositions) depend on its forecasts only through a few sums. Keeping those sums lets one
outcome update a group in time independent of the group's size. Float sums would drift: adding a
value and taking it out again need not return the same float, and a rescore from scratch would
then disagree with the incremental tables. So each sum is kept exactly, as an integer count of
2**-SHIFT units (every double is a whole number of them), and turned into a float once, correctly
rounded, when a score is read off it. The result depends only on the set of forecasts, never on
their order, which is what makes "incremental equals full rescore" hold to the bit.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from functools import lru_cache

#: 2**-1100 is finer than the smallest double (2**-1074), so every double is an integer multiple.
SHIFT = 1100
#: A product of two exact values is in units of 2**-(2 * SHIFT).
SHIFT2 = 2 * SHIFT


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
    import json

    return json.dumps({k: pack(v) for k, v in sorted(sums.items()) if v}, separators=(",", ":"))


def loads(text: str | None) -> dict[str, int]:
    import json

    return {k: unpack(v) for k, v in json.loads(text).items()} if text else {}


def add(into: dict[str, int], terms: Mapping[str, int], sign: int = 1) -> None:
    """into += sign * terms, key by key, dropping keys that reach zero."""
    for k, v in terms.items():
        total = into.get(k, 0) + sign * v
        if total:
            into[k] = total
        else:
            into.pop(k, None)


# ------------------------------------------------------------------ means and intervals

def moments(values: Iterable[float], prefix: str = "") -> dict[str, int]:
    """n, Σx and Σx² of values, exactly, under keys prefix + 'n', '1', '2'."""
    n = s1 = s2 = 0
    for x in values:
        a = exact(x)
        n, s1, s2 = n + 1, s1 + a, s2 + a * a
    return {prefix + "n": n, prefix + "1": s1, prefix + "2": s2}


def mean_interval(sums: Mapping[str, int], prefix: str = "", level: float = 0.95
                  ) -> tuple[float | None, float | None, float | None]:
    """(mean, low, high) from moments: mean ± t(n-1) · s / √n, with the sample variance computed
    exactly from Σx and Σx² (no cancellation) and rounded once. Not clipped to the score's range.
    With n < 2 there is no spread: (mean, None, None); with n = 0, all None."""
    n, s1, s2 = sums.get(prefix + "n", 0), sums.get(prefix + "1", 0), sums.get(prefix + "2", 0)
    if n == 0:
        return None, None, None
    mean = ratio(s1, n << SHIFT)
    if n < 2:
        return mean, None, None
    var = ratio(n * s2 - s1 * s1, (n * (n - 1)) << SHIFT2)
    half = t_quantile(0.5 + level / 2, n - 1) * math.sqrt(var / n)
    return mean, mean - half, mean + half


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


@lru_cache(maxsize=None)
def t_quantile(q: float, df: int) -> float:
    """The q-quantile (q > 1/2) of Student's t with df degrees of freedom.

    SciPy's ``stats.t.ppf`` gives the same number (tests hold it to 1e-12 relative), but importing
    scipy.stats costs half a second, and every write that updates a group's interval needs this.
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


@lru_cache(maxsize=64)
def normal_quantile(q: float) -> float:
    """statistics.NormalDist().inv_cdf(q). Importing statistics (with random, fractions and
    decimal) costs a process 3-4 ms, most of what every write that re-derives a group imports
    beyond start-up, so the C function NormalDist calls is used directly where CPython has it."""
    if not 0.0 < q < 1.0:
        raise ValueError(f"need 0 < q < 1, got q={q}")
    try:
        from _statistics import _normal_dist_inv_cdf
    except ImportError:  # another Python: NormalDist's own fallback
        from statistics import NormalDist

        return NormalDist().inv_cdf(q)
    return _normal_dist_inv_cdf(q, 0.0, 1.0)
