"""The audit trail: every change to the ledger, with old and new values, who, which command, why."""

import json
import sqlite3

from typer.testing import CliRunner

from tracker.cli import app
from tracker.ledger.outcomes import resolve, unresolve
from tracker.ledger.records.load import load_record
from tracker.ledger.records.write import import_records

from conftest import SMALL_RECORD, dump

runner = CliRunner()


def test_a_change_records_old_and_new_values_who_and_why(small_db, small_record):
    from tracker.ledger.audit import record_changes

    small_record.write_text(SMALL_RECORD.replace("probability: 0.8", "probability: 0.7"))
    import_records(small_db, [load_record(small_record)], note="re-read the words")
    trail = record_changes(small_db, "f1")
    assert [c["operation"] for c in trail if c["table"] == "forecasts"] == ["insert", "update"]
    update = next(c for c in trail if c["operation"] == "update")
    assert update["changes"] == {"probability": {"old": 0.8, "new": 0.7}}
    assert update["note"] == "re-read the words" and update["by"] == "test-analyst"


def test_removed_author_link_is_a_delete_in_the_trail(small_db, small_record):
    from tracker.ledger.audit import record_changes

    small_record.write_text(SMALL_RECORD.replace("authors: [ann, bob]", "authors: [ann]"))
    import_records(small_db, [load_record(small_record)])
    links = [c for c in record_changes(small_db, "f2") if c["table"] == "forecast_authors"]
    deleted = [c for c in links if c["operation"] == "delete"]
    assert {tuple(c["key"].values()) for c in deleted} >= {("f2", "bob")}


def test_outcome_log_and_evidence_in_a_questions_trail(small_db):
    from tracker.ledger.audit import record_changes

    resolve(small_db, "q2", "yes", resolved_on="2019-05-01", note="seen in the news",
            evidence=[{"url": "https://example.org/q2", "summary": "it happened"}])
    unresolve(small_db, "q2", note="source retracted")
    trail = record_changes(small_db, "q2")
    notes = [c["note"] for c in trail if c["table"] == "outcomes"]
    assert notes == ["seen in the news", "source retracted"]
    assert any(c["table"] == "outcome_evidence" and c["changes"]["url"]["new"] == "https://example.org/q2"
               for c in trail)


def test_a_command_that_changes_nothing_leaves_no_trace(small_db, small_record):
    before = dump(small_db)
    import_records(small_db, [load_record(small_record)], note="again")
    assert dump(small_db) == before


def test_change_log_view_reads_in_any_sqlite_client(small_db, db_path):
    resolve(small_db, "q2", "no", note="why not")
    conn = sqlite3.connect(db_path)
    rows = conn.execute("select table_name, record, operation, by, note from change_log "
                        "where table_name = 'outcomes' and note = 'why not'").fetchall()
    assert rows == [("outcomes", rows[0][1], "insert", "test-analyst", "why not")]


def test_history_command_for_any_record(small_record):
    assert runner.invoke(app, ["import", str(small_record), "--note", "first"]).exit_code == 0
    out = runner.invoke(app, ["history", "f1", "--json"])
    assert out.exit_code == 0, out.output
    trail = json.loads(out.stdout)
    assert trail[0]["note"] == "first" and trail[0]["command"].startswith("tracker ")
    text = runner.invoke(app, ["history", "q1", "--changes"]).stdout
    assert "insert questions q1" in text and "first" in text
    # a question without --changes still gives its outcome log (the issue 2 contract)
    log = json.loads(runner.invoke(app, ["history", "q1", "--json"]).stdout)
    assert log[0]["action"] == "resolve"
    author = runner.invoke(app, ["history", "ann"])
    assert author.exit_code == 0 and "insert authors ann" in author.stdout


def test_history_of_an_ambiguous_id_asks_for_the_kind(small_record, tmp_path):
    # a question and a forecast may share an id; the command asks which is meant
    rec = SMALL_RECORD.replace("  - id: f4\n", "  - id: q1\n")
    p = tmp_path / "x.yml"
    p.write_text(rec)
    assert runner.invoke(app, ["import", str(p)]).exit_code == 0
    out = runner.invoke(app, ["history", "q1", "--changes"])
    assert out.exit_code == 1 and "pass --kind" in out.stderr
    ok = runner.invoke(app, ["history", "q1", "--changes", "--kind", "forecast"])
    assert ok.exit_code == 0 and "insert forecasts q1" in ok.stdout


def test_every_audit_table_has_its_group_indexed(db):
    # dropping an empty change group checks every audit table for rows of that group (foreign
    # keys): without these indexes, by reading them whole (test_incremental counts the steps)
    from tracker.ledger.audit import AUDITED

    for table in AUDITED:
        indexed = {r[2] for (name,) in db.conn.execute(f"select name from pragma_index_list('_history_json_{table}')")
                   for r in db.conn.execute(f"pragma index_info([{name}])")}
        assert "group" in indexed, table
