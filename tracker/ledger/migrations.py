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
from tracker.ledger.audit import AUDITED, GROUP_CREATED
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


def _old_values(db: Database, table: str) -> str:
    """The row's values as JSON, encoded as sqlite-history-json's insert trigger encodes them
    (a null as {"null": 1}), read from OLD: the values it was created with, if nothing changed it."""
    columns = [r[1] for r in db.execute(f"pragma table_info([{table}])").fetchall()
               if r[1] != "import_group" and not r[5]]
    pairs = ", ".join(f"'{c}', case when OLD.[{c}] is null then json_object('null', 1) else OLD.[{c}] end"
                      for c in columns)
    return f"json_object({pairs}, 'import_group', OLD.import_group)"


@migrations()
def m003_import_groups(db: Database) -> None:
    """A bulk import's created rows are audited as one group (issue 19): `import_groups` says which
    file (and its SHA-256), how many rows, who, which command and why; every forecast and author
    link it creates carries the group's id and writes no audit row of its own. The first time
    such a row is changed or deleted, its values as created are written to the trail first (they
    are the row's values until then: any change to it is audited), so replaying the trail gives
    the whole history. The import log also keeps what an unchanged re-import needs to know."""
    script(db, """
        CREATE TABLE import_groups (
            id INTEGER PRIMARY KEY,
            -- the audit trail's change group of the same write (who, command and note, as there)
            change_group INTEGER NOT NULL,
            path TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            kind TEXT NOT NULL,
            -- how many rows carry this group's id: forecasts, and links of forecasts to authors
            forecasts INTEGER NOT NULL,
            forecast_authors INTEGER NOT NULL,
            by TEXT,
            command TEXT,
            note TEXT,
            -- as the audit trail writes times
            at TEXT NOT NULL
        );
        CREATE TRIGGER import_groups_no_update BEFORE UPDATE ON import_groups
        BEGIN SELECT RAISE(ABORT, 'import groups are append-only'); END;
        CREATE TRIGGER import_groups_no_delete BEFORE DELETE ON import_groups
        BEGIN SELECT RAISE(ABORT, 'import groups are append-only'); END;
        ALTER TABLE forecasts ADD COLUMN import_group INTEGER REFERENCES import_groups(id);
        ALTER TABLE forecast_authors ADD COLUMN import_group INTEGER REFERENCES import_groups(id);
        -- what an unchanged file's re-import checks against (tracker.ledger.import_log)
        ALTER TABLE imports ADD COLUMN rejected INTEGER;
        ALTER TABLE imports ADD COLUMN state TEXT;
    """)
    for table in GROUP_CREATED:
        pk = [r[1] for r in db.execute(f"pragma table_info([{table}])").fetchall() if r[5]]
        trigger = f"_history_json_{table}_insert"
        (sql,) = db.execute("select sql from sqlite_master where name = ?", [trigger]).fetchone()
        head = f"after insert on [{table}]\n"
        if head not in sql:
            raise TrackerError(f"the audit trigger {trigger} is not as sqlite-history-json writes it")
        db.execute(f"drop trigger [{trigger}]")
        db.execute(sql.replace(head, f"after insert on [{table}] when NEW.import_group is null\n"))
        last = " and ".join(f"pk_{c} = OLD.[{c}]" for c in pk)
        keys = ", ".join(f"[pk_{c}]" for c in pk)
        olds = ", ".join(f"OLD.[{c}]" for c in pk)
        for event in ("update", "delete"):
            script(db, f"""
                CREATE TRIGGER [{table}_created_by_import_before_{event}] BEFORE {event.upper()} ON [{table}]
                WHEN OLD.import_group IS NOT NULL AND coalesce((SELECT operation FROM [_history_json_{table}]
                    WHERE {last} ORDER BY id DESC LIMIT 1), 'delete') = 'delete'
                BEGIN
                    INSERT INTO [_history_json_{table}] (timestamp, operation, {keys}, updated_values, [group])
                    SELECT g.at, 'insert', {olds}, {_old_values(db, table)}, g.change_group
                    FROM import_groups g WHERE g.id = OLD.import_group;
                END;""")
    # change_log keeps one entry per created row: a row still as its import created it has none
    # in the trail (its last entry, if any, is a delete), and is read from its group instead.
    (view,) = db.execute("select sql from sqlite_master where name = 'change_log'").fetchone()
    branches = "".join(f"""
        UNION ALL
        SELECT '{table}' AS table_name, {record} AS record, NULL AS change, g.at, 'insert' AS operation,
               json_object('import_group', r.import_group) AS new_values, g.by, g.command, g.note
        FROM [{table}] r JOIN import_groups g ON g.id = r.import_group
        WHERE coalesce((SELECT operation FROM [_history_json_{table}] a WHERE {match}
                        ORDER BY a.id DESC LIMIT 1), 'delete') = 'delete'"""
        for table, record, match in (
            ("forecasts", "r.id", "a.pk_id = r.id"),
            ("forecast_authors", "r.forecast_id || '/' || r.author_id",
             "a.pk_forecast_id = r.forecast_id AND a.pk_author_id = r.author_id")))
    db.execute("drop view change_log")
    db.execute(view.rstrip().rstrip(";") + branches)


#: seconds a command waits for others building the same new ledger (the connection's busy timeout)
MIGRATION_WAIT = 30


def migrate(db: Database) -> None:
    """Apply every pending step; a no-op on an up-to-date ledger."""
    # Commands opening a new database at once all find the steps pending; the one that loses a
    # step's race fails it (locked, or the table already made) and rolls it back, and even
    # reading which steps are pending can meet a lock. Wait for the others, as long as the busy
    # timeout lets a writer wait (a fixed 50 tries of 0.1 s ran out on a loaded machine).
    deadline = time.monotonic() + MIGRATION_WAIT
    while True:
        try:
            if not migrations.pending(db):
                return
            migrations.apply(db)
            return
        except sqlite3.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
