import sqlite3

import pytest

from tracker.ledger.connection import open_db
from tracker.errors import TrackerError
from tracker.ledger.migrations import migrations


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
    assert db.journal_mode == "wal"
    assert db.execute("pragma busy_timeout").fetchone()[0] == 30000


def test_upgrading_a_database_keeps_its_ledger(tmp_path):
    """A database made before the multiple-choice step is rebuilt without losing a row."""
    import sqlite_utils

    path = tmp_path / "old.db"
    old = sqlite_utils.Database(path)
    old.conn.execute("PRAGMA foreign_keys = ON")
    migrations.apply(old, stop_before="m008_multiple_choice")
    # rows as the old schema takes them (today's importer writes today's schema)
    old.executescript("""
        insert into authors (id, name) values ('ann', 'Ann'), ('bob', 'Bob');
        insert into questions (id, title, resolve_by) values ('q1', 'X?', '2019-03-01');
        insert into forecasts (id, question_id, made_on, probability, interval_low, interval_high, method, phrase)
            values ('f1', 'q1', '2019-02-01', 0.8, 0.7, 0.9, 'analyst', 'zu erwarten'),
                   ('f2', 'q1', '2019-02-02', 0.3, null, null, 'stated', null);
        insert into forecast_authors values ('f1', 'ann', 1), ('f2', 'ann', 1), ('f2', 'bob', 2);
        insert into outcomes (question_id, action, outcome, resolved_on, source)
            values ('q1', 'resolve', 'no', '2019-02-28', 'cli');
        insert into outcome_evidence (outcome_id, position, url) values (1, 1, 'https://example.org');
    """)
    before = {t: list(old.query(f"select * from {t} order by 1")) for t in ("forecasts", "outcomes", "outcome_evidence")}
    old.close()
    db = open_db(path)
    assert [r[0] for r in db.execute("select name from _sqlite_migrations")][-1] == migrations._migrations[-1].name
    after = {t: list(db.query(f"select * from {t} order by 1")) for t in before}
    for row in after["forecasts"]:
        assert row.pop("probabilities") is None and row.pop("probabilities_given") is None
    assert after == before
    assert db.execute("pragma foreign_keys").fetchone()[0] == 1
    assert db.execute("pragma foreign_key_check").fetchall() == []
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("delete from outcomes")
    assert db["author_scores"].get("ann")["n"] == 2


def test_latest_step_names_the_last_migration():
    # open_db skips importing migrations (and sqlite-utils) when a ledger has LATEST_STEP applied,
    # so a new step must move LATEST_STEP too, or ledgers would never get it
    from tracker.ledger.connection import LATEST_STEP
    from tracker.ledger.migrations import migrations
    from tracker.ledger.sqlite_utils_lean import Database

    assert [m.name for m in migrations.pending(Database(memory=True))][-1] == LATEST_STEP
