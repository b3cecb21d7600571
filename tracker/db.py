"""Opening the database: location, connection settings and migrations.

Every command goes through `open_db`, so every command sees the current schema.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .sqlite_utils_lean import sqlite_utils

from .errors import TrackerError

DEFAULT_DB = Path("db") / "forecasts.db"
DB_ENV = "TRACKER_DB"


def default_path() -> Path:
    """`TRACKER_DB` if set, else db/forecasts.db below the working directory."""
    return Path(os.environ.get(DB_ENV) or DEFAULT_DB)


def open_db(path: str | Path | None = None, *, create: bool = True, write: bool = True) -> sqlite_utils.Database:
    """Open (and by default create) the ledger, with WAL, a busy timeout and all migrations applied.

    A file that is not a SQLite database, or cannot be written when `write` is asked for, is a
    TrackerError naming the path. With write=False a read-only file (a published snapshot, say)
    opens for reading, as long as its schema is current.
    """
    from .migrations import migrate, migrations

    path = Path(path) if path is not None else default_path()
    if not path.exists():
        if not create:
            raise TrackerError(f"{path}: no database here; run `tracker import` first or pass --db")
        path.parent.mkdir(parents=True, exist_ok=True)
    elif path.is_dir():
        raise TrackerError(f"{path}: is a directory, not a SQLite database")
    try:
        conn = sqlite3.connect(str(path), timeout=30)  # the busy timeout: writers queue for 30 s
        # Fail fast on a file that is not a database, before any write is attempted.
        conn.execute("select count(*) from sqlite_master").fetchone()
        db = sqlite_utils.Database(conn)
        conn.execute("PRAGMA foreign_keys = ON")
        if not write and not _writable(path):
            if migrations.pending(db):
                raise TrackerError(f"{path}: database is read-only and its schema is out of date")
            return db
        # WAL lets Datasette read while an analyst writes; the busy timeout makes writers queue.
        if db.journal_mode != "wal":
            db.enable_wal()
        migrate(db)
    except sqlite3.DatabaseError as e:
        msg = str(e)
        if "not a database" in msg:
            raise TrackerError(f"{path}: not a SQLite database") from None
        if "readonly" in msg or "read-only" in msg:
            raise TrackerError(f"{path}: database is read-only") from None
        raise TrackerError(f"{path}: {msg}") from None
    return db


def _writable(path: Path) -> bool:
    """Whether the file can really be opened for writing (file modes say nothing to root)."""
    try:
        with open(path, "r+b"):
            return True
    except OSError:
        return False


@contextmanager
def writing(db: sqlite_utils.Database, note: str | None = None) -> Iterator[sqlite_utils.Database]:
    """One write transaction, all or nothing, that takes the write lock at once (BEGIN IMMEDIATE).

    A plain BEGIN reads first and asks for the write lock later; if another analyst committed in
    between, SQLite must refuse the upgrade with "database is locked" and the busy timeout cannot
    help. Taking the lock up front makes concurrent writers queue instead. Inside a transaction
    already, this is a savepoint. `note` is kept with the audit trail of every change made.
    """
    from .audit import ChangeGroup

    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        # every change made inside is filed under one change group: who, which command, why
        with ChangeGroup(db, note):
            yield db
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise
    else:
        db.conn.execute("COMMIT")

