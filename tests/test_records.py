import pytest

from tracker.errors import TrackerError
from tracker.ledger.records.export import export_records
from tracker.ledger.records.load import load_record
from tracker.ledger.records.write import import_records
from tracker.scores.derived import open_db

from conftest import HANOI_RECORD, SMALL_RECORD, dump


def test_import_creates_everything(small_db):
    assert small_db["forecasts"].count == 4
    assert small_db["authors"].count == 2
    assert [r["author_id"] for r in small_db.query(
        "select author_id from forecast_authors where forecast_id = 'f2' order by position")] == ["ann", "bob"]
    f1 = small_db["forecasts"].get("f1")
    assert f1["made_on"] == "2019-02-26"  # defaults to the document's date
    assert f1["document_id"] == "doc-a"
    assert (f1["interval_low"], f1["interval_high"]) == (0.7, 0.9)


def test_importing_twice_changes_nothing(small_db, small_record):
    before = dump(small_db)
    result = import_records(small_db, [load_record(small_record)])
    assert all(c["created"] == 0 and c["updated"] == 0 for c in result.values())
    assert dump(small_db) == before


def test_changed_record_updates_and_rescores(small_db, small_record):
    small_record.write_text(SMALL_RECORD.replace("probability: 0.8", "probability: 0.7"))
    result = import_records(small_db, [load_record(small_record)])
    assert result["forecasts"] == {"created": 0, "updated": 1, "unchanged": 3}
    assert small_db["forecast_scores"].get("f1")["brier"] == pytest.approx(0.49)


def test_round_trip_is_exact(small_db, tmp_path):
    out1 = tmp_path / "out1"
    [path] = export_records(small_db, out1)
    fresh = open_db(tmp_path / "fresh.db")
    import_records(fresh, [load_record(path)])
    out2 = tmp_path / "out2"
    export_records(fresh, out2)
    assert (out2 / path.name).read_text() == path.read_text()
    for table in ("authors", "documents", "questions", "forecasts", "forecast_authors", "outcomes",
                  "outcome_evidence", "forecast_scores", "author_scores"):
        assert list(fresh.query(f"select * from {table} order by 1, 2")) == \
            list(small_db.query(f"select * from {table} order by 1, 2")), table
    # and importing the export into the original changes no data (the import log notes the new file)
    before = [line for line in dump(small_db) if "INTO \"imports\"" not in line]
    import_records(small_db, [load_record(path)])
    assert [line for line in dump(small_db) if "INTO \"imports\"" not in line] == before


def test_shipped_hanoi_record_is_in_canonical_form(db, tmp_path):
    import_records(db, [load_record(HANOI_RECORD)])
    [path] = export_records(db, tmp_path / "out")
    assert path.name == HANOI_RECORD.name
    assert path.read_text(encoding="utf-8") == HANOI_RECORD.read_text(encoding="utf-8")


def test_cli_outcomes_survive_reimport_and_export(small_db, small_record, tmp_path):
    from tracker.ledger.outcomes import resolve

    resolve(small_db, "q2", "yes", resolved_on="2019-05-01", note="seen")
    import_records(small_db, [load_record(small_record)])
    assert list(small_db.query("select outcome from current_outcomes where question_id = 'q2'")) == [{"outcome": "yes"}]
    export_records(small_db, tmp_path / "out")
    fresh = open_db(tmp_path / "fresh.db")
    import_records(fresh, [load_record(tmp_path / "out" / "doc-a.yml")])
    assert [r["outcome"] for r in fresh.query("select outcome from outcomes where question_id = 'q2'")] == ["yes"]


def test_unknown_text_is_refused(small_record, db, tmp_path):
    text = tmp_path / "other.txt"
    text.write_text("some other document")
    before = dump(db)
    with pytest.raises(TrackerError, match="matches no document"):
        import_records(db, [load_record(small_record)], texts=[text])
    assert dump(db) == before


def test_text_is_stored_when_its_hash_matches(db, tmp_path):
    text = tmp_path / "brief.txt"
    text.write_text("Der Gipfel wird scheitern.\n", encoding="utf-8")
    from tracker.intake.documents import sha256_bytes

    rec = SMALL_RECORD.replace("  language: en\n", f"  language: en\n  sha256: {sha256_bytes(text.read_bytes())}\n")
    p = tmp_path / "r.yml"
    p.write_text(rec)
    import_records(db, [load_record(p)], texts=[text])
    assert db["documents"].get("doc-a")["text"] == "Der Gipfel wird scheitern.\n"
    # a later import without the text keeps it
    import_records(db, [load_record(p)])
    assert db["documents"].get("doc-a")["text"] == "Der Gipfel wird scheitern.\n"


BAD = [
    ("probability: 0.8", "probability: 1.2", "f1 probability: 1.2 is outside [0, 1]"),
    ("probability: 0.8", "probability: .nan", "not a finite number"),
    ("probability: 0.8", "probability: likely", "'likely' is not a number"),
    ("interval: [0.7, 0.9]", "interval: [0.85, 0.9]", "does not contain the probability"),
    ("method: analyst\n    phrase", "method: guessed\n    phrase", "method: 'guessed' is not one of"),
    ("resolve_by: 2019-03-01", "resolve_by: 2019-02-01", "after its question's resolve-by date"),
    ("resolve_by: 2019-03-01", "resolve_by: 2019-02-30", "'2019-02-30' is not a real date"),
    ("question: q2\n    authors", "question: nope\n    authors", "unknown question 'nope'"),
    ("authors: [ann, bob]", "authors: [ann, carl]", "unknown author 'carl'"),
    ("conditional_on: f1", "conditional_on: f9", "conditional_on unknown forecast 'f9'"),
    ('outcome: "no"\n    resolved_on: 2019-02-28', 'outcome: maybe\n    resolved_on: 2019-02-28',
     "outcome 'maybe' is not one of"),
    ("url: https://example.org/x", "url: example.org/x", "is not an http(s) URL"),
    # an outcome edited in place would flip the outcome in force without a word
    ('outcome: "no"\n    resolved_on: 2019-02-28', 'outcome: "yes"\n    resolved_on: 2019-02-28',
     "question q1 already has the outcome 'no' in force; a record changes it only with `action: correct`"),
    ("  - id: f4\n", "  - id: f1\n", "forecast ids: 'f1' is listed twice"),
    ("title: A brief\n", "title: A brief\n  title: Another\n", "duplicate key 'title'"),
    ("    affiliation: Example Institute\n", "    affiliation: Example Institute\n    age: 40\n",
     "unknown field 'age'"),
    ("document:\n", "document:\n  - [\n", "broken YAML"),
    # an outcome's date is checked as `tracker resolve` checks it, unless the entry accepts it with a reason
    ("resolved_on: 2019-06-01", "resolved_on: 2019-01-01",
     "resolved_on: known on 2019-01-01, before question q3's first forecast (2019-02-26); if it is right, "
     "add `accept_date: true` and a note"),
    ("resolved_on: 2019-06-01", "resolved_on: 2099-06-01", "known on 2099-06-01, which is in the future"),
    ("resolved_on: 2019-06-01", "resolved_on: 2019-01-01\n    accept_date: true",
     "accept_date: true needs a note saying why the date is right"),
    ("resolved_on: 2019-06-01", "resolved_on: 2019-06-01\n    accept_date: 5",
     "accept_date: true (the note says why the date is right) or the reason, got 5"),
]


@pytest.mark.parametrize("old,new,message", BAD)
def test_bad_record_is_refused_with_nothing_changed(small_db, small_record, old, new, message):
    assert old in SMALL_RECORD
    small_record.write_text(SMALL_RECORD.replace(old, new, 1))
    before = dump(small_db)
    with pytest.raises(TrackerError) as e:
        import_records(small_db, [load_record(small_record)])
    assert message in str(e.value)
    assert str(small_record) in str(e.value)
    assert "\n" not in str(e.value)
    assert dump(small_db) == before


def test_error_names_the_line(small_record):
    small_record.write_text(SMALL_RECORD.replace("probability: 0.3", "probability: 3"))
    with pytest.raises(TrackerError) as e:
        load_record(small_record)
    line = SMALL_RECORD.splitlines().index("  - id: f2") + 1
    assert f"{small_record}:{line}: forecast f2 probability" in str(e.value)


def test_two_files_defining_one_question_differently(db, tmp_path, small_record):
    other = tmp_path / "records" / "doc-b.yml"
    other.write_text(SMALL_RECORD.replace("id: doc-a", "id: doc-b").replace(
        "Will X happen by March 2019?", "Will X happen?").replace("id: f", "id: g").replace(
        "conditional_on: f1", "conditional_on: g1"))
    with pytest.raises(TrackerError, match="question q1 is defined differently"):
        import_records(db, [load_record(small_record), load_record(other)])
    assert db["forecasts"].count == 0


def test_a_question_shared_by_two_documents(db, tmp_path, small_record):
    other = tmp_path / "records" / "doc-b.yml"
    other.write_text(SMALL_RECORD.replace("id: doc-a", "id: doc-b").replace("id: f", "id: g").replace(
        "conditional_on: f1", "conditional_on: g1"))
    import_records(db, [load_record(small_record), load_record(other)])
    assert db["questions"].count == 3
    assert db["forecasts"].count == 8
    # the same outcome log in both files is one log, not two
    assert db.execute("select count(*) from outcomes").fetchone()[0] == 2
    export_dir = tmp_path / "out"
    export_records(db, export_dir)
    fresh = open_db(tmp_path / "fresh.db")
    import_records(fresh, [load_record(p) for p in sorted(export_dir.glob("*.yml"))])
    assert dump(fresh) != [] and fresh["forecasts"].count == 8
    assert fresh.execute("select count(*) from outcomes").fetchone()[0] == 2


CORRECTION = """  - question: q1
    action: correct
    outcome: "yes"
    resolved_on: 2019-03-01
    note: The first report was wrong.
  - question: q3
"""


def test_a_record_corrects_an_outcome_in_force_only_by_saying_so(small_db, small_record):
    from tracker.ledger.outcomes import current_outcome, history

    small_record.write_text(SMALL_RECORD.replace("  - question: q3\n", CORRECTION, 1))
    import_records(small_db, [load_record(small_record)])
    assert current_outcome(small_db, "q1")["outcome"] == "yes"
    assert [o["action"] for o in history(small_db, "q1")] == ["resolve", "correct"]
    brier = small_db.execute("select brier from forecast_scores where forecast_id = 'f1'").fetchone()[0]
    assert brier == pytest.approx(0.04)


def test_an_odd_outcome_date_is_accepted_with_its_reason_and_round_trips(db, tmp_path, small_record):
    from typer.testing import CliRunner

    from tracker.cli import app

    for accept in ("accept_date: true\n    note: The news broke before the brief.",
                   "accept_date: It was known early; the brief did not know it."):
        small_record.write_text(SMALL_RECORD.replace("resolved_on: 2019-06-01",
                                                     f"resolved_on: 2019-01-01\n    {accept}"))
        path = tmp_path / f"{len(accept)}.db"
        ledger = open_db(path)
        import_records(ledger, [load_record(small_record)])
        assert next(ledger.query("select resolved_on from current_outcomes where question_id = 'q3'"))[
            "resolved_on"] == "2019-01-01"
        ledger.close()
    # an odd date accepted at the command line exports with the flag, and the export imports as it is
    small_record.write_text(SMALL_RECORD)
    ledger = open_db(tmp_path / "cli2.db")
    import_records(ledger, [load_record(small_record)])
    ledger.close()
    result = CliRunner().invoke(app, ["resolve", "q2", "--outcome", "yes", "--on", "2019-01-05", "--accept-date",
                                      "--note", "Y was announced early.", "--db", str(tmp_path / "cli2.db")])
    assert result.exit_code == 0, result.output
    first, second = tmp_path / "first", tmp_path / "second"
    ledger = open_db(tmp_path / "cli2.db")
    export_records(ledger, first)
    ledger.close()
    text = (first / "doc-a.yml").read_text(encoding="utf-8")
    assert "resolved_on: 2019-01-05\n    accept_date: true\n" in text
    again = open_db(tmp_path / "again.db")
    import_records(again, [load_record(p) for p in sorted(first.glob("*.yml"))])
    export_records(again, second)
    again.close()
    assert (second / "doc-a.yml").read_text(encoding="utf-8") == text
