"""Every command through the real CLI: exit codes, output, --json contracts, one-line errors."""

import json
import os
import shutil
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from tracker.cli import app

from conftest import HANOI_BRIEF, HANOI_RECORD, RECORDS, dump, needs_brief

runner = CliRunner()


def run(*args, ok=True):
    result = runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result


def test_every_command_and_option_has_help():
    import click
    import typer.main

    group = typer.main.get_command(app)
    assert set(group.commands) >= {"import", "resolve", "unresolve", "history", "forecasts", "score",
                                   "export", "serve"}
    for name, cmd in group.commands.items():
        assert cmd.help, name
        for param in cmd.params:
            if isinstance(param, click.Option):
                assert param.help, f"{name} {param.opts}"
            else:
                assert getattr(param, "help", None), f"{name} {param.name}"


def test_import_record_twice(db_path, small_record):
    first = json.loads(run("import", small_record, "--json").stdout)
    assert first["forecasts"] == {"created": 4, "updated": 0, "unchanged": 0}
    before = dump(db_path)
    second = json.loads(run("import", small_record.parent, "--json").stdout)
    assert second["forecasts"] == {"created": 0, "updated": 0, "unchanged": 4}
    assert dump(db_path) == before


def test_forecasts_json_contract(small_record):
    run("import", small_record)
    rows = json.loads(run("forecasts", "--json").stdout)
    assert {"id", "question_id", "author", "probability", "made_on", "phrase", "outcome", "brier"} <= set(rows[0])
    f1 = next(r for r in rows if r["id"] == "f1")
    assert (f1["probability"], f1["outcome"], f1["brier"]) == (0.8, "no", pytest.approx(0.64))
    only_bob = json.loads(run("forecasts", "--author", "Bob Other", "--json").stdout)
    assert {r["id"] for r in only_bob} == {"f2", "f3"}
    table = run("forecasts").stdout
    assert "Brier (0..1)" in table and "zu erwarten" in table


@pytest.mark.parametrize("by,key", [("author", "author"), ("document", "document"),
                                    ("question", "question"), ("topic", "topic")])
def test_score_json_contract(small_record, by, key):
    run("import", small_record)
    rows = json.loads(run("score", "--by", by, "--json", "--min-n", "1").stdout)
    assert rows
    for r in rows:
        assert {key, "n", "brier", "brier_ci_low", "brier_ci_high", "log_score"} <= set(r)
        assert r["brier_scale"] == "0..1"
        assert "interval" not in r  # the text table's display column stays out of the JSON
    text = run("score", "--by", by, "--min-n", "1").stdout
    assert "Brier (0..1)" in text and "95 % interval" in text


def test_resolve_correct_unresolve_history(small_record):
    run("import", small_record)
    out = run("resolve", "q2", "--outcome", "yes", "--on", "1 May 2019", "--evidence", "https://e.org/y",
              "--summary", "It happened.", "--note", "clear", "--json").stdout
    assert json.loads(out)["resolved_on"] == "2019-05-01"
    again = run("resolve", "q2", "--outcome", "no", ok=False)
    assert again.exit_code == 1
    assert "already resolved 'yes'" in again.stderr
    run("resolve", "q2", "--outcome", "0", "--correct", "--note", "misread")
    run("unresolve", "q2", "--note", "withdrawn")
    hist = json.loads(run("history", "q2", "--json").stdout)
    assert [h["action"] for h in hist] == ["resolve", "correct", "unresolve"]
    assert hist[0]["evidence"] == [{"url": "https://e.org/y", "summary": "It happened."}]
    assert hist[0]["recorded_by"] == "test-analyst"
    text = run("history", "q2").stdout
    assert "misread" in text and "It happened." in text


def test_export_writes_records(small_record, tmp_path):
    run("import", small_record)
    run("resolve", "q2", "--outcome", "yes", "--on", "2019-05-01")
    out = tmp_path / "exported"
    written = json.loads(run("export", out, "--json").stdout)
    assert [os.path.basename(p) for p in written] == ["doc-a.yml"]
    assert "outcome: 'yes'" in (out / "doc-a.yml").read_text()


def test_flat_tables_through_the_cli(tmp_path):
    f = tmp_path / "f.csv"
    f.write_text("question_id,author,probability,made_on\nq,Ann,60%,2019-01-01\n")
    o = tmp_path / "o.csv"
    o.write_text("question_id,outcome,resolved_on\nq,no,2019-02-01\n")
    run("import", "--kind", "forecasts", f)
    run("import", "--kind", "outcomes", o)
    [row] = json.loads(run("score", "--json", "--min-n", "1").stdout)
    assert row["author"] == "ann" and row["brier"] == pytest.approx(0.36)


def test_serve_build_only_keeps_cli_outcomes(tmp_path, db_path):
    records = tmp_path / "forecasts"
    shutil.copytree(RECORDS, records)
    out = run("serve", "--build-only", "--forecasts", records)
    assert "Built" in out.stderr
    qid = "hanoi-2019-any-agreement"
    run("resolve", qid, "--outcome", "yes", "--correct", "--note", "test correction")
    again = run("serve", "--build-only", "--forecasts", records)
    assert "up to date" in again.stderr
    # a changed record is re-imported, and the CLI correction is still in force
    rec = records / HANOI_RECORD.name
    rec.write_text(rec.read_text().replace("coded_by: tracker maintainers", "coded_by: tracker team", 1))
    third = run("serve", "--build-only", "--forecasts", records)
    assert "1 updated" in third.stderr
    hist = json.loads(run("history", qid, "--json").stdout)
    assert hist[-1]["action"] == "correct" and hist[-1]["in_force"]


@needs_brief()
def test_import_with_text_stores_the_brief(db_path):
    run("import", HANOI_RECORD, "--text", HANOI_BRIEF)
    import sqlite3

    text = sqlite3.connect(db_path).execute("select text from documents").fetchone()[0]
    assert "durchaus möglich" in text


BAD_CALLS = [
    (["resolve", "q1", "--outcome", "maybe"], "--outcome: outcome 'maybe' is not one of"),
    (["resolve", "nope", "--outcome", "yes"], "question 'nope': no such question"),
    (["resolve", "q2", "--outcome", "yes", "--on", "03/04/2019"], "could be day/month or month/day"),
    (["resolve", "q2", "--outcome", "yes", "--on", "blurday"], "cannot read 'blurday' as a date"),
    (["resolve", "q2", "--outcome", "yes", "--evidence", "not a url"], "is not an http(s) URL"),
    (["unresolve", "q2"], "is not resolved"),
    (["history", "nope"], "no document, question, forecast or author has this id"),
    (["forecasts", "--author", "Nobody"], "--author 'Nobody': no such author"),
    (["score", "--by", "colour"], "--by 'colour': choose one of"),
    (["import", "missing.yml"], "missing.yml: no such file or directory"),
    (["import", "--kind", "tables", "x.csv"], "--kind 'tables'"),
]


@pytest.mark.parametrize("args,message", BAD_CALLS)
def test_bad_calls_are_one_line_and_change_nothing(small_record, db_path, args, message):
    run("import", small_record)
    before = dump(db_path)
    result = run(*args, ok=False)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and message in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.output
    assert dump(db_path) == before


def test_db_that_is_not_sqlite(tmp_path, small_record):
    bad = tmp_path / "bad.db"
    bad.write_text("hello " * 200)
    result = run("import", small_record, "--db", bad, ok=False)
    assert result.exit_code == 1 and "not a SQLite database" in result.stderr
    assert bad.read_text() == "hello " * 200


def test_read_commands_need_an_existing_database(tmp_path):
    result = run("forecasts", "--db", tmp_path / "none.db", ok=False)
    assert result.exit_code == 1 and "no database here" in result.stderr
    assert not (tmp_path / "none.db").exists()


def test_installed_entry_point_runs_without_traceback(tmp_path):
    # The real console script in a subprocess: what a user's shell sees.
    exe = shutil.which("tracker", path=os.path.dirname(sys.executable))
    assert exe, "the tracker console script is installed with the package"
    r = subprocess.run([exe, "resolve", "x", "--outcome", "yes", "--db", str(tmp_path / "x.db")],
                       capture_output=True, text=True)
    assert r.returncode == 1
    assert r.stderr.strip().startswith("Error: ") and "Traceback" not in r.stderr
