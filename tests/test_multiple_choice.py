"""Multiple-choice questions: distributions over options, multi-category Brier and log scores."""

import json

import numpy as np
import pytest
import scoringrules

from tracker.errors import TrackerError
from tracker.imports.forecast_rows import import_forecasts
from tracker.ledger.outcomes import resolve
from tracker.ledger.records.export import export_records
from tracker.ledger.records.load import load_record
from tracker.ledger.records.write import import_records

from conftest import dump

RECORD = """\
document:
  id: doc-mc
  title: Election brief
  published_on: 2019-01-10
  authors: [ann]
authors:
  - id: ann
    name: Ann
questions:
  - id: who-wins
    title: Who wins the 2019 election?
    kind: multiple_choice
    options: [red, blue, green]
    resolve_by: 2019-11-30
forecasts:
  - id: mc1
    question: who-wins
    probabilities: {red: 0.5, blue: 0.3, green: 0.2}
    method: stated
  - id: mc2
    question: who-wins
    made_on: 2019-02-01
    probabilities: {red: 0.5, blue: 0.3, green: 0.1}
    normalise: true
    method: stated
outcomes:
  - question: who-wins
    outcome: blue
    resolved_on: 2019-11-05
"""


@pytest.fixture
def mc_record(tmp_path):
    p = tmp_path / "mc.yml"
    p.write_text(RECORD)
    return p


def test_scores_hand_worked_and_against_scoringrules(db, mc_record):
    import_records(db, [load_record(mc_record)])
    s = {r["forecast_id"]: r for r in db.query("select * from multiple_choice_scores")}
    # (0.5 − 0)² + (0.3 − 1)² + (0.2 − 0)² = 0.78 on the 0..2 scale
    assert s["mc1"]["brier_multi"] == pytest.approx(0.78)
    assert s["mc1"]["log_score"] == pytest.approx(-np.log(0.3))
    # normalised: 0.5/0.9, 0.3/0.9, 0.1/0.9
    p = np.array([5, 3, 1]) / 9
    assert s["mc2"]["brier_multi"] == pytest.approx(((p - [0, 1, 0]) ** 2).sum())
    # the multi-category Brier is the sum of the binary Brier of each option against its indicator
    obs = np.array([0, 1, 0])
    assert s["mc1"]["brier_multi"] == pytest.approx(
        float(scoringrules.brier_score(obs, np.array([0.5, 0.3, 0.2])).sum()))
    assert s["mc1"]["log_score"] == pytest.approx(float(scoringrules.log_score(1, 0.3)))
    ann = db["author_scores"].get("ann")
    assert ann["mc_n"] == 2 and ann["n"] == 0
    assert ann["mc_brier"] == pytest.approx((0.78 + s["mc2"]["brier_multi"]) / 2)


def test_normalised_values_are_kept_as_given(db, mc_record):
    import_records(db, [load_record(mc_record)])
    f = db["forecasts"].get("mc2")
    assert json.loads(f["probabilities_given"]) == {"red": 0.5, "blue": 0.3, "green": 0.1}
    assert sum(json.loads(f["probabilities"]).values()) == pytest.approx(1)
    assert f["probability"] is None


def test_round_trip(db, mc_record, tmp_path):
    import_records(db, [load_record(mc_record)])
    [path] = export_records(db, tmp_path / "out")
    assert path.read_text() == RECORD


@pytest.mark.parametrize("old,new,message", [
    ("{red: 0.5, blue: 0.3, green: 0.2}", "{red: 0.5, blue: 0.3, green: 0.1}",
     "probabilities sum to 0.9, not 1; write normalise: true to rescale"),
    ("{red: 0.5, blue: 0.3, green: 0.2}", "{red: 0.5, blue: 0.5}", "'green' is missing"),
    ("{red: 0.5, blue: 0.3, green: 0.2}", "{red: 0.5, blue: 0.3, pink: 0.2}", "'green' is missing"),
    ("{red: 0.5, blue: 0.3, green: 0.2}", "{red: 1.5, blue: 0.3, green: 0.2}", "outside [0, 1]"),
    ("    probabilities: {red: 0.5, blue: 0.3, green: 0.2}\n", "    probability: 0.5\n",
     "is multiple-choice; give probabilities"),
    ("outcome: blue", "outcome: purple", "'purple' is not one of the options"),
    ("options: [red, blue, green]", "options: [red]", "needs two or more options"),
    ("options: [red, blue, green]", "options: [red, red, blue]", "'red' is listed twice"),
])
def test_bad_multiple_choice_input(db, mc_record, old, new, message):
    mc_record.write_text(RECORD.replace(old, new, 1))
    before = dump(db)
    with pytest.raises(TrackerError, match=message.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(")):
        import_records(db, [load_record(mc_record)])
    assert dump(db) == before


def test_resolve_with_an_option_and_correct(db, mc_record):
    import_records(db, [load_record(mc_record)])
    resolve(db, "who-wins", "red", correct=True)
    s = db["multiple_choice_scores"].get("mc1")
    assert s["outcome"] == "red" and s["brier_multi"] == pytest.approx(0.25 + 0.09 + 0.04)
    with pytest.raises(TrackerError, match="not one of question who-wins's options"):
        resolve(db, "who-wins", "yes", correct=True)


def test_the_database_refuses_an_outcome_that_does_not_fit(db, mc_record):
    import sqlite3

    import_records(db, [load_record(mc_record)])
    with pytest.raises(sqlite3.IntegrityError, match="does not fit the question"):
        db.execute("insert into outcomes (question_id, action, outcome, source) "
                   "values ('who-wins', 'correct', 'yes', 'sql')")


def test_tables_refuse_a_probability_for_a_multiple_choice_question(db, mc_record, tmp_path):
    import_records(db, [load_record(mc_record)])
    f = tmp_path / "f.csv"
    f.write_text("question_id,author,probability,made_on\nwho-wins,Bob,0.5,2019-01-01\n")
    with pytest.raises(TrackerError, match="is multiple-choice in the database; give options and probabilities"):
        import_forecasts(db, f)
