import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tracker.cli import app
from tracker.errors import TrackerError
from tracker.ledger.audit import AUDITED
from tracker.ledger.migrations import migrations
from tracker.ledger.outcomes import resolve
from tracker.scores.derived import open_db


def test_fresh_database_has_the_schema(db):
    assert {"authors", "documents", "document_authors", "questions", "forecasts", "forecast_authors",
            "outcomes", "outcome_evidence", "forecast_scores", "author_scores", "document_scores",
            "question_scores", "topic_scores", "imports"} <= set(db.table_names())
    assert {"current_outcomes", "forecast_ledger", "outcome_history"} <= set(db.view_names())


def test_every_migration_is_recorded_once_in_order(db_path):
    open_db(db_path).close()
    open_db(db_path).close()  # a second open applies nothing
    conn = sqlite3.connect(db_path)
    names = [r[0] for r in conn.execute("select name from _sqlite_migrations order by id")]
    assert names == [m.name for m in migrations._migrations]
    assert names == sorted(names), "migration names must sort in the order they run"


def test_views_are_plain_sql_readable_without_tracker(small_db, db_path):
    # A bare sqlite3 connection (no functions of ours registered) reads every view.
    conn = sqlite3.connect(db_path)
    for view in ("current_outcomes", "forecast_ledger", "outcome_history"):
        conn.execute(f"select * from {view}").fetchall()
    rows = conn.execute("select id, outcome, brier from forecast_ledger order by id").fetchall()
    assert rows[0] == ("f1", "no", pytest.approx(0.64))


def test_outcomes_are_append_only(small_db):
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        small_db.execute("update outcomes set outcome = 'yes'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        small_db.execute("delete from outcomes")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        small_db.execute("delete from outcome_evidence")


def test_probability_outside_unit_interval_is_refused_by_the_schema(small_db):
    with pytest.raises(sqlite3.IntegrityError):
        small_db.execute("update forecasts set probability = 1.5 where id = 'f1'")


def test_not_a_database_is_a_clear_error(tmp_path):
    bad = tmp_path / "notes.db"
    bad.write_text("this is not sqlite " * 100)
    before = bad.read_bytes()
    with pytest.raises(TrackerError, match="not a SQLite database"):
        open_db(bad)
    assert bad.read_bytes() == before


def test_wal_and_busy_timeout(db):
    assert db.execute("pragma journal_mode").fetchone()[0] == "wal"
    assert db.execute("pragma busy_timeout").fetchone()[0] == 30000


FIXTURE = Path(__file__).parent / "fixtures" / "ledger-0.1.0.sql"
#: what analysts recorded; a migration must keep every row of these as it was
LEDGER_TABLES = ("authors", "documents", "document_authors", "document_versions", "questions", "forecasts",
                 "forecast_authors", "outcomes", "outcome_evidence", "imports", "_history_json",
                 *(f"_history_json_{t}" for t in AUDITED))
#: derived rows as 0.1.0 stored them (score_sums is left out: its packed form may change; board_fits
#: holds the time of the fit)
#: columns later steps add to ledger tables (m003_import_groups), null on the rows before them
ADDED_COLUMNS = {"forecasts": 1, "forecast_authors": 1, "imports": 2}
SCORE_TABLES = ("forecast_scores", "multiple_choice_scores", "time_weighted_scores", "peer_scores",
                "author_scores", "document_scores", "question_scores", "topic_scores", "horizon_scores",
                "calibration_bins", "calibration_summary", "auc_counts", "sensitivity_scenarios",
                "adjusted_scores")


def _load_fixture(path: Path) -> Path:
    conn = sqlite3.connect(path)
    conn.executescript(FIXTURE.read_text(encoding="utf-8"))
    conn.close()
    return path


def _rows(path: Path, tables) -> dict:
    conn = sqlite3.connect(path)
    try:
        return {t: sorted(conn.execute(f"select * from [{t}]").fetchall(), key=repr) for t in tables}
    finally:
        conn.close()


def _narrowed(after: dict, before: dict) -> dict:
    """The rows without the columns later steps added (ADDED_COLUMNS), which must be null on
    every row that was there before them."""
    out = dict(after)
    for table, added in ADDED_COLUMNS.items():
        width = len(before[table][0])
        assert {r[width:] for r in after[table]} == {(None,) * added}, table
        out[table] = [r[:width] for r in after[table]]
    return out


def _columns(path: Path, tables) -> dict:
    conn = sqlite3.connect(path)
    try:
        return {t: conn.execute(f"pragma table_info([{t}])").fetchall() for t in tables}
    finally:
        conn.close()


def test_a_ledger_made_by_0_1_0_opens_migrates_and_scores_as_it_did(tmp_path):
    """The fixture was made by 0.1.0's own commands. Its ledger tables are the baseline already,
    so they are kept row for row; its score tables are rebuilt by `tracker migrate`, never by
    opening it, and the rebuilt rows are the ones 0.1.0 computed."""
    path = _load_fixture(tmp_path / "old.db")
    before = _rows(path, LEDGER_TABLES + SCORE_TABLES)
    with pytest.raises(TrackerError, match=r"score tables were made by another version of tracker; "
                                           r"run `tracker migrate --db .*old.db`"):
        open_db(path)
    assert _narrowed(_rows(path, LEDGER_TABLES + SCORE_TABLES), before) == before  # refusing changed nothing
    result = CliRunner().invoke(app, ["migrate", "--db", str(path)])
    assert result.exit_code == 0, result.output
    assert "score tables rebuilt (their definition changed)" in result.output
    scored = len(before["forecast_scores"]) + len(before["multiple_choice_scores"])
    assert f": {scored} of {len(before['forecasts'])} forecasts scored." in result.output
    after = _narrowed(_rows(path, LEDGER_TABLES + SCORE_TABLES), before)
    for table in LEDGER_TABLES + SCORE_TABLES:
        if table == "adjusted_scores":  # since issue 16, fitted on one score per (author, question), crowds beside
            assert [r[0] for r in after[table] if not r[1]] == [r[0] for r in before[table]], table
        elif table == "calibration_summary":  # since issue 16, no ROC AUC with under 3 events or non-events
            assert [r[:-1] for r in after[table]] == [r[:-1] for r in before[table]]
            assert all(new[-1] in (None, old[-1]) for new, old in zip(after[table], before[table], strict=True))
        else:
            assert after[table] == before[table], table
    fresh = tmp_path / "fresh.db"
    open_db(fresh).close()
    # the baseline builds the same ledger tables, column for column, as 0.1.0's seventeen steps
    assert _columns(path, LEDGER_TABLES) == _columns(fresh, LEDGER_TABLES)
    conn = sqlite3.connect(path)
    assert {r[0] for r in conn.execute("select name from sqlite_master where type = 'view'")} == {
        r[0] for r in sqlite3.connect(fresh).execute("select name from sqlite_master where type = 'view'")}
    assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
    assert conn.execute("pragma foreign_key_check").fetchall() == []
    conn.close()
    again = CliRunner().invoke(app, ["migrate", "--db", str(path)])
    assert again.exit_code == 0 and "score tables current" in again.output
    # and it is an ordinary ledger again: a write keeps its scores current
    db = open_db(path)
    resolve(db, "q-open-future", "yes", resolved_on="2021-03-01")
    assert db.execute("select count(*) from forecast_scores where question_id = 'q-open-future'").fetchone()[0] == 1
    db.close()


def test_a_ledger_older_than_0_1_0_is_refused_with_what_to_do(tmp_path):
    path = _load_fixture(tmp_path / "older.db")
    conn = sqlite3.connect(path)
    conn.execute("delete from _sqlite_migrations where name >= 'm010'")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(TrackerError, match=r"older.db: this ledger's schema predates tracker 0.1.0 "
                                           r"\(it lacks m017_audit_group_indexes\)"):
        open_db(path)
    assert path.read_bytes() == before


def test_a_new_ledger_has_every_score_table_its_definition_names(db):
    from tracker.scores import derived

    present = {(r[0], r[1]) for r in db.execute("select type, name from sqlite_master")}
    assert set(derived.objects()) <= present
    assert derived.state(db) == "current"


def test_latest_step_names_the_last_migration():
    # open_db skips importing migrations (and sqlite-utils) when a ledger has LATEST_STEP applied,
    # so a new step must move LATEST_STEP too, or ledgers would never get it
    from tracker.ledger.connection import LATEST_STEP
    from tracker.ledger.migrations import migrations
    from tracker.ledger.sqlite_utils_lean import Database

    assert [m.name for m in migrations.pending(Database(memory=True))][-1] == LATEST_STEP


def test_every_group_table_carries_the_same_summary_as_the_code_computes(db):
    """scores/schema.sql writes the summary columns out for each group table (SQL has no macro):
    they must stay the same five times, and be the columns summary_from_sums fills."""
    from tracker.scores import sums

    summary = list(sums.summary_from_sums({"forecasts": 1, "brier.n": 1}))
    for table in ("author_scores", "document_scores", "question_scores", "topic_scores", "horizon_scores"):
        columns = [r[1] for r in db.execute(f"pragma table_info({table})")]
        assert columns[1:1 + len(summary)] == summary, table


def test_someone_elses_sqlite_file_is_refused_and_left_as_it_was(tmp_path):
    notes = tmp_path / "notes.db"
    conn = sqlite3.connect(notes)
    conn.execute("create table notes (id integer primary key, body text)")
    conn.execute("insert into notes (body) values ('mine')")
    conn.commit()
    conn.close()
    before = notes.read_bytes()
    result = CliRunner().invoke(app, ["score", "--db", str(notes)])
    assert result.exit_code == 1
    assert result.output.strip().endswith("notes.db: not a tracker ledger (a SQLite database with tables of its "
                                          "own); pass --db a ledger, or a new file to make one")
    assert "Traceback" not in result.output
    with pytest.raises(TrackerError, match="not a tracker ledger"):
        open_db(notes)
    assert notes.read_bytes() == before  # no tables, no triggers, no WAL


def test_an_empty_sqlite_file_becomes_a_ledger(tmp_path):
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()  # a 0-byte file, as `sqlite3 empty.db ''` leaves it
    db = open_db(empty)
    assert {"forecasts", "author_scores"} <= set(db.table_names())
    db.close()


def test_a_ledger_a_newer_tracker_migrated_is_refused_with_what_it_needs(tmp_path):
    path = tmp_path / "newer.db"
    open_db(path).close()
    conn = sqlite3.connect(path)
    conn.execute("insert into _sqlite_migrations (migration_set, name, applied_at) "
                 "values ('tracker', 'm999_from_the_future', '2030-01-01')")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(TrackerError, match=r"newer.db: a newer tracker has migrated this ledger \(its schema step "
                                           r"'m999_from_the_future' is unknown to this version, whose last is "
                                           r"'m003_import_groups'\); upgrade tracker to open it"):
        open_db(path)
    result = CliRunner().invoke(app, ["forecasts", "--db", str(path)])
    assert result.exit_code == 1 and "upgrade tracker to open it" in result.output
    assert path.read_bytes() == before
