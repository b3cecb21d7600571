"""The ledger's schema, as an ordered list of small named steps (sqlite-utils 4 `Migrations`).

The first step creates the whole ledger as `schema.sql` and `audit.sql` define it; every change
after it is a new step below, never an edit of a step that has shipped. `open_db` applies whatever
is pending when it opens a ledger. These steps touch only the ledger's own tables: the derived
score tables are defined in tracker/scores/schema.sql and rebuilt by `tracker migrate`.
"""

from __future__ import annotations

import sqlite3
import time
from importlib import resources
from typing import TYPE_CHECKING

from tracker.errors import TrackerError
from tracker.ledger.audit import AUDITED
from tracker.ledger.sqlite_utils_lean import Database, Migrations

if TYPE_CHECKING:
    from tracker.ledger.connection import Ledger

migrations = Migrations("tracker")

#: The last of the steps that built ledgers up to tracker 0.1.0 (m001_people_and_documents to
#: m017_audit_group_indexes, in git history before the baseline). A ledger that has it applied
#: already has every table the baseline creates.
LEGACY_LAST_STEP = "m017_audit_group_indexes"


def script(db: Database | Ledger, sql: str) -> None:
    """Run several statements inside the caller's transaction (sqlite3's executescript would
    commit first, so a failing step could leave half a schema behind)."""
    statement = ""
    for part in sql.split(";"):
        statement += part + ";"
        if sqlite3.complete_statement(statement):
            if statement.strip(" \n;"):
                db.execute(statement)
            statement = ""


def _sql(name: str) -> str:
    return resources.files("tracker.ledger").joinpath(name).read_text(encoding="utf-8")


@migrations()
def m001_baseline(db: Database) -> None:
    legacy = {r[0] for r in db.execute("select name from _sqlite_migrations where migration_set = 'tracker'")}
    if legacy:
        # Made by tracker 0.1.0, whose steps each ran when a command opened the ledger: at its last
        # step the ledger's tables are exactly this baseline, so there is nothing to create.
        if LEGACY_LAST_STEP not in legacy:
            raise TrackerError(f"this ledger's schema predates tracker 0.1.0 (it lacks {LEGACY_LAST_STEP}); "
                               f"open it once with tracker 0.1.0, then with this version")
        return
    script(db, _sql("schema.sql"))
    # Every change to the ledger's own tables, through sqlite-history-json's triggers.
    from sqlite_history_json import enable_tracking

    for table in AUDITED:
        enable_tracking(db.conn, table)
    script(db, _sql("audit.sql"))


@migrations()
def m002_source_ids_and_times(db: Database) -> None:
    """Real data in (issue 15): a yes-no question may resolve to a probability (a market's value
    for a question it left unresolved), stored as that number's text; and an author may be known
    by more than one name, which only the user can say (`author_aliases`, append-only)."""
    script(db, """
        DROP TRIGGER outcomes_fit_the_question;
        CREATE TRIGGER outcomes_fit_the_question BEFORE INSERT ON outcomes
        WHEN NEW.outcome IS NOT NULL AND NEW.outcome != 'annulled' AND (
            CASE (SELECT kind FROM questions WHERE id = NEW.question_id)
                WHEN 'multiple_choice' THEN NOT EXISTS (
                    SELECT 1 FROM questions q, json_each(q.options) o
                    WHERE q.id = NEW.question_id AND o.value = NEW.outcome)
                ELSE NEW.outcome NOT IN ('yes', 'no') AND NOT (
                    NEW.outcome NOT GLOB '*[^0-9.e-]*'
                    AND CAST(NEW.outcome AS REAL) > 0 AND CAST(NEW.outcome AS REAL) < 1)
            END)
        BEGIN SELECT RAISE(ABORT, 'outcome does not fit the question: yes, no, annulled, a probability, an option');
        END;

        -- Another name of an author, as the user declared it: rows naming `name` are that author's.
        CREATE TABLE author_aliases (
            name TEXT PRIMARY KEY,
            -- deferred: an import may declare a name of an author it is about to create
            author_id TEXT NOT NULL REFERENCES authors(id) DEFERRABLE INITIALLY DEFERRED,
            recorded_by TEXT,
            recorded_at TEXT NOT NULL,
            note TEXT
        );
        CREATE INDEX idx_author_aliases_author ON author_aliases(author_id);
        CREATE TRIGGER author_aliases_no_update BEFORE UPDATE ON author_aliases
        BEGIN SELECT RAISE(ABORT, 'author aliases are append-only'); END;
        CREATE TRIGGER author_aliases_no_delete BEFORE DELETE ON author_aliases
        BEGIN SELECT RAISE(ABORT, 'author aliases are append-only'); END;
    """)


def migrate(db: Database) -> None:
    """Apply every pending step; a no-op on an up-to-date ledger."""
    if not migrations.pending(db):
        return
    for attempt in range(50):
        try:
            migrations.apply(db)
            return
        except sqlite3.OperationalError:
            # Two commands opening a new database at once both find the steps pending; the one
            # that loses a step's race fails it and rolls it back. Wait for the other to finish.
            if not migrations.pending(db):
                return
            if attempt == 49:
                raise
            time.sleep(0.1)
