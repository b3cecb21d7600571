"""The shipped record of the Hanoi brief, checked against the brief itself."""

import json

import pytest

from tracker.intake.documents import normalise, read_text_file
from tracker.ledger.records.load import load_record
from tracker.ledger.records.write import import_records

from conftest import HANOI_BRIEF, HANOI_RECORD, needs_brief


@pytest.fixture(scope="module")
def record():
    return load_record(HANOI_RECORD)


@needs_brief()
def test_text_hash_matches_the_record(record):
    _, digest = read_text_file(HANOI_BRIEF)
    assert record.document["sha256"] == digest


@needs_brief()
def test_every_quote_is_in_the_brief_at_its_offset(record):
    text = normalise(read_text_file(HANOI_BRIEF)[0])
    for f in record.forecasts:
        assert f["quote"], f["id"]
        assert normalise(f["quote"]) == f["quote"], f"{f['id']}: quote not in normalised form"
        assert text.find(f["quote"]) == f["quote_offset"], f["id"]
        assert f["phrase"].lower() in f["quote"].lower(), f"{f['id']}: phrase not in its quote"


def test_the_eleven_forecasts_the_issue_names_are_there(record):
    phrases = {f["phrase"] for f in record.forecasts}
    for words in ("zu erwartenden", "zu erwarten sein", "durchaus möglich", "bleibt abzuwarten",
                  "lassen darauf schließen", "zu erwartende"):
        assert words in phrases
    assert len(record.forecasts) >= 11
    titles = " ".join(q["title"].lower() for q in record.questions)
    for topic in ("agreement", "denuclearisation", "dismantling", "humanitarian", "detained",
                  "ending the korean war", "roadmap", "expectations"):
        assert topic in titles, topic


def test_every_forecast_is_fully_coded(record):
    questions = {q["id"]: q for q in record.questions}
    for f in record.forecasts:
        assert f["method"] in ("stated", "scale", "analyst")
        assert f["interval_low"] <= f["probability"] <= f["interval_high"]
        assert f["reasoning"] and f["coded_by"] and f["location"]
        q = questions[f["question_id"]]
        assert q["criteria"] and q["resolve_by"] >= f["made_on"]
        assert json.loads(q["topics"])


def test_conditional_forecast_and_its_annulment(record):
    conditional = [f for f in record.forecasts if f["conditional_on"]]
    assert len(conditional) == 1
    [c] = conditional
    outcome = {o["question_id"]: o for o in record.outcomes}[c["question_id"]]
    assert outcome["outcome"] == "annulled"


def test_every_question_has_one_outcome_with_evidence(record):
    by_q = {}
    for o in record.outcomes:
        by_q.setdefault(o["question_id"], []).append(o)
        assert o["evidence"], o["question_id"]
        assert all(e["url"].startswith("https://") and e["summary"] for e in o["evidence"])
    assert set(by_q) == {q["id"] for q in record.questions}
    assert all(len(v) == 1 for v in by_q.values())


def test_author_scores_from_the_record(db, record):
    import_records(db, [record])
    row = db["author_scores"].get("bernt-berger")
    scored = [f for f in record.forecasts
              if {o["question_id"]: o["outcome"] for o in record.outcomes}[f["question_id"]] != "annulled"]
    assert row["n"] == len(scored) == 11
    expected = sum((f["probability"] - (1 if {o["question_id"]: o["outcome"] for o in record.outcomes}
                                        [f["question_id"]] == "yes" else 0)) ** 2 for f in scored) / len(scored)
    assert row["brier"] == pytest.approx(expected)


def test_scale_readings_match_the_shipped_scales(record):
    """A forecast read from a scale names a shipped scale and version, and that scale reads the
    author's words exactly as recorded (probability and interval)."""
    from tracker.intake import wording

    scales = wording.load_scales()
    read = [f for f in record.forecasts if f["method"] == "scale"]
    assert len(read) >= 9
    for f in read:
        scale = scales[f["scale"]]
        assert f["scale_version"] == scale.version, f["id"]
        found = [m for m in wording.match(f["quote"], record.document["language"])
                 if m.covered and m.scale == f["scale"]
                 and (m.value, m.low, m.high) == (f["probability"], f["interval_low"], f["interval_high"])]
        assert found, f"{f['id']}: {f['scale']} does not read {f['phrase']!r} as recorded"
