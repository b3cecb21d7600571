"""Unknown ids: one error everywhere (tracker.ledger.ids.unknown), with "did you mean …" from the
closest ids, and names for authors; the message's first part stays what it always was."""

import sqlite3

import pytest
from typer.testing import CliRunner

from tracker.cli import app
from tracker.errors import TrackerError
from tracker.ledger import ids
from tracker.ledger.connection import Ledger

runner = CliRunner()


def test_the_closest_ids_are_suggested(small_db):
    assert ids.close_matches(small_db, "question", "q22") == ["q2"]
    assert ids.close_matches(small_db, "document", "doc-b") == ["doc-a"]
    assert ids.close_matches(small_db, "question", "nothing-like-it") == []


def test_an_author_is_suggested_once_by_id_or_name_whichever_is_closer(small_db):
    assert ids.close_matches(small_db, "author", "an") == ["ann"]
    assert ids.close_matches(small_db, "author", "Ann Exmple") == ["Ann Example"]
    assert ids.close_matches(small_db, "author", "ann example") == ["Ann Example"]  # case aside
    assert ids.close_matches(small_db, "author", "annn", names=False) == ["ann"]


def test_several_kinds_and_ids_not_in_the_ledger_yet(small_db):
    assert ids.close_matches(small_db, ["question", "forecast"], "f33") == ["f3"]
    assert ids.close_matches(small_db, "question", "q-new1", also=["q-new"]) == ["q-new"]


def test_the_message():
    assert ids.did_you_mean([]) == ""
    assert ids.did_you_mean(["a"]) == "; did you mean 'a'?"
    assert ids.did_you_mean(["a", "b", "c"]) == "; did you mean 'a', 'b' or 'c'?"


def test_unknown_keeps_the_message_and_adds_the_suggestion_or_the_hint(small_db):
    err = ids.unknown(small_db, "question", "q22")
    assert isinstance(err, TrackerError)
    assert str(err) == "question 'q22': no such question; did you mean 'q2'?"
    assert str(ids.unknown(small_db, "question", "zzz", hint=" (see `tracker questions`)")) == \
        "question 'zzz': no such question (see `tracker questions`)"
    assert str(ids.unknown(small_db, "document", "doc-b", "--document 'doc-b': no such document")) == \
        "--document 'doc-b': no such document; did you mean 'doc-a'?"


def test_a_large_table_offers_the_ids_that_sort_next_to_the_one_given():
    conn = sqlite3.connect(":memory:")
    conn.execute("create table forecasts (id text primary key)")
    conn.executemany("insert into forecasts values (?)", [(f"fc-{i:06d}",) for i in range(ids.SCAN_LIMIT + 10)])
    db = Ledger(conn)
    assert ids.close_matches(db, "forecast", "fc-001234x", n=1) == ["fc-001234"]


def test_what_a_suggestion_reads_is_bounded_however_large_the_table():
    """SQLite's work (in steps of 1,000) for a suggestion: the same on 2 and on 20 times SCAN_LIMIT ids."""
    def steps(n):
        conn = sqlite3.connect(":memory:")
        conn.execute("create table forecasts (id text primary key)")
        conn.executemany("insert into forecasts values (?)", [(f"fc-{i:07d}",) for i in range(n)])
        count = [0]
        conn.set_progress_handler(lambda: count.__setitem__(0, count[0] + 1), 1000)
        assert ids.close_matches(Ledger(conn), "forecast", "fc-0001234x", n=1) == ["fc-0001234"]
        return count[0]

    assert steps(20 * ids.SCAN_LIMIT) <= steps(2 * ids.SCAN_LIMIT) + 2


@pytest.mark.parametrize("argv,message", [
    (["resolve", "q22", "--outcome", "yes"], "question 'q22': no such question; did you mean 'q2'?"),
    (["unresolve", "q33"], "question 'q33': no such question; did you mean 'q3'?"),
    (["history", "q11"], "'q11': no document, question, forecast or author has this id; did you mean 'q1'?"),
    (["history", "f44", "--changes"], "did you mean 'f4'?"),
    (["forecasts", "--author", "Bob Othr"], "--author 'Bob Othr': no such author (by id or name); "
                                            "did you mean 'Bob Other'?"),
    (["forecasts", "--question", "q22"], "--question 'q22': no such question; did you mean 'q2'?"),
    (["forecasts", "--document", "doc-b"], "--document 'doc-b': no such document; did you mean 'doc-a'?"),
    (["compare", "ann", "bobb"], "--author 'bobb': no such author (by id or name); did you mean 'bob'?"),
    (["calibration", "--author", "anne"], "did you mean 'ann'?"),
    (["calibration", "--document", "doc-b"], "--document 'doc-b': no such document; did you mean 'doc-a'?"),
    (["extract", "doc-b"], "document 'doc-b': no such document in the ledger; did you mean 'doc-a'?"),
])
def test_every_command_suggests(small_db, argv, message):
    result = runner.invoke(app, argv)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: ") and message in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1


def test_a_record_file_is_told_of_the_ids_in_it_and_in_the_ledger(small_db, small_record, tmp_path):
    from tracker.ledger.records.load import load_record
    from tracker.ledger.records.write import import_records

    other = tmp_path / "other.yml"
    other.write_text("questions:\n  - id: q-fresh\n    title: New?\n    resolve_by: 2020-01-01\n"
                     "forecasts:\n  - id: g1\n    question: q-frsh\n    authors: [bob]\n    probability: 0.4\n"
                     "    made_on: 2019-05-01\n    method: stated\n"
                     "  - id: g2\n    question: q22\n    authors: [bob]\n    probability: 0.4\n"
                     "    made_on: 2019-05-01\n    method: stated\n", encoding="utf-8")
    with pytest.raises(TrackerError, match=r"forecast g1: unknown question 'q-frsh'; did you mean 'q-fresh'\?$"):
        import_records(small_db, [load_record(other)])
    other.write_text(other.read_text().replace("q-frsh", "q-fresh"), encoding="utf-8")
    with pytest.raises(TrackerError, match=r"forecast g2: unknown question 'q22'; did you mean 'q2'\?$"):
        import_records(small_db, [load_record(other)])
