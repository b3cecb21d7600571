import json

import pytest

from tracker.errors import TrackerError
from tracker.imports.forecast_rows import import_forecasts
from tracker.imports.outcome_rows import import_outcomes

from conftest import dump

CSV = """question_id,author,probability,made_on,question,resolve_by,phrase,topic
nk-test-2019,Ann Example,70%,2019-01-10,Will North Korea test an ICBM in 2019?,2019-12-31,likely,korea
nk-test-2019,Bob Other; Cem Third,0.2,2019-01-12,,,,korea;missiles
iran-deal,Ann Example,0.55,2019-02-01,Will the deal hold?,2019-06-30,,
"""


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_forecasts_csv_creates_questions_and_authors(db, tmp_path):
    counts = import_forecasts(db, write(tmp_path, "f.csv", CSV))
    assert counts["created"] == 3 and counts["questions_created"] == 2 and counts["authors_created"] == 3
    q = db["questions"].get("nk-test-2019")
    assert q["title"] == "Will North Korea test an ICBM in 2019?"
    assert json.loads(q["topics"]) == ["korea", "missiles"]
    probs = sorted(r["probability"] for r in db.query("select probability from forecasts"))
    assert probs == [0.2, 0.55, 0.7]  # "70%" read as 0.7
    joint = list(db.query("select author_id from forecast_authors fa join forecasts f on f.id = fa.forecast_id "
                          "where f.probability = 0.2 order by position"))
    assert [r["author_id"] for r in joint] == ["bob-other", "cem-third"]
    assert all(r["method"] == "stated" for r in db.query("select method from forecasts"))


def test_forecasts_reimport_changes_nothing(db, tmp_path):
    f = write(tmp_path, "f.csv", CSV)
    import_forecasts(db, f)
    before = dump(db)
    counts = import_forecasts(db, f)
    assert counts["unchanged"] == 3 and counts["created"] == 0
    assert dump(db) == before


def test_jsonl_forecasts_and_outcomes(db, tmp_path):
    f = write(tmp_path, "f.jsonl", "\n".join(json.dumps(r) for r in [
        {"question_id": "q-a", "author": "Ann", "probability": 0.9, "made_on": "2019-01-01", "question": "A?"},
        {"question_id": "q-b", "author": "Ann", "probability": "10%", "made_on": "2019-01-01"},
    ]) + "\n")
    import_forecasts(db, f)
    o = write(tmp_path, "o.jsonl", "\n".join(json.dumps(r) for r in [
        {"question_id": "q-a", "outcome": "true", "resolved_on": "2019-03-01", "evidence": "https://e.org/a"},
        {"question_id": "q-b", "outcome": 0, "resolved_on": "2019-03-01", "note": "nothing happened"},
    ]) + "\n")
    counts = import_outcomes(db, o)
    assert counts["created"] == 2
    assert db["author_scores"].get("ann")["brier"] == pytest.approx((0.01 + 0.01) / 2)
    before = dump(db)
    assert import_outcomes(db, o)["unchanged"] == 2
    assert dump(db) == before


def test_outcome_table_cannot_overturn_an_outcome(db, tmp_path):
    import_forecasts(db, write(tmp_path, "f.csv", CSV))
    import_outcomes(db, write(tmp_path, "o.csv", "question_id,outcome,resolved_on\niran-deal,yes,2019-07-01\n"))
    before = dump(db)
    with pytest.raises(TrackerError, match=r"already resolved 'yes'.*--correct"):
        import_outcomes(db, write(tmp_path, "o2.csv", "question_id,outcome,resolved_on\niran-deal,no,2019-07-01\n"))
    assert dump(db) == before


BAD_FORECASTS = [
    ("q,Ann,1.5,2019-01-01", "probability: '1.5' is outside [0, 1]"),
    ("q,Ann,nan,2019-01-01", "not a finite number"),
    ("q,Ann,high,2019-01-01", "probability: 'high' is not a number"),
    ("q,Ann,0.5,01/02/2019", "not of the form YYYY-MM-DD"),
    ("q,Ann,0.5,2019-02-30", "not a real date"),
    ("Q\x07,Ann,0.5,2019-01-01", "contains the character U+0007, which is not printable"),
    (" q,Ann,0.5,2019-01-01", "has leading or trailing space"),
    ("q,,0.5,2019-01-01", "author is empty"),
    ("q,Ann,0.5", "expected 4 columns"),
]


@pytest.mark.parametrize("line,message", BAD_FORECASTS)
def test_bad_forecast_row_names_file_and_line_and_changes_nothing(db, tmp_path, line, message):
    good = "ok,Ann,0.5,2019-01-01"
    p = write(tmp_path, "f.csv", f"question_id,author,probability,made_on\n{good}\n{line}\n")
    before = dump(db)
    with pytest.raises(TrackerError) as e:
        import_forecasts(db, p)
    assert f"{p}:3" in str(e.value) and message in str(e.value)
    assert dump(db) == before  # the good first row was rolled back too


@pytest.mark.parametrize("text,message", [
    ("", "file is empty"),
    ("question_id,author\nq,Ann\n", "missing column 'made_on'"),
    ("question_id,author,made_on\nq,Ann,2019-01-01\n", "probability is missing"),
    ("question_id,author,probability,made_on,colour\nq,Ann,0.5,2019-01-01,red\n", "unknown column 'colour'"),
    ("question_id,author,probability,made_on\nq,Ann,0.5,2019-01-01\nq,Ann,0.5,2019-01-01\n",
     "repeats the forecast on line 2"),
    ("question_id,author,probability,made_on\nq,Ann,0.5,2019-01-01\nq,Ann,0.6,2019-01-01\n",
     "differs from the one on line 2"),
    ("question_id,author,probability,made_on,resolve_by\nq,Ann,0.5,2019-05-01,2019-01-01\n",
     "after question q's resolve-by"),
])
def test_bad_forecast_files(db, tmp_path, text, message):
    p = write(tmp_path, "f.csv", text)
    with pytest.raises(TrackerError, match=message):
        import_forecasts(db, p)
    assert db["forecasts"].count == 0


def test_wrong_encoding_and_extension(db, tmp_path):
    p = tmp_path / "f.csv"
    p.write_bytes("question_id,author,probability,made_on\nq,Jürgen,0.5,2019-01-01\n".encode("latin-1"))
    with pytest.raises(TrackerError, match="not UTF-8"):
        import_forecasts(db, p)
    with pytest.raises(TrackerError, match=r"unknown table type '\.xlsx'"):
        import_forecasts(db, write(tmp_path, "f.xlsx", "x"))


@pytest.mark.parametrize("row,message", [
    ("nope,yes,2019-01-01", "unknown question 'nope'"),
    ("q,maybe,2019-01-01", "outcome 'maybe' is not one of"),
    ("q,yes,tomorrow", "not of the form YYYY-MM-DD"),
    ("q,yes,2019-01-01,ftp://x", r"is not an http\(s\) URL"),
])
def test_bad_outcome_rows(db, tmp_path, row, message):
    import_forecasts(db, write(tmp_path, "f.csv", "question_id,author,probability,made_on\nq,Ann,0.5,2019-01-01\n"))
    header = "question_id,outcome,resolved_on" + (",evidence" if row.count(",") == 3 else "")
    before = dump(db)
    with pytest.raises(TrackerError, match=message):
        import_outcomes(db, write(tmp_path, "o.csv", f"{header}\n{row}\n"))
    assert dump(db) == before
