"""Issue 16: the question is the unit of comparison. Hand-worked cases for every policy, late
forecasts, the crowd's aggregates, and the board's intervals and shrinkage, each checked against
an independent recomputation (NumPy, SciPy, scikit-learn, properscoring)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import properscoring
import pytest
from scipy import stats
from sklearn.metrics import brier_score_loss, log_loss
from statsmodels.stats.meta_analysis import combine_effects
from typer.testing import CliRunner

from tracker.cli import app
from tracker.imports.forecast_rows import import_forecasts
from tracker.imports.outcome_rows import import_outcomes
from tracker.scores import fair, policies, reports

from conftest import derived, rescored_copy

runner = CliRunner()
POLICIES = ("time-weighted", "first", "last", "mean")


def load(db, tmp_path, forecasts: str, outcomes: str):
    f = tmp_path / "f.csv"
    f.write_text("question_id,author,probability,made_on\n" + forecasts, encoding="utf-8")
    o = tmp_path / "o.csv"
    o.write_text("question_id,outcome,resolved_on\n" + outcomes, encoding="utf-8")
    import_forecasts(db, f)
    import_outcomes(db, o)
    return db


def board(db, policy="time-weighted", **kw):
    return {r["author"]: r for r in reports.policy_table(db, policy, min_n=1, **kw)}


# ------------------------------------------------------------------ the repeated forecasts

@pytest.fixture
def repeated(db, tmp_path):
    """Ann says 0.01 ten times on an easy question and 0.9 once on a hard one; Bob says each once.
    Both questions resolve no."""
    rows = [f"easy,Ann,0.01,2019-01-{d:02d}" for d in range(1, 11)]
    rows += ["hard,Ann,0.9,2019-01-01", "easy,Bob,0.01,2019-01-01", "hard,Bob,0.9,2019-01-01"]
    return load(db, tmp_path, "\n".join(rows) + "\n", "easy,no,2019-02-01\nhard,no,2019-02-01\n")


def test_repeating_a_forecast_buys_no_weight(repeated):
    # every forecast as published: Ann's ten easy forecasts outweigh her hard one
    every = {r["author"]: r for r in reports.score_table(repeated, "author")}
    assert every["ann"]["n"] == 11 and every["ann"]["brier"] == pytest.approx((10 * 0.0001 + 0.81) / 11)
    assert round(every["ann"]["brier"], 3) == 0.074
    assert every["bob"]["n"] == 2 and round(every["bob"]["brier"], 3) == 0.405
    # one score per question, under every policy: equal, n = 2 questions
    for policy in POLICIES:
        b = board(repeated, policy)
        for who in ("ann", "bob"):
            assert b[who]["n"] == 2, policy
            assert b[who]["brier"] == pytest.approx((0.0001 + 0.81) / 2, abs=1e-15), policy
            assert b[who]["brier_ci_low"] is None and b[who]["interval_method"] == "too few"
        cmp = reports.compare(repeated, "ann", "bob", policy=policy)
        assert cmp["n_common"] == 2 and cmp["mean_difference"] == pytest.approx(0, abs=1e-15)
        assert cmp["ci_low"] is None and cmp["interval_method"] == "too few"


def test_forecast_level_rows_stay_available(repeated):
    assert len(list(repeated.query("select * from forecast_scores"))) == 13
    cli = runner.invoke(app, ["score", "--policy", "forecasts", "--json", "--db", str(repeated.path)])
    assert {r["author"]: r["n"] for r in json.loads(cli.stdout)} == {"ann": 11, "bob": 2}


# ------------------------------------------------------------------ policies, hand-worked

@pytest.fixture
def updates(db, tmp_path):
    """Ann: 0.8 on 1 March. Bob joins on 7 March with 0.4. No, known on 10 March: 9 days."""
    return load(db, tmp_path, "q,Ann,0.8,2019-03-01\nq,Bob,0.4,2019-03-07\nq,Bob,0.3,2019-03-07T12:00:00+00:00\n",
                "q,no,2019-03-10\n")


def rows_of(db, policy):
    return {r["forecaster"]: r for r in db.query("select * from question_policy_scores where policy = ?", [policy])}


def test_time_weighted_fills_the_days_before_a_first_forecast_with_the_crowd(updates):
    tw = rows_of(updates, "time-weighted")
    assert (tw["ann"]["window_start"], tw["ann"]["window_end"], tw["ann"]["days"]) == ("2019-03-01", "2019-03-10", 9)
    assert tw["ann"]["brier"] == (0.8 - 0) ** 2  # one forecast in force all the window: exactly its Brier
    # Bob: 6 days at the crowd's median (Ann's 0.8 alone), then the day's last forecast, 0.3, for 3 days
    assert tw["bob"]["brier"] == pytest.approx((6 * 0.64 + 3 * 0.09) / 9, abs=1e-15)
    assert tw["bob"]["forecasts"] == 2 and tw["bob"]["probability"] == pytest.approx(0.3)
    # the crowd: 0.8 for 6 days, then the median/mean of 0.8 and 0.3 (0.55) and their geometric mean of odds
    assert tw["crowd:median"]["brier"] == pytest.approx((6 * 0.64 + 3 * 0.55 ** 2) / 9, abs=1e-15)
    assert tw["crowd:mean"]["brier"] == tw["crowd:median"]["brier"]
    g = stats.gmean([0.8 / 0.2, 0.3 / 0.7])
    assert tw["crowd:geo-mean-odds"]["brier"] == pytest.approx((6 * 0.64 + 3 * (g / (1 + g)) ** 2) / 9, abs=1e-15)
    assert all(r["crowd"] == 1 for k, r in tw.items() if k.startswith("crowd:"))


def test_first_last_and_mean(updates):
    first, last, mean = (rows_of(updates, p) for p in ("first", "last", "mean"))
    assert (first["bob"]["probability"], last["bob"]["probability"]) == (0.4, 0.3)
    assert first["bob"]["brier"] == pytest.approx(0.16) and last["bob"]["brier"] == pytest.approx(0.09)
    assert mean["bob"]["brier"] == pytest.approx((0.16 + 0.09) / 2)
    assert mean["bob"]["log_score"] == pytest.approx((-math.log(0.6) - math.log(0.7)) / 2)
    assert first["crowd:median"]["probability"] == pytest.approx(0.6)  # median of 0.8 and 0.4
    assert last["crowd:median"]["probability"] == pytest.approx(0.55)
    assert mean["crowd:mean"]["probability"] == pytest.approx((0.8 + 0.35) / 2)


def test_forecasting_only_at_the_last_minute_does_not_pay(db, tmp_path):
    # Ann holds 0.6 on a yes for 30 days; Cem waits and says 0.99 on the last day before the news
    load(db, tmp_path, "q,Ann,0.6,2019-01-01\nq,Cem,0.99,2019-01-30\n", "q,yes,2019-01-31\n")
    tw = rows_of(db, "time-weighted")
    assert tw["ann"]["brier"] == pytest.approx(0.16)
    assert tw["cem"]["brier"] == pytest.approx((29 * 0.16 + 0.0001) / 30)
    assert rows_of(db, "last")["cem"]["brier"] == pytest.approx(0.0001)  # the policy that would reward it


def test_a_one_shot_brief_scores_exactly_as_its_forecasts(small_db):
    for policy in POLICIES:
        for r in rows_of(small_db, policy).values():
            if r["crowd"]:
                continue
            f = small_db.execute("""select s.brier from forecast_scores s join forecast_authors fa
                                    on fa.forecast_id = s.forecast_id where s.question_id = ? and fa.author_id = ?""",
                                 [r["question_id"], r["forecaster"]]).fetchall()
            assert len(f) == 1 and r["brier"] == f[0][0], policy


# ------------------------------------------------------------------ late forecasts

@pytest.fixture
def late(db, tmp_path):
    """0.99 made four days after a yes became known, beside an on-time 0.6 by Ann."""
    return load(db, tmp_path, "q,Ann,0.6,2019-01-01\nq,Bob,0.5,2019-01-01\nq,Bob,0.99,2019-02-05\n"
                              "r,Ann,0.7,2019-01-01T10:00:00+00:00\nr,Ann,0.9,2019-01-02T09:00:00+00:00\n",
                "q,yes,2019-02-01\nr,yes,2019-01-02T09:00:00+00:00\n")


def test_late_forecasts_are_kept_marked_counted_and_never_scored(late, db_path, tmp_path):
    assert [r["forecast_id"] for r in late.query("select * from late_forecasts order by forecast_id")] == \
        sorted(r["id"] for r in late.query("select id from forecasts where probability in (0.99, 0.9)"))
    assert late.execute("select count(*) from forecasts").fetchone()[0] == 5  # kept
    scored = {r["probability"] for r in late.query("select probability from forecast_scores")}
    assert 0.99 not in scored and 0.9 not in scored
    assert {r["p_outcome"] for r in late.query("select p_outcome from peer_scores")} == {0.6, 0.5}
    for policy in POLICIES:
        b = board(late, policy)
        assert b["bob"]["late"] == 1 and b["ann"]["late"] == 1
        assert rows_of(late, policy)["bob"]["forecasts"] == 1
    assert rows_of(late, "last")["bob"]["brier"] == pytest.approx(0.25)  # the last before the news
    ledger = {r["probability"]: r["late"] for r in late.query("select probability, late from forecast_ledger")}
    assert ledger == {0.6: 0, 0.5: 0, 0.99: 1, 0.7: 0, 0.9: 1}
    text = runner.invoke(app, ["score", "--min-n", "1", "--db", str(db_path)]).stdout
    assert "late" in text
    assert reports.late_count(late) == 2
    again = tmp_path / "o2.csv"
    again.write_text("question_id,outcome,resolved_on\n", encoding="utf-8")
    said = runner.invoke(app, ["import", "--kind", "outcomes", str(again), "--db", str(db_path)]).stdout
    assert "late:" not in said  # an import that made nothing late says nothing of the ledger's old ones
    more = tmp_path / "f3.csv"
    more.write_text("question_id,author,probability,made_on\nq,Cem,0.95,2019-02-03\nr,Cem,0.4,2019-01-01\n",
                    encoding="utf-8")
    said = runner.invoke(app, ["import", "--kind", "forecasts", str(more), "--db", str(db_path)]).stdout
    assert ("late: 1 forecast(s) made once their outcome was known, by this import (3 in the ledger): kept, "
            "not scored") in said


def test_late_is_the_same_rule_in_sql_and_python():
    cases = [("2019-02-01", "2019-02-01", True), ("2019-01-31", "2019-02-01", False),
             ("2019-02-01T23:00:00+00:00", "2019-02-01", True), ("2019-01-31T23:59:59+00:00", "2019-02-01", False),
             ("2019-02-01T08:00:00+00:00", "2019-02-01T09:00:00+00:00", False),
             ("2019-02-01T09:00:00+00:00", "2019-02-01T09:00:00+00:00", True),
             ("2019-02-01T09:00:00.5+00:00", "2019-02-01T09:00:00+00:00", True),
             ("2019-01-05", None, False)]
    import sqlite3

    from tracker.scores.unit import LATE

    conn = sqlite3.connect(":memory:")
    for made, known, expected in cases:
        assert policies.is_late(made, known) is expected, (made, known)
        sql = f"select coalesce({LATE}, 0) from (select ? as made_on) f, (select ? as resolved_on) co"
        assert bool(conn.execute(sql, [made, known]).fetchone()[0]) is expected, (made, known)


# ------------------------------------------------------------------ oracles

@pytest.fixture
def crowd(db, tmp_path):
    """Five people on twelve questions, some answering a few, with updates."""
    rng = np.random.default_rng(16)
    rows, outs = [], []
    for q in range(12):
        y = int(rng.random() < 0.5)
        outs.append(f"q{q},{'yes' if y else 'no'},2019-03-01")
        for a in ("Ann", "Bob", "Cem", "Dee", "Eve"):
            if a in ("Dee", "Eve") and q % 3:
                continue
            for day in sorted(rng.choice(np.arange(1, 28), size=int(rng.integers(1, 4)), replace=False)):
                p = round(float(np.clip(rng.normal(0.65 if y else 0.35, 0.2), 0.01, 0.99)), 2)
                rows.append(f"q{q},{a},{p},2019-02-{day:02d}")
    return load(db, tmp_path, "\n".join(rows) + "\n", "\n".join(outs) + "\n")


def test_first_last_mean_equal_scikit_learn_and_properscoring(crowd):
    forecasts = list(crowd.query("""select fa.author_id a, f.question_id q, f.made_on, f.probability p,
                                           co.outcome = 'yes' y from forecasts f
                                    join forecast_authors fa on fa.forecast_id = f.id
                                    join current_outcomes co on co.question_id = f.question_id
                                    order by f.made_on, f.id"""))
    series: dict = {}
    for f in forecasts:
        series.setdefault((f["a"], f["q"]), []).append((f["p"], f["y"]))
    for policy, pick in (("first", lambda s: [s[0]]), ("last", lambda s: [s[-1]]), ("mean", lambda s: s)):
        stored = rows_of_all(crowd, policy)
        for key, s in series.items():
            chosen = pick(s)
            ps, ys = [p for p, _ in chosen], [y for _, y in chosen]
            brier = brier_score_loss(ys, ps, pos_label=1) if len(set(ys)) > 1 or True else None
            assert stored[key]["brier"] == pytest.approx(brier, abs=1e-15), (policy, key)
            assert stored[key]["brier"] == pytest.approx(np.mean(properscoring.brier_score(ys, ps)), abs=1e-15)
            assert stored[key]["log_score"] == pytest.approx(log_loss(ys, ps, labels=[0, 1]), abs=1e-12)


def rows_of_all(db, policy):
    return {(r["forecaster"], r["question_id"]): r
            for r in db.query("select * from question_policy_scores where policy = ?", [policy])}


def test_crowd_aggregates_equal_numpy_and_scipy(crowd):
    last = rows_of_all(crowd, "last")
    for q in {k[1] for k in last}:
        people = [r["probability"] for (who, qq), r in last.items() if qq == q and not who.startswith("crowd:")]
        assert last[("crowd:median", q)]["probability"] == pytest.approx(float(np.median(people)), abs=1e-15)
        assert last[("crowd:mean", q)]["probability"] == pytest.approx(float(np.mean(people)), abs=1e-15)
        odds = stats.gmean([p / (1 - p) for p in people])
        assert last[("crowd:geo-mean-odds", q)]["probability"] == pytest.approx(odds / (1 + odds), abs=1e-12)


def test_time_weighted_equals_a_day_by_day_recomputation(crowd):
    import datetime as dt

    tw = rows_of_all(crowd, "time-weighted")
    forecasts = list(crowd.query("""select fa.author_id a, f.question_id q, f.made_on d, f.probability p,
                                           co.outcome = 'yes' y, co.resolved_on k from forecasts f
                                    join forecast_authors fa on fa.forecast_id = f.id
                                    join current_outcomes co on co.question_id = f.question_id
                                    order by f.made_on, f.id"""))
    for q in {f["q"] for f in forecasts}:
        fq = [f for f in forecasts if f["q"] == q]
        start = dt.date.fromisoformat(min(f["d"] for f in fq))
        end = dt.date.fromisoformat(fq[0]["k"])
        y = fq[0]["y"]
        people = sorted({f["a"] for f in fq})
        daily = {a: [] for a in people}
        crowd_daily = []
        day = start
        while day < end:
            in_force = {}
            for f in fq:
                if dt.date.fromisoformat(f["d"]) <= day:
                    in_force[f["a"]] = f["p"]
            fill = float(np.median(list(in_force.values())))
            for a in people:
                daily[a].append((in_force.get(a, fill) - y) ** 2)
            crowd_daily.append((float(np.median(list(in_force.values()))) - y) ** 2)
            day += dt.timedelta(days=1)
        for a in people:
            assert tw[(a, q)]["brier"] == pytest.approx(np.mean(daily[a]), abs=1e-15), (a, q)
        assert tw[("crowd:median", q)]["brier"] == pytest.approx(np.mean(crowd_daily), abs=1e-15)
        assert tw[(people[0], q)]["days"] == (end - start).days


def test_board_intervals_and_shrinkage_equal_a_numpy_recomputation(crowd):
    for policy in POLICIES:
        rows = list(crowd.query("""select forecaster, crowd, question_id, brier from question_policy_scores
                                   where policy = ? order by forecaster, question_id""", [policy]))
        b = board(crowd, policy)
        people = sorted({r["forecaster"] for r in rows if not r["crowd"]})
        scores = {w: np.array([r["brier"] for r in rows if r["forecaster"] == w]) for w in b}
        qs = {w: [r["question_id"] for r in rows if r["forecaster"] == w] for w in b}
        qmean = {q: np.mean([r["brier"] for r in rows if r["question_id"] == q and not r["crowd"]])
                 for q in {r["question_id"] for r in rows}}
        d = {w: np.mean(scores[w] - np.array([qmean[q] for q in qs[w]])) for w in b}
        resid = np.concatenate([scores[w] - np.array([qmean[q] for q in qs[w]]) - d[w] for w in people])
        sigma2 = np.sum(resid ** 2) / sum(len(scores[w]) - 1 for w in people)
        # DerSimonian–Laird, each person's mean excess with variance σ²/n (statsmodels' meta-analysis)
        tau2 = combine_effects(np.array([d[w] for w in people]),
                               np.array([sigma2 / len(scores[w]) for w in people]), method_re="dl").tau2
        tau2 = max(0.0, tau2)  # statsmodels leaves a negative moments estimate as it is
        average_question = np.mean(list(qmean.values()))
        for w, r in b.items():
            assert r["n"] == len(scores[w]) and r["brier"] == pytest.approx(scores[w].mean(), abs=1e-15)
            prior = np.mean([qmean[q] for q in qs[w]])
            weight = tau2 / (tau2 + sigma2 / len(scores[w]))
            assert r["prior_brier"] == pytest.approx(prior, abs=1e-14)
            assert r["weight"] == pytest.approx(weight, abs=1e-12)
            assert r["shrunk_brier"] == pytest.approx(np.clip(average_question + weight * d[w], 0, 1), abs=1e-12)
            if len(scores[w]) >= fair.MIN_INTERVAL_N:
                rng = np.random.default_rng(fair.seed_of(policy, w))
                x = scores[w]
                means = x[rng.integers(0, len(x), size=(fair.BOOTSTRAP_SAMPLES, len(x)))].mean(axis=1)
                lo, hi = np.quantile(means, [0.025, 0.975])
                assert (r["brier_ci_low"], r["brier_ci_high"]) == (pytest.approx(lo, abs=1e-15),
                                                                    pytest.approx(hi, abs=1e-15))
                assert 0 <= r["brier_ci_low"] < r["brier"] < r["brier_ci_high"] <= 1
            else:
                assert r["brier_ci_low"] is None and r["interval_method"] == "too few"
        ranks = [r["rank"] for r in sorted(b.values(), key=lambda r: r["shrunk_brier"]) if not r["crowd"]]
        if tau2 > 0:
            assert ranks == list(range(1, len(people) + 1))
            assert {r["ranking"] for r in b.values()} == {fair.RANKED}
        else:
            assert ranks == [None] * len(people)
            assert {r["ranking"] for r in b.values()} == {fair.NOT_RANKED}
        assert all(b[c]["rank"] is None and b[c]["crowd"] for c in policies.CROWDS)


def test_no_zero_width_interval():
    lo, hi, how = fair.bootstrap_interval([0.04] * 12, seed=1)
    assert (lo, hi, how) == (None, None, "no spread")
    assert fair.bootstrap_interval([0.1, 0.2], seed=1) == (None, None, "too few")


def test_one_lucky_forecast_does_not_rank_first(db, tmp_path):
    # Four people of different skill on 30 questions, with noise; Lucky answered one (an easy one)
    # perfectly. The raw mean puts Lucky first; the shrunk estimate does not.
    rng = np.random.default_rng(7)
    rows, outs = [], []
    for q in range(30):
        y = int(rng.random() < 0.5)
        outs.append(f"q{q},{'yes' if y else 'no'},2019-03-01")
        for a, skill in (("Ann", 0.25), ("Bob", 0.15), ("Cem", 0.05), ("Dee", 0.2)):
            p = round(float(np.clip(rng.normal(0.5 + (skill if y else -skill), 0.2), 0.01, 0.99)), 3)
            rows.append(f"q{q},{a},{p},2019-02-01")
        if q == 0:
            rows.append(f"q0,Lucky,{y}.0,2019-02-01")
    load(db, tmp_path, "\n".join(rows) + "\n", "\n".join(outs) + "\n")
    b = board(db)
    assert b["lucky"]["brier"] == 0 and b["lucky"]["n"] == 1
    assert min(b.values(), key=lambda r: r["brier"])["author"] == "lucky"
    assert b["ann"]["rank"] == 1 and b["lucky"]["rank"] > 1 and b["lucky"]["weight"] < 0.5
    assert all(r["author"] != "lucky" for r in reports.policy_table(db))  # the default min_n (3) leaves it out


def test_incremental_equals_full_rescore(crowd, tmp_path):
    from tracker.ledger.outcomes import resolve

    resolve(crowd, "q3", "no", correct=True, resolved_on="2019-02-10", note="test")
    assert derived(crowd) == derived(rescored_copy(crowd))
    for table in ("question_policy_scores", "policy_scores", "policy_calibration_bins"):
        ours = list(crowd.query(f"select * from {table} order by 1, 2, 3"))
        theirs = list(rescored_copy(crowd).query(f"select * from {table} order by 1, 2, 3"))
        assert ours == theirs, table


# ------------------------------------------------------------------ command line

def test_score_compare_calibration_take_policy_and_csv(crowd, db_path):
    def run(*args):
        result = runner.invoke(app, [*args, "--db", str(db_path)])
        assert result.exit_code == 0, result.output
        return result.stdout

    for policy in POLICIES:
        rows = json.loads(run("score", "--policy", policy, "--json"))
        assert {r["policy"] for r in rows} == {policy} and {r["n_counts"] for r in rows} == {"questions"}
        assert sum(r["crowd"] for r in rows) == 3 and all(r["name"] for r in rows)
        csv = run("score", "--policy", policy, "--csv").splitlines()
        assert csv[0].startswith("author,name,crowd,policy") and len(csv) == len(rows) + 1
        cmp = json.loads(run("compare", "ann", "bob", "--policy", policy, "--json"))
        assert cmp["policy"] == policy and cmp["n_common"] == 12
        cal = json.loads(run("calibration", "--policy", policy, "--json"))
        assert cal["policy"] == policy and cal["n"] == 5 * 12 - 2 * 8
    text = run("score")
    assert "Policy time-weighted" in text and "crowd:median *" in text
    assert run("calibration", "--csv").startswith("lower,upper,n")
    with crowd.atomic():
        crowd.execute("update questions set topics = '[\"t\"]' where id in ('q1', 'q2')")
    run("rescore")
    assert run("score", "--by", "topic", "--csv").startswith("topic,")
    sensitivity = run("sensitivity", "--csv").splitlines()
    assert sensitivity[0].startswith("author,name,")
    assert len(sensitivity) == 1 + len(json.loads(run("sensitivity", "--json")))
    assert {r["author"] for r in json.loads(run("score", "--topic", "t", "--json", "--min-n", "1"))} >= {"ann", "bob"}
    bad = runner.invoke(app, ["score", "--policy", "best", "--db", str(db_path)])
    assert bad.exit_code == 1
    assert "--policy 'best': choose one of time-weighted, first, last, mean, forecasts" in bad.stderr


# ------------------------------------------------------------------ the difficulty-adjusted board

def _dense_adjusted(rows, n_a, n_q, effects=False):
    """Each author's mean adjusted score, by NumPy's dense least squares, effects centred per group
    (and, with effects=True, the question effects)."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    ai = np.array([r[0] for r in rows])
    qj = np.array([r[1] for r in rows])
    y = np.array([r[2] for r in rows])
    x = np.zeros((len(rows), n_a + n_q))
    x[np.arange(len(rows)), ai] = 1
    x[np.arange(len(rows)), n_a + qj] = 1
    coef = np.linalg.lstsq(x, y, rcond=None)[0]
    b = coef[n_a:].copy()
    graph = csr_matrix((np.ones(len(rows)), (ai, n_a + qj)), shape=(n_a + n_q, n_a + n_q))
    _, label = connected_components(graph, directed=False)
    present = np.bincount(qj, minlength=n_q) > 0
    for c in set(label[n_a:][present]):
        inside = (label[n_a:] == c) & present
        b[inside] -= b[inside].mean()
    out = np.full(n_a, np.nan)
    for i in set(ai):
        out[i] = np.mean(y[ai == i] - b[qj[ai == i]])
    return (out, b) if effects else out


def test_adjusted_intervals_are_a_question_bootstrap_equal_to_dense_refits():
    from tracker.scores import fits

    rng = np.random.default_rng(5)
    rows = [(a, q, float(rng.random() * 0.5)) for a in range(4) for q in range(16) if (a + q) % 5]
    rows += [(4, 20, 0.3), (4, 21, 0.1)]  # an author alone with their own questions
    out = fits.difficulty_adjusted(rows, samples=60, seed=3)
    authors = list(dict.fromkeys(a for a, _, _ in rows))
    questions = list(dict.fromkeys(q for _, q, _ in rows))
    coded = [(authors.index(a), questions.index(q), s) for a, q, s in rows]
    full = _dense_adjusted(coded, len(authors), len(questions))
    for a in authors:
        assert out[a]["adjusted_brier"] == pytest.approx(full[authors.index(a)], abs=1e-10)
    # the same resamples, refitted by dense least squares
    draws = np.random.default_rng(3)
    by_q = [[r for r in coded if r[1] == j] for j in range(len(questions))]
    boot = []
    for _ in range(60):
        drawn = draws.integers(0, len(questions), size=len(questions))
        sample = [(a, k, s) for k, j in enumerate(drawn) for a, _, s in by_q[j]]
        boot.append(_dense_adjusted(sample, len(authors), len(questions)))
    boot = np.array(boot)
    for a in authors[:4]:
        got = boot[:, authors.index(a)]
        lo, hi = np.quantile(got[np.isfinite(got)], [0.025, 0.975])
        assert out[a]["adjusted_ci_low"] == pytest.approx(lo, abs=1e-9)
        assert out[a]["adjusted_ci_high"] == pytest.approx(hi, abs=1e-9)
        assert out[a]["adjusted_ci_low"] < out[a]["adjusted_brier"] < out[a]["adjusted_ci_high"]
        assert out[a]["group"] == 1 and out[a]["comparable"]
    alone = out[4]
    assert alone["group"] == 2 and not alone["comparable"] and alone["adjusted_ci_low"] is None
    assert alone["interval_method"] == "not comparable"


def test_the_crowd_on_the_adjusted_board_is_scored_against_the_peoples_question_effects():
    # a benchmark takes no part in the fit: its adjusted score is mean(brier − b̂_j) with b̂ from the
    # people alone, on every resample too; it is keyed by (benchmark, group) and never moves a person
    from tracker.scores import fits

    rng = np.random.default_rng(6)
    rows = [(a, q, float(rng.random() * 0.5)) for a in range(4) for q in range(14) if (a + q) % 5]
    crowd = [("crowd:median", q, float(rng.random() * 0.3)) for q in range(14)] + [("crowd:median", 99, 0.2)]
    alone = fits.difficulty_adjusted(rows, samples=40, seed=2)
    out = fits.difficulty_adjusted(rows, samples=40, seed=2, benchmarks=crowd)
    assert {k: v for k, v in out.items() if k in alone} == alone
    c = out[("crowd:median", 1)]
    assert c["benchmark"] and (c["n"], c["questions"], c["group"]) == (14, 14, 1)  # question 99 is not in the fit
    assert c["brier"] == pytest.approx(np.mean([s for _, q, s in crowd if q != 99]), abs=1e-15)
    questions = list(dict.fromkeys(q for _, q, _ in rows))  # the fit's order, which its resamples draw from
    coded = [(a, questions.index(q), s) for a, q, s in rows]
    on = {questions.index(q): s for _, q, s in crowd[:14]}
    _, b = _dense_adjusted(coded, 4, 14, effects=True)
    assert c["adjusted_brier"] == pytest.approx(np.mean([s - b[j] for j, s in on.items()]), abs=1e-10)
    draws = np.random.default_rng(2)
    by_q = [[r for r in coded if r[1] == j] for j in range(14)]
    boot = []
    for _ in range(40):
        drawn = draws.integers(0, 14, size=14)
        _, eff = _dense_adjusted([(a, k, s) for k, j in enumerate(drawn) for a, _, s in by_q[j]], 4, 14,
                                 effects=True)
        boot.append(np.mean([on[j] - eff[k] for k, j in enumerate(drawn)]))
    lo, hi = np.quantile(boot, [0.025, 0.975])
    assert (c["adjusted_ci_low"], c["adjusted_ci_high"]) == (pytest.approx(lo, abs=1e-9), pytest.approx(hi, abs=1e-9))


def test_the_adjusted_board_shows_the_crowd_as_benchmarks(crowd, db_path):
    rows = reports.adjusted_table(crowd, min_n=1)
    benchmarks = [r for r in rows if r["crowd"]]
    assert {r["author"] for r in benchmarks} == set(policies.CROWDS)
    assert all(r["name"] == r["author"] and r["comparable"] for r in benchmarks)
    crowd.close()
    text = runner.invoke(app, ["score", "--adjusted", "--min-n", "1", "--db", str(db_path)]).stdout
    assert "crowd:median *" in text and "* = crowd aggregate, a benchmark" in text


def test_adjusted_board_says_not_comparable_and_its_scale(db, tmp_path, db_path):
    load(db, tmp_path, "a,Ann,0.9,2019-01-01\na,Bob,0.6,2019-01-01\nb,Ann,0.2,2019-01-01\nb,Bob,0.4,2019-01-01\n"
                       "c,Cem,0.7,2019-01-01\nd,Cem,0.3,2019-01-01\n" + "".join(
                           f"e{i},Ann,0.8,2019-01-01\ne{i},Bob,0.{i + 1},2019-01-01\n" for i in range(9)),
         "a,yes,2019-02-01\nb,no,2019-02-01\nc,yes,2019-02-01\nd,yes,2019-02-01\n"
         + "".join(f"e{i},yes,2019-02-01\n" for i in range(9)))
    rows = {r["author"]: r for r in reports.adjusted_table(db, min_n=1)}
    assert rows["cem"]["comparable"] is False and rows["cem"]["interval_method"] == "not comparable"
    assert rows["ann"]["group"] == rows["bob"]["group"] == 1 and rows["ann"]["questions"] == 11
    assert rows["ann"]["adjusted_ci_low"] < rows["ann"]["adjusted_brier"] < rows["ann"]["adjusted_ci_high"]
    assert [r["author"] for r in reports.adjusted_table(db, min_n=1)][-1] == "cem"  # apart, after the groups
    text = runner.invoke(app, ["score", "--adjusted", "--min-n", "1", "--db", str(db_path)]).stdout
    assert "adjusted Brier (0..1)" not in text and "not a Brier on 0..1" in text and "not comparable" in text


def test_skill_against_one_climatology_for_everyone(crowd):
    outcomes = dict(crowd.execute("select question_id, outcome from current_outcomes").fetchall())
    ybar = sum(o == "yes" for o in outcomes.values()) / len(outcomes)
    for r in board(crowd).values():
        assert r["skill_vs_climatology"] == pytest.approx(1 - r["brier"] / (ybar * (1 - ybar)), abs=1e-14)


def test_a_probability_valued_resolution_scores_as_provisional_apart(db, tmp_path):
    rows = "".join(f"q{i},Ann,0.8,2019-01-01\nq{i},Bob,0.4,2019-01-01\n" for i in range(3)) + \
        "m,Ann,0.6,2019-01-01\nm,Bob,0.2,2019-01-01\n"
    load(db, tmp_path, rows, "q0,yes,2019-02-01\nq1,yes,2019-02-01\nq2,no,2019-02-01\nm,0.37,2019-02-01\n")
    assert not list(db.query("select * from forecast_scores where question_id = 'm'"))  # not a final score
    m = rows_of_all(db, "last")
    assert m[("ann", "m")]["provisional"] == 1 and m[("ann", "m")]["brier"] == pytest.approx((0.6 - 0.37) ** 2)
    assert m[("ann", "m")]["log_score"] == pytest.approx(-(0.37 * math.log(0.6) + 0.63 * math.log(0.4)))
    for policy in POLICIES:
        b = board(db, policy)
        assert b["ann"]["n"] == 3 and b["ann"]["provisional_n"] == 1  # apart from the final scores
        assert b["ann"]["provisional_brier"] == pytest.approx((0.6 - 0.37) ** 2)
        assert b["ann"]["brier"] == pytest.approx((0.04 + 0.04 + 0.64) / 3)
        assert b["crowd:median"]["provisional_brier"] == pytest.approx((0.4 - 0.37) ** 2)
    cal = reports.calibration(db, policy="last")
    assert cal["n"] == 6  # final outcomes only
    adjusted = {r["author"]: r for r in reports.adjusted_table(db, min_n=1)}
    assert adjusted["ann"]["n"] == 3


def test_forecastbench_method_reproduces_the_superforecaster_median_row(db, db_path):
    """The human leaderboard of 2025-09-05 (forecastingresearch/forecastbench-datasets
    leaderboards/csv/human_leaderboard_overall.csv at commit 427da6d9) scores "Superforecaster
    median forecast": Dataset 0.122 (N=521), Market resolved 0.082 (N=54), Overall resolved 0.102,
    Market unresolved 0.055 (N=22). The median set is the fixture the adapter's tests use."""
    import csv
    import re
    from pathlib import Path

    from tracker.imports.dispatch import import_file

    board_dir = Path(__file__).parent / "fixtures" / "forecastbench" / "leaderboard-2025-09-05"
    import_file(db, board_dir / "2024-07-21.ForecastBench.human_super.json", "forecastbench")
    with (board_dir / "human_leaderboard_overall.csv").open(newline="", encoding="utf-8") as f:
        header, first = list(csv.reader(f))[:2]
    published = {re.sub(r" \(N=\d+\)$", "", k): (v, re.search(r"\(N=(\d+)\)$", k)) for k, v in zip(header, first,
                                                                                                strict=True)}
    assert published["Model"][0] == "Superforecaster median forecast"
    result = runner.invoke(app, ["score", "--adjusted", "--method", "forecastbench", "--json", "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    [row] = [r for r in json.loads(result.stdout) if r["author"] == "fb:ForecastBench/Superforecaster median forecast"]
    for ours, column in (("dataset", "Dataset Score"), ("market", "Market Score (resolved)"),
                         ("market_unresolved", "Market Score (unresolved)")):
        value, n = published[column]
        assert (round(row[f"{ours}_brier"], 3), row[f"{ours}_n"]) == (float(value), int(n.group(1))), column
    assert round(row["overall_resolved_brier"], 3) == float(published["Overall Resolved Score"][0]) == 0.102
    text = runner.invoke(app, ["score", "--adjusted", "--method", "forecastbench", "--db", str(db_path)]).stdout
    assert "0.122 (N=521)" in text and "0.082 (N=54)" in text and "0.055 (N=22)" in text


def test_the_site_marks_late_forecasts_and_counts_them(late, db_path):
    import asyncio

    from datasette.app import Datasette

    late.close()
    ds = Datasette([str(db_path)])
    asyncio.run(ds.invoke_startup())
    name = db_path.stem

    def get(path):
        response = asyncio.run(ds.client.get(path))
        assert response.status_code == 200, (path, response.text[:300])
        return response

    page = get(f"/{name}/authors/bob").text
    assert "late: made once the outcome was known, not scored" in page
    assert "1 forecast was made once the outcome was known" in page
    rows = get(f"/{name}/leaderboard.json?_shape=array&min_n=1").json()
    assert {r["author_id"]: r["late"] for r in rows if not r["crowd"]} == {"ann": 1, "bob": 1}
    assert [r["forecast_id"] for r in get(f"/{name}/late_forecasts.json?_shape=array").json()]


# ------------------------------------------------------------------ the spread between forecasters

def test_between_spread_is_dersimonian_laird():
    # equal n: the plain moments estimate, var(d) − σ²/n = 0.02 − 0.01, by hand
    assert fair.between_spread([0.1, -0.1], [4, 4], 0.04) == pytest.approx(0.01, abs=1e-15)
    # less spread than the noise gives: zero, never negative
    assert fair.between_spread([0.01, -0.01], [4, 4], 0.04) == 0.0
    assert fair.between_spread([0.3], [9], 0.04) == 0.0 and fair.between_spread([0.1, 0.2], [2, 3], 0.0) == 0.0
    rng = np.random.default_rng(19)
    for _ in range(20):
        k = int(rng.integers(3, 40))
        n = rng.integers(1, 200, size=k)
        sigma2 = float(rng.uniform(0.005, 0.05))
        d = rng.normal(0, 0.05, size=k) + rng.normal(0, np.sqrt(sigma2 / n))
        expected = max(0.0, combine_effects(d, sigma2 / n, method_re="dl").tau2)
        assert fair.between_spread(list(d), list(n), sigma2) == pytest.approx(expected, abs=1e-15)


def test_a_real_mix_of_sources_ranks_its_forecasters_apart(tmp_path):
    # GJP users with 10 to 14 questions beside hundreds of PredictionBook and ForecastBench people
    # with one or two: the plain moments estimate of τ² is swamped by the few-question people's
    # noise and gives every author the same shrunk Brier (the defect a new user saw); weighted by
    # n, the board tells them apart, ranks in the order it prints, and ranks only the rows shown.
    fixtures = Path(__file__).parent / "fixtures"
    db_path = tmp_path / "mix.db"
    for kind, path in (("gjp", "gjp/survey_fcasts_mini.yr1.csv"), ("predictionbook", "predictionbook/dump/public.csv"),
                       ("forecastbench", "forecastbench/datasets/forecast_sets/2024-07-21/"
                                         "2024-07-21.ForecastBench.human_super_individual.json")):
        result = runner.invoke(app, ["import", "--kind", kind, str(fixtures / path), "--db", str(db_path)])
        assert result.exit_code == 0, result.output
    rows = json.loads(runner.invoke(app, ["score", "--min-n", "10", "--json", "--db", str(db_path)]).stdout)
    people = [r for r in rows if not r["crowd"]]
    assert len(people) >= 20
    assert len({round(r["shrunk_brier"], 6) for r in people}) > len(people) // 2
    assert [r["rank"] for r in people] == list(range(1, len(people) + 1))
    assert {r["ranking"] for r in rows} == {fair.RANKED}
    text = runner.invoke(app, ["score", "--min-n", "10", "--db", str(db_path)]).stdout
    lines = text.splitlines()
    body = lines[2:lines.index("Ranked by the shrunk Brier.")]
    printed = [int(line.split()[0]) for line in body if not line.startswith("–")]
    assert printed == list(range(1, len(people) + 1))
    assert "Ranked by the shrunk Brier." in text
    # the regression case really is one: the unweighted moments estimate is zero on it
    import sqlite3

    ledger = sqlite3.connect(db_path)
    scores = ledger.execute("""select forecaster, question_id, brier from question_policy_scores
                               where policy = 'time-weighted' and crowd = 0 and provisional = 0""").fetchall()
    ledger.close()
    by_q: dict = {}
    for _, q, b in scores:
        by_q.setdefault(q, []).append(b)
    excess: dict = {}
    for w, q, b in scores:
        excess.setdefault(w, []).append(b - np.mean(by_q[q]))
    d = {w: np.mean(e) for w, e in excess.items()}
    squares = sum(((np.array(e) - d[w]) ** 2).sum() for w, e in excess.items())
    sigma2 = squares / sum(len(e) - 1 for e in excess.values())
    plain = np.var(list(d.values()), ddof=1) - np.mean([sigma2 / len(e) for e in excess.values()])
    assert plain <= 0 < fair.between_spread(list(d.values()), [len(e) for e in excess.values()], sigma2)


@pytest.fixture
def no_spread(db, tmp_path):
    """Ann and Bob on five questions, all yes: Ann says 0.9 where Bob says 0.6 and the other way
    round, Ann three times to Bob's two. Ann's raw mean is the better, by less than chance gives:
    σ² = 0.00675, Q = 1/3 < k − 1 = 1, so τ² = 0."""
    rows = [f"q{q},{who},{p},2019-02-01" for q in range(5)
            for who, p in (("Ann", 0.9 if q % 2 == 0 else 0.6), ("Bob", 0.6 if q % 2 == 0 else 0.9))]
    return load(db, tmp_path, "\n".join(rows) + "\n", "".join(f"q{q},yes,2019-03-01\n" for q in range(5)))


def test_a_spread_within_chance_ranks_nobody_and_says_so(no_spread, db_path):
    b = board(no_spread)
    assert b["ann"]["brier"] == pytest.approx(0.07) and b["bob"]["brier"] == pytest.approx(0.10)
    assert b["ann"]["rank"] is None and b["bob"]["rank"] is None and b["ann"]["weight"] == 0
    assert b["ann"]["ranking"] == fair.NOT_RANKED
    fit = next(no_spread.query("select * from policy_fits where policy = 'time-weighted'"))
    assert (fit["people"], fit["tau2"], fit["ranked"]) == (2, 0.0, 0)
    assert fit["sigma2"] == pytest.approx(0.00675, abs=1e-15)
    no_spread.close()
    text = runner.invoke(app, ["score", "--db", str(db_path)]).stdout
    assert text.startswith("Not ranked: the spread between forecasters is no more than chance")
    people = [line.split() for line in text.splitlines() if line.split()[1:2] in (["ann"], ["bob"])]
    assert [(p[0], p[1]) for p in people] == [("–", "ann"), ("–", "bob")]  # in raw order, unranked

    import asyncio

    from datasette.app import Datasette

    ds = Datasette([str(db_path)])
    asyncio.run(ds.invoke_startup())
    name = db_path.stem
    rows = asyncio.run(ds.client.get(f"/{name}/leaderboard.json?_shape=array&min_n=1")).json()
    people = [r for r in rows if not r["crowd"]]
    assert [r["author_id"] for r in people] == ["ann", "bob"] and {r["rank"] for r in people} == {None}
    assert {r["board"] for r in rows} == {"raw; " + fair.NOT_RANKED}
    page = asyncio.run(ds.client.get(f"/{name}/authors/ann")).text
    assert "none: the board cannot tell its forecasters apart" in page


# ------------------------------------------------------------------ options that must be used or refused

def test_authors_whose_every_forecast_was_late_show_from_min_n_0(late, db_path, tmp_path):
    more = tmp_path / "f4.csv"
    more.write_text("question_id,author,probability,made_on\nq,Dan,0.9,2019-02-10\n", encoding="utf-8")
    assert runner.invoke(app, ["import", "--kind", "forecasts", str(more), "--db", str(db_path)]).exit_code == 0
    result = runner.invoke(app, ["score", "--min-n", "0", "--json", "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows[-1]["author"] == "dan" and rows[-1]["n"] == 0 and rows[-1]["late"] == 1
    assert rows[-1]["rank"] is None
    assert runner.invoke(app, ["score", "--min-n", "0", "--db", str(db_path)]).exit_code == 0


@pytest.mark.parametrize("args,message", [
    (["--adjusted", "--policy", "first"],
     "--policy first: the difficulty-adjusted board is fitted on the time-weighted"),
    (["--adjusted", "--policy", "bogus"], "--policy 'bogus': choose one of"),
    (["--adjusted", "--topic", "korea"], "--topic: the adjusted boards are fitted on every topic at once"),
])
def test_the_adjusted_board_refuses_what_it_would_ignore(crowd, db_path, args, message):
    crowd.close()
    result = runner.invoke(app, ["score", *args, "--db", str(db_path)])
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output


def test_compare_says_too_few_under_every_policy_and_takes_the_crowd(repeated, db_path):
    repeated.close()
    for policy in ("forecasts", "time-weighted"):
        result = runner.invoke(app, ["compare", "ann", "bob", "--policy", policy, "--json", "--db", str(db_path)])
        r = json.loads(result.stdout)
        assert r["n_common"] == 2 and r["interval_method"] == "too few" and r["ci_low"] is None, policy
        assert r["p_value"] is None
        text = runner.invoke(app, ["compare", "ann", "bob", "--policy", policy, "--db", str(db_path)]).stdout
        assert "too few common questions for an interval" in text and "[–, –]" not in text
    r = json.loads(runner.invoke(app, ["compare", "ann", "crowd:median", "--json", "--db", str(db_path)]).stdout)
    assert r["author_b"] == "crowd:median" and r["n_common"] == 2
