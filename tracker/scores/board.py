"""Keeps the score tables current.

Every write that can change a score (import, resolve, correct, un-resolve) calls `refresh` inside
its own transaction with the questions it touched, so the tables never disagree with the ledger
and Datasette and the CLI read scores without recomputing them. `refresh(db)` with no questions
rebuilds everything from scratch and gives identical rows (a test holds it to that).

What is local to a question (its forecasts' scores, time-weighted and peer scores) is recomputed
for the touched questions. Groups (authors, documents, topics, horizons, everything) are not
re-read: each keeps exact sums of its forecasts' terms (`score_sums`, see tracker.scores.sums)
and the count of events and non-events at each forecast value (`auc_counts`). A write takes the
touched forecasts' old terms out and puts the new ones in, and re-derives the group's row,
calibration table, decompositions and sensitivity scenarios from its sums: the cost is that of
the forecasts touched, not of the groups' size. Every score row records the groups it was
counted in (authors, document, topics), so its terms leave the groups they entered even when
this write moved it.

The difficulty-adjusted board is a least-squares fit over every author and question at once, so
no write can update it locally. It is refitted in the write's transaction when the ledger is
small enough for that to be cheap (REFIT_LIMIT) and by every import and `rescore`; a single
outcome on a bigger ledger marks it stale in `board_fits` instead, and every reader shows that.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import defaultdict
from collections.abc import Hashable, Iterable
from functools import lru_cache
from itertools import groupby
from typing import TYPE_CHECKING

from tracker.scores import calibration as calib
from tracker.scores import fits, rules, unit
from tracker.scores import sums as sufficient
from tracker.scores import terms as t
from tracker.stages import stage

if TYPE_CHECKING:
    from tracker.ledger.connection import Ledger

CALIBRATION_BINS = 10

#: score rows written at a time while re-scoring
_BATCH = 20_000

#: Scored (author, forecast) pairs up to which a single write refits the difficulty-adjusted
#: board and the fair boards in its own transaction; above it, see board_fits. Measured on a
#: 2-core machine: at 2,400 pairs a `resolve` took 0.45 s with the refit (importing SciPy's sparse
#: solver is 0.3 s of it) and about 0.12 s without; with the fair boards' bootstraps and the
#: adjusted board's 200 refits (issue 16), 0.85 s (40 authors on 60 questions, 2026-12-02).
#: Every think-tank ledger we expect is far below this; public datasets are far above.
REFIT_LIMIT = 5_000

#: group scope → (score table, key column)
GROUPS = {
    "author": ("author_scores", "author_id"),
    "document": ("document_scores", "document_id"),
    "topic": ("topic_scores", "topic"),
    "horizon": ("horizon_scores", "horizon_bucket"),
}


def _json(keys: Iterable) -> str:
    return json.dumps(sorted(set(keys)))


def _days(a: str, b: str) -> int:
    """Whole days from one moment to another, by their (UTC) dates."""
    return (dt.date.fromisoformat(b[:10]) - dt.date.fromisoformat(a[:10])).days


def _when(moment: str) -> dt.date | dt.datetime:
    """A stored moment as a date (day precision) or a UTC datetime (its time orders a day's updates)."""
    return dt.date.fromisoformat(moment) if len(moment) == 10 else dt.datetime.fromisoformat(moment)


@lru_cache(maxsize=4096)
def alternative_readings(phrase: str, language: str | None) -> tuple[tuple[str, float], ...]:
    """(scale, value) for every scale of estimative words that covers the phrase."""
    from tracker.intake import wording

    return tuple(wording.alternative_readings(phrase, language))


def _insert(db: Ledger, table: str, rows: Iterable[dict], key: tuple[str, ...] = (),
            indexed: tuple[str, ...] = ()) -> None:
    """Insert rows (dicts with the same keys) with one executemany. sqlite-utils' insert_all
    inspects every value for JSON conversion, which cost more than the scoring on a full rescore.

    With `key`, a row whose key is stored already is written over it in place (every row holds
    every column of its table). SQLite rewrites a row's entry in every index on a column an
    UPDATE sets, changed or not, so the `indexed` columns are set apart, where they differ."""
    rows = list(rows)
    if not rows:
        return
    columns = list(dict.fromkeys(c for r in rows for c in r))  # a missing key is NULL
    sql = (f"insert into [{table}] ({', '.join(f'[{c}]' for c in columns)}) "
           f"values ({', '.join('?' * len(columns))})")
    if key:
        sql += (f" on conflict ({', '.join(key)}) do update set "
                + ", ".join(f"[{c}] = excluded.[{c}]" for c in columns if c not in key and c not in indexed))
    db.executemany(sql, [tuple(map(r.get, columns)) for r in rows])
    of_key = " and ".join(f"[{k}] = ?" for k in key)
    for c in indexed:  # (only with a key: see _Rows)
        db.executemany(f"update [{table}] set [{c}] = ? where {of_key} and [{c}] is not ?",
                            [(r.get(c), *(r[k] for k in key), r.get(c)) for r in rows])


# ------------------------------------------------------------------ per forecast

#: the key of each table kept per forecast, per question or per (author, question), and the
#: other columns it has an index on
_KEYS = {"forecast_scores": (("forecast_id",), ("question_id",)),
         "multiple_choice_scores": (("forecast_id",), ("question_id",)),
         "time_weighted_scores": (("author_id", "question_id"), ()),
         "peer_scores": (("question_id", "author_id"), ("forecast_id",)),
         "question_scores": (("question_id",), ())}

#: Questions up to which a refresh writes their rows over the stored ones in place. Deleting and
#: inserting them again gave every row a new rowid, so each index not led by question_id (on
#: forecast_id, on author_id) had an entry rewritten per row, on pages scattered across it: a
#: third of the pages one resolve wrote at 1M forecasts. Above this, the rows are deleted first,
#: so that the stored rows' keys need not be held (an import can touch every question).
IN_PLACE_QUESTIONS = 64


class _Rows:
    """Where a refresh writes one per-question table's rows for the questions `qids` (all when
    None): `scope` and `params` select the same questions' forecasts (`f.question_id`)."""

    def __init__(self, db: Ledger, table: str, qids: list[str] | None) -> None:
        self.db, self.table = db, table
        self.key: tuple[str, ...] = ()
        self.indexed: tuple[str, ...] = ()
        self.stored: set[tuple] = set()  # in place: the keys stored and not yet written over
        self.pending: list[dict] = []
        if qids is None:
            db.execute(f"delete from {table}")
            self.scope, self.params = "", {}
            return
        self.params = {"keys": _json(qids)}
        self.scope = "and f.question_id in (select value from json_each(:keys))"
        of_questions = f"from {table} where question_id in (select value from json_each(:keys))"
        if len(qids) > IN_PLACE_QUESTIONS:
            db.execute(f"delete {of_questions}", self.params)
            return
        self.key, self.indexed = _KEYS[table]
        self.stored = set(db.execute(f"select {', '.join(self.key)} {of_questions}", self.params))

    def add(self, *rows: dict) -> None:
        """Add rows, written _BATCH at a time: a full rescore streams, so memory stays flat in
        the ledger's size."""
        self.pending.extend(rows)
        if len(self.pending) >= _BATCH:
            self._write()

    def _write(self) -> None:
        rows, self.pending = self.pending, []
        if self.key:
            self.stored.difference_update(tuple(r[k] for k in self.key) for r in rows)
        _insert(self.db, self.table, rows, self.key, self.indexed)

    def close(self) -> None:
        """Write the rows left, and delete the stored rows that no new row wrote over (a
        forecast no longer scored)."""
        self._write()
        if self.stored:
            self.db.executemany(f"delete from {self.table} where {' and '.join(f'{k} = ?' for k in self.key)}",
                                     list(self.stored))


#: a forecast's authors as a JSON array, sorted (the score rows keep the groups they count in)
_AUTHOR_IDS = """(select json_group_array(author_id) from (select author_id from forecast_authors
                  where forecast_id = f.id order by author_id)) as author_ids"""


def _score_forecasts(db: Ledger, qids: list[str] | None) -> None:
    out = _Rows(db, "forecast_scores", qids)
    for f in db.query(f"""
            select f.id, f.question_id, f.probability, f.made_on, q.resolve_by, co.outcome, f.document_id,
                   q.topics, f.interval_low, f.interval_high, f.phrase, d.language,
                   {_AUTHOR_IDS}
            from forecasts f join questions q on q.id = f.question_id
            join current_outcomes co on co.question_id = f.question_id
            left join documents d on d.id = f.document_id
            where co.outcome in ('yes', 'no') and f.probability is not null and not {unit.LATE} {out.scope}""",
            out.params):
        p, y = f["probability"], 1 if f["outcome"] == "yes" else 0
        log, clipped = rules.log_score(p, y)
        horizon = _days(f["made_on"], f["resolve_by"]) if f["resolve_by"] else None
        out.add({
            "forecast_id": f["id"], "question_id": f["question_id"], "outcome": f["outcome"], "probability": p,
            "brier": rules.brier(p, y), "log_score": log, "log_clipped": int(clipped),
            "brier_gj": rules.brier_gj(p, y), "log_score_bits": log / math.log(2),
            "spherical": rules.spherical(p, y), "baseline_score": rules.baseline_score(p, y)[0],
            "horizon_days": horizon, "horizon_bucket": rules.horizon_bucket(horizon),
            # the groups and readings it is counted under, so that its terms can be taken out again
            "author_ids": f["author_ids"], "document_id": f["document_id"],
            "topics": _json(json.loads(f["topics"] or "[]")),
            "p_low": p if f["interval_low"] is None else f["interval_low"],
            "p_high": p if f["interval_high"] is None else f["interval_high"],
            "readings": _readings(f["phrase"], f["language"]),
        })
    out.close()


def _readings(phrase: str | None, language: str | None) -> str | None:
    readings = alternative_readings(phrase, language) if phrase else ()
    return json.dumps(dict(readings), sort_keys=True) if readings else None


def _score_multiple_choice(db: Ledger, qids: list[str] | None) -> None:
    """Multi-category Brier (0..2) and log score of forecasts on multiple-choice questions."""
    out = _Rows(db, "multiple_choice_scores", qids)
    for f in db.query(f"""
            select f.id, f.question_id, f.probabilities, q.options, co.outcome,
                   {_AUTHOR_IDS}
            from forecasts f join questions q on q.id = f.question_id
            join current_outcomes co on co.question_id = f.question_id
            where q.kind = 'multiple_choice' and co.outcome != 'annulled' and not {unit.LATE} {out.scope}""",
            out.params):
        options = json.loads(f["options"])
        dist = json.loads(f["probabilities"])
        probs = [dist[o] for o in options]
        k = options.index(f["outcome"])
        log, clipped = rules.log_score_multi(probs, k)
        out.add({"forecast_id": f["id"], "question_id": f["question_id"], "outcome": f["outcome"],
                   "p_outcome": probs[k], "brier_multi": rules.brier_multi(probs, k), "log_score": log,
                   "log_clipped": int(clipped), "author_ids": f["author_ids"]})
    out.close()


# ------------------------------------------------------------------ per author and question

def _time_weighted(db: Ledger, qids: list[str] | None) -> None:
    """Good Judgment Open's view of updates: a daily Brier from an author's first forecast on a
    question until the outcome became known, the latest forecast carried forward."""
    out = _Rows(db, "time_weighted_scores", qids)
    cursor = db.execute(f"""
            select fa.author_id, f.question_id, f.made_on, f.probability,
                   coalesce(co.resolved_on, q.resolve_by) as end_on, co.outcome
            from forecasts f join forecast_authors fa on fa.forecast_id = f.id
            join questions q on q.id = f.question_id
            join current_outcomes co on co.question_id = f.question_id
            where co.outcome in ('yes', 'no') and not {unit.LATE} {out.scope}
            order by fa.author_id, f.question_id, f.made_on, f.id""", out.params)
    # one (author, question) series at a time, in date order
    for (author, qid), group in groupby(cursor, key=lambda r: (r[0], r[1])):
        series = list(group)
        forecasts = [(_when(made_on), p) for _, _, made_on, p, _, _ in series]
        end_on, y = series[0][4], 1 if series[0][5] == "yes" else 0
        first = dt.date.fromisoformat(series[0][2][:10])
        end = dt.date.fromisoformat(end_on[:10]) if end_on else first
        # Late forecasts are not here; one made on the day before the outcome was known counts for one day.
        end = max(end, first + dt.timedelta(days=1))
        out.add({"author_id": author, "question_id": qid, "forecasts": len(forecasts),
                   "first_made_on": first.isoformat(), "end_on": end.isoformat(),
                   "days": (end - first).days, "brier": rules.time_weighted_brier(forecasts, end=end, y=y)})
    out.close()


def _peer(db: Ledger, qids: list[str] | None) -> None:
    """Metaculus peer scores on questions with two or more authors, each author's latest forecast."""
    out = _Rows(db, "peer_scores", qids)
    cursor = db.execute(f"""
            select f.question_id, fa.author_id, f.id, f.probability, co.outcome
            from forecasts f join forecast_authors fa on fa.forecast_id = f.id
            join current_outcomes co on co.question_id = f.question_id
            where co.outcome in ('yes', 'no') and not {unit.LATE} {out.scope}
            order by f.question_id, f.made_on, f.id""", out.params)
    for qid, forecasts in groupby(cursor, key=lambda r: r[0]):  # one question at a time
        by_author: dict[str, tuple[str, float]] = {}
        for _, author, fid, p, outcome in forecasts:
            by_author[author] = (fid, p if outcome == "yes" else 1 - p)  # the latest counts
        if len(by_author) < 2:
            continue
        peers = fits.peer_scores({a: p for a, (_, p) in by_author.items()})
        out.add(*({"question_id": qid, "author_id": a, "forecast_id": fid, "p_outcome": p, "peer_score": peers[a]}
                  for a, (fid, p) in by_author.items()))
    out.close()


# ------------------------------------------------------------------ group sums

class Delta:
    """What a write changes in every group's sums: old terms out (sign -1), new terms in (+1)."""

    def __init__(self) -> None:
        self.sums: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
        self.auc: dict[tuple[str, str, float], list[int]] = defaultdict(lambda: [0, 0])
        self.questions: list[dict] = []  # question_scores rows of the re-scored questions

    def fold(self, db: Ledger, qids: list[str] | None, sign: int) -> None:
        """Add (sign +1) or take out (-1) the terms of the stored score rows of `qids` (all when None)."""
        scope = "" if qids is None else "where question_id in (select value from json_each(:keys))"
        params = {} if qids is None else {"keys": _json(qids)}
        add, sums, auc = sufficient.add, self.sums, self.auc
        # Terms shared by a question's forecasts (everything, its topics) are added once per
        # question, from the question's own sums, rather than once per forecast; one question at a
        # time, so that a full rescore's memory does not grow with the ledger.
        cursor = db.execute(f"""
                select question_id, probability, outcome, brier, log_score, log_clipped, spherical,
                       horizon_bucket, author_ids, document_id, topics, p_low, p_high, readings
                from forecast_scores {scope} order by question_id""", params)
        for qid, rows in groupby(cursor, key=lambda r: r[0]):
            question: dict[str, int] = {}
            values: dict[float, list[int]] = defaultdict(lambda: [0, 0])
            # topics is read after the loop, from the question's last row: every row carries the same
            for (_, p, outcome, brier, log, clipped, sph, bucket, authors, doc, topics, p_low, p_high,  # noqa: B007
                 readings) in rows:
                y = 1 if outcome == "yes" else 0
                terms = calib.forecast_terms(p, y, CALIBRATION_BINS)
                terms.update(sufficient.score_terms(brier, log, clipped, sph))
                author_ids = json.loads(authors)
                keys = [("author", a) for a in author_ids]
                if doc is not None:
                    keys.append(("document", doc))
                if bucket is not None:
                    keys.append(("horizon", bucket))
                for key in keys:
                    add(sums[key], terms, sign)
                    auc[(*key, p)][1 - y] += sign
                add(question, terms)
                values[p][1 - y] += 1
                sens = sufficient.sensitivity_terms(p, y, brier, p_low, p_high, readings)
                for a in author_ids:
                    add(sums[("author", a)], sens, sign)
            for key in [("all", "all")] + [("topic", topic) for topic in json.loads(topics)]:  # the same on every row
                add(sums[key], question, sign)
                for p, (events, non_events) in values.items():
                    counts = auc[(*key, p)]
                    counts[0] += sign * events
                    counts[1] += sign * non_events
            if sign > 0:
                self.questions.append({"question_id": qid, **sufficient.summary_from_sums(question)})
        for table, of, column in (("time_weighted_scores", t.TIME_WEIGHTED, "brier"),
                                  ("peer_scores", t.PEER, "peer_score")):
            for a, v in db.execute(f"select author_id, {column} from {table} {scope}", params):
                add(sums[("author", a)], sufficient.moments((v,), of), sign)
        for authors, b, log in db.execute(
                f"select author_ids, brier_multi, log_score from multiple_choice_scores {scope}", params):
            terms = sufficient.moments((b,), t.MULTIPLE_CHOICE)
            terms[t.MC_LOG_SUM] = sufficient.exact(log)
            for a in json.loads(authors):
                add(sums[("author", a)], terms, sign)


def _load(db: Ledger, scope: str, keys: list[str]) -> dict[str, dict[str, int]]:
    return {k: sufficient.loads(v) for k, v in db.execute(
        "select key, sums from score_sums where scope = :scope and key in (select value from json_each(:keys))",
        {"scope": scope, "keys": _json(keys)})}


def _apply(db: Ledger, delta: Delta, full: bool) -> None:
    """Add the delta to the stored sums, and re-derive every group whose sums changed."""
    changed: dict[str, dict[str, dict[str, int]]] = defaultdict(dict)
    for (scope, key), d in delta.sums.items():
        if d:
            changed[scope][key] = d
    auc = [(s, k, p, e, ne) for (s, k, p), (e, ne) in delta.auc.items() if e or ne]
    db.executemany("""
        insert into auc_counts (scope, key, probability, events, non_events) values (?, ?, ?, ?, ?)
        on conflict (scope, key, probability) do update
        set events = events + excluded.events, non_events = non_events + excluded.non_events""", auc)
    if not full:  # counts only grow on a full rescore
        db.executemany("delete from auc_counts where scope = ? and key = ? and probability = ? "
                            "and events = 0 and non_events = 0", [(s, k, p) for s, k, p, _, _ in auc])
    for scope, deltas in changed.items():
        keys = sorted(deltas)
        stored = {} if full else _load(db, scope, keys)
        params = {"keys": _json(keys)}
        if not full:  # a full rescore emptied these tables before it began
            of_keys = "in (select value from json_each(:keys))"
            binned = {"scope": scope, "bins": CALIBRATION_BINS, **params}
            db.execute(f"delete from score_sums where scope = :scope and key {of_keys}", binned)
            db.execute(f"delete from calibration_bins where scope = :scope and bins = :bins and key {of_keys}",
                            binned)
            db.execute(f"delete from calibration_summary where scope = :scope and bins = :bins and key {of_keys}",
                            binned)
            if scope in GROUPS:
                table, key_col = GROUPS[scope]
                db.execute(f"delete from {table} where {key_col} {of_keys}", params)
            if scope == "author":
                db.execute(f"delete from sensitivity_scenarios where author_id {of_keys}", params)
        counts: dict[str, dict[float, list[int]]] = defaultdict(dict)
        for key, p, e, ne in db.execute("""select key, probability, events, non_events from auc_counts
                                                where scope = :scope and key in (select value from json_each(:keys))""",
                                             {"scope": scope, **params}):
            counts[key][p] = [e, ne]
        saved, rows, bins, summaries, scenarios = [], [], [], [], []
        for key in keys:
            sums = stored.get(key, {})
            sufficient.add(sums, deltas[key])
            if not sums:
                continue
            saved.append({"scope": scope, "key": key, "sums": sufficient.dumps(sums)})
            if scope in GROUPS:
                row = _group_row(scope, key, sums)
                if row is not None:
                    rows.append(row)
            if sums.get(t.FORECASTS):
                head = {"scope": scope, "key": key, "bins": CALIBRATION_BINS}
                bin_rows, summary = _calibration(sums, counts[key])
                bins += [{**head, "bin": calib.bin_index(b["lower"], CALIBRATION_BINS), **b} for b in bin_rows]
                summaries.append({**head, **summary})
            if scope == "author" and sums.get(t.BRIER.n):
                scenarios += _scenarios(key, sums)
        _insert(db, "score_sums", saved)
        if scope in GROUPS:
            _insert(db, GROUPS[scope][0], rows)
        _insert(db, "calibration_bins", bins)
        _insert(db, "calibration_summary", summaries)
        _insert(db, "sensitivity_scenarios", scenarios)


EMPTY_SUMMARY = {"n": 0, "log_clipped_n": 0}


def _group_row(scope: str, key: str, sums: dict[str, int]) -> dict | None:
    _, key_col = GROUPS[scope]
    binary = sums.get(t.BRIER.n)
    mcn = sums.get(t.MULTIPLE_CHOICE.n, 0)
    # a group needs scored yes/no forecasts; an author's multiple-choice ones also earn a row
    if not binary and (scope != "author" or not mcn):
        return None
    row = {key_col: key, **(sufficient.summary_from_sums(sums) if binary else EMPTY_SUMMARY)}
    if scope != "author":
        return row
    mm, mlo, mhi = sufficient.mean_interval(sums, t.MULTIPLE_CHOICE)
    m, lo, hi = sufficient.mean_interval(sums, t.TIME_WEIGHTED)
    pm, plo, phi = sufficient.mean_interval(sums, t.PEER)
    row.update({"tw_n": sums.get(t.TIME_WEIGHTED.n, 0), "tw_brier": m, "tw_brier_ci_low": lo, "tw_brier_ci_high": hi,
                "peer_n": sums.get(t.PEER.n, 0), "peer_score": pm, "peer_score_ci_low": plo, "peer_score_ci_high": phi,
                "mc_n": mcn, "mc_brier": mm, "mc_brier_ci_low": mlo, "mc_brier_ci_high": mhi,
                "mc_log_score": sufficient.ratio(sums.get(t.MC_LOG_SUM, 0), mcn << sufficient.SHIFT) if mcn else None})
    return row


def _calibration(sums: dict[str, int], counts: dict[float, list[int]], bins: int = CALIBRATION_BINS
                 ) -> tuple[list[dict], dict]:
    return calib.table_and_summary(sums, counts, bins)


def calibration(ps: list[float], ys: list[int], bins: int) -> tuple[list[dict], dict]:
    """The same as the tables hold, for a set no table keeps (another bin count, two filters)."""
    return calib.table_and_summary(calib.sums_of(ps, ys, bins), calib.value_counts(ps, ys), bins)


def _scenarios(author: str, sums: dict[str, int]) -> list[dict]:
    """The author's mean Brier under each reading of the words (ranks are taken across authors by
    the sensitivity_scores view): as recorded, all at the intervals' low or high ends, the best and
    worst case inside the intervals, and each scale that reads at least one of their phrases."""
    n = sums[t.BRIER.n]
    unit = n << sufficient.SHIFT
    recorded = sums.get(t.BRIER.sum, 0)
    out = [{"author_id": author, "scenario": name, "n": n, "covered": None,
            "brier": sufficient.ratio(sums.get(total, 0), unit)}
           for name, total in (("recorded", t.BRIER.sum), ("all_low", t.BRIER_AT_LOW), ("all_high", t.BRIER_AT_HIGH),
                               ("best", t.BRIER_BEST), ("worst", t.BRIER_WORST))]
    for scale in t.SCALE_COVERED.members(sums):
        out.append({"author_id": author, "scenario": f"scale:{scale}", "n": n, "covered": sums[t.SCALE_COVERED[scale]],
                    "brier": sufficient.ratio(recorded + sums.get(t.SCALE_DIFFERENCE[scale], 0), unit)})
    return out


def _question_scores(db: Ledger, qids: list[str] | None, delta: Delta) -> None:
    out = _Rows(db, "question_scores", qids)
    out.add(*delta.questions)
    out.close()


# ------------------------------------------------------------------ everyone against everyone

def _adjusted(db: Ledger) -> None:
    """Two-way fixed effects over authors and questions (ForecastBench's difficulty adjustment), on
    one score per (author, question) under the default policy, people only, final outcomes."""
    db.execute("delete from adjusted_scores")
    rows = db.execute("""select forecaster, question_id, brier from question_policy_scores
                         where policy = 'time-weighted' and crowd = 0 and provisional = 0
                         order by forecaster, question_id""").fetchall()
    pairs = len(rows)
    if rows:
        raw: dict[Hashable, list[float]] = defaultdict(list)
        for a, _, b in rows:
            raw[a].append(b)
        crowds = db.execute("""select forecaster, question_id, brier from question_policy_scores
                               where policy = 'time-weighted' and crowd = 1 and provisional = 0
                               order by forecaster, question_id""").fetchall()
        fitted = fits.difficulty_adjusted(rows, benchmarks=crowds)
        del rows, crowds  # the fit's own arrays are far smaller than these tuples, on a large ledger
        # a benchmark is keyed (crowd id, group), and its raw mean comes with it
        _insert(db, "adjusted_scores", [{
            "author_id": key[0] if f.get("benchmark") else key, "crowd": int(bool(f.get("benchmark"))),
            "n": f["n"], "questions": f["questions"],
            "brier": f["brier"] if f.get("benchmark") else math.fsum(raw[key]) / len(raw[key]),
            "adjusted_brier": f["adjusted_brier"], "adjusted_ci_low": f["adjusted_ci_low"],
            "adjusted_ci_high": f["adjusted_ci_high"], "group_id": f["group"], "comparable": int(f["comparable"]),
            "interval_method": f["interval_method"]} for key, f in fitted.items()])
    db.execute("""insert or replace into board_fits (board, fitted_at, pairs, stale_writes)
                  values ('adjusted', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?, 0)""", [pairs])


def _scored_pairs(db: Ledger) -> int:
    """Scored (author, forecast) pairs: about the rows the difficulty-adjusted fit takes."""
    return db.execute("select coalesce(sum(n), 0) from author_scores").fetchone()[0]


# ------------------------------------------------------------------ entry point

#: The stages of a refresh, in order; on a large ledger each takes tens of seconds.
STAGES = ("taking out the old terms", "scoring forecasts", "time-weighted and peer scores", "adding the new terms",
          "group scores and calibration", "difficulty-adjusted fit and fair boards")

def refresh(db: Ledger, question_ids: Iterable[str] | None = None, refit: bool | None = None) -> None:
    """Re-score the forecasts on `question_ids` (all when None) and update every group they are in.

    `refit` says whether to refit the difficulty-adjusted board now: True always (imports and
    rescores), False never, None (single outcomes) when the ledger has at most REFIT_LIMIT scored
    (author, forecast) pairs; a board not refitted is marked stale. Call inside the write's
    transaction; a ledger opened by tracker.scores.derived calls it once, before each write
    commits, with the questions every change in it touched.
    """
    if not db.in_transaction:
        raise RuntimeError("board.refresh: call it inside the write's transaction")
    full = question_ids is None
    qids = None if question_ids is None else sorted(set(question_ids))
    if not full and not qids:
        return
    delta = Delta()
    if full:
        # (the per-question tables are cleared by their own functions, and question_scores too)
        for table in ("score_sums", "auc_counts", "calibration_bins", "calibration_summary", "sensitivity_scenarios",
                      *(t for t, _ in GROUPS.values())):
            db.execute(f"delete from {table}")
    if not full:
        stage(STAGES[0])
        delta.fold(db, qids, -1)
    stage(STAGES[1])
    _score_forecasts(db, qids)
    _score_multiple_choice(db, qids)
    stage(STAGES[2])
    _time_weighted(db, qids)
    _peer(db, qids)
    unit.refresh_questions(db, qids)
    stage(STAGES[3])
    delta.fold(db, qids, +1)
    stage(STAGES[4])
    _apply(db, delta, full)
    _question_scores(db, qids, delta)
    del delta  # let the fit below reuse its memory: on a full rescore it is the largest
    if refit is None:
        refit = full or _scored_pairs(db) <= REFIT_LIMIT
    if refit:
        stage(STAGES[5])
        _adjusted(db)
        unit.refit(db)
    else:
        db.execute("update board_fits set stale_writes = stale_writes + 1 where board in ('adjusted', 'policy')")
