"""The unit of comparison is (author, question): an author's one score on a question, by a named
policy, and the crowd's, as pure functions over one question's forecasts.

An author may forecast a question once or a hundred times. Scoring every forecast lets repetition
buy weight (ten forecasts of 0.01 on an easy question outweigh one 0.9 on a hard one), so boards
that compare forecasters score each (author, question) once, by one of these policies:

- ``time-weighted`` (the default): every day of the question's window is scored with the forecast
  in force that day, and the day scores are averaged. The window runs from the first day anyone
  forecast the question to the day its outcome became known (that day itself is not scored, unless
  a forecast was made on it before the moment, when it is the last day). Before an author's first
  forecast, their day is scored with the crowd's median forecast in force that day, as Good
  Judgment Open fills the days before a forecaster joined: forecasting only at the last minute
  earns the crowd's score, not one's own late knowledge. Alone on a question, the window starts
  with the author's first forecast, so a one-shot brief scores exactly as its forecasts.
- ``first``: the author's first forecast on the question.
- ``last``: their last forecast made before the outcome was known.
- ``mean``: the mean of the scores of all their forecasts on it.

A forecast made at or after the moment its outcome became known is *late* (``is_late``): it is
never scored, under any policy. Crowd aggregates (the median, the mean and the geometric mean of
odds of the people's forecasts in force) are scored the same way as benchmark forecasters on
questions with at least CROWD_MIN_AUTHORS people; they are never counted as people.

The outcome y is 1 (yes), 0 (no) or a probability-valued resolution in (0, 1), which scores the
same way (Brier (p − y)², log score the cross-entropy) and is kept apart as provisional by the
caller.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Sequence
from itertools import pairwise

from tracker.scores.rules import LOG_CLIP
from tracker.values import later

POLICIES = ("time-weighted", "first", "last", "mean")
DEFAULT_POLICY = "time-weighted"

#: people a question needs before the crowd's aggregates are scored on it (a crowd of one is
#: that one person)
CROWD_MIN_AUTHORS = 2

#: Probabilities are clipped into [ODDS_CLIP, 1 − ODDS_CLIP] before the geometric mean of odds,
#: so that a forecast of 0 or 1 has finite log-odds (the bound the log score uses).
ODDS_CLIP = LOG_CLIP


def geo_mean_odds(ps: Sequence[float]) -> float:
    """The geometric mean of the odds p/(1 − p), as a probability (Satopää et al. 2014,
    International Journal of Forecasting 30:344–356, with no extremising): exp(mean logit p)."""
    logits = [math.log(q / (1.0 - q)) for q in (min(max(p, ODDS_CLIP), 1.0 - ODDS_CLIP) for p in ps)]
    g = math.fsum(logits) / len(logits)
    return 1.0 / (1.0 + math.exp(-g))


def _mean(ps: Sequence[float]) -> float:
    return math.fsum(ps) / len(ps)


def median(ps: Sequence[float]) -> float:
    """The median (the mean of the two middle values for an even count); the statistics module's
    import costs every write that re-scores a question."""
    s = sorted(ps)
    k = len(s) // 2
    return s[k] if len(s) % 2 else (s[k - 1] + s[k]) / 2


#: crowd forecaster → how it aggregates the people's forecasts in force
CROWDS: dict[str, Callable[[Sequence[float]], float]] = {
    "crowd:median": median, "crowd:mean": _mean, "crowd:geo-mean-odds": geo_mean_odds}


def is_crowd(forecaster: str) -> bool:
    return forecaster in CROWDS


def is_late(made_on: str, known_on: str | None) -> bool:
    """Whether a forecast made at `made_on` came at or after the moment its outcome became known.
    To the instant when both are times; else by the day, so a forecast dated on the day the
    outcome became known is late (it cannot be shown to precede the news)."""
    return known_on is not None and not later(known_on, made_on)


def loss(p: float, y: float) -> tuple[float, float]:
    """(Brier on 0..1, log score in nats) of forecast p against outcome y in [0, 1]: (p − y)² and
    −(y ln p + (1 − y) ln(1 − p)), each probability floored at LOG_CLIP, as rules.log_score does
    for y of 0 or 1."""
    log = 0.0
    if y > 0:
        log -= y * math.log(max(p, LOG_CLIP))
    if y < 1:
        log -= (1.0 - y) * math.log(max(1.0 - p, LOG_CLIP))
    return (p - y) ** 2, log


def _day(moment: str) -> dt.date:
    return dt.date.fromisoformat(moment[:10])


def question_rows(forecasts: Iterable[tuple[str, Sequence[str], str, float]], y: float,
                  known_on: str | None, resolve_by: str | None = None) -> tuple[list[str], list[dict]]:
    """One question's (late forecast ids, score rows).

    `forecasts` are (forecast id, its authors, made_on, p). Each row is one forecaster under one
    policy: policy, forecaster, crowd (0 or 1), forecasts (how many it rests on: the author's
    forecasts, or the people in the crowd), probability (the policy's forecast: the first, the
    last, the mean, or for time-weighted the author's own forecasts weighted by the days they
    were in force), brier, log_score, window_start, window_end and days (time-weighted only)."""
    late: list[str] = []
    by_author: dict[str, list[tuple[str, str, float]]] = {}
    for fid, authors, made_on, p in forecasts:
        if is_late(made_on, known_on):
            late.append(fid)
            continue
        for a in authors:
            by_author.setdefault(a, []).append((made_on, fid, float(p)))
    rows: list[dict] = []
    if not by_author:
        return sorted(late), rows
    for series in by_author.values():
        series.sort()  # text order is time order, and the id breaks ties as everywhere
    people = sorted(by_author)
    crowd = len(people) >= CROWD_MIN_AUTHORS

    def row(policy: str, who: str, n: int, p: float, brier: float, log: float, **extra) -> dict:
        return {"policy": policy, "forecaster": who, "crowd": int(is_crowd(who)), "forecasts": n,
                "probability": p, "brier": brier, "log_score": log, "window_start": None, "window_end": None,
                "days": None, **extra}

    for policy in ("first", "last"):
        chosen = {a: by_author[a][0 if policy == "first" else -1][2] for a in people}
        for a in people:
            rows.append(row(policy, a, len(by_author[a]), chosen[a], *loss(chosen[a], y)))
        if crowd:
            for name, aggregate in CROWDS.items():
                p = aggregate([chosen[a] for a in people])
                rows.append(row(policy, name, len(people), p, *loss(p, y)))
    means = {}
    for a in people:
        ps = [p for _, _, p in by_author[a]]
        scores = [loss(p, y) for p in ps]
        means[a] = _mean(ps)
        rows.append(row("mean", a, len(ps), means[a], _mean([b for b, _ in scores]), _mean([g for _, g in scores])))
    if crowd:
        for name, aggregate in CROWDS.items():
            p = aggregate([means[a] for a in people])
            rows.append(row("mean", name, len(people), p, *loss(p, y)))
    rows += _time_weighted(by_author, people, crowd, y, known_on, resolve_by)
    return sorted(late), rows


def _time_weighted(by_author: dict[str, list[tuple[str, str, float]]], people: list[str], crowd: bool, y: float,
                   known_on: str | None, resolve_by: str | None) -> list[dict]:
    # each author's forecast for each day they forecast: the day's last
    daily: dict[str, dict[dt.date, float]] = {a: {} for a in people}
    for a in people:
        for made_on, _, p in by_author[a]:
            daily[a][_day(made_on)] = p
    days_forecast = sorted({d for a in people for d in daily[a]})
    start = days_forecast[0]
    end_moment = known_on or resolve_by
    end = _day(end_moment) if end_moment else start
    end = max(end, days_forecast[-1] + dt.timedelta(days=1))
    cuts = [d for d in days_forecast if d < end] + [end]
    total = (end - start).days
    # forecaster → {(Brier, log score) of a day: how many days}, summed once at the end, so that
    # one forecast in force all the window scores exactly as that forecast
    spans: dict[str, dict[tuple[float, float], int]] = {a: {} for a in [*people, *(CROWDS if crowd else ())]}
    own_days = {a: 0 for a in people}
    own_p = {a: 0.0 for a in people}
    in_force: dict[str, float] = {}
    for begin, stop in pairwise(cuts):
        for a in people:
            if begin in daily[a]:
                in_force[a] = daily[a][begin]
        length = (stop - begin).days
        ps = [in_force[a] for a in people if a in in_force]
        fill = median(ps)  # the crowd's median forecast in force, for those who have not begun
        for a in people:
            p = in_force.get(a, fill)
            key = loss(p, y)
            spans[a][key] = spans[a].get(key, 0) + length
            if a in in_force:
                own_days[a] += length
                own_p[a] += length * p
        if crowd:
            for name, aggregate in CROWDS.items():
                key = loss(aggregate(ps), y)
                spans[name][key] = spans[name].get(key, 0) + length
    window = {"window_start": start.isoformat(), "window_end": end.isoformat(), "days": total}

    def mean_of(who: str, i: int) -> float:
        if len(spans[who]) == 1:
            return next(iter(spans[who]))[i]
        return math.fsum(days * key[i] for key, days in spans[who].items()) / total

    out = []
    for a in people:
        p = own_p[a] / own_days[a] if own_days[a] else by_author[a][-1][2]
        out.append({"policy": "time-weighted", "forecaster": a, "crowd": 0, "forecasts": len(by_author[a]),
                    "probability": p, "brier": mean_of(a, 0), "log_score": mean_of(a, 1), **window})
    if crowd:
        for name in CROWDS:
            out.append({"policy": "time-weighted", "forecaster": name, "crowd": 1, "forecasts": len(people),
                        "probability": None, "brier": mean_of(name, 0), "log_score": mean_of(name, 1), **window})
    return out
