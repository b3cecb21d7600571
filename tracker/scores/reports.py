"""Reading the ledger for people and scripts: forecasts and score tables, as plain dicts.

These only read. Scores come from the score tables tracker.scores.board keeps; only what no table holds (a
calibration of two filters at once, another bin count, a pair of authors) is computed here from
the stored per-forecast scores.
"""

from __future__ import annotations

import json
import math

from tracker.errors import TrackerError
from tracker.ledger import listing
from tracker.ledger.connection import Ledger
from tracker.ledger.ids import unknown
from tracker.scores import board, fair, fits, policies, rules, unit

BRIER_SCALE = "0..1"
#: what an adjusted score is: not a Brier of its own, so it is never labelled one
ADJUSTED_SCALE = ("Brier minus each question's difficulty (question effects centred in each connected group): "
                  "comparable within a group only, and below 0 for beating the average on hard questions")

#: --policy: one of tracker.scores.policies.POLICIES, or `forecasts` for the forecast-level rows
#: (every forecast as published, as the forecast_scores table holds them)
FORECASTS = "forecasts"
POLICY_CHOICES = (*policies.POLICIES, FORECASTS)


def check_policy(policy: str) -> str:
    if policy not in POLICY_CHOICES:
        raise TrackerError(f"--policy {policy!r}: choose one of {', '.join(POLICY_CHOICES)}")
    return policy


def author_id(db: Ledger, who: str) -> str:
    """An author given by id or by name (any case)."""
    rows = list(db.query("select id from authors where id = ? or lower(name) = lower(?)", [who, who]))
    if not rows:
        raise unknown(db, "author", who, f"--author {who!r}: no such author (by id or name)")
    if len(rows) > 1:
        raise TrackerError(f"--author {who!r}: names more than one author; use the id")
    return rows[0]["id"]


def _require(db: Ledger, kind: str, given: str) -> None:
    """A --question or --document filter must name a record: a mistyped one would filter out everything."""
    table = {"question": "questions", "document": "documents"}[kind]
    if db.execute(f"select 1 from {table} where id = ?", [given]).fetchone() is None:
        raise unknown(db, kind, given, f"--{kind} {given!r}: no such {kind}")


#: Filters on forecasts `f` (joined to their question `q` for a topic), by what they are given.
_FILTERS = {
    "author": "f.id in (select forecast_id from forecast_authors where author_id = :author)",
    "question": "f.question_id = :question",
    "document": "f.document_id = :document",
    "topic": "exists (select 1 from json_each(q.topics) t where t.value = :topic)",
}


def _filter(**given: str | None) -> tuple[str, dict]:
    """A WHERE clause (or nothing) and its parameters for the filters given a value."""
    params = {k: v for k, v in given.items() if v}
    return ("where " + " and ".join(_FILTERS[k] for k in params)) if params else "", params


def list_forecasts(db: Ledger, *, author: str | None = None, question: str | None = None,
                   document: str | None = None) -> list[dict]:
    for kind, given in (("question", question), ("document", document)):
        if given:
            _require(db, kind, given)
    where, params = _filter(author=author_id(db, author) if author else None, question=question,
                            document=document)
    sql = f"""
        select f.id, f.question_id,
               (select group_concat(name, '; ') from (select a.name from forecast_authors fa
                  join authors a on a.id = fa.author_id where fa.forecast_id = f.id order by fa.position))
                 as author,
               f.probability, f.made_on, f.phrase, co.outcome, s.brier,
               coalesce(s.log_score, m.log_score) as log_score,
               f.interval_low, f.interval_high, f.method, f.scale, f.document_id, q.resolve_by,
               q.kind, f.probabilities, m.brier_multi
        from forecasts f
        join questions q on q.id = f.question_id
        left join current_outcomes co on co.question_id = f.question_id
        left join forecast_scores s on s.forecast_id = f.id
        left join multiple_choice_scores m on m.forecast_id = f.id
        {where}
        order by f.made_on, f.id"""
    rows = list(db.query(sql, params))
    for r in rows:
        r["probabilities"] = json.loads(r["probabilities"]) if r["probabilities"] else None
    return rows


def authors(db: Ledger) -> list[dict]:
    """Every author as the ledger lists them (tracker.ledger.listing.authors), with `scored`: how many
    of their yes/no forecasts are scored, the n of their row in `tracker score`."""
    scored = dict(db.execute("select author_id, n from author_scores").fetchall())
    return [{**a, "scored": scored.get(a["id"], 0)} for a in listing.authors(db)]


SCORE_GROUPS = {
    "author": ("author_scores", "author_id", "authors", "name"),
    "document": ("document_scores", "document_id", "documents", "title"),
    "question": ("question_scores", "question_id", "questions", "title"),
    "topic": ("topic_scores", "topic", None, None),
    "horizon": ("horizon_scores", "horizon_bucket", None, None),
}


def score_table(db: Ledger, by: str = "author", *, min_n: int = 1) -> list[dict]:
    """Mean scores per group, best Brier first: the group key under its own name, n, and every
    mean with its 95 % interval (Brier on 0..1 and on 0..2, log in nats and bits, spherical, skill)."""
    if by not in SCORE_GROUPS:
        raise TrackerError(f"--by {by!r}: choose one of {', '.join(SCORE_GROUPS)}")
    table, key, label_table, label = SCORE_GROUPS[by]
    join = f"left join {label_table} l on l.id = s.{key}" if label_table else ""
    label_sql = f", l.{label} as _label" if label_table else ""
    rows = db.query(f"""select s.* {label_sql} from {table} s {join} where s.n >= :min_n
                        order by s.brier, s.n desc, s.{key}""", {"min_n": min_n})
    out = []
    for r in rows:
        rec = {by: r.pop(key)}
        if label is not None:  # (a group has a label column exactly when it has a label table)
            rec[label] = r.pop("_label")
        if by == "horizon":
            rec["order"] = [b for b, _ in rules.HORIZON_BUCKETS].index(rec[by])
        rec.update(r)
        rec["brier_scale"] = BRIER_SCALE
        out.append(rec)
    if by == "horizon":
        out.sort(key=lambda r: r["order"])
    return out


def adjusted_table(db: Ledger, *, min_n: int = 1) -> list[dict]:
    """The difficulty-adjusted leaderboard (two-way fixed effects), best first. Each row says when
    the board was fitted and how many outcome changes since it does not yet reflect (board_fits)."""
    fit = board_fit(db)
    rows = db.query("""select s.author_id as author, coalesce(a.name, s.author_id) as name, s.crowd, s.n,
                              s.questions, s.brier, s.adjusted_brier, s.adjusted_ci_low, s.adjusted_ci_high,
                              s.group_id as "group", s.comparable, s.interval_method
                       from adjusted_scores s left join authors a on a.id = s.author_id
                       where s.n >= :min_n
                       order by s.comparable desc, s.group_id, s.adjusted_brier, s.n desc, s.author_id""",
                    {"min_n": min_n})
    return [{**r, "crowd": bool(r["crowd"]), "comparable": bool(r["comparable"]), "policy": "time-weighted",
             "n_counts": "questions", "brier_scale": BRIER_SCALE, "adjusted_scale": ADJUSTED_SCALE,
             "fitted_at": fit["fitted_at"], "stale_writes": fit["stale_writes"]} for r in rows]


def board_fit(db: Ledger, board: str = "adjusted") -> dict:
    row = db.execute("select fitted_at, pairs, stale_writes from board_fits where board = ?", [board]).fetchone()
    return dict(zip(("fitted_at", "pairs", "stale_writes"), row, strict=True)) if row else \
        {"fitted_at": None, "pairs": 0, "stale_writes": 0}


def sensitivity_table(db: Ledger) -> list[dict]:
    rows = db.query("""select s.author_id as author, a.name, s.* from sensitivity_scores s
                       join authors a on a.id = s.author_id order by s.rank, s.author_id""")
    out = []
    for r in rows:
        r.pop("author_id")
        r["scales"] = json.loads(r["scales"])
        r["rank_survives"] = bool(r["rank_survives"])
        r["brier_scale"] = BRIER_SCALE
        out.append(r)
    return out


def _scored(db: Ledger, *, author: str | None = None, document: str | None = None,
            topic: str | None = None) -> list[tuple[float, int]]:
    where, params = _filter(author=author, document=document, topic=topic)
    sql = f"""select s.probability, s.outcome = 'yes' from forecast_scores s
              join forecasts f on f.id = s.forecast_id join questions q on q.id = s.question_id
              {where}"""
    return [(p, int(y)) for p, y in db.execute(sql, params).fetchall()]


def calibration(db: Ledger, *, author: str | None = None, document: str | None = None,
                topic: str | None = None, bins: int = board.CALIBRATION_BINS,
                policy: str = policies.DEFAULT_POLICY) -> dict:
    """Calibration table and decompositions for a set of scored forecasts.

    Under a policy, each (author, question) is one forecast: the policy's probability
    (tracker.scores.policies; time-weighted: the author's own forecasts weighted by the days they
    were in force), people only, final outcomes only, computed from question_policy_scores. With
    policy `forecasts`, every forecast as published. A set of one kind (everyone, or one author
    under a policy) at the default bin count is read from the score tables tracker.scores.board
    keeps; any other set (two filters, or another bin count) is computed from the stored scores."""
    if bins < 1 or bins > 1000:
        raise TrackerError(f"--bins {bins}: choose a whole number from 1 to 1000")
    if author:
        author = author_id(db, author)
    if document:
        _require(db, "document", document)
    _check_topic(db, topic)
    given = [(s, k) for s, k in (("author", author), ("document", document), ("topic", topic)) if k]
    scope, key = given[0] if len(given) == 1 else ("all", "all") if not given else ("filtered", None)
    if check_policy(policy) != FORECASTS and scope in ("all", "author") and bins == board.CALIBRATION_BINS:
        summary = list(db.query("""select * from policy_calibration_summary
                                   where policy = ? and scope = ? and key = ? and bins = ?""",
                                [policy, scope, key, bins]))
        table = list(db.query("""select lower, upper, n, mean_forecast, observed, ci_low, ci_high
                                 from policy_calibration_bins where policy = ? and scope = ? and key = ? and bins = ?
                                 order by bin""", [policy, scope, key, bins]))
        summary_row = summary[0] if summary else None
        source = "stored"
    elif policy != FORECASTS:
        pairs = _policy_pairs(db, policy, author=author, document=document, topic=topic)
        table, summary_row = board.calibration([p for p, _ in pairs], [y for _, y in pairs], bins) if pairs \
            else ([], None)
        source = "computed"
    elif scope != "filtered" and bins == board.CALIBRATION_BINS:
        summary = list(db.query("select * from calibration_summary where scope = ? and key = ? and bins = ?",
                                [scope, key, bins]))
        table = list(db.query("""select lower, upper, n, mean_forecast, observed, ci_low, ci_high
                                 from calibration_bins where scope = ? and key = ? and bins = ? order by bin""",
                              [scope, key, bins]))
        summary_row = summary[0] if summary else None
        source = "stored"
    else:
        rows = _scored(db, author=author, document=document, topic=topic)
        table, summary_row = board.calibration([p for p, _ in rows], [y for _, y in rows], bins) if rows else ([], None)
        source = "computed"
    result = {"scope": scope, "key": key, "filters": dict(given), "bin_count": bins, "bins": table,
              "source": source, "brier_scale": BRIER_SCALE, "policy": policy,
              "n_counts": "forecasts" if policy == FORECASTS else "(author, question) pairs"}
    fields = ["n", "brier", "reliability", "resolution", "uncertainty", "within_bin_variance",
              "within_bin_covariance", "auc", "yates_var_y", "yates_min_var_f", "yates_scatter",
              "yates_bias", "yates_bias_squared", "yates_covariance"]
    result.update({f: (summary_row or {}).get(f) for f in fields})
    if not summary_row:
        result["n"] = 0
    return result


#: bootstrap resamples `compare` takes: fewer make a percentile interval meaningless, more only cost time
MIN_SAMPLES, MAX_SAMPLES = 100, 1_000_000


def compare(db: Ledger, a: str, b: str, *, seed: int = 0, n_boot: int = 10000,
            policy: str = policies.DEFAULT_POLICY) -> dict:
    """Two authors on the questions both answered: paired mean Brier difference (A − B).

    An author's score on a question follows `policy`; with `forecasts`, it is the mean Brier of
    their forecasts on it, as published."""
    if not MIN_SAMPLES <= n_boot <= MAX_SAMPLES:  # 0 or -5 gave a traceback, 10^8 ran for minutes
        raise TrackerError(f"--samples {n_boot}: choose a whole number from {MIN_SAMPLES:,} to {MAX_SAMPLES:,}")
    if check_policy(policy) != FORECASTS:
        return policy_compare(db, a, b, policy, seed=seed, n_boot=n_boot)
    ida, idb = author_id(db, a), author_id(db, b)
    if ida == idb:
        raise TrackerError(f"compare: {a!r} and {b!r} are the same author")
    per_q: dict[str, dict[str, list[float]]] = {}
    for r in db.query("""select fa.author_id, s.question_id, s.brier from forecast_scores s
                         join forecast_authors fa on fa.forecast_id = s.forecast_id
                         where fa.author_id in (?, ?)""", [ida, idb]):
        per_q.setdefault(r["question_id"], {}).setdefault(r["author_id"], []).append(r["brier"])
    common = sorted(q for q, by in per_q.items() if ida in by and idb in by)
    a_scores = [math.fsum(per_q[q][ida]) / len(per_q[q][ida]) for q in common]
    b_scores = [math.fsum(per_q[q][idb]) / len(per_q[q][idb]) for q in common]
    result = _few_or_interval(fits.paired_comparison(a_scores, b_scores, seed=seed, n_boot=n_boot))
    return {"author_a": ida, "author_b": idb, "policy": FORECASTS, **result, "questions": common, "seed": seed,
            "bootstrap_samples": n_boot, "brier_scale": BRIER_SCALE}


def _few_or_interval(result: dict) -> dict:
    """No interval or p-value below MIN_INTERVAL_N common questions ("too few"), as on the boards."""
    if result["n_common"] < fair.MIN_INTERVAL_N:
        result.update(ci_low=None, ci_high=None, t_ci_low=None, t_ci_high=None, p_value=None)
        result["interval_method"] = "too few"
    else:
        result["interval_method"] = "no spread" if result["ci_low"] is None else "bootstrap"
    return result


def _names(db: Ledger) -> dict[str, str]:
    return dict(db.execute("select id, name from authors").fetchall())


def _with_topic(topic: str | None) -> tuple[str, dict]:
    if not topic:
        return "", {}
    return ("and exists (select 1 from questions q, json_each(q.topics) t "
            "where q.id = s.question_id and t.value = :topic)", {"topic": topic})


def _check_topic(db: Ledger, topic: str | None) -> None:
    if topic and not list(db.query("select 1 from questions q, json_each(q.topics) t where t.value = ?", [topic])):
        raise TrackerError(f"--topic {topic!r}: no question has this topic")


def policy_table(db: Ledger, policy: str = policies.DEFAULT_POLICY, *, min_n: int = fair.DEFAULT_MIN_N,
                 topic: str | None = None) -> list[dict]:
    """The fair board under `policy`: one row per forecaster (people and the crowd's aggregates),
    n counting questions, ranked by the shrinkage estimate with the raw mean beside it
    (tracker.scores.fair). Stored for the whole ledger; on one topic, fitted here from the
    stored (forecaster, question) scores of that topic's questions."""
    check_policy(policy)
    if policy == FORECASTS:
        raise TrackerError("--policy forecasts: the forecast-level board is `tracker score --by author --policy "
                           "forecasts`")
    _check_topic(db, topic)
    fit = board_fit(db, "policy")
    if topic:
        where, params = _with_topic(topic)
        rows = db.execute(f"""select forecaster, crowd, question_id, brier, log_score, provisional
                              from question_policy_scores s where policy = :policy {where}
                              order by forecaster, question_id""", {"policy": policy, **params}).fetchall()
        board_rows, spread = fair.board(rows, policy, unit.base_rate(db))
        fitted = list(board_rows.values())
        late = dict(db.execute("""select fa.author_id, count(*) from late_forecasts l
                                  join forecast_authors fa on fa.forecast_id = l.forecast_id
                                  where exists (select 1 from questions q, json_each(q.topics) t
                                                where q.id = l.question_id and t.value = ?)
                                  group by fa.author_id""", [topic]))
        for r in fitted:
            r["late"] = None if r["crowd"] else late.get(r["forecaster"], 0)
    else:
        fitted = list(db.query("select * from policy_scores where policy = ?", [policy]))
        spread = next(iter(db.query("select * from policy_fits where policy = ?", [policy])),
                      {"ranked": 1, "ranking": fair.RANKED})
    names = _names(db)
    out = []
    fitted = [r for r in fitted if r["n"] >= min_n]
    for r in fitted:
        r["rank"] = None
    if spread["ranked"]:
        # ranks among the rows shown, as the site's leaderboard gives them
        fair.rank(r for r in fitted if not r["crowd"] and r["n"])
    for r in fitted:
        r.pop("policy", None)
        who = r.pop("forecaster")
        out.append({"author": who, "name": names.get(who, who), "crowd": bool(r.pop("crowd")), "policy": policy,
                    "topic": topic, **r, "ranking": spread["ranking"], "brier_scale": BRIER_SCALE,
                    "n_counts": "questions",
                    "fitted_at": fit["fitted_at"], "stale_writes": fit["stale_writes"]})
    # people whose every forecast was late (n = 0, shown from --min-n 0) come last
    out.sort(key=lambda r: (r["n"] == 0, r["shrunk_brier"] or 0.0, r["brier"] or 0.0, -r["n"], r["author"]))
    return out


def _policy_pairs(db: Ledger, policy: str, *, author: str | None = None, document: str | None = None,
                  topic: str | None = None) -> list[tuple[float, int]]:
    """(probability, y) of people's (author, question) forecasts under `policy`, final outcomes only."""
    where, params = _with_topic(topic)
    if author:
        where += " and s.forecaster = :author"
        params["author"] = author
    if document:
        where += """ and exists (select 1 from forecasts f join forecast_authors fa on fa.forecast_id = f.id
                                 where f.document_id = :document and f.question_id = s.question_id
                                   and fa.author_id = s.forecaster)"""
        params["document"] = document
    return [(p, int(o == "yes")) for p, o in db.execute(f"""
        select s.probability, s.outcome from question_policy_scores s
        where s.policy = :policy and s.crowd = 0 and s.provisional = 0 {where}
        order by s.forecaster, s.question_id""", {"policy": policy, **params})]


def policy_compare(db: Ledger, a: str, b: str, policy: str, *, seed: int = 0, n_boot: int = 10000) -> dict:
    """Two authors on the questions both answered, each scored once per question under `policy`;
    either may be a crowd aggregate (crowd:median, crowd:mean, crowd:geo-mean-odds)."""
    ida, idb = (who if who in policies.CROWDS else author_id(db, who) for who in (a, b))
    if ida == idb:
        raise TrackerError(f"compare: {a!r} and {b!r} are the same author")
    scores: dict[str, dict[str, float]] = {ida: {}, idb: {}}
    for who, q, brier in db.execute("""select forecaster, question_id, brier from question_policy_scores
                                       where policy = ? and provisional = 0 and forecaster in (?, ?)""",
                                    [policy, ida, idb]):
        scores[who][q] = brier
    common = sorted(set(scores[ida]) & set(scores[idb]))
    result = _few_or_interval(fits.paired_comparison([scores[ida][q] for q in common],
                                                     [scores[idb][q] for q in common], seed=seed, n_boot=n_boot))
    return {"author_a": ida, "author_b": idb, "policy": policy, **result, "questions": common, "seed": seed,
            "bootstrap_samples": n_boot, "brier_scale": BRIER_SCALE}


#: ForecastBench's question types, as its adapter tags them (tracker.imports.adapters.forecastbench)
FORECASTBENCH_TOPICS = ("forecastbench-dataset", "forecastbench-market")


def forecastbench_table(db: Ledger, policy: str = policies.DEFAULT_POLICY, *, min_n: int = 1) -> list[dict]:
    """ForecastBench's published leaderboard method (`score --adjusted --method forecastbench`):
    as src/leaderboard/main.py, get_leaderboard_entry, at commit 153a7a03 (the human leaderboard
    of 2025-09-05). Per forecaster: the mean Brier over the resolved dataset questions (each
    question and resolution date once), over the resolved market questions, and over the open
    markets scored against their current value (provisional here); the overall resolved score
    is the mean of the dataset and market means, not the mean over all questions. Questions are
    told apart by the topics the ForecastBench adapter gives them; one score per (forecaster,
    question) under `policy` (ForecastBench has one forecast per question, so every policy
    agrees there)."""
    if check_policy(policy) == FORECASTS:
        raise TrackerError("--method forecastbench: scores one forecast per question; choose a policy")
    sums: dict[str, dict[str, list[float]]] = {}
    crowd: dict[str, bool] = {}
    for who, is_crowd, topic, provisional, brier in db.execute("""
            select s.forecaster, s.crowd, t.value, s.provisional, s.brier
            from question_policy_scores s join questions q on q.id = s.question_id, json_each(q.topics) t
            where s.policy = ? and t.value in (?, ?)""", [policy, *FORECASTBENCH_TOPICS]):
        half = ("dataset" if topic == FORECASTBENCH_TOPICS[0] else "market") + ("_unresolved" if provisional else "")
        sums.setdefault(who, {}).setdefault(half, []).append(brier)
        crowd[who] = bool(is_crowd)
    names = _names(db)
    out = []
    for who, halves in sums.items():
        row: dict = {"author": who, "name": names.get(who, who), "crowd": crowd[who], "policy": policy,
                     "method": "forecastbench"}
        for half in ("dataset", "market", "market_unresolved"):
            scores = halves.get(half, [])
            row[f"{half}_n"] = len(scores)
            row[f"{half}_brier"] = math.fsum(scores) / len(scores) if scores else None
        means = [row[f"{h}_brier"] for h in ("dataset", "market") if row[f"{h}_brier"] is not None]
        row["overall_resolved_brier"] = math.fsum(means) / len(means) if means else None
        row["n"] = row["dataset_n"] + row["market_n"]
        row["brier_scale"] = BRIER_SCALE
        if row["n"] >= min_n and means:
            out.append(row)
    out.sort(key=lambda r: (r["overall_resolved_brier"], -r["n"], r["author"]))
    return out


def late_count(db: Ledger) -> int:
    """How many forecasts were made at or after the moment their outcome became known (never scored)."""
    return db.execute("select count(*) from late_forecasts").fetchone()[0]


def late_ids(db: Ledger) -> set[str]:
    """The ids of the forecasts late_count counts."""
    return {fid for (fid,) in db.execute("select forecast_id from late_forecasts")}
