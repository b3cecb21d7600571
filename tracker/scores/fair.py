"""A fair board of forecasters from their (author, question) scores under one policy
(tracker.scores.policies): n counts questions, the interval is a bootstrap over questions, and the
rank is by a shrinkage estimate that one lucky forecast cannot put first.

- **Interval**: a seeded percentile bootstrap over the forecaster's questions (BOOTSTRAP_SAMPLES
  resamples from numpy.random.default_rng, seeded from the policy and the forecaster's id, so a
  board is the same whatever order it was built in). Scores are bounded, so the interval stays
  inside [0, 1] on the Brier scale. None is given below MIN_INTERVAL_N questions ("too few"), nor
  when every score is the same ("no spread"): a zero-width interval would look certain. Above
  BOOTSTRAP_LIMIT questions the Student-t interval is used instead, which the bootstrap
  approaches there, to bound the cost.
- **Shrinkage** (Efron & Morris 1975, *JASA* 70:311–319: empirical Bayes with a normal prior).
  Each forecaster's excess d = mean Brier − prior_brier, the mean over the same questions of
  everyone's (people's) Brier on each question, is shrunk toward 0 by w = τ² / (τ² + σ²/n): σ² is
  the pooled variance of a person's per-question excesses, and τ², the spread of true excesses
  between people, is the DerSimonian–Laird moments estimate (DerSimonian & Laird 1986, *Controlled
  Clinical Trials* 7:177–188), which weights each person by n/σ². With equal n it is the plain
  moments estimate var(d) − σ²/n; with very unequal n (many people with a question or two beside
  a few with hundreds, as in public datasets) the plain estimate is swamped by the few-question
  people's noise and falls to zero, where this one does not. The shrunk Brier is the board's
  average question (the mean over every scored question of everyone's Brier on it) plus w·d: the
  Brier the forecaster would be expected to score on a question of average difficulty, kept inside
  [0, 1]. With few questions w is small and a forecaster sits near "as good as everyone";
  answering only easy questions earns nothing, since d is measured on the questions answered.
  Crowd forecasters are shrunk by the same rule, but take no part in estimating σ², τ² or the
  questions' means.
- **Rank**: among people with at least DEFAULT_MIN_N questions (the default board), by shrunk
  Brier. Where τ² is estimated at 0 though σ² > 0, the forecasters' spread is no more than chance would give:
  every shrunk Brier is the same, and nobody is ranked (rank None, and the fit says why) rather
  than ranked by the raw means shrinkage was meant to replace.
"""

from __future__ import annotations

import math
import zlib
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from tracker.scores import sums

#: questions below which no interval is given ("too few"); the percentile bootstrap under-covers
#: badly at smaller n (Efron & Tibshirani 1993, ch. 13)
MIN_INTERVAL_N = 10
#: the smallest n a board shows by default (`--min-n`); an author below it is left out
DEFAULT_MIN_N = 3
BOOTSTRAP_SAMPLES = 2000
BOOTSTRAP_SEED = 16
BOOTSTRAP_LIMIT = 500
_ZERO_SPREAD = 1e-12
#: what a board says of its ranks
RANKED = "ranked by shrunk Brier"
NOT_RANKED = ("not ranked: the spread between forecasters is no more than chance would give (τ² = 0), so shrinkage "
              "cannot tell them apart; compare the raw means and their intervals")


def seed_of(*parts: str) -> int:
    return zlib.crc32("\0".join(parts).encode()) ^ BOOTSTRAP_SEED


def bootstrap_interval(values: list[float], seed: int, level: float = 0.95,
                       samples: int = BOOTSTRAP_SAMPLES) -> tuple[float | None, float | None, str]:
    """(low, high, how): the percentile bootstrap interval of the mean, or (None, None, why not)."""
    n = len(values)
    if n < MIN_INTERVAL_N:
        return None, None, "too few"
    if max(values) - min(values) <= _ZERO_SPREAD:
        return None, None, "no spread"
    if n > BOOTSTRAP_LIMIT:
        _, lo, hi = sums.mean_interval(sums.moments(values), level=level)
        return lo, hi, "Student-t"
    import numpy as np

    x = np.asarray(values, dtype=float)
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, n, size=(samples, n))].mean(axis=1)
    tail = (1.0 - level) / 2
    lo, hi = np.quantile(means, [tail, 1.0 - tail])
    return float(lo), float(hi), "bootstrap"


def _mean(xs: list[float]) -> float:
    return math.fsum(xs) / len(xs)


def climatology_brier(base_rate: float | None) -> float | None:
    """The Brier (0..1) of always forecasting the ledger's base rate ȳ: ȳ(1 − ȳ) (Murphy 1973). One
    reference for everyone, so skill against it compares forecasters; None without outcomes."""
    return None if base_rate is None else base_rate * (1.0 - base_rate)


def between_spread(d: list[float], n: list[int], sigma2: float) -> float:
    """τ², the variance of true excesses between people: the DerSimonian–Laird estimate from each
    person's mean excess d_i over n_i questions, whose noise is σ²/n_i. 0 with fewer than two
    people or no noise to weigh by."""
    k = len(d)
    if k < 2 or sigma2 <= 0:
        return 0.0
    w = [m / sigma2 for m in n]
    total = math.fsum(w)
    centre = math.fsum(wi * di for wi, di in zip(w, d, strict=True)) / total
    q = math.fsum(wi * (di - centre) ** 2 for wi, di in zip(w, d, strict=True))
    scale = total - math.fsum(wi * wi for wi in w) / total
    return max(0.0, (q - (k - 1)) / scale) if scale > 0 else 0.0


def board(rows: Iterable[tuple[str, int, str, float, float, int]], policy: str,
          base_rate: float | None = None) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Rows (forecaster, crowd 0/1, question, Brier, log score, provisional 0/1) → each
    forecaster's row: n, brier (the raw mean), interval, log_score, prior_brier (everyone on the
    same questions), shrunk_brier, weight, provisional_n, provisional_brier, skill_vs_climatology
    (1 − brier / climatology_brier(base_rate), the same reference for everyone) and rank (see the
    module's note); and the fit: people, questions, σ², τ², whether it ranks, and the ranking's
    words for a board's reader."""
    reference = climatology_brier(base_rate)
    final: dict[str, dict[str, tuple[float, float]]] = defaultdict(dict)
    provisional: dict[str, list[float]] = defaultdict(list)
    crowd: dict[str, bool] = {}
    for who, is_crowd, q, brier, log, prov in rows:
        crowd[who] = bool(is_crowd)
        if prov:
            provisional[who].append(brier)
        else:
            final[who][q] = (brier, log)
    people = [w for w in final if not crowd[w]]
    per_question: dict[str, list[float]] = defaultdict(list)
    for w in people:
        for q, (b, _) in final[w].items():
            per_question[q].append(b)
    q_mean = {q: _mean(bs) for q, bs in per_question.items()}
    average_question = _mean(list(q_mean.values())) if q_mean else 0.0
    excess: dict[str, list[float]] = {}
    for w, scores in final.items():
        # a crowd scores only where people do, so its questions all have a mean
        excess[w] = [b - q_mean[q] for q, (b, _) in scores.items()]
    d = {w: _mean(e) for w, e in excess.items()}
    pooled = [(x - d[w]) ** 2 for w in people for x in excess[w]]
    dof = sum(len(excess[w]) - 1 for w in people)
    sigma2 = math.fsum(pooled) / dof if dof > 0 else 0.0
    tau2 = between_spread([d[w] for w in people], [len(excess[w]) for w in people], sigma2)
    ranked = not (len(people) >= 2 and sigma2 > 0 and tau2 <= 0)
    out: dict[str, dict[str, Any]] = {}
    for w in sorted(set(final) | set(provisional)):
        row: dict[str, Any] = {"forecaster": w, "crowd": int(crowd[w]), "n": 0, "brier": None, "brier_ci_low": None,
                               "brier_ci_high": None, "interval_method": None, "log_score": None, "prior_brier": None,
                               "shrunk_brier": None, "weight": None, "skill_vs_climatology": None,
                               "provisional_n": len(provisional.get(w, ())),
                               "provisional_brier": _mean(provisional[w]) if provisional.get(w) else None}
        if w in final:
            scores = final[w]
            briers = [b for b, _ in scores.values()]
            n = len(briers)
            raw = _mean(briers)
            prior = _mean([q_mean[q] for q in scores])
            if sigma2 <= 0:
                weight = 1.0
            elif len(people) < 2:
                weight = 0.0
            else:
                weight = tau2 / (tau2 + sigma2 / n)
            lo, hi, how = bootstrap_interval(briers, seed_of(policy, w))
            row.update(n=n, brier=raw, brier_ci_low=lo, brier_ci_high=hi, interval_method=how,
                       log_score=_mean([g for _, g in scores.values()]), prior_brier=prior,
                       shrunk_brier=min(1.0, max(0.0, average_question + weight * d[w])), weight=weight,
                       skill_vs_climatology=1.0 - raw / reference if reference else None)
        out[w] = row
    for r in out.values():
        r["rank"] = None
    if ranked:
        rank(r for r in out.values() if not r["crowd"] and r["n"] >= DEFAULT_MIN_N)
    fit = {"people": len(people), "questions": len(q_mean), "sigma2": sigma2, "tau2": tau2, "ranked": int(ranked),
           "ranking": RANKED if ranked else NOT_RANKED}
    return out, fit


def rank(rows: Iterable[dict[str, Any]]) -> None:
    """Competition ranks (ties share the better one) by shrunk Brier, then raw Brier, set in place."""
    ordered = sorted(rows, key=lambda r: (r["shrunk_brier"], r["brier"], -r["n"], r["forecaster"]))
    place, previous = 0, None
    for i, r in enumerate(ordered, 1):
        key = (r["shrunk_brier"], r["brier"])
        if key != previous:
            place, previous = i, key
        r["rank"] = place
