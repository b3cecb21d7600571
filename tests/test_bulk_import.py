"""The batched, streaming table import: chunk boundaries change nothing, a rejected row has no
effect, memory does not grow with the file, progress is reported, and a full rescore agrees
with the scores every write keeps."""

import json
import random
import sqlite3
import tracemalloc
from functools import partial

import pytest
from typer.testing import CliRunner

from tracker.cli import app
from tracker.errors import TrackerError
from tracker.imports import dispatch, forecast_rows, run
from tracker.imports.forecast_rows import import_forecasts
from tracker.imports.outcome_rows import import_outcomes
from tracker.ledger.outcomes import resolve, unresolve
from tracker.scores.derived import open_db

from conftest import derived, dump

runner = CliRunner()
LEDGER_TABLES = ("authors", "questions", "forecasts", "forecast_authors", "outcomes", "outcome_evidence")


def ledger(db):
    """The ledger's own tables, row by row in insertion order (the audit log's timestamps aside)."""
    return {t: [tuple(r) for r in db.execute(f"select * from {t} order by rowid")] for t in LEDGER_TABLES}


def messy_table(path, n, seed):
    """Forecast rows with a few bad ones (and duplicates, conflicting wordings, late forecasts)."""
    rng = random.Random(seed)
    lines = ["question_id,author,probability,made_on,question,resolve_by,topic,id"]
    for i in range(n):
        q = rng.randrange(12)
        row = [f"q{q}", rng.choice(["Ann", "Bob", "Ann;Bob", "Cem Third"]), rng.choice(["0.1", "0.5", "70%", "0.9"]),
               f"2019-0{1 + rng.randrange(6)}-1{rng.randrange(10)}", rng.choice(["", f"Title {q}"]),
               rng.choice(["", "", "2019-12-31"]), rng.choice(["", "a", "a;b"]), f"f{i}"]
        bad = rng.random()
        if bad < 0.03:
            row[2] = "1.5"
        elif bad < 0.05:
            row[4] = "Another wording"
        elif bad < 0.07:
            row[7] = f"f{max(i - 1, 0)}"
        elif bad < 0.08:
            row[5] = "2018-01-01"
        elif bad < 0.09:
            row[1] = ""
        lines.append(",".join(row))
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("chunk", [1, 2, 7, 5000])
def test_chunk_size_changes_nothing(tmp_path, monkeypatch, chunk):
    p = messy_table(tmp_path / "f.csv", 120, seed=5)
    monkeypatch.setattr(run, "CHUNK", 5000)
    reference = open_db(tmp_path / "ref.db")
    expected = import_forecasts(reference, p, skip_invalid=True)
    monkeypatch.setattr(run, "CHUNK", chunk)
    db = open_db(tmp_path / "db.db")
    got = import_forecasts(db, p, skip_invalid=True)
    assert got == expected and got["rejected"] > 0
    assert ledger(db) == ledger(reference)


@pytest.mark.parametrize("seed", range(6))
def test_a_rejected_row_has_no_effect(tmp_path, monkeypatch, seed):
    """--skip-invalid gives exactly what importing the file without the rejected rows gives."""
    monkeypatch.setattr(run, "CHUNK", 16)
    p = messy_table(tmp_path / "f.csv", 150, seed=seed)
    db = open_db(tmp_path / "a.db")
    reported = []
    counts = import_forecasts(db, p, skip_invalid=True, on_reject=reported.append)
    assert counts["rejected"] == len(reported) == len(counts["rejects"])
    assert counts["read"] == 150 and counts["created"] + counts["rejected"] == 150
    bad_lines = {r["line"] for r in counts["rejects"]}
    assert all(m.startswith(f"{p}:") for m in reported)
    lines = p.read_text().splitlines()
    clean = tmp_path / "clean.csv"
    clean.write_text("\n".join(line for n, line in enumerate(lines, 1) if n not in bad_lines) + "\n")
    other = open_db(tmp_path / "b.db")
    clean_counts = import_forecasts(other, clean)  # no row of it fails
    assert clean_counts["created"] == counts["created"]
    assert ledger(other) == ledger(db)


def test_first_bad_row_stops_and_changes_nothing_across_chunks(db, tmp_path, monkeypatch):
    monkeypatch.setattr(run, "CHUNK", 10)
    lines = ["question_id,author,probability,made_on"] + [f"q{i % 7},A{i},0.5,2019-01-{1 + i % 28:02d}"
                                                          for i in range(95)]
    lines.insert(80, "q1,Ann,0.5,2019-02-30")
    p = tmp_path / "f.csv"
    p.write_text("\n".join(lines) + "\n")
    before = dump(db)
    with pytest.raises(TrackerError, match=f"{p}:81: made_on: '2019-02-30' is not a real date"):
        import_forecasts(db, p)
    assert dump(db) == before


def test_database_check_before_a_later_python_check_in_the_same_row(db, tmp_path):
    """An unknown document is reported before the same row's bad interval, as it always was."""
    p = tmp_path / "f.csv"
    p.write_text("question_id,author,probability,made_on,document,interval_low,interval_high\n"
                 "q,Ann,0.5,2019-01-01,nodoc,0.6,0.9\n")
    with pytest.raises(TrackerError, match="unknown document 'nodoc'"):
        import_forecasts(db, p)


def _schema(db):
    return db.execute("select type, name, tbl_name, sql from sqlite_master order by type, name").fetchall()


def _trail(db):
    """The audit trail of forecasts and their authors (what was written, not when)."""
    return [db.execute(f"select operation, {keys}, updated_values from _history_json_{t} order by id").fetchall()
            for t, keys in (("forecasts", "pk_id"), ("forecast_authors", "pk_forecast_id, pk_author_id"))]


def _dropped_indexes(db, run):
    """What `run()` does, and the indexes it dropped on the way (traced from SQLite itself)."""
    statements = []
    db.conn.set_trace_callback(statements.append)
    try:
        result = run()
    finally:
        db.conn.set_trace_callback(None)
    return result, [s for s in statements if s.lower().startswith("drop index")]


def test_a_bulk_write_builds_the_same_ledger(tmp_path, monkeypatch):
    """Building the indexes after a large write (forecast_rows.BULK_ROWS) gives the same rows, the same
    audit trail and the same schema as keeping them up to date row by row; a later file that
    would not at least double the forecasts keeps them up to date."""
    first, second = messy_table(tmp_path / "a.csv", 150, seed=3), messy_table(tmp_path / "b.csv", 40, seed=4)
    second.write_text(second.read_text().replace(",f", ",g"))  # other ids: new forecasts
    ledgers = {}
    for bulk_rows in (1, 10**9):
        monkeypatch.setattr(forecast_rows, "BULK_ROWS", bulk_rows)
        db = open_db(tmp_path / f"{bulk_rows}.db")
        schema = _schema(db)
        counts, dropped = _dropped_indexes(db, partial(import_forecasts, db, first, skip_invalid=True))
        assert len(dropped) == (4 if bulk_rows == 1 else 0), dropped
        assert counts["created"] > 100
        counts, dropped = _dropped_indexes(db, partial(import_forecasts, db, second, skip_invalid=True))
        assert counts["created"] > 20 and dropped == []
        assert _schema(db) == schema
        assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
        ledgers[bulk_rows] = (ledger(db), _trail(db), derived(db))
    assert ledgers[1] == ledgers[10**9]


def test_a_bulk_write_that_fails_leaves_the_indexes_and_rows(db, tmp_path, monkeypatch):
    monkeypatch.setattr(forecast_rows, "BULK_ROWS", 1)
    db.execute("""create trigger refuse_boom before insert on forecast_authors when new.author_id = 'boom'
                  begin select raise(abort, 'no boom'); end""")
    p = tmp_path / "f.csv"
    p.write_text("question_id,author,probability,made_on\nq1,Ann,0.5,2019-01-01\nq2,Boom,0.5,2019-01-01\n")
    before = dump(db)
    with pytest.raises(sqlite3.IntegrityError, match="no boom"):
        import_forecasts(db, p)
    assert dump(db) == before


def test_changed_row_is_updated_and_rescored(db, tmp_path):
    p = tmp_path / "f.csv"
    p.write_text("question_id,author,probability,made_on,id\nq,Ann,0.5,2019-01-01,f1\nq,Bob,0.6,2019-01-01,f2\n")
    import_forecasts(db, p)
    import_outcomes(db, _write(tmp_path / "o.csv", "question_id,outcome,resolved_on\nq,yes,2019-02-01\n"))
    p.write_text("question_id,author,probability,made_on,id\nq,Ann,0.5,2019-01-01,f1\nq,Cem,0.9,2019-01-01,f2\n")
    counts = import_forecasts(db, p)
    assert (counts["unchanged"], counts["updated"], counts["created"]) == (1, 1, 0)
    authors = db.query("select author_id from forecast_authors where forecast_id = 'f2'")
    assert [r["author_id"] for r in authors] == ["cem"]
    assert db["forecast_scores"].get("f2")["brier"] == pytest.approx(0.01)
    # Bob lost his only forecast: his group row goes
    assert not list(db.query("select 1 from author_scores where author_id = 'bob'"))


def _write(path, text):
    path.write_text(text)
    return path


def test_progress_is_reported_up_to_the_file_size(db, tmp_path, monkeypatch):
    monkeypatch.setattr(run, "CHUNK", 100)
    p = tmp_path / "f.csv"
    p.write_text("question_id,author,probability,made_on\n" + "".join(
        f"q{i % 50},A{i % 9},0.5,2019-01-{1 + i % 28:02d}\n" for i in range(1000)))
    seen = []
    import_forecasts(db, p, progress=seen.append)
    assert len(seen) >= 5 and seen == sorted(seen) and seen[-1] <= p.stat().st_size


def _peak_import(tmp_path, n, monkeypatch):
    p = tmp_path / f"f{n}.csv"
    with p.open("w") as f:
        f.write("id,question_id,author,probability,made_on\n")
        for i in range(n):
            f.write(f"x{i},q{i % 40},Author {i % 30},0.{1 + i % 9},20{10 + i % 10}-0{1 + i % 9}-{1 + i % 28:02d}\n")
    db = open_db(tmp_path / f"m{n}.db")
    db.derive = lambda *a: None  # the import's own memory, without re-scoring
    tracemalloc.start()
    try:
        counts = import_forecasts(db, p)
        return tracemalloc.get_traced_memory()[1], counts
    finally:
        tracemalloc.stop()
        db.close()


def test_memory_does_not_grow_with_the_file(tmp_path, monkeypatch):
    monkeypatch.setattr(run, "CHUNK", 500)
    small, c1 = _peak_import(tmp_path, 2_000, monkeypatch)
    large, c2 = _peak_import(tmp_path, 16_000, monkeypatch)
    assert c1["created"] == 2_000 and c2["created"] == 16_000
    assert large < small * 1.5, (small, large)  # 8 times the rows, not 8 times the memory


def test_rescore_gives_identical_score_tables(tmp_path, db_path):
    """After imports, resolves, a correction, an un-resolve and a re-import, `tracker rescore`
    (everything recomputed from the ledger) leaves every score table as the writes left it."""
    rng = random.Random(11)
    rows = ["question_id,author,probability,made_on,resolve_by,topic"]
    for _ in range(300):
        q = rng.randrange(40)
        rows.append(f"q{q},{rng.choice(['Ann', 'Bob', 'Cem', 'Dana;Ann'])},{rng.choice([0.05, 0.3, 0.5, 0.8, 0.97])},"
                    f"2019-0{1 + rng.randrange(5)}-{1 + rng.randrange(28):02d},2019-{7 + q % 6:02d}-01,t{q % 4}")
    f1 = _write(tmp_path / "f1.csv", "\n".join(rows[:200]) + "\n")
    f2 = _write(tmp_path / "f2.csv", "\n".join([rows[0]] + rows[200:]) + "\n")
    outs = _write(tmp_path / "o.csv", "question_id,outcome,resolved_on\n" + "".join(
        f"q{q},{rng.choice(['yes', 'no', 'annulled'])},2019-08-01\n" for q in range(0, 40, 2)))
    for args in (["--kind", "forecasts", f1], ["--kind", "outcomes", outs], ["--kind", "forecasts", f2]):
        assert runner.invoke(app, ["import", *map(str, args)]).exit_code == 0
    db = open_db(db_path)
    resolve(db, "q1", "yes", resolved_on="2019-08-02")
    resolve(db, "q3", "no", resolved_on="2019-08-02")
    resolve(db, "q2", "no" if db.execute("select outcome from current_outcomes where question_id = 'q2'").fetchone()[0]
            == "yes" else "yes", correct=True)
    unresolve(db, "q4")
    before = derived(db)
    assert before["forecast_scores"] and before["author_scores"]
    n_forecasts = db["forecasts"].count
    db.close()
    out = runner.invoke(app, ["rescore", "--json"])
    assert out.exit_code == 0, out.output
    report = json.loads(out.stdout)
    assert (report["forecasts"] == n_forecasts and report["scored"] == len(before["forecast_scores"])
            and report["seconds"] >= 0)
    db = open_db(db_path)
    assert derived(db) == before
    text = runner.invoke(app, ["rescore"])
    assert text.exit_code == 0 and text.stdout.startswith("Rescored ")


def test_skip_invalid_through_the_cli(tmp_path, db_path):
    p = _write(tmp_path / "f.csv", "question_id,author,probability,made_on\nq1,Ann,0.5,2019-01-01\n"
                                   "q2,Ann,high,2019-01-01\nq3,Ann,0.2,2019-01-01\n")
    out = runner.invoke(app, ["import", "--kind", "forecasts", str(p), "--skip-invalid"])
    assert out.exit_code == 0, out.output
    assert f"Rejected: {p}:3: probability: 'high' is not a number" in out.stderr
    assert "3 read, 2 created, 0 updated, 0 unchanged, 1 rejected" in out.stdout
    again = runner.invoke(app, ["import", "--kind", "forecasts", str(p), "--skip-invalid", "--json"])
    data = json.loads(again.stdout)[str(p)]
    assert data["unchanged"] == 2 and data["rejected"] == 1
    assert data["rejects"] == [{"line": 3, "error": f"{p}:3: probability: 'high' is not a number"}]
    strict = runner.invoke(app, ["import", "--kind", "forecasts", str(p)])
    assert strict.exit_code == 1 and strict.stderr.count("\n") == 1
    records = runner.invoke(app, ["import", str(p), "--skip-invalid"])
    assert records.exit_code == 1 and "--skip-invalid: goes with tables" in records.stderr


@pytest.mark.parametrize("body", ["", "q1,Ann,0.5,2019-01-01\n"], ids=["header only", "one row"])
def test_the_progress_bar_ends_cleanly_however_much_is_read(db, tmp_path, capsys, body):
    # the bar ends itself once the file is read (before re-scoring prints its stages); a file
    # with no rows never reached that point, and ending the bar a second time raised
    p = tmp_path / "f.csv"
    p.write_text("question_id,author,probability,made_on\n" + body)
    result = dispatch.import_files(db, [p], "forecasts", progress_bar=True)
    assert result[str(p)]["read"] == (1 if body else 0)
    assert capsys.readouterr().err == "f.csv\n"  # off a terminal, click shows the label alone


def test_several_files_in_one_import_are_scored_once(db, tmp_path, monkeypatch):
    from conftest import count_fits, rescored_copy

    (tmp_path / "f.csv").write_text("question_id,author,probability,made_on\nq1,Ann,0.7,2019-01-01\n"
                                    "q1,Bob,0.4,2019-01-01\nq2,Ann,0.2,2019-01-02\nq3,Bob,0.9,2019-01-02\n")
    (tmp_path / "o.csv").write_text("question_id,outcome,resolved_on\nq1,yes,2019-02-01\nq2,no,2019-02-01\n")
    dispatch.import_files(db, [tmp_path / "f.csv"], "forecasts")
    fits = count_fits(monkeypatch)
    (tmp_path / "o2.csv").write_text("question_id,outcome,resolved_on\nq3,yes,2019-02-01\n")
    dispatch.import_files(db, [tmp_path / "o.csv", tmp_path / "o2.csv"], "outcomes")
    assert len(fits) == 1
    assert derived(db) == derived(rescored_copy(db))


def test_a_nested_write_that_fails_is_undone_alone(db):
    """writing() inside writing() is a savepoint (plain SQL, without sqlite-utils): its failure undoes
    its own changes, and the outer write goes on and commits its own."""
    from tracker.ledger.connection import writing

    with writing(db, "outer"):
        db.execute("insert into authors (id, name) values ('kept', 'Kept')")
        with pytest.raises(sqlite3.IntegrityError), writing(db):
            db.execute("insert into authors (id, name) values ('undone', 'Undone')")
            db.execute("insert into authors (id, name) values ('kept', 'Again')")
        with writing(db):
            db.execute("insert into authors (id, name) values ('inner', 'Inner')")
    assert not db.in_transaction
    assert [r[0] for r in db.execute("select id from authors order by id")] == ["inner", "kept"]
