"""The analyst's desk: recording one forecast, question, author or document from the command line,
through the plain functions (tracker.ledger.adding) and the commands; what they record goes back to
forecasts/ (export → import changes nothing); documents by URL come from a local web server."""

import http.server
import json
import threading

import pytest
from typer.testing import CliRunner

from tracker.cli import app
from tracker.errors import TrackerError
from tracker.ledger import adding

from conftest import dump

runner = CliRunner()


def cli(*args):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


def cli_json(*args):
    return json.loads(cli(*args, "--json").stdout)


@pytest.fixture
def server(tmp_path):
    """A web server on 127.0.0.1 serving tmp_path/site: what `document add --url` fetches in tests."""
    site = tmp_path / "site"
    site.mkdir()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(site), **kwargs)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield site, f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


# ------------------------------------------------------------------------------ the plain functions

def test_a_stated_forecast_on_an_existing_question(small_db):
    row = adding.add_forecast(small_db, "q1", ["Ann Example"], adding.Reading("stated", 0.4), made_on="2019-02-01")
    assert row["id"] == "q1-ann-2019-02-01" and row["authors"] == ["ann"]  # found by her name
    assert row["method"] == "stated" and row["coded_by"] is None
    scored = small_db.execute("select count(*) from forecast_scores where forecast_id = ?", [row["id"]]).fetchone()
    assert scored == (1,)


def test_a_scale_gives_the_probability_and_interval(small_db):
    row = adding.add_forecast(small_db, "q2", ["bob"], adding.Reading("scale", scale="icd-203"), phrase="likely",
                              made_on="2019-03-01", document="doc-a")
    assert (row["probability"], row["interval_low"], row["interval_high"]) == (0.675, 0.55, 0.8)
    assert row["scale_version"] == "2015" and row["id"] == "doc-a-05" and row["coded_by"] == "test-analyst"


def test_a_reading_the_scale_does_not_give_is_refused(small_db):
    before = dump(small_db)
    with pytest.raises(TrackerError, match=r"icd-203 reads 'likely' as 0.675 \[0.55, 0.8\], not 0.9"):
        adding.add_forecast(small_db, "q2", ["bob"], adding.Reading("scale", 0.9, scale="icd-203"), phrase="likely",
                            made_on="2019-03-01")
    with pytest.raises(TrackerError, match="--scale 'no-such-scale': no such scale of words"):
        adding.add_forecast(small_db, "q2", ["bob"], adding.Reading("scale", scale="no-such-scale"),
                            phrase="likely", made_on="2019-03-01")
    with pytest.raises(TrackerError, match="the analyst's own reading needs the reasoning"):
        adding.add_forecast(small_db, "q2", ["bob"], adding.Reading("analyst", 0.9), made_on="2019-03-01")
    assert dump(small_db) == before


def test_the_analysts_own_reading_of_a_scales_words(small_db):
    row = adding.add_forecast(small_db, "q2", ["bob"], adding.Reading("analyst", 0.9, 0.8, 0.95, scale="icd-203",
                                                                     reasoning="Said twice, firmly."),
                              phrase="likely", made_on="2019-03-01")
    assert (row["method"], row["probability"], row["scale"]) == ("analyst", 0.9, "icd-203")


def test_a_new_question_document_and_author_in_one_write(small_db):
    row = adding.add_forecast(
        small_db, "q-new", ["Victor Cha"], adding.Reading("stated", 0.6), affiliations=["CSIS"],
        new_question=adding.NewQuestion("Will W happen?", "Yes if W.", "2019-12-31", ["korea"]),
        new_document=adding.NewDocument("https://example.org/cha", "Cha on the summit", published_on="2019-02-25"),
        quote="Sixty percent.")
    assert row["document_id"] == "cha-on-the-summit" and row["made_on"] == "2019-02-25"
    assert small_db["authors"].get("victor-cha")["affiliation"] == "CSIS"
    assert small_db["questions"].get("q-new")["topics"] == '["korea"]'
    assert [r[0] for r in small_db.execute("select author_id from document_authors "
                                            "where document_id = 'cha-on-the-summit'")] == ["victor-cha"]


def test_a_failed_forecast_leaves_nothing_behind(small_db):
    before = dump(small_db)
    with pytest.raises(TrackerError, match="after question q-new's resolve-by date 2019-01-31"):
        adding.add_forecast(small_db, "q-new", ["New Person"], adding.Reading("stated", 0.6),
                            new_question=adding.NewQuestion("Will W happen?", resolve_by="2019-01-31"),
                            new_document=adding.NewDocument("https://example.org/w", "W"), made_on="2019-02-01")
    assert dump(small_db) == before


def test_unknown_ids_say_what_was_meant(small_db):
    with pytest.raises(TrackerError, match="question 'q22': no such question; did you mean 'q2'"):
        adding.add_forecast(small_db, "q22", ["ann"], adding.Reading("stated", 0.5), made_on="2019-01-01")
    with pytest.raises(TrackerError, match="to create it, give its --title"):
        adding.add_forecast(small_db, "zzzzzzzz", ["ann"], adding.Reading("stated", 0.5), made_on="2019-01-01")
    with pytest.raises(TrackerError, match="--document 'doc-b': no such document; did you mean 'doc-a'"):
        adding.add_forecast(small_db, "q2", ["ann"], adding.Reading("stated", 0.5), document="doc-b",
                            made_on="2019-01-01")


def test_two_names_never_make_one_author_silently(small_db):
    adding.add_author(small_db, "Crisis Group")
    before = dump(small_db)
    with pytest.raises(TrackerError, match="'crisis group': would get the id 'crisis-group' of 'Crisis Group'"):
        adding.add_forecast(small_db, "q2", ["crisis group"], adding.Reading("stated", 0.5), made_on="2019-01-01")
    with pytest.raises(TrackerError, match="would get the id 'crisis-group' of 'Crisis Group'"):
        adding.add_author(small_db, "crisis group")
    assert dump(small_db) == before
    assert adding.add_author(small_db, "Crisis Group")["status"] == "unchanged"
    row = adding.add_author(small_db, "CRISIS GROUP", same_person=True)
    assert row["id"] == "crisis-group" and row["name"] == "Crisis Group"
    assert small_db.execute("select author_id from author_aliases where name = 'CRISIS GROUP'").fetchone() == (
        "crisis-group",)
    # the declared name now finds them, and so does --same-person on a forecast
    f = adding.add_forecast(small_db, "q2", ["CRISIS GROUP"], adding.Reading("stated", 0.5), made_on="2019-01-01")
    assert f["authors"] == ["crisis-group"]
    f = adding.add_forecast(small_db, "q2", ["crisis group"], adding.Reading("stated", 0.5), made_on="2019-01-02",
                            same_person=True)
    assert f["authors"] == ["crisis-group"]


def test_author_add_creates_and_changes_an_affiliation(small_db):
    assert adding.add_author(small_db, "Crisis Group")["status"] == "created"
    assert adding.add_author(small_db, "Crisis Group", affiliation="ICG")["status"] == "updated"
    assert adding.add_author(small_db, "Crisis Group", affiliation="ICG")["status"] == "unchanged"


def test_question_add_and_the_same_again(small_db):
    q = adding.add_question(small_db, "q-mc", "Who wins?", options=["red", "blue"], resolve_by="2019-12-31")
    assert q["kind"] == "multiple_choice" and q["status"] == "created"
    assert adding.add_question(small_db, "q-mc", "Who wins?", options=["red", "blue"],
                               resolve_by="2019-12-31")["status"] == "unchanged"
    with pytest.raises(TrackerError, match="'q-mc': is already recorded with another title"):
        adding.add_question(small_db, "q-mc", "Who loses?")


def test_a_quote_is_checked_against_the_stored_text(db, tmp_path):
    from tracker.ledger.documents import add_document

    brief = tmp_path / "brief.txt"
    brief.write_text("A brief.\n\nAn agreement is to be\nexpected at the summit.\n", encoding="utf-8")
    add_document(db, brief, id="b", title="Brief", published_on="2019-02-01", authors=["Ann"])
    adding.add_question(db, "q", "Will they agree?", resolve_by="2019-03-01")
    row = adding.add_forecast(db, "q", ["Ann"], adding.Reading("stated", 0.7), document="b",
                              quote="An agreement is to be expected at the summit.")
    assert row["quote_offset"] == 9 and row["made_on"] == "2019-02-01"
    with pytest.raises(TrackerError, match="is not in the text of document 'b'"):
        adding.add_forecast(db, "q", ["Ann"], adding.Reading("stated", 0.7), document="b", quote="Nothing like it.")


# ------------------------------------------------------------------------------ the commands

def test_forecast_add_on_the_command_line(small_record):
    cli("import", small_record)
    out = cli("forecast", "add", "q2", "--author", "Bob Other", "--scale", "icd-203", "--phrase", "likely",
              "--made-on", "1 March 2019").stdout
    assert out == "Recorded q2-bob-2019-03-01: 0.675 [0.55, 0.8] (scale: icd-203 2015) on q2 by bob, made 2019-03-01\n"
    data = cli_json("forecast", "add", "q2", "--author", "ann", "--stated", "40%", "--made-on", "2019-03-02")
    assert data["probability"] == 0.4 and data["id"] == "q2-ann-2019-03-02"
    assert [f["id"] for f in cli_json("forecasts", "--question", "q2")] == ["f2", "q2-bob-2019-03-01",
                                                                            "q2-ann-2019-03-02"]


def test_question_and_author_add_on_the_command_line(small_record):
    cli("import", small_record)
    assert cli("question", "add", "q-third-summit", "--title", "Will a third summit be held in 2019?",
               "--resolve-by", "31 December 2019", "--topic", "korea").stdout == (
        "Recorded q-third-summit: Will a third summit be held in 2019? (resolve by 2019-12-31)\n")
    assert cli_json("author", "add", "Eurasia Group")["id"] == "eurasia-group"
    assert cli("author", "add", "Eurasia Group").stdout == "Unchanged: eurasia-group: Eurasia Group\n"


def test_document_add_by_url_fetches_it(server, small_record):
    site, base = server
    (site / "note.html").write_text("<html><head><title>A note on the summit</title></head><body>"
                                    "<p>An agreement is likely.</p></body></html>", encoding="utf-8")
    cli("import", small_record)
    data = cli_json("document", "add", "--url", f"{base}/note.html", "--author", "Institute B")
    assert data["status"] == "created" and data["title"] == "A note on the summit"
    assert data["id"] == "a-note-on-the-summit"
    version = cli_json("history", data["id"], "--changes")  # recorded, audited
    assert version
    ledger = cli_json("documents")
    assert [d["authors"] for d in ledger if d["id"] == data["id"]] == [["Institute B"]]


def test_document_add_by_url_without_its_text(small_record):
    cli("import", small_record)
    out = cli("document", "add", "--url", "https://example.org/statement", "--no-fetch", "--title",
              "Statement on the summit", "--author", "Kim Jong Un", "--affiliation", "DPRK").stdout
    assert out == "statement-on-the-summit: added by its URL, without its text — Statement on the summit\n"


def test_an_unreachable_url_is_one_line_and_nothing_written(small_record, db_path):
    import socket

    cli("import", small_record)
    before = dump(db_path)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed once the block ends: nothing listens there
    result = runner.invoke(app, ["document", "add", "--url", f"http://127.0.0.1:{port}/x.html", "--author", "A"])
    assert result.exit_code == 1 and result.stderr.startswith("Error: http://127.0.0.1:")
    assert "pass --no-fetch" in result.stderr and result.stderr.count("\n") == 1
    assert dump(db_path) == before


# ------------------------------------------------------------------------------ back to forecasts/

def test_every_command_that_writes_goes_back_to_forecasts(server, small_record, tmp_path, db_path):
    """What the desk's commands record is exported as record files that import into a new ledger
    holding the same rows, and export again byte for byte."""
    site, base = server
    (site / "brief.txt").write_text("Outlook\n\nA deal is likely.\n", encoding="utf-8")
    cli("import", small_record)
    cli("author", "add", "Crisis Group", "--affiliation", "International Crisis Group")
    cli("question", "add", "q-deal", "--title", "Will there be a deal?", "--resolve-by", "2019-12-31")
    cli("question", "add", "q-mc", "--title", "Who wins?", "--option", "red", "--option", "blue")
    doc = cli_json("document", "add", "--url", f"{base}/brief.txt", "--title", "Outlook", "--author", "Crisis Group",
                   "--published-on", "2019-02-20")
    cli("document", "add", "--url", "https://example.org/s", "--no-fetch", "--title", "A statement",
        "--author", "Kim Jong Un")
    cli("forecast", "add", "q-deal", "--author", "Crisis Group", "--document", doc["id"], "--scale", "icd-203",
        "--phrase", "likely", "--quote", "A deal is likely.")
    cli("forecast", "add", "q-deal", "--author", "Victor Cha", "--stated", "0.6", "--url", "https://example.org/cha",
        "--document-title", "Cha on the summit", "--published-on", "2019-02-25")
    cli("forecast", "add", "q-deal", "--author", "Werner Pfennig", "--analyst", "0.7", "--reasoning", "erwartet",
        "--phrase", "erwartet", "--made-on", "2019-02-26")
    cli("forecast", "add", "q2", "--author", "bob", "--stated", "0.2", "--made-on", "2019-03-01", "--title",
        "Will Y happen in 2019?", "--resolve-by", "2019-12-31", "--topic", "korea")
    exported = tmp_path / "exported"
    cli("export", exported)
    fresh = tmp_path / "fresh.db"
    cli("import", "--db", fresh, exported)
    again = tmp_path / "again"
    cli("export", "--db", fresh, again)
    first = {p.name: p.read_text() for p in exported.iterdir()}
    assert first == {p.name: p.read_text() for p in again.iterdir()}
    import sqlite3

    def rows(path, sql):
        conn = sqlite3.connect(path)
        try:
            return sorted(conn.execute(sql).fetchall())
        finally:
            conn.close()

    for sql in ("select * from forecasts", "select * from forecast_authors", "select * from questions",
                "select id, name, affiliation from authors", "select * from document_authors",
                "select id, title, publisher, published_on, language, url, sha256 from documents"):
        assert rows(db_path, sql) == rows(fresh, sql), sql


def test_an_odd_outcome_date_is_recorded_only_with_a_reason(small_record):
    cli("import", small_record)
    out = cli("resolve", "q2", "--outcome", "yes", "--on", "2019-01-01", "--accept-date", "--note",
              "Announced in January; the brief restated it as a forecast.").stdout
    assert out == "Resolved q2: yes (known 2019-01-01)\n"
