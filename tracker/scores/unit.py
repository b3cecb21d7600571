"""Keeps the tables of the unit of comparison current: `question_policy_scores`, one score per
(forecaster, question) under each policy, re-derived for the questions a write touched (they are
local to a question, crowds included); and `policy_scores`, the fair boards, which compare
everyone at once and so are refitted with the difficulty-adjusted board (tracker.scores.board).
"""

from __future__ import annotations

import json
from itertools import groupby
from typing import TYPE_CHECKING

from tracker.scores import calibration as calib
from tracker.scores import fair, policies

if TYPE_CHECKING:
    from tracker.ledger.connection import Ledger

#: SQL: forecast `f` was made at or after the moment its question's outcome `co` became known
#: (the same rule as tracker.scores.policies.is_late, and the late_forecasts view)
LATE = """(co.resolved_on is not null and case
              when length(f.made_on) > 10 and length(co.resolved_on) > 10 then f.made_on >= co.resolved_on
              else substr(f.made_on, 1, 10) >= substr(co.resolved_on, 1, 10) end)"""

_COLUMNS = ("policy", "forecaster", "question_id", "crowd", "provisional", "outcome", "forecasts", "probability",
            "brier", "log_score", "window_start", "window_end", "days")


def outcome_value(outcome: str) -> float | None:
    """y for a yes-no question's outcome: 1, 0, a probability-valued resolution, or None (annulled)."""
    if outcome == "yes":
        return 1.0
    if outcome == "no":
        return 0.0
    try:
        y = float(outcome)
    except ValueError:
        return None
    return y if 0.0 < y < 1.0 else None


def refresh_questions(db: Ledger, qids: list[str] | None) -> None:
    """Re-derive question_policy_scores for `qids` (all when None)."""
    if qids is None:
        db.execute("delete from question_policy_scores")
        scope, params = "", {}
    else:
        params = {"keys": json.dumps(qids)}
        db.execute("delete from question_policy_scores where question_id in (select value from json_each(:keys))",
                   params)
        scope = "and f.question_id in (select value from json_each(:keys))"
    cursor = db.execute(f"""
        select f.question_id, f.id, f.made_on, f.probability, co.outcome, co.resolved_on, q.resolve_by,
               (select json_group_array(author_id) from (select author_id from forecast_authors
                  where forecast_id = f.id order by author_id)) as author_ids
        from forecasts f join questions q on q.id = f.question_id
        join current_outcomes co on co.question_id = f.question_id
        where q.kind != 'multiple_choice' and f.probability is not null and co.outcome != 'annulled' {scope}
        order by f.question_id""", params)
    batch: list[tuple] = []
    for qid, group in groupby(cursor, key=lambda r: r[0]):
        series = list(group)
        outcome, known_on, resolve_by = series[0][4], series[0][5], series[0][6]
        y = outcome_value(outcome)
        if y is None:
            continue
        _, rows = policies.question_rows(((fid, json.loads(a), made_on, p) for _, fid, made_on, p, _, _, _, a
                                          in series), y, known_on, resolve_by)
        provisional = int(outcome not in ("yes", "no"))
        for r in rows:
            r.update(question_id=qid, provisional=provisional, outcome=outcome)
            batch.append(tuple(r[c] for c in _COLUMNS))
        if len(batch) >= 20_000:
            _write(db, batch)
            batch = []
    _write(db, batch)


def _write(db: Ledger, rows: list[tuple]) -> None:
    if rows:
        db.executemany(f"insert into question_policy_scores ({', '.join(_COLUMNS)}) "
                       f"values ({', '.join('?' * len(_COLUMNS))})", rows)


_BOARD_COLUMNS = ("policy", "forecaster", "crowd", "rank", "n", "brier", "brier_ci_low", "brier_ci_high",
                  "interval_method", "log_score", "prior_brier", "shrunk_brier", "weight", "provisional_n",
                  "provisional_brier", "late", "skill_vs_climatology")


def base_rate(db: Ledger) -> float | None:
    """The one climatology for everyone: the share of the ledger's scored questions resolved yes,
    each once; None before any is."""
    yes, total = db.execute("""select coalesce(sum(outcome = 'yes'), 0), count(*) from
                               (select distinct question_id, outcome from question_policy_scores
                                where provisional = 0)""").fetchone()
    return yes / total if total else None


def refit(db: Ledger) -> None:
    """Refit every policy's fair board from question_policy_scores."""
    db.execute("delete from policy_scores")
    db.execute("delete from policy_fits")
    late = dict(db.execute("""select fa.author_id, count(*) from late_forecasts l
                              join forecast_authors fa on fa.forecast_id = l.forecast_id group by fa.author_id"""))
    rate = base_rate(db)
    out = []
    for policy in policies.POLICIES:
        rows = db.execute("""select forecaster, crowd, question_id, brier, log_score, provisional
                             from question_policy_scores where policy = ? order by forecaster, question_id""",
                          [policy]).fetchall()
        fitted, fit = fair.board(rows, policy, rate)
        db.execute("""insert into policy_fits (policy, people, questions, sigma2, tau2, ranked, ranking)
                      values (:policy, :people, :questions, :sigma2, :tau2, :ranked, :ranking)""",
                   {"policy": policy, **fit})
        for who, r in fitted.items():
            r.update(policy=policy, late=None if r["crowd"] else late.get(who, 0))
            out.append(tuple(r[c] for c in _BOARD_COLUMNS))
        # people whose every forecast was late still appear, with n = 0, so that their late count shows
        out += [(policy, who, 0, None, 0, None, None, None, "too few", None, None, None, None, 0, None, count, None)
                for who, count in sorted(late.items()) if who not in fitted]
    db.executemany(f"insert into policy_scores ({', '.join(_BOARD_COLUMNS)}) "
                   f"values ({', '.join('?' * len(_BOARD_COLUMNS))})", out)
    _calibrations(db)
    db.execute("""insert or replace into board_fits (board, fitted_at, pairs, stale_writes)
                  values ('policy', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?, 0)""",
               [db.execute("select count(*) from question_policy_scores").fetchone()[0]])


#: the bin count of the stored calibration tables (tracker.scores.board.CALIBRATION_BINS)
CALIBRATION_BINS = 10


def calibration_sets(db: Ledger, policy: str) -> dict[tuple[str, str], tuple[list[float], list[int]]]:
    """(scope, key) → (probabilities, outcomes) of people's (author, question) forecasts under
    `policy`, final outcomes only: everyone's, and each author's."""
    sets: dict[tuple[str, str], tuple[list[float], list[int]]] = {}
    for who, p, outcome in db.execute("""select forecaster, probability, outcome from question_policy_scores
                                         where policy = ? and crowd = 0 and provisional = 0
                                         order by forecaster, question_id""", [policy]):
        y = int(outcome == "yes")
        for key in (("all", "all"), ("author", who)):
            ps, ys = sets.setdefault(key, ([], []))
            ps.append(p)
            ys.append(y)
    return sets


def _calibrations(db: Ledger) -> None:
    db.execute("delete from policy_calibration_bins")
    db.execute("delete from policy_calibration_summary")
    bins, summaries = [], []
    for policy in policies.POLICIES:
        for (scope, key), (ps, ys) in calibration_sets(db, policy).items():
            table, summary = calib.table_and_summary(calib.sums_of(ps, ys, CALIBRATION_BINS),
                                                     calib.value_counts(ps, ys), CALIBRATION_BINS)
            head = {"policy": policy, "scope": scope, "key": key, "bins": CALIBRATION_BINS}
            bins += [{**head, "bin": calib.bin_index(b["lower"], CALIBRATION_BINS), **b} for b in table]
            summaries.append({**head, **summary})
    for name, rows in (("policy_calibration_bins", bins), ("policy_calibration_summary", summaries)):
        if rows:
            columns = list(rows[0])
            db.executemany(f"insert into {name} ({', '.join(columns)}) values ({', '.join('?' * len(columns))})",
                           [tuple(r[c] for c in columns) for r in rows])
