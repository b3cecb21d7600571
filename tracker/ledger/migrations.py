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
