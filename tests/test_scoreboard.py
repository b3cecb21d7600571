"""The score tables against independent oracles, and incremental against full rescoring."""

import random

import numpy as np
import properscoring
import pytest
import scoringrules
from scipy import stats

from tracker.imports.forecast_rows import import_forecasts
from tracker.imports.outcome_rows import import_outcomes
from tracker.ledger.outcomes import resolve, unresolve

from conftest import derived, rescored_copy


@pytest.fixture
def random_ledger(db, tmp_path):
    rng = random.Random(7)
    rows = ["question_id,author,probability,made_on,topic"]
    for i in range(300):
        q = f"q{rng.randrange(60)}"
        a = rng.choice(["Ann", "Bob", "Cem", "Dana"])
        p = rng.choice([0, 0.05, 0.1, 0.3, 0.5, 0.6, 0.7, 0.9, 1, round(rng.random(), 3)])
        rows.append(f"{q},{a},{p},2019-01-{1 + i % 28:02d},t{int(q[1:]) % 3}")
    # duplicate (question, author, date) rows are refused, so keep the first of each
    seen, kept = set(), [rows[0]]
    for r in rows[1:]:
        key = tuple(r.split(",")[:2] + [r.split(",")[3]])
        if key not in seen:
            seen.add(key)
            kept.append(r)
    f = tmp_path / "f.csv"
    f.write_text("\n".join(kept) + "\n")
    import_forecasts(db, f)
    outs = ["question_id,outcome,resolved_on"]
    asked = {r.split(",")[0] for r in kept[1:]}
    for q in range(60):
        if f"q{q}" in asked and rng.random() < 0.8:
            outs.append(f"q{q},{rng.choice(['yes', 'no', 'annulled'])},2019-06-01")
    o = tmp_path / "o.csv"
    o.write_text("\n".join(outs) + "\n")
    import_outcomes(db, o)
    return db


def test_forecast_scores_match_oracles(random_ledger):
    rows = list(random_ledger.query("select * from forecast_scores"))
    assert len(rows) > 100
    p = np.array([r["probability"] for r in rows])
    y = np.array([1.0 if r["outcome"] == "yes" else 0.0 for r in rows])
    brier = np.array([r["brier"] for r in rows])
    np.testing.assert_allclose(brier, properscoring.brier_score(y, p), atol=1e-12)
    np.testing.assert_allclose(brier, scoringrules.brier_score(y, p), atol=1e-12)
    log = np.array([r["log_score"] for r in rows])
    unclipped = np.array([not r["log_clipped"] for r in rows])
    np.testing.assert_allclose(log[unclipped], scoringrules.log_score(y[unclipped], p[unclipped]), atol=1e-9)
    clipped = ~unclipped
    assert clipped.any(), "the fixture should contain confident misses"
    np.testing.assert_allclose(log[clipped], -np.log(0.001))


def test_author_means_and_t_intervals(random_ledger):
    for row in random_ledger.query("select * from author_scores"):
        briers = [r["brier"] for r in random_ledger.query(
            "select s.brier from forecast_scores s join forecast_authors fa on fa.forecast_id = s.forecast_id "
            "where fa.author_id = ?", [row["author_id"]])]
        assert row["n"] == len(briers)
        assert row["brier"] == pytest.approx(np.mean(briers))
        low, high = stats.t.interval(0.95, len(briers) - 1, loc=np.mean(briers), scale=stats.sem(briers))
        assert (row["brier_ci_low"], row["brier_ci_high"]) == (pytest.approx(low), pytest.approx(high))


def test_topic_scores_count_every_forecast_of_the_topic(random_ledger):
    for row in random_ledger.query("select * from topic_scores"):
        n = random_ledger.execute(
            "select count(*) from forecast_scores s join questions q on q.id = s.question_id, json_each(q.topics) t "
            "where t.value = ?", [row["topic"]]).fetchone()[0]
        assert row["n"] == n


def test_incremental_equals_full_rescore(random_ledger):
    for q in ("q1", "q2", "q3"):
        unresolve(random_ledger, q) if list(random_ledger.query(
            "select 1 from current_outcomes where question_id = ?", [q])) else resolve(random_ledger, q, "yes")
    resolve(random_ledger, "q5", "no", correct=True) if list(random_ledger.query(
        "select 1 from current_outcomes where question_id = 'q5'")) else resolve(random_ledger, "q5", "no")
    assert derived(rescored_copy(random_ledger)) == derived(random_ledger)


def test_hand_worked_small_ledger(small_db):
    # f1: 0.8 on a no → 0.64; f3: 0.6 on a no → 0.36; f4: 1.0 on a no → 1.0 (log clipped)
    ann = small_db["author_scores"].get("ann")  # f1, f4 (f2 unresolved)
    assert ann["n"] == 2 and ann["brier"] == pytest.approx((0.64 + 1.0) / 2)
    assert ann["log_clipped_n"] == 1
    bob = small_db["author_scores"].get("bob")
    assert bob["n"] == 1 and bob["brier"] == pytest.approx(0.36)
    assert bob["brier_ci_low"] is None  # no interval from one forecast


def test_the_text_board_knows_the_fair_boards_ranking_words():
    from tracker.cli import text
    from tracker.scores import fair

    assert text.RANKED == fair.RANKED and text.MIN_INTERVAL_N == fair.MIN_INTERVAL_N
