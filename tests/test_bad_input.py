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
]


def state(path):
    """The database file's bytes after a checkpoint, and the WAL's size: byte-for-byte state."""
    conn = sqlite3.connect(path)
    conn.execute("pragma wal_checkpoint(TRUNCATE)")
    conn.close()
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes(), wal.stat().st_size if wal.exists() else 0


@pytest.mark.parametrize("name,argv,message", CASES, ids=[c[0] for c in CASES])
def test_bad_input(tmp_path, small_record, db_path, name, argv, message):
    made = files(tmp_path)
    assert runner.invoke(app, ["import", str(small_record)]).exit_code == 0
    before = state(db_path)

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


def test_there_are_at_least_sixty_cases():
    assert len(CASES) >= 60


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
