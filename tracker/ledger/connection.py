"""Opening the database: location, connection settings and migrations.

Every command goes through `open_db`, so every command sees the current schema.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from tracker.errors import TrackerError

if TYPE_CHECKING:
    from tracker.ledger.sqlite_utils_lean import Database

#: The name of the last step in migrations.py (a test holds the two together). A ledger that has
#: it applied is current, which `open_db` can see with one query, before importing sqlite-utils.
LATEST_STEP = "m017_audit_group_indexes"

DEFAULT_DB = Path("db") / "forecasts.db"
DB_ENV = "TRACKER_DB"


def default_path() -> Path:
    """`TRACKER_DB` if set, else db/forecasts.db below the working directory."""
    return Path(os.environ.get(DB_ENV) or DEFAULT_DB)


class Ledger:
    """The open ledger: its sqlite3 connection, and sqlite-utils' `Database` on the same connection
    for everything else (table helpers, migrations), made on first use.

    Importing sqlite-utils costs a command 60-70 ms, more than a `resolve`'s own work, and the
    paths that write outcomes and scores need none of it: they use `conn` (always inside
    `writing`'s transaction). Any other attribute is the `Database`'s, so the rest of tracker,
    and its tests, use a Ledger as they would a `Database`.
    """

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        # what sqlite-utils' Database sets on a connection, set here whether or not it is made
        conn.execute("PRAGMA recursive_triggers = on")

    @cached_property
    def utils(self) -> Database:
        from tracker.ledger.sqlite_utils_lean import Database

        # no sqlite-utils plugins: tracker registers none, and loading them scans every installed
        # package's entry points, which cost each command 20-40 ms
        return Database(self.conn, execute_plugins=False)

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.utils, name)

    def __getitem__(self, table: str):
        return self.utils[table]


def dict_rows(conn: sqlite3.Connection, sql: str, params=()) -> Iterator[dict]:
    """A query's rows as dicts, as sqlite-utils' `query` gives them, straight from the connection."""
    cursor = conn.execute(sql, params)
    columns = [d[0] for d in cursor.description]
    for row in cursor:
        yield dict(zip(columns, row))


def _current(conn: sqlite3.Connection) -> bool:
    """Whether every migration step is applied (steps apply in order, each in its own transaction)."""
    try:
        return conn.execute("select 1 from _sqlite_migrations where migration_set = 'tracker' and name = ?",
                            [LATEST_STEP]).fetchone() is not None
    except sqlite3.OperationalError:  # no migrations table: a new ledger
        return False


def open_db(path: str | Path | None = None, *, create: bool = True, write: bool = True) -> Ledger:
    """Open (and by default create) the ledger, with WAL, a busy timeout and all migrations applied.

    A file that is not a SQLite database, or cannot be written when `write` is asked for, is a
    TrackerError naming the path. With write=False a read-only file (a published snapshot, say)
    opens for reading, as long as its schema is current.
    """
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
        db = Ledger(conn)
        conn.execute("PRAGMA foreign_keys = ON")
        current = _current(conn)
        if not write and not _writable(path):
            if not current:
                raise TrackerError(f"{path}: database is read-only and its schema is out of date")
            return db
        # WAL lets Datasette read while an analyst writes; the busy timeout makes writers queue.
        if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            conn.execute("PRAGMA journal_mode = wal")
        if not current:
            from tracker.ledger.migrations import migrate

            migrate(db.utils)
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
def writing(db: Ledger | Database, note: str | None = None) -> Iterator[Ledger | Database]:
    """One write transaction, all or nothing, that takes the write lock at once (BEGIN IMMEDIATE).

    A plain BEGIN reads first and asks for the write lock later; if another analyst committed in
    between, SQLite must refuse the upgrade with "database is locked" and the busy timeout cannot
    help. Taking the lock up front makes concurrent writers queue instead. Inside a transaction
    already, this is a savepoint. `note` is kept with the audit trail of every change made.
    """
    from tracker.ledger.audit import ChangeGroup

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


@contextmanager
def indexes_built_after(conn: sqlite3.Connection, tables: list[str]) -> Iterator[None]:
    """Drop the tables' own indexes (their keys stay) for the block, and build them again after it.

    For a bulk write that makes a table several times bigger, one sort per index is much cheaper
    than inserting each entry into an index whose pages no longer fit in the cache. Only inside a
    transaction: if the block fails, the indexes are not built here; the rollback brings them back.
    """
    if not conn.in_transaction:
        raise RuntimeError("indexes_built_after needs a transaction")
    marks = ", ".join("?" * len(tables))
    saved = conn.execute(f"select name, sql from sqlite_master where type = 'index' and sql is not null "
                         f"and tbl_name in ({marks}) order by name", tables).fetchall()
    for name, _ in saved:
        conn.execute(f"drop index [{name}]")
    yield
    for _, sql in saved:
        conn.execute(sql)
