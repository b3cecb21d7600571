"""Bad input, everywhere: one line naming the input and what is wrong, exit 1, no traceback, and
the database byte-for-byte as it was. One table of cases across every command."""

import os
import sqlite3
import stat

import pytest
from typer.testing import CliRunner

from tracker.cli import app
from tracker.imports.adapters.fatebook import FATEBOOK_REQUIRED

from conftest import SMALL_RECORD

runner = CliRunner()


def files(tmp_path):
    """Bad input files, written fresh for each case."""
    made = {}

    def put(name, content, encoding="utf-8"):
        p = tmp_path / name
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content, encoding=encoding)
        made[name] = p
        return p

    header = "question_id,author,probability,made_on\n"
    put("p-high.csv", header + "q1,Ann,1.2,2019-01-01\n")
    put("p-neg.csv", header + "q1,Ann,-0.1,2019-01-01\n")
    put("p-nan.csv", header + "q1,Ann,NaN,2019-01-01\n")
    put("p-inf.csv", header + "q1,Ann,inf,2019-01-01\n")
    put("p-text.csv", header + "q1,Ann,likely,2019-01-01\n")
    put("p-pct.csv", header + "q1,Ann,120%,2019-01-01\n")
    put("date-bad.csv", header + "q1,Ann,0.5,2019-13-01\n")
    put("date-words.csv", header + "q1,Ann,0.5,next spring\n")
    put("date-order.csv", "question_id,author,probability,made_on,resolve_by\nq9,Ann,0.5,2019-06-01,2019-01-01\n")
    put("dup.csv", header + "q9,ann,0.5,2019-01-01\nq9,ann,0.6,2019-01-01\n")
    put("cols.csv", "question,who,p\nq,Ann,0.5\n")
    put("short.csv", header + "q1,Ann\n")
    put("empty.csv", "")
    put("latin1.csv", header + "q1,Jürgen,0.5,2019-01-01\n", encoding="latin-1")
    put("broken.jsonl", '{"question_id": "q1", "author": "Ann", "probability": 0.5,\n')
    put("array.jsonl", "[1, 2, 3]\n")
    put("o-unknown.csv", "question_id,outcome,resolved_on\nnope,yes,2019-01-01\n")
    put("o-word.csv", "question_id,outcome,resolved_on\nq2,perhaps,2019-01-01\n")
    put("o-over.csv", "question_id,outcome,resolved_on\nq1,yes,2019-03-01\n")
    put("o-twice.csv", "question_id,outcome,resolved_on\nq2,yes,2019-03-01\nq2,no,2019-03-01\n")
    put("o-url.csv", "question_id,outcome,resolved_on,evidence\nq2,yes,2019-03-01,www.example.org\n")
    put("o-early.csv", "question_id,outcome,resolved_on\nq2,yes,2019-01-01\n")
    put("o-future.csv", "question_id,outcome,resolved_on\nq2,yes,2999-01-01\n")
    put("table.xlsx", "not a table")
    put("broken.yml", "document:\n  id: [unclosed\n")
    put("empty.yml", "")
    put("list.yml", "- just\n- a list\n")
    put("dupkey.yml", SMALL_RECORD.replace("  title: A brief\n", "  title: A brief\n  title: Again\n"))
    put("latin1.yml", SMALL_RECORD.replace("A brief", "Ein Überblick"), encoding="latin-1")
    put("p-high.yml", SMALL_RECORD.replace("probability: 0.8", "probability: 1.8"))
    put("interval.yml", SMALL_RECORD.replace("interval: [0.7, 0.9]", "interval: [0.9, 0.7]"))
    put("conflict.yml", SMALL_RECORD.replace("probability: 0.3", "probability: 0.35").replace("id: f1\n", "id: f1\n", 1)
        .replace("Will X happen by March 2019?", "Will X happen by April 2019?"))
    put("cond.yml", SMALL_RECORD.replace("conditional_on: f1", "conditional_on: f3"))
    put("scale-mismatch.yml", SMALL_RECORD.replace("method: analyst\n    phrase: zu erwarten",
                                                   "method: scale\n    scale: house-de\n    phrase: zu erwarten"))
    put("scale-unknown.yml", SMALL_RECORD.replace("method: analyst\n    phrase: zu erwarten",
                                                  "method: analyst\n    scale: no-such-scale\n    phrase: zu erwarten"))
    put("scale-version.yml", SMALL_RECORD.replace("method: analyst\n    phrase: zu erwarten",
                                                  "method: analyst\n    scale: house-de\n    scale_version: '7'"))
    put("text.txt", "a text that belongs to no document\n")
    put("notdb.db", "plain text, not SQLite " * 50)
    # the adapters' files (tests/test_adapter_*.py make good ones)
    fatebook = ",".join(FATEBOOK_REQUIRED) + "\n"
    put("fb-empty.csv", "")
    put("fb-latin1.csv", fatebook + "J\u00fcrgen?\n", encoding="latin-1")
    put("fb-broken.csv", fatebook + '"unclosed\n')
    put("fb-short.csv", fatebook + "Just a title,,Ann\n")
    put("pb-empty.jsonl", "\n")
    put("pb-latin1.jsonl", '{"id": 1, "description": "J\u00fcrgen?"}\n', encoding="latin-1")
    put("pb-broken.jsonl", '{"id": 1,\n')
    put("pb-list.jsonl", "[1, 2]\n")
    # hostile input: every class reaches the one reader (tracker.inputs) all files pass through
    put("deep.yml", "a: " + "[" * 20_000 + "]" * 20_000 + "\n")
    put("laughs.yml", "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 20) + "]\n" for i in range(9)))
    put("bigint.yml", SMALL_RECORD.replace("probability: 0.8", "probability: " + "9" * 5000))
    put("surrogate.yml", SMALL_RECORD.replace("A brief", '"A \\ud800 brief"'))
    put("deep.jsonl", '{"question_id": ' + "[" * 20_000 + "]" * 20_000 + "}\n")
    put("bigint.jsonl", '{"question_id": "q1", "author": "Ann", "probability": 0.5, "made_on": "2019-01-01", '
        '"id": ' + "9" * 5000 + "}\n")
    put("surrogate.jsonl", '{"question_id": "q\\ud800", "author": "Ann", "probability": 0.5, '
        '"made_on": "2019-01-01"}\n')
    put("dupkey.jsonl", '{"question_id": "q1", "question_id": "q2", "author": "Ann", "probability": 0.5, '
        '"made_on": "2019-01-01"}\n')
    put("duphead.csv", "question_id,author,probability,made_on,author\nq1,Ann,0.5,2019-01-01,Bob\n")
    put("nul.csv", header + "q1\x00,Ann,0.5,2019-01-01\n")
    put("newline-id.jsonl", '{"id": "f1\\n", "question_id": "q1", "author": "Ann", "probability": 0.5, '
        '"made_on": "2019-01-01"}\n')
    put("long-id.csv", header + "q" * 600 + ",Ann,0.5,2019-01-01\n")
    put("no-zone.csv", header + "q1,Ann,0.5,2019-01-01T10:00\n")
    put("names.csv", header + "q1,Jörg Müller,0.5,2019-01-01\nq2,jörg müller,0.5,2019-01-01\n")
    put("bang.csv", header + "q1,!!!,0.5,2019-01-01\n")
    put("front-date.md", "---\ntitle: A brief\npublished_on: 2019-02-30\n---\n# A brief\n\nText.\n")
    put("front-list.md", "---\ntitle: [a, list]\n---\nText.\n")
    put("side.txt", "A brief text.\n")
    put("side.txt.meta.yml", "published_on: 2019-13-45\n")
    # issue 18, the rest of its classes: each reaches the one reader or the one check of values
    pb = ('{"id": 7, "description": "Rain?", "deadline": "2017-04-17T12:00:00.000Z", "outcome": OUTCOME, '
          '"created_at": "2017-04-14T22:09:21.000Z", "responses": [{"id": 1, "confidence": 60, '
          '"created_at": "2017-04-14T22:09:21.000Z", "user_id": 7, "user_label": "Ann"}]}')
    put("pb-deep.json", '{"predictions": ' + "[" * 20_000 + "]" * 20_000 + "}")
    put("pb-bigint.json", "[" + pb.replace("OUTCOME", "true").replace('"id": 7', '"id": ' + "7" * 5000) + "]")
    put("pb-surrogate.json", "[" + pb.replace("OUTCOME", "true").replace("Rain?", "Rain\\udc00?") + "]")
    put("pb-outcome-text.json", "[" + pb.replace("OUTCOME", '"perhaps"') + "]")
    put("pb-outcome-number.json", "[" + pb.replace("OUTCOME", "5") + "]")
    put("pb-outcome-list.json", "[" + pb.replace("OUTCOME", "[true]") + "]")
    put("pb-dupkey.json", "[" + pb.replace("OUTCOME", "true").replace('"id": 7,', '"id": 7, "id": 8,') + "]")
    put("pb-latin1.json", "[" + pb.replace("OUTCOME", "true").replace("Rain?", "Régen?") + "]", encoding="latin-1")
    put("big-offset.yml", SMALL_RECORD.replace("    phrase: zu erwarten\n", "    phrase: zu erwarten\n"
                                               "    quote: zu erwarten\n    quote_offset: 9223372036854775808\n"))
    put("neg-offset.yml", SMALL_RECORD.replace("    phrase: zu erwarten\n", "    phrase: zu erwarten\n"
                                               "    quote: zu erwarten\n    quote_offset: -3\n"))
    put("author-object.yml", SMALL_RECORD.replace("  authors: [ann]\n", "  authors: [{who: ann}]\n"))
    put("newline-id.yml", SMALL_RECORD.replace("  - id: f4\n", '  - id: "f4\\n"\n'))
    put("nul.yml", SMALL_RECORD.replace("  title: A brief\n", '  title: "A \\0 brief"\n'))
    put("long-doc-id.yml", SMALL_RECORD.replace("id: doc-a", "id: " + "d" * 600))
    put("year-one.yml", SMALL_RECORD.replace("resolved_on: 2019-06-01", "resolved_on: 0001-06-01"))
    put("future-outcome.yml", SMALL_RECORD.replace("resolved_on: 2019-06-01", "resolved_on: 2099-06-01"))
    put("accept-no-note.yml", SMALL_RECORD.replace("resolved_on: 2019-06-01",
                                                   "resolved_on: 2019-01-01\n    accept_date: true"))
    put("bad-resolve-by.yml", SMALL_RECORD.replace("resolve_by: 2019-03-01", "resolve_by: 2019-02-30"))
    put("python-tag.yml", SMALL_RECORD.replace("probability: 0.8", "probability: !!python/object:os.system 1"))
    put("p-nan.yml", SMALL_RECORD.replace("probability: 0.8", "probability: .nan"))
    put("p-bool.yml", SMALL_RECORD.replace("probability: 1.0", "probability: true"))
    put("title-list.yml", SMALL_RECORD.replace("title: Will Y happen in 2019?", "title: [Will, Y]"))
    put("surrogate-key.yml", SMALL_RECORD.replace("  title: A brief\n", '  "ti\\udc00tle": A brief\n'))
    put("front-deep.md", "---\ntitle: " + "[" * 5000 + "]" * 5000 + "\n---\nText.\n")
    put("front-laughs.md", "---\n" + "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 20) + "]\n" for i in range(9))
        + "---\nText.\n")
    put("front-authors.md", "---\ntitle: A brief\nauthors: [{first: Ann, last: Example}]\n---\nText.\n")
    put("front-bigint.md", "---\ntitle: A brief\nauthors: [Ann]\nyear: " + "9" * 5000 + "\n---\nText.\n")
    put("side-path.txt", "A brief text.\n")
    put("side-path.txt.meta.yml", 'authors:\n  - id: "../../etc/passwd\\t"\n    name: Ann\n')
    put("side-title.txt", "A brief text.\n")
    put("side-title.txt.meta.yml", "title: [a, list]\nauthors: [Ann]\n")
    put("side-bang.txt", "A brief text.\n")
    put("side-bang.txt.meta.yml", "authors: ['!!!']\n")
    put("side-latin1.txt", "A brief text.\n")
    put("side-latin1.txt.meta.yml", "title: Überblick\nauthors: [Ann]\n", encoding="latin-1")
    put("bad-meta.yml", "title: [unclosed\n")
    put("list-meta.yml", "- a\n- b\n")
    put("type-meta.yml", "databases: 5\n")
    put("query-meta.yml", "databases:\n  forecasts:\n    queries:\n      mine: [1, 2]\n")
    put("laughs-meta.yml", "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 20) + "]\n" for i in range(9)))
    put("dup-meta.json", '{"title": "A", "title": "B"}')
    put("title-meta.json", '{"title": 5}')
    put("latin1-meta.yml", "title: Prévisions\n", encoding="latin-1")
    put("p-bool.jsonl", '{"question_id": "q1", "author": "Ann", "probability": true, "made_on": "2019-01-01"}\n')
    put("p-huge.jsonl", '{"question_id": "q1", "author": "Ann", "probability": 1e400, "made_on": "2019-01-01"}\n')
    put("p-nan.jsonl", '{"question_id": "q1", "author": "Ann", "probability": NaN, "made_on": "2019-01-01"}\n')
    put("id-list.jsonl", '{"question_id": ["q1"], "author": "Ann", "probability": 0.5, "made_on": "2019-01-01"}\n')
    put("author-object.jsonl", '{"question_id": "q1", "author": {"name": "Ann"}, "probability": 0.5, '
        '"made_on": "2019-01-01"}\n')
    put("huge-field.csv", header + "q1,Ann," + "9" * 200_000 + ",2019-01-01\n")
    put("bom-dup.csv", "\ufeffquestion_id,author,probability,made_on,probability\nq1,Ann,0.5,2019-01-01,0.6\n")
    put("control.csv", header + "q1,Zed\x07,0.5,2019-01-01\n")
    put("year-one.csv", "question_id,outcome,resolved_on\nq2,yes,0001-01-01\n")
    put("year-big.csv", header + "q1,Ann,0.5,99999-01-01\n")
    put("fb-duphead.csv", ",".join(FATEBOOK_REQUIRED + [FATEBOOK_REQUIRED[0]]) + "\n")
    put("gjp-survey.csv", "ifp_id,ctt,cond,training,team,user_id,forecast_id,fcast_type,answer_option,value,"
        "fcast_date,expertise,q_status,viewtime,year,timestamp\n")
    (tmp_path / "gjp").mkdir()
    put("gjp/survey.csv", "ifp_id,ctt,cond,training,team,user_id,forecast_id,fcast_type,answer_option,value,"
        "fcast_date,expertise,q_status,viewtime,year,timestamp\n")
    os.mkfifo(tmp_path / "gjp" / "ifps.csv")
    (tmp_path / "gjp2").mkdir()
    put("gjp2/survey.csv", "ifp_id,ctt,cond,training,team,user_id,forecast_id,fcast_type,answer_option,value,"
        "fcast_date,expertise,q_status,viewtime,year,timestamp\n")
    put("gjp2/ifps.csv", "ifp_id,q_type,q_text,q_desc,q_status,date_start,date_suspend,date_to_close,date_closed,"
        "outcome,short_title,days_open,n_opts,options,outcome\n")
    # someone's own SQLite file, and a ledger of a newer tracker
    notes = tmp_path / "notes.db"
    conn = sqlite3.connect(notes)
    conn.execute("create table notes (body text)")
    conn.execute("insert into notes values ('mine')")
    conn.commit()
    conn.close()
    made["notes.db"] = notes
    fifo_db = tmp_path / "pipe.db"
    os.mkfifo(fifo_db)
    made["pipe.db"] = fifo_db
    (tmp_path / "snapdir").mkdir()
    (tmp_path / "adir.txt").mkdir()
    put("snapdir/mine.txt", "the user's own")
    (tmp_path / "scales").mkdir()
    put("scales/deep-scale.yml", "name: deep-scale\nterms: " + "[" * 5000 + "]" * 5000 + "\n")
    (tmp_path / "dir.csv").mkdir()
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    made["pipe.csv"] = fifo
    fifo_doc = tmp_path / "pipe.txt"
    os.mkfifo(fifo_doc)
    made["pipe.txt"] = fifo_doc
    bad = tmp_path / "badrecords"
    bad.mkdir()
    (bad / "a.yml").write_text("document: [\n")
    made["badrecords"] = bad
    return made


CASES = [
    # (name, argv with {file} placeholders, text the message must contain)
    ("probability above 1", ["import", "--kind", "forecasts", "{p-high.csv}"],
     "p-high.csv:2: probability: '1.2' is outside [0, 1]"),
    ("negative probability", ["import", "--kind", "forecasts", "{p-neg.csv}"],
     "p-neg.csv:2: probability: '-0.1' is outside"),
    ("NaN", ["import", "--kind", "forecasts", "{p-nan.csv}"], "p-nan.csv:2: probability: 'NaN' is not a finite number"),
    ("infinity", ["import", "--kind", "forecasts", "{p-inf.csv}"], "probability: 'inf' is not a finite number"),
    ("words for a number", ["import", "--kind", "forecasts", "{p-text.csv}"], "probability: 'likely' is not a number"),
    ("percentage above 100", ["import", "--kind", "forecasts", "{p-pct.csv}"], "probability: '120%' is outside"),
    ("impossible date", ["import", "--kind", "forecasts", "{date-bad.csv}"],
     "date-bad.csv:2: made_on: '2019-13-01' is not a real date"),
    ("date in words in a table", ["import", "--kind", "forecasts", "{date-words.csv}"],
     "date 'next spring' is not of the form YYYY-MM-DD"),
    ("resolve-by before made-on", ["import", "--kind", "forecasts", "{date-order.csv}"],
     "after question q9's resolve-by date"),
    ("duplicate id, other content", ["import", "--kind", "forecasts", "{dup.csv}"], "dup.csv:3: forecast"),
    ("wrong columns", ["import", "--kind", "forecasts", "{cols.csv}"], "cols.csv:2: missing column 'question_id'"),
    ("short row", ["import", "--kind", "forecasts", "{short.csv}"], "short.csv:2: expected 4 columns"),
    ("empty CSV", ["import", "--kind", "forecasts", "{empty.csv}"], "empty.csv: file is empty"),
    ("wrong encoding", ["import", "--kind", "forecasts", "{latin1.csv}"], "latin1.csv: not UTF-8 text"),
    ("broken JSONL", ["import", "--kind", "forecasts", "{broken.jsonl}"], "broken.jsonl:1: broken JSON"),
    ("JSONL of arrays", ["import", "--kind", "forecasts", "{array.jsonl}"],
     "array.jsonl:1: expected a JSON object per line"),
    ("unknown table type", ["import", "--kind", "forecasts", "{table.xlsx}"], "unknown table type '.xlsx'"),
    ("outcome for unknown question", ["import", "--kind", "outcomes", "{o-unknown.csv}"],
     "o-unknown.csv:2: unknown question 'nope'"),
    ("unknown outcome word", ["import", "--kind", "outcomes", "{o-word.csv}"], "outcome 'perhaps' is not one of"),
    ("table overturning an outcome", ["import", "--kind", "outcomes", "{o-over.csv}"], "q1 is already resolved 'no'"),
    ("two outcomes for one question", ["import", "--kind", "outcomes", "{o-twice.csv}"],
     "o-twice.csv:3: question q2 already has an outcome on line 2"),
    ("evidence that is no URL", ["import", "--kind", "outcomes", "{o-url.csv}"],
     "'www.example.org' is not an http(s) URL"),
    ("broken YAML", ["import", "{broken.yml}"], "broken.yml:3: broken YAML (expected ',' or ']'"),
    ("empty YAML", ["import", "{empty.yml}"], "empty.yml: file is empty"),
    ("YAML that is a list", ["import", "{list.yml}"], "list.yml: expected a mapping of fields"),
    ("duplicate YAML key", ["import", "{dupkey.yml}"], "duplicate key 'title'"),
    ("record in Latin-1", ["import", "{latin1.yml}"], "latin1.yml:3: not UTF-8 text"),
    ("record probability above 1", ["import", "{p-high.yml}"], "forecast f1 probability: 1.8 is outside"),
    ("reversed interval", ["import", "{interval.yml}"], "does not contain the probability"),
    ("same id, other content, two files", ["import", "{record}", "{conflict.yml}"], "is defined differently"),
    ("reading the scale does not give", ["import", "{scale-mismatch.yml}"],
     "forecast f1: house-de reads 'zu erwarten' as 0.75 [0.6, 0.85], not 0.8 [0.7, 0.9]"),
    ("unknown scale in a record", ["import", "{scale-unknown.yml}"],
     "forecast f1 scale: 'no-such-scale' is no scale of words"),
    ("scale at another version", ["import", "{scale-version.yml}"],
     "forecast f1 scale_version: house-de is at version '1', not '7'"),
    ("condition on itself", ["import", "{cond.yml}"], "f3: is conditional on itself"),
    ("text matching no document", ["import", "{record}", "--text", "{text.txt}"], "text.txt: its SHA-256"),
    ("no such file", ["import", "{tmp}/missing.yml"], "missing.yml: no such file or directory"),
    ("unknown kind", ["import", "--kind", "tables", "{record}"], "--kind 'tables'"),
    ("outcome known before the first forecast", ["import", "--kind", "outcomes", "{o-early.csv}"],
     "o-early.csv:2: resolved_on: known on 2019-01-01, before question q2's first forecast (2019-02-26)"),
    ("outcome known in the future", ["import", "--kind", "outcomes", "{o-future.csv}"],
     "o-future.csv:2: resolved_on: known on 2999-01-01, which is in the future"),
    ("resolving before the first forecast", ["resolve", "q2", "--outcome", "yes", "--on", "2019-01-01"],
     "--on: known on 2019-01-01, before question q2's first forecast (2019-02-26); if it is right, say why with "
     "--accept-date --note TEXT"),
    ("resolving in the future", ["resolve", "q2", "--outcome", "yes", "--on", "2999-01-01"],
     "--on: known on 2999-01-01, which is in the future"),
    ("an odd date accepted without a note", ["resolve", "q2", "--outcome", "yes", "--on", "2019-01-01",
                                              "--accept-date"], "--accept-date: say why the date is right with --note"),
    ("outcome word on the CLI", ["resolve", "q2", "--outcome", "probably"],
     "--outcome: outcome 'probably' is not one of"),
    ("unknown question on the CLI", ["resolve", "nope", "--outcome", "yes"], "question 'nope': no such question"),
    ("mistyped question on the CLI", ["resolve", "q22", "--outcome", "yes"],
     "question 'q22': no such question; did you mean 'q2'?"),
    ("ambiguous date", ["resolve", "q2", "--outcome", "yes", "--on", "04/05/2019"],
     "'04/05/2019' could be day/month or month/day"),
    ("unreadable date", ["resolve", "q2", "--outcome", "yes", "--on", "the day after"],
     "cannot read 'the day after' as a date"),
    ("summary without evidence", ["resolve", "q2", "--outcome", "yes", "--summary", "x"],
     "--summary: given 1 times for 0 --evidence"),
    ("resolving a resolved question", ["resolve", "q1", "--outcome", "yes"], "already resolved 'no'"),
    ("undoing an open question", ["unresolve", "q2"], "question 'q2': is not resolved"),
    ("history of nothing", ["history", "nope"], "'nope': no document, question, forecast or author has this id"),
    ("history of a mistyped id", ["history", "f33"],
     "'f33': no document, question, forecast or author has this id; did you mean 'f3'?"),
    ("unknown author filter", ["forecasts", "--author", "Nobody"], "--author 'Nobody': no such author"),
    ("mistyped author filter", ["forecasts", "--author", "Ann Exmple"],
     "--author 'Ann Exmple': no such author (by id or name); did you mean 'Ann Example'?"),
    ("unknown grouping", ["score", "--by", "colour"], "--by 'colour': choose one of"),
    ("adjusted by topic", ["score", "--adjusted", "--by", "topic"], "--adjusted: goes with --by author"),
    ("zero bins", ["calibration", "--bins", "0"], "--bins 0: choose a whole number"),
    ("zero resamples", ["compare", "ann", "bob", "--samples", "0"], "--samples 0: choose a whole number from 100"),
    ("negative resamples", ["compare", "ann", "bob", "--samples", "-5"], "--samples -5: choose a whole number"),
    ("10^8 resamples", ["compare", "ann", "bob", "--samples", "100000000"],
     "--samples 100000000: choose a whole number from 100 to 1,000,000"),
    ("unknown document", ["calibration", "--document", "nope"], "--document 'nope': no such document"),
    ("mistyped document", ["calibration", "--document", "doc-b"],
     "--document 'doc-b': no such document; did you mean 'doc-a'?"),
    ("compare with oneself", ["compare", "ann", "Ann Example"], "are the same author"),
    ("compare with nobody", ["compare", "ann", "zed"], "--author 'zed': no such author"),
    ("compare with a mistyped author", ["compare", "ann", "bobb"],
     "--author 'bobb': no such author (by id or name); did you mean 'bob'?"),
    ("forecast on a mistyped question", ["forecast", "add", "q22", "--author", "ann", "--stated", "0.5"],
     "question 'q22': no such question; did you mean 'q2'?"),
    ("forecast read by an unknown scale", ["forecast", "add", "q2", "--author", "ann", "--scale", "icd203",
                                           "--phrase", "likely", "--made-on", "2019-03-01"],
     "--scale 'icd203': no such scale of words; did you mean 'icd-203'?"),
    ("forecast words the scale does not read", ["forecast", "add", "q2", "--author", "ann", "--scale", "icd-203",
                                                "--phrase", "perhaps", "--made-on", "2019-03-01"],
     "--phrase 'perhaps': icd-203 does not read these words"),
    ("analyst's reading without reasoning", ["forecast", "add", "q2", "--author", "ann", "--analyst", "0.7",
                                             "--made-on", "2019-03-01"],
     "--reasoning: the analyst's own reading needs the reasoning behind it"),
    ("two readings at once", ["forecast", "add", "q2", "--author", "ann", "--stated", "0.5", "--analyst", "0.5"],
     "give the reading one way: --stated P, --scale NAME (with --phrase) or --analyst P --reasoning TEXT, "
     "not --stated and --analyst"),
    ("a name that makes another's id", ["forecast", "add", "q2", "--author", "Bob", "--stated", "0.5",
                                        "--made-on", "2019-03-01"],
     "--author 'Bob': would get the id 'bob' of 'Bob Other'; if they are one person, say so with --same-person"),
    ("forecast after its deadline", ["forecast", "add", "q1", "--author", "ann", "--stated", "0.5",
                                     "--made-on", "2019-04-01"],
     "forecast: made on 2019-04-01, after question q1's resolve-by date 2019-03-01"),
    ("forecast probability in words", ["forecast", "add", "q2", "--author", "ann", "--stated", "likely"],
     "--stated: 'likely' is not a number"),
    ("question id taken by another", ["question", "add", "q1", "--title", "Will something else happen?"],
     "question 'q1': is already recorded with another title"),
    ("document by URL without an author", ["document", "add", "--url", "https://example.org/x", "--no-fetch",
                                           "--title", "X"],
     "https://example.org/x: a document needs an author (an institution can be one); pass --author NAME"),
    ("document by something not a URL", ["document", "add", "--url", "example.org/x", "--no-fetch", "--title", "X",
                                         "--author", "A"], "--url: 'example.org/x' is not an http(s) URL"),
    ("export onto a file", ["export", "{text.txt}"], "text.txt: is a file, not a directory"),
    ("backup onto the database", ["backup", "{db}"], "is the database itself"),
    ("document of an unknown type", ["document", "add", "{table.xlsx}"], "unsupported file type '.xlsx'"),
    ("empty document", ["document", "add", "{empty.csv}"], "empty.csv: unsupported file type"),
    ("missing document", ["document", "add", "{tmp}/gone.txt"], "gone.txt: no such file"),
    ("ambiguous publication date", ["document", "add", "{text.txt}", "--published-on", "03/04/2019"],
     "'03/04/2019' could be day/month or month/day"),
    ("document without an author", ["document", "add", "{text.txt}"],
     "text.txt: a document needs an author (an institution can be one); pass --author NAME"),
    ("extract from an unknown document", ["extract", "nope-doc"], "document 'nope-doc': no such document"),
    ("unknown scale", ["scales", "show", "nope"], "scale 'nope': no such scale"),
    ("serve with a broken record", ["serve", "--build-only", "--forecasts", "{badrecords}"], "broken YAML"),
    ("not a database", ["forecasts", "--db", "{notdb.db}"], "notdb.db: not a SQLite database"),
    ("missing database", ["score", "--db", "{tmp}/none.db"], "none.db: no database here"),
    # the adapters' files (a PredictionBook .jsonl dump is read as any JSONL table is, by table_file.TableFile)
    ("empty Fatebook export", ["import", "--kind", "fatebook", "{fb-empty.csv}"], "fb-empty.csv: file is empty"),
    ("Fatebook export not UTF-8", ["import", "--kind", "fatebook", "{fb-latin1.csv}"],
     "fb-latin1.csv: not UTF-8 text (byte"),
    ("broken Fatebook CSV", ["import", "--kind", "fatebook", "{fb-broken.csv}"], "fb-broken.csv: broken CSV ("),
    ("short Fatebook row", ["import", "--kind", "fatebook", "{fb-short.csv}"],
     f"fb-short.csv:2: expected {len(FATEBOOK_REQUIRED)} columns"),
    ("empty PredictionBook .jsonl", ["import", "--kind", "predictionbook", "{pb-empty.jsonl}"],
     "pb-empty.jsonl: file is empty"),
    ("PredictionBook .jsonl not UTF-8", ["import", "--kind", "predictionbook", "{pb-latin1.jsonl}"],
     "pb-latin1.jsonl: not UTF-8 text (byte"),
    ("broken PredictionBook line", ["import", "--kind", "predictionbook", "{pb-broken.jsonl}"],
     "pb-broken.jsonl:1: broken JSON ("),
    ("PredictionBook line not an object", ["import", "--kind", "predictionbook", "{pb-list.jsonl}"],
     "pb-list.jsonl:1: expected a prediction (a JSON object) per line"),
    # hostile input (issue 18): nesting, aliases, big numbers, surrogates, pipes, doubled keys
    ("YAML nested 20,000 deep", ["import", "{deep.yml}"], "deep.yml:1: broken YAML (nested more than 100 deep)"),
    ("YAML billion laughs", ["import", "{laughs.yml}"], "laughs.yml:7: broken YAML (more than 100 aliases)"),
    ("YAML integer of 5,000 digits", ["import", "{bigint.yml}"], "broken YAML (a number of 5000 digits is too long)"),
    ("YAML lone surrogate", ["import", "{surrogate.yml}"], "broken YAML (a lone surrogate"),
    ("JSONL nested 20,000 deep", ["import", "--kind", "forecasts", "{deep.jsonl}"],
     "deep.jsonl:1: JSON nested more than 100 deep"),
    ("JSONL integer of 5,000 digits", ["import", "--kind", "forecasts", "{bigint.jsonl}"],
     "bigint.jsonl:1: a number of 5000 digits is too long"),
    ("JSONL lone surrogate", ["import", "--kind", "forecasts", "{surrogate.jsonl}"],
     "surrogate.jsonl:1: a lone surrogate (\\ud800-\\udfff) is not a character"),
    ("JSONL key twice", ["import", "--kind", "forecasts", "{dupkey.jsonl}"],
     "dupkey.jsonl:1: key 'question_id' appears twice in one object"),
    ("CSV column twice", ["import", "--kind", "forecasts", "{duphead.csv}"],
     "duphead.csv:1: column 'author' appears twice in the header"),
    ("NUL in an id", ["import", "--kind", "forecasts", "{nul.csv}"], "contains the character U+0000"),
    ("id ending in a newline", ["import", "--kind", "forecasts", "{newline-id.jsonl}"],
     "newline-id.jsonl:1: id: id 'f1\\n' has leading or trailing space"),
    ("id of 600 characters", ["import", "--kind", "forecasts", "{long-id.csv}"],
     "long-id.csv:2: question_id: id of 600 characters is longer than 500"),
    ("time without a zone", ["import", "--kind", "forecasts", "{no-zone.csv}"],
     "no-zone.csv:2: made_on: '2019-01-01T10:00' has a time but no zone"),
    ("two names, one id", ["import", "--kind", "forecasts", "{names.csv}"],
     "names.csv:3: author 'jörg müller' would get the id 'jörg-müller' of 'Jörg Müller'"),
    ("author with no letters", ["import", "--kind", "forecasts", "{bang.csv}"],
     "bang.csv:2: author '!!!' has no letters or digits to make an id from"),
    ("a named pipe as a table", ["import", "--kind", "forecasts", "{pipe.csv}"], "pipe.csv: not a regular file"),
    ("a named pipe as a document", ["document", "add", "{pipe.txt}"], "pipe.txt: not a regular file"),
    ("a directory as a table", ["import", "--kind", "forecasts", "{tmp}/dir.csv"], "dir.csv: a directory; give a file"),
    ("impossible date in front matter", ["document", "add", "{front-date.md}"],
     "front-date.md (front matter):3: broken YAML ('2019-02-30' is not a real date)"),
    ("a list as a title in front matter", ["document", "add", "{front-list.md}"],
     "front-list.md title: expected text, got a list"),
    ("impossible date in a side file", ["document", "add", "{side.txt}"], "side.txt.meta.yml:1: broken YAML"),
    ("scale nested 5,000 deep", ["scales", "--scales", "{tmp}/scales"], "deep-scale.yml:2: broken YAML (nested"),
    ("--min-n past int64", ["score", "--min-n", "9" * 30], "--min-n: " + "9" * 30 + " is too large"),
    ("NUL in an argument", ["forecasts", "--author", "a\x00b"], "--author: contains a NUL character"),
    ("argument not UTF-8", ["forecasts", "--author", "caf\udce9"], "--author: b'caf\\xe9' is not valid UTF-8"),
    # PredictionBook's JSON (read whole, through tracker.inputs)
    ("PredictionBook JSON nested 20,000 deep", ["import", "--kind", "predictionbook", "{pb-deep.json}"],
     "pb-deep.json: JSON nested more than 100 deep"),
    ("PredictionBook JSON integer of 5,000 digits", ["import", "--kind", "predictionbook", "{pb-bigint.json}"],
     "pb-bigint.json: a number of 5000 digits is too long"),
    ("PredictionBook JSON lone surrogate", ["import", "--kind", "predictionbook", "{pb-surrogate.json}"],
     "pb-surrogate.json: a lone surrogate"),
    ("PredictionBook outcome in words", ["import", "--kind", "predictionbook", "{pb-outcome-text.json}"],
     "pb-outcome-text.json:prediction 7: outcome: outcome 'perhaps' is not one of yes, no, annulled"),
    ("PredictionBook outcome a number", ["import", "--kind", "predictionbook", "{pb-outcome-number.json}"],
     "pb-outcome-number.json:prediction 7: outcome: outcome 5 is not one of yes, no"),
    ("PredictionBook outcome a list", ["import", "--kind", "predictionbook", "{pb-outcome-list.json}"],
     "pb-outcome-list.json:prediction 7: outcome: outcome [True] is not one of yes, no"),
    ("PredictionBook JSON key twice", ["import", "--kind", "predictionbook", "{pb-dupkey.json}"],
     "pb-dupkey.json: key 'id' appears twice in one object"),
    ("PredictionBook JSON not UTF-8", ["import", "--kind", "predictionbook", "{pb-latin1.json}"],
     "pb-latin1.json:1: not UTF-8 text"),
    # record files
    ("quote offset past int64", ["import", "{big-offset.yml}"],
     "big-offset.yml:35: broken YAML (the number 9223372036854775808 is past what SQLite holds (a 64-bit integer))"),
    ("negative quote offset", ["import", "{neg-offset.yml}"],
     "neg-offset.yml:28: forecast f1 quote_offset: -3 is not a character position"),
    ("an object in an author list", ["import", "{author-object.yml}"],
     "author-object.yml:2: document authors: id {'who': 'ann'} is not text"),
    ("record id ending in a newline", ["import", "{newline-id.yml}"], "has leading or trailing space"),
    ("NUL in a record's title", ["import", "{nul.yml}"],
     "title: contains the character U+0000, which is not printable"),
    ("record document id of 600 characters", ["import", "{long-doc-id.yml}"],
     "id of 600 characters is longer than 500"),
    # records get the outcome-date check `resolve --on` makes; `accept_date` is the exception's field
    ("record outcome in year 1", ["import", "{year-one.yml}"],
     "resolved_on: known on 0001-06-01, before question q3's first forecast"),
    ("record outcome in the future", ["import", "{future-outcome.yml}"],
     "resolved_on: known on 2099-06-01, which is in the future; if it is right, add `accept_date: true`"),
    ("record accept_date with no reason", ["import", "{accept-no-note.yml}"],
     "accept_date: true needs a note saying why the date is right"),
    ("record resolve-by that is no date", ["import", "{bad-resolve-by.yml}"], "'2019-02-30' is not a real date"),
    ("record with a Python tag", ["import", "{python-tag.yml}"], "broken YAML (could not determine a constructor"),
    ("record probability NaN", ["import", "{p-nan.yml}"],
     "p-nan.yml:28: forecast f1 probability: nan is not a finite number"),
    ("record probability true", ["import", "{p-bool.yml}"],
     "p-bool.yml:45: forecast f4 probability: True is not a number"),
    ("record question title a list", ["import", "{title-list.yml}"],
     "title-list.yml:20: question title: expected text, got a list"),
    ("record key with a lone surrogate", ["import", "{surrogate-key.yml}"],
     "surrogate-key.yml:3: broken YAML (a lone surrogate (\\ud800-\\udfff) is not a character)"),
    # documents: front matter and side files
    ("front matter nested 5,000 deep", ["document", "add", "{front-deep.md}"],
     "front-deep.md (front matter):2: broken YAML (nested more than 100 deep)"),
    ("front matter billion laughs", ["document", "add", "{front-laughs.md}"], "broken YAML (more than 100 aliases)"),
    ("objects as authors in front matter", ["document", "add", "{front-authors.md}"],
     "front-authors.md authors: {'first': 'Ann', 'last': 'Example'} has no name"),
    ("a 5,000-digit number in front matter", ["document", "add", "{front-bigint.md}"],
     "a number of 5000 digits is too long"),
    ("a path as an author id in a side file", ["document", "add", "{side-path.txt}"],
     "side-path.txt authors id: id '../../etc/passwd\\t' has leading or trailing space"),
    ("a list as a title in a side file", ["document", "add", "{side-title.txt}"], "title: expected text, got a list"),
    ("an author with no letters in a side file", ["document", "add", "{side-bang.txt}"],
     "'!!!' has no letters or digits to make an id from"),
    ("side file not UTF-8", ["document", "add", "{side-latin1.txt}"], "side-latin1.txt.meta.yml:1: not UTF-8 text"),
    ("document title with NUL", ["document", "add", "{text.txt}", "--author", "A", "--title", "a\x00b"],
     "--title: contains a NUL character"),
    ("document title not UTF-8", ["document", "add", "{text.txt}", "--author", "A", "--title", "\udcff"],
     "--title: b'\\xff' is not valid UTF-8"),
    ("a directory as a document", ["document", "add", "{tmp}/adir.txt"], "adir.txt: a directory; give a file"),
    # the site's own metadata (serve and publish)
    ("broken serve --metadata", ["serve", "--metadata", "{bad-meta.yml}"], "bad-meta.yml:2: broken YAML"),
    ("serve --metadata a list", ["serve", "--metadata", "{list-meta.yml}"],
     "list-meta.yml: the top level: expected a mapping of fields, got a list"),
    ("serve --metadata databases a number", ["serve", "--metadata", "{type-meta.yml}"],
     "type-meta.yml: databases: expected a mapping, got a number"),
    ("serve --metadata a query that is a list", ["serve", "--metadata", "{query-meta.yml}"],
     "query-meta.yml: databases.forecasts.queries.mine: expected SQL text, or a mapping with sql"),
    ("serve --metadata billion laughs", ["serve", "--metadata", "{laughs-meta.yml}"],
     "laughs-meta.yml:7: broken YAML (more than 100 aliases)"),
    ("serve --metadata JSON key twice", ["serve", "--metadata", "{dup-meta.json}"],
     "dup-meta.json: key 'title' appears twice in one object"),
    ("serve --metadata title a number", ["serve", "--metadata", "{title-meta.json}"],
     "title-meta.json: title: expected text, got a number"),
    ("serve --metadata not UTF-8", ["serve", "--metadata", "{latin1-meta.yml}"], "latin1-meta.yml:1: not UTF-8 text"),
    ("serve --metadata a named pipe", ["serve", "--metadata", "{pipe.txt}"], "pipe.txt: not a regular file"),
    ("serve --metadata a directory", ["serve", "--metadata", "{tmp}/scales"], "scales: a directory; give a file"),
    ("publish --metadata broken", ["publish", "--dir", "{tmp}/snap", "--metadata", "{bad-meta.yml}"],
     "bad-meta.yml:2: broken YAML"),
    ("publish --metadata a list", ["publish", "--dir", "{tmp}/snap", "--metadata", "{list-meta.yml}"],
     "expected a mapping of fields, got a list"),
    ("publish into someone's directory", ["publish", "--dir", "{tmp}/snapdir"],
     "snapdir: exists and is not a tracker snapshot; choose another --dir"),
    ("publish onto a file", ["publish", "--dir", "{text.txt}"], "text.txt: exists and is not a tracker snapshot"),
    ("publish to an unknown target", ["publish", "--dir", "{tmp}/snap", "--target", "heroku"], "--target 'heroku'"),
    ("publish under a bad name", ["publish", "--dir", "{tmp}/snap", "--name", "a b"], "--name 'a b'"),
    # JSONL and CSV tables
    ("JSONL probability true", ["import", "--kind", "forecasts", "{p-bool.jsonl}"],
     "p-bool.jsonl:1: probability: True is not a number"),
    ("JSONL probability 1e400", ["import", "--kind", "forecasts", "{p-huge.jsonl}"],
     "p-huge.jsonl:1: probability: inf is not a finite number"),
    ("JSONL probability NaN", ["import", "--kind", "forecasts", "{p-nan.jsonl}"],
     "p-nan.jsonl:1: probability: nan is not a finite number"),
    ("JSONL id a list", ["import", "--kind", "forecasts", "{id-list.jsonl}"],
     "id-list.jsonl:1: question_id: id ['q1'] is not text"),
    ("JSONL author an object", ["import", "--kind", "forecasts", "{author-object.jsonl}"],
     "author-object.jsonl:1: author: expected text, a number or a list of them, got a mapping"),
    ("CSV field of 200,000 characters", ["import", "--kind", "forecasts", "{huge-field.csv}"],
     "huge-field.csv: broken CSV (field larger than field limit"),
    ("CSV column twice after a BOM", ["import", "--kind", "forecasts", "{bom-dup.csv}"],
     "bom-dup.csv:1: column 'probability' appears twice in the header"),
    ("control character in an author", ["import", "--kind", "forecasts", "{control.csv}"],
     "control.csv:2: author: contains the character U+0007, which is not printable"),
    ("outcome in year 1", ["import", "--kind", "outcomes", "{year-one.csv}"], "year-one.csv:2: resolved_on"),
    ("a five-digit year", ["import", "--kind", "forecasts", "{year-big.csv}"], "year-big.csv:2: made_on"),
    ("Fatebook column twice", ["import", "--kind", "fatebook", "{fb-duphead.csv}"],
     "fb-duphead.csv:1: column 'Question title' appears twice in the header"),
    ("GJP ifps.csv a named pipe", ["import", "--kind", "gjp", "{gjp/survey.csv}"], "ifps.csv: not a regular file"),
    ("GJP ifps.csv column twice", ["import", "--kind", "gjp", "{gjp2/survey.csv}"],
     "ifps.csv:1: column 'outcome' appears twice in the header"),
    # command-line values
    ("question id of 600 characters", ["question", "add", "q" * 600, "--title", "Will it?"],
     "id of 600 characters is longer than 500"),
    ("question id ending in a newline", ["question", "add", "q9\n", "--title", "Will it?"],
     "has leading or trailing space"),
    ("an author with no letters", ["forecast", "add", "q2", "--author", "!!!", "--stated", "0.5",
                                   "--made-on", "2019-03-01"],
     "--author '!!!': has no letters or digits to make an author id from"),
    ("an author of 600 characters", ["forecast", "add", "q2", "--author", "A" * 600, "--stated", "0.5",
                                     "--made-on", "2019-03-01"],
     "--author: id of 600 characters is longer than 500"),
    ("resolved in year 1", ["resolve", "q2", "--outcome", "yes", "--on", "0001-01-01"],
     "--on: known on 0001-01-01, before question q2's first forecast"),
    ("--bins past int64", ["calibration", "--bins", "9" * 25], "--bins: " + "9" * 25 + " is too large"),
    ("a control character in a title", ["question", "add", "q9", "--title", "Will\x07 it?"],
     "--title: contains the character U+0007, which is not printable"),
    ("history of a 600-character id", ["history", "x" * 600], "no document, question, forecast or author has this id"),
    # --db that is no ledger
    ("--db someone's SQLite file", ["score", "--db", "{notes.db}"], "notes.db: not a tracker ledger"),
    ("--db a directory", ["score", "--db", "{tmp}/scales"], "scales: is a directory, not a SQLite database"),
    ("--db a named pipe", ["forecasts", "--db", "{pipe.db}"],
     "pipe.db: is not a regular file (a pipe or a device), not a SQLite database"),
    ("backup into a missing directory", ["backup", "{tmp}/nowhere/copy.db"],
     "nowhere/copy.db: cannot write (no directory "),
]


def state(path):
    """The database file's bytes after a checkpoint, and the WAL's size: byte-for-byte state."""
    conn = sqlite3.connect(path)
    conn.execute("pragma wal_checkpoint(TRUNCATE)")
    conn.close()
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes(), wal.stat().st_size if wal.exists() else 0


def tree(root, db):
    """Every other file under `root`, with its bytes: a failed command creates, changes and deletes
    none of them (someone's SQLite file given as --db, a directory given to publish)."""
    skip = {db.name, db.name + "-wal", db.name + "-shm"}
    out = {}
    for p in sorted(root.rglob("*")):
        if p.name in skip:
            continue
        if not (p.is_file() or p.is_dir()) or p.is_symlink():
            out[str(p.relative_to(root))] = "special"
        elif p.is_dir():
            out[str(p.relative_to(root))] = "dir"
        else:
            out[str(p.relative_to(root))] = p.read_bytes()
    return out


def _name(case):
    return case.values[0] if hasattr(case, "values") else case[0]


@pytest.mark.parametrize("name,argv,message", CASES, ids=[_name(c) for c in CASES])
def test_bad_input(tmp_path, small_record, db_path, name, argv, message):
    made = files(tmp_path)
    assert runner.invoke(app, ["import", str(small_record)]).exit_code == 0
    before = state(db_path)
    files_before = tree(tmp_path, db_path)

    def fill(a):
        for key, p in made.items():
            a = a.replace("{" + key + "}", str(p))
        return a.replace("{record}", str(small_record)).replace("{tmp}", str(tmp_path)).replace("{db}", str(db_path))

    result = runner.invoke(app, [fill(a) for a in argv])
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: "), result.stderr
    assert message in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.output
    assert state(db_path) == before
    assert tree(tmp_path, db_path) == files_before


def test_there_are_at_least_150_cases():
    assert len([c for c in CASES if not hasattr(c, "marks")]) >= 150


def test_read_only_database(tmp_path, small_record, db_path):
    """A ledger file nobody may write: a one-line error, and not a byte changed."""
    import shutil
    import subprocess

    from tracker.ledger.records.load import load_record
    from tracker.ledger.records.write import import_records
    from tracker.scores.derived import open_db

    db = open_db(db_path)
    import_records(db, [load_record(small_record)])
    db.execute("pragma journal_mode = delete")  # a read-only file cannot keep a WAL
    db.close()
    before = db_path.read_bytes()
    if os.geteuid() == 0:
        # root writes through file modes; the immutable attribute stops even root
        if not shutil.which("chattr") or subprocess.run(["chattr", "+i", str(db_path)]).returncode:
            pytest.skip("running as root on a filesystem without chattr +i: cannot make a read-only file")
        undo = ["chattr", "-i", str(db_path)]
    else:
        os.chmod(db_path, stat.S_IRUSR)
        undo = None
    try:
        result = runner.invoke(app, ["resolve", "q2", "--outcome", "yes"])
        assert result.exit_code == 1, result.output
        assert "read-only" in result.stderr and str(db_path) in result.stderr
        assert result.stderr.count("\n") == 1
        # reading a read-only ledger (a published snapshot, say) still works
        listing = runner.invoke(app, ["forecasts", "--json"])
        assert listing.exit_code == 0, listing.output
        assert len(__import__("json").loads(listing.stdout)) == 4
    finally:
        if undo:
            subprocess.run(undo)
        os.chmod(db_path, stat.S_IRUSR | stat.S_IWUSR)
    assert db_path.read_bytes() == before


def test_a_record_may_use_a_question_a_later_file_defines(tmp_path, db_path):
    """Issue 18: with the files in this order the import failed with `FOREIGN KEY constraint
    failed`, and succeeded in the other order. Every reference is checked across the whole
    import first, so the order of the files does not matter."""
    later = tmp_path / "b.yml"
    later.write_text(SMALL_RECORD, encoding="utf-8")
    first = tmp_path / "a.yml"
    first.write_text("document:\n  id: doc-z\n  title: Another brief\n  published_on: 2019-03-01\n  authors: [ann]\n"
                     "forecasts:\n  - id: z1\n    question: q2\n    probability: 0.4\n    method: stated\n",
                     encoding="utf-8")
    result = runner.invoke(app, ["import", str(first), str(later)])
    assert result.exit_code == 0, result.output
    conn = sqlite3.connect(db_path)
    assert conn.execute("select question_id from forecasts where id = 'z1'").fetchone() == ("q2",)
    assert conn.execute("pragma foreign_key_check").fetchall() == []
    # a question that no file defines is still one line naming it
    first.write_text(first.read_text(encoding="utf-8").replace("question: q2", "question: q9"), encoding="utf-8")
    result = runner.invoke(app, ["import", str(first), str(later)])
    assert result.exit_code == 1 and "forecast z1: unknown question 'q9'" in result.stderr
