import pytest

from tracker.errors import TrackerError
from tracker.ledger.outcomes import current_outcome, history, resolve, unresolve

from conftest import dump


def test_resolve_scores_every_forecast_on_the_question(small_db):
    resolve(small_db, "q2", "yes", resolved_on="2019-05-01",
            evidence=[{"url": "https://example.org/y", "summary": "It did."}])
    s = small_db["forecast_scores"].get("f2")
    assert s["brier"] == pytest.approx(0.49)
    assert small_db["author_scores"].get("bob")["n"] == 2  # f2 (joint) and f3


def test_resolving_twice_needs_correct(small_db):
    before = dump(small_db)
    with pytest.raises(TrackerError, match=r"already resolved 'no'.*--correct"):
        resolve(small_db, "q1", "yes")
    assert dump(small_db) == before


def test_correct_keeps_every_earlier_record(small_db):
    resolve(small_db, "q1", "yes", note="misread the news", correct=True)
    rows = history(small_db, "q1")
    assert [(r["action"], r["outcome"], r["in_force"]) for r in rows] == [
        ("resolve", "no", False), ("correct", "yes", True)]
    assert rows[1]["resolved_on"] == "2019-02-28"  # a correction of the outcome keeps the date
    assert small_db["forecast_scores"].get("f1")["brier"] == pytest.approx(0.04)


def test_unresolve_unscores_and_is_kept(small_db):
    unresolve(small_db, "q1", note="source retracted")
    assert current_outcome(small_db, "q1") is None
    assert list(small_db.query("select * from forecast_scores where question_id = 'q1'")) == []
    assert small_db["question_scores"].count == 1  # only q3 left
    resolve(small_db, "q1", "no", resolved_on="2019-03-02")
    assert [r["action"] for r in history(small_db, "q1")] == ["resolve", "unresolve", "resolve"]


def test_correct_then_undo_changes_only_dependent_scores(small_db):
    before = {r["forecast_id"]: r for r in small_db.query("select * from forecast_scores")}
    resolve(small_db, "q1", "yes", correct=True)
    after = {r["forecast_id"]: r for r in small_db.query("select * from forecast_scores")}
    assert after["f4"] == before["f4"]  # q3 untouched
    assert after["f1"] != before["f1"]
    unresolve(small_db, "q1")
    assert "f1" not in {r["forecast_id"] for r in small_db.query("select * from forecast_scores")}


def test_annulled_is_not_scored(small_db):
    resolve(small_db, "q2", "annulled")
    assert list(small_db.query("select * from forecast_scores where question_id = 'q2'")) == []


@pytest.mark.parametrize("call,message", [
    (lambda d: resolve(d, "nope", "yes"), "no such question"),
    (lambda d: resolve(d, "q2", "yes", correct=True), "no outcome to correct"),
    (lambda d: unresolve(d, "q2"), "is not resolved"),
    (lambda d: resolve(d, "q1", "no", correct=True), "changes nothing"),
])
def test_bad_outcome_commands_change_nothing(small_db, call, message):
    before = dump(small_db)
    with pytest.raises(TrackerError, match=message):
        call(small_db)
    assert dump(small_db) == before
