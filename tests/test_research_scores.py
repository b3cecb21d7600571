"""Issue 3's scores as the database keeps them, checked against oracles and hand-worked cases."""

import json
import math

import numpy as np
import pytest
from scipy import stats
from sklearn.calibration import calibration_curve
from sklearn.metrics import roc_auc_score
from typer.testing import CliRunner

from tracker.cli import app
from tracker.imports.forecast_rows import import_forecasts
from tracker.imports.outcome_rows import import_outcomes
from tracker.ledger.outcomes import resolve, unresolve
from tracker.scores import board, reports

from conftest import derived, rescored_copy

runner = CliRunner()


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


@pytest.fixture
def two_authors(db, tmp_path):
    """Ann and Bob on 12 common questions, Cem on 4 of them; deadlines 10 to 400 days out."""
    rows = ["question_id,author,probability,made_on,resolve_by,topic"]
    outs = ["question_id,outcome,resolved_on"]
    rng = np.random.default_rng(3)
    for i in range(12):
        y = int(rng.random() < 0.5)
        deadline = ["2019-01-11", "2019-02-20", "2019-06-01", "2020-02-05"][i % 4]
        a = round(float(np.clip(0.5 + (0.35 if y else -0.35) + rng.normal(0, 0.1), 0.01, 0.99)), 2)
        b = round(float(rng.uniform(0.2, 0.8)), 2)
        rows += [f"q{i},Ann,{a},2019-01-01,{deadline},t{i % 2}", f"q{i},Bob,{b},2019-01-01,{deadline},t{i % 2}"]
        if i < 4:
            rows.append(f"q{i},Cem,0.5,2019-01-01,{deadline},t{i % 2}")
        outs.append(f"q{i},{'yes' if y else 'no'},{deadline}")
    import_forecasts(db, write(tmp_path, "f.csv", "\n".join(rows) + "\n"))
    import_outcomes(db, write(tmp_path, "o.csv", "\n".join(outs) + "\n"))
    return db


def test_group_scores_carry_every_score_with_intervals(two_authors):
    [ann] = [r for r in reports.score_table(two_authors, "author") if r["author"] == "ann"]
    briers = [r["brier"] for r in two_authors.query(
        "select s.* from forecast_scores s join forecast_authors fa on fa.forecast_id = s.forecast_id "
        "where fa.author_id = 'ann'")]
    assert ann["n"] == 12
    assert ann["brier_gj"] == pytest.approx(2 * ann["brier"])
    assert ann["brier_gj_ci_high"] == pytest.approx(2 * ann["brier_ci_high"])
    assert ann["log_score_bits"] == pytest.approx(ann["log_score"] / math.log(2))
    assert ann["skill_vs_chance"] == pytest.approx(1 - np.mean(briers) / 0.25)
    assert ann["skill_vs_chance_ci_low"] == pytest.approx(1 - ann["brier_ci_high"] / 0.25)
    ybar = ann["base_rate"]
    assert ann["skill_vs_climatology"] == pytest.approx(1 - np.mean(briers) / (ybar * (1 - ybar)))
    for mean in ("brier", "log_score", "spherical"):
        assert ann[f"{mean}_ci_low"] < ann[mean] < ann[f"{mean}_ci_high"]


def test_horizon_buckets(two_authors):
    rows = reports.score_table(two_authors, "horizon")
    assert [r["horizon"] for r in rows] == ["8 days to 1 month", "1 to 3 months", "3 to 6 months", "over 1 year"]
    assert sum(r["n"] for r in rows) == two_authors["forecast_scores"].count
    days = {r["horizon_days"] for r in two_authors.query("select horizon_days from forecast_scores")}
    assert days == {10, 50, 151, 400}


def test_calibration_matches_sklearn_and_the_identity(two_authors):
    result = reports.calibration(two_authors, author="ann", policy="forecasts")
    rows = list(two_authors.query("select s.probability p, s.outcome = 'yes' y from forecast_scores s "
                                  "join forecast_authors fa on fa.forecast_id = s.forecast_id "
                                  "where fa.author_id = 'ann'"))
    p = np.array([r["p"] for r in rows])
    y = np.array([r["y"] for r in rows])
    # scikit-learn puts a value on an edge into the bin below; ours opens the bin above (see
    # calibration.bin_index). Nudging by 1e-12 lands each value where our rule does.
    prob_true, prob_pred = calibration_curve(y, p + 1e-12, n_bins=10, strategy="uniform")
    assert [b["observed"] for b in result["bins"]] == pytest.approx(list(prob_true))
    assert [b["mean_forecast"] for b in result["bins"]] == pytest.approx(list(prob_pred), abs=1e-9)
    assert sum(b["n"] for b in result["bins"]) == result["n"] == 12
    identity = (result["reliability"] - result["resolution"] + result["uncertainty"]
                + result["within_bin_variance"] - result["within_bin_covariance"])
    assert identity == pytest.approx(result["brier"], abs=1e-12)
    assert result["auc"] == pytest.approx(roc_auc_score(y, p))
    yates = (result["yates_var_y"] + result["yates_min_var_f"] + result["yates_scatter"]
             + result["yates_bias_squared"] - 2 * result["yates_covariance"])
    assert yates == pytest.approx(result["brier"], abs=1e-12)
    assert result["source"] == "stored"


def test_stored_calibration_equals_computed(two_authors):
    for kwargs in ({}, {"author": "bob"}, {"topic": "t1"}):
        stored = reports.calibration(two_authors, **kwargs, policy="forecasts")
        rows = reports._scored(two_authors, author=kwargs.get("author"), topic=kwargs.get("topic"))
        table, summary = board.calibration([p for p, _ in rows], [y for _, y in rows], 10)
        assert stored["bins"] == table
        assert stored["reliability"] == summary["reliability"]
        assert stored["auc"] == summary["auc"]
    five = reports.calibration(two_authors, bins=5)
    assert five["source"] == "computed" and len(five["bins"]) <= 5


def test_compare_against_scipy(two_authors):
    r = reports.compare(two_authors, "Ann", "bob", seed=1, n_boot=2000)
    a = [x["brier"] for x in two_authors.query(
        "select s.brier from forecast_scores s join forecast_authors fa on fa.forecast_id = s.forecast_id "
        "where fa.author_id = 'ann' order by s.question_id")]
    b = [x["brier"] for x in two_authors.query(
        "select s.brier from forecast_scores s join forecast_authors fa on fa.forecast_id = s.forecast_id "
        "where fa.author_id = 'bob' order by s.question_id")]
    assert r["n_common"] == 12
    assert r["mean_difference"] == pytest.approx(np.mean(a) - np.mean(b))
    assert r["p_value"] == pytest.approx(stats.ttest_rel(a, b).pvalue)
    low, high = stats.t.interval(0.95, 11, loc=np.mean(np.subtract(a, b)), scale=stats.sem(np.subtract(a, b)))
    assert (r["t_ci_low"], r["t_ci_high"]) == (pytest.approx(low), pytest.approx(high))
    assert r["ci_low"] < r["mean_difference"] < r["ci_high"]
    assert reports.compare(two_authors, "ann", "bob", seed=1, n_boot=2000) == r  # seeded: reproducible
    only4 = reports.compare(two_authors, "ann", "cem")
    assert only4["n_common"] == 4


def test_compare_cli_json_keys(two_authors, db_path):
    out = runner.invoke(app, ["compare", "ann", "bob", "--json", "--db", str(db_path)])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert {"n_common", "brier_a", "brier_b", "mean_difference", "ci_low", "ci_high", "p_value"} <= set(data)


def test_peer_scores_sum_to_zero_on_each_question(two_authors):
    sums = two_authors.execute("select question_id, sum(peer_score), count(*) from peer_scores group by 1").fetchall()
    assert len(sums) == 12
    for _, total, n in sums:
        assert n >= 2 and total == pytest.approx(0, abs=1e-9)
    ann = two_authors["author_scores"].get("ann")
    assert ann["peer_n"] == 12 and ann["peer_score"] > 0  # Ann is the sharper forecaster here


def test_adjusted_board_does_not_reward_skipping_hard_questions(db, tmp_path):
    # Briers near a_author + b_question with a = 0 (Ann), 0.1 (Bob), 0.15 (Cem) and b = 0.01 (easy),
    # 0.31 (hard). Cem answered only the easy question, so his raw Brier beats Bob's; adjusted for
    # difficulty the order is the true one: Ann, Bob, Cem.
    import_forecasts(db, write(tmp_path, "f.csv", "question_id,author,probability,made_on\n"
                                                  "easy,Ann,0.9,2019-01-01\neasy,Bob,0.67,2019-01-01\n"
                                                  "easy,Cem,0.6,2019-01-01\n"
                                                  "hard,Ann,0.44,2019-01-01\nhard,Bob,0.36,2019-01-01\n"))
    import_outcomes(db, write(tmp_path, "o.csv", "question_id,outcome,resolved_on\neasy,yes,2019-02-01\n"
                                                 "hard,yes,2019-02-01\n"))
    adj = {r["author"]: r for r in reports.adjusted_table(db)}
    raw = {r["author"]: r["brier"] for r in reports.score_table(db, "author")}
    assert raw["cem"] < raw["bob"]
    assert adj["ann"]["adjusted_brier"] < adj["bob"]["adjusted_brier"] < adj["cem"]["adjusted_brier"]
    # with common questions only (Ann and Bob), adjusted differences equal raw differences
    assert adj["bob"]["adjusted_brier"] - adj["ann"]["adjusted_brier"] == pytest.approx(raw["bob"] - raw["ann"])


def test_time_weighted_example_from_the_literature(db, tmp_path):
    # 0.8 held 6 days, then 0.4 held 3 days, the event does not happen: 0.48 (0.96 on 0..2).
    import_forecasts(db, write(tmp_path, "f.csv", "question_id,author,probability,made_on,resolve_by\n"
                                                  "q,Ann,0.8,2019-03-01,2019-03-31\nq,Ann,0.4,2019-03-07,2019-03-31\n"))
    import_outcomes(db, write(tmp_path, "o.csv", "question_id,outcome,resolved_on\nq,no,2019-03-10\n"))
    tw = db["time_weighted_scores"].get(("ann", "q"))
    assert (tw["days"], tw["forecasts"]) == (9, 2)
    assert tw["brier"] == pytest.approx(0.48)
    ann = db["author_scores"].get("ann")
    assert ann["brier"] == pytest.approx((0.64 + 0.16) / 2)  # as published
    assert ann["tw_brier"] == pytest.approx(0.48) and ann["tw_n"] == 1


def test_sensitivity_bounds_and_rank(small_db):
    rows = {r["author"]: r for r in reports.sensitivity_table(small_db)}
    ann = rows["ann"]
    # f1 0.8 [0.7, 0.9] on a no; f4 1.0 (no interval) on a no
    assert ann["brier_best"] == pytest.approx((0.49 + 1.0) / 2)
    assert ann["brier_worst"] == pytest.approx((0.81 + 1.0) / 2)
    assert ann["brier_best"] <= ann["brier"] <= ann["brier_worst"]
    assert ann["rank"] == 2 and rows["bob"]["rank"] == 1
    assert ann["rank_survives"] is True


def test_rank_that_depends_on_the_reading(db, tmp_path):
    import_forecasts(db, write(tmp_path, "f.csv",
                               "question_id,author,probability,made_on,interval_low,interval_high,method\n"
                               "q,Ann,0.5,2019-01-01,0.2,0.8,analyst\nq,Bob,0.45,2019-01-01,0.45,0.45,analyst\n"))
    import_outcomes(db, write(tmp_path, "o.csv", "question_id,outcome,resolved_on\nq,no,2019-02-01\n"))
    rows = {r["author"]: r for r in reports.sensitivity_table(db)}
    assert rows["bob"]["rank"] == 1 and rows["ann"]["rank"] == 2
    assert rows["ann"]["rank_best"] == 1  # read at the low end (0.2), Ann beats Bob
    assert rows["ann"]["rank_survives"] is False and rows["bob"]["rank_survives"] is False


def test_correction_reaches_every_derived_table_and_full_rescore_agrees(two_authors):
    before = derived(two_authors)
    current = two_authors.execute("select outcome from current_outcomes where question_id = 'q3'").fetchone()[0]
    resolve(two_authors, "q3", "no" if current == "yes" else "yes", correct=True)
    after = derived(two_authors)
    assert after["peer_scores"] != before["peer_scores"]
    untouched = [r for r in before["forecast_scores"] if r["question_id"] != "q3"]
    assert [r for r in after["forecast_scores"] if r["question_id"] != "q3"] == untouched
    assert derived(rescored_copy(two_authors)) == after
    unresolve(two_authors, "q3")
    undone = derived(two_authors)
    assert derived(rescored_copy(two_authors)) == undone


@pytest.mark.parametrize("args", [
    ["score", "--by", "horizon", "--json"], ["score", "--adjusted", "--json"], ["calibration", "--json"],
    ["calibration", "--author", "ann", "--topic", "t0", "--bins", "4", "--json"], ["sensitivity", "--json"],
])
def test_research_commands_json(two_authors, db_path, args):
    out = runner.invoke(app, args + ["--db", str(db_path)])
    assert out.exit_code == 0, out.output
    json.loads(out.stdout)


def test_calibration_json_contract(two_authors, db_path):
    out = runner.invoke(app, ["calibration", "--json", "--db", str(db_path)])
    data = json.loads(out.stdout)
    assert {"bins", "n", "brier", "reliability", "resolution", "uncertainty", "within_bin_variance",
            "within_bin_covariance", "auc"} <= set(data)
    assert set(data["bins"][0]) == {"lower", "upper", "n", "mean_forecast", "observed", "ci_low", "ci_high"}


@pytest.mark.parametrize("args,message", [
    (["calibration", "--bins", "0"], "--bins 0: choose a whole number"),
    (["calibration", "--topic", "nothing"], "--topic 'nothing': no question has this topic"),
    (["compare", "ann", "ann"], "are the same author"),
    (["compare", "ann", "zed"], "no such author"),
    (["score", "--adjusted", "--by", "topic"], "--adjusted: goes with --by author"),
])
def test_research_commands_bad_input(two_authors, db_path, args, message):
    out = runner.invoke(app, args + ["--db", str(db_path)])
    assert out.exit_code == 1 and message in out.stderr and out.stderr.count("\n") == 1
