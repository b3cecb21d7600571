"""The analyst's desk: listing questions (open, due, matching a search), authors and documents,
through the plain functions (tracker.ledger.listing, tracker.scores.reports.authors) and the
commands, on the small ledger of tests/conftest.py."""

import json

import pytest
from typer.testing import CliRunner

from tracker.cli import app
from tracker.errors import TrackerError
from tracker.ledger import listing
from tracker.scores import reports

runner = CliRunner()

Q1 = {"id": "q1", "title": "Will X happen by March 2019?", "resolve_by": "2019-03-01", "kind": "binary",
      "topics": ["korea", "sanctions"], "outcome": "no", "resolved_on": "2019-02-28", "forecasts": 2, "authors": 2}
Q2 = {"id": "q2", "title": "Will Y happen in 2019?", "resolve_by": "2019-12-31", "kind": "binary",
      "topics": ["korea"], "outcome": None, "resolved_on": None, "forecasts": 1, "authors": 2}
Q3 = {"id": "q3", "title": "Will Z happen in 2019?", "resolve_by": "2019-12-31", "kind": "binary",
      "topics": [], "outcome": "no", "resolved_on": "2019-06-01", "forecasts": 1, "authors": 1}
ANN = {"id": "ann", "name": "Ann Example", "affiliation": "Example Institute", "documents": 1, "forecasts": 3,
       "scored": 2}
BOB = {"id": "bob", "name": "Bob Other", "affiliation": None, "documents": 0, "forecasts": 2, "scored": 1}
DOC_A = {"id": "doc-a", "title": "A brief", "publisher": "Example Institute", "published_on": "2019-02-26",
         "language": "en", "authors": ["Ann Example"], "forecasts": 4}


def cli(*args):
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


def test_questions_soonest_due_first(small_db):
    assert listing.questions(small_db) == [Q1, Q2, Q3]


def test_open_questions_have_no_outcome_in_force(small_db):
    assert listing.questions(small_db, open_only=True) == [Q2]
    from tracker.ledger.outcomes import unresolve

    unresolve(small_db, "q3")
    assert [q["id"] for q in listing.questions(small_db, open_only=True)] == ["q2", "q3"]


def test_due_questions_are_open_and_past_their_resolve_by_date(small_db):
    assert listing.questions(small_db, due_on="2019-12-31") == []  # due on the day itself is not yet past it
    assert listing.questions(small_db, due_on="2020-01-01") == [Q2]
    from tracker.ledger.outcomes import unresolve

    unresolve(small_db, "q1")
    assert [q["id"] for q in listing.questions(small_db, due_on="2019-03-02")] == ["q1"]


def test_search_over_title_and_criteria(small_db):
    assert listing.questions(small_db, search="march") == [Q1]
    assert listing.questions(small_db, search="reported") == [Q1]  # in the criteria only
    assert listing.questions(small_db, search="happen", open_only=True) == [Q2]
    assert listing.questions(small_db, search="nothing") == []


@pytest.mark.parametrize("query", ["AND (", '"unclosed', "   "])
def test_a_bad_search_is_one_error(small_db, query):
    with pytest.raises(TrackerError, match=r"^--search"):
        listing.questions(small_db, search=query)


def test_authors_with_their_documents_forecasts_and_scored_n(small_db):
    assert listing.authors(small_db) == [{k: v for k, v in a.items() if k != "scored"} for a in (ANN, BOB)]
    assert reports.authors(small_db) == [ANN, BOB]


def test_documents(small_db):
    assert listing.documents(small_db) == [DOC_A]


def test_an_empty_ledger_lists_nothing(db):
    assert listing.questions(db) == listing.documents(db) == reports.authors(db) == []
    assert cli("questions").stdout == "No questions.\n"
    assert cli("authors").stdout == "No authors.\n"
    assert cli("documents").stdout == "No documents.\n"


def test_the_commands_json_is_the_functions(small_db):
    assert json.loads(cli("questions", "--json").stdout) == [Q1, Q2, Q3]
    assert json.loads(cli("questions", "--open", "--json").stdout) == [Q2]
    assert json.loads(cli("questions", "--due", "--as-of", "2020-01-01", "--json").stdout) == [Q2]
    assert json.loads(cli("questions", "--due", "--as-of", "31 December 2019", "--json").stdout) == []
    assert json.loads(cli("questions", "--due", "--json").stdout) == [Q2]  # as of today, long after 2019
    assert json.loads(cli("questions", "--search", "march OR z", "--json").stdout) in ([Q1, Q3], [Q3, Q1])
    assert json.loads(cli("authors", "--json").stdout) == [ANN, BOB]
    assert json.loads(cli("documents", "--json").stdout) == [DOC_A]


def test_the_commands_tables(small_db):
    assert cli("questions").stdout.splitlines() == [
        "id  title                         resolve by  outcome  forecasts  authors",
        "--  ----------------------------  ----------  -------  ---------  -------",
        "q1  Will X happen by March 2019?  2019-03-01  no       2          2",
        "q2  Will Y happen in 2019?        2019-12-31  open     1          2",
        "q3  Will Z happen in 2019?        2019-12-31  no       1          1",
    ]
    assert cli("authors").stdout.splitlines() == [
        "id   name         affiliation        documents  forecasts  scored n",
        "---  -----------  -----------------  ---------  ---------  --------",
        "ann  Ann Example  Example Institute  1          3          2",
        "bob  Bob Other    –                  0          2          1",
    ]
    assert cli("documents").stdout.splitlines() == [
        "id     title    publisher          published   lang  authors      forecasts",
        "-----  -------  -----------------  ----------  ----  -----------  ---------",
        "doc-a  A brief  Example Institute  2019-02-26  en    Ann Example  4",
    ]


@pytest.mark.parametrize("argv,message", [
    (["questions", "--search", "AND ("], "--search 'AND (': not a full-text query (fts5: syntax error"),
    (["questions", "--as-of", "2020-01-01"], "--as-of: goes with --due"),
    (["questions", "--due", "--as-of", "2019-02-30"], "--as-of: '2019-02-30' is not a real date"),
])
def test_bad_options_are_one_line(small_db, argv, message):
    result = runner.invoke(app, argv)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: ") and message in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1


def test_a_long_title_is_cut_in_the_table_but_whole_in_json(small_db):
    long_title = "Will " + "a very long thing " * 6 + "happen?"
    small_db.execute("update questions set title = ? where id = 'q2'", [long_title])
    small_db.conn.commit()
    line = next(ln for ln in cli("questions").stdout.splitlines() if ln.startswith("q2"))
    assert long_title[:47] + "…" in line and long_title not in line
    assert json.loads(cli("questions", "--open", "--json").stdout)[0]["title"] == long_title
