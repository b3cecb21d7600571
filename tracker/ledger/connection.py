"""Opening the ledger, and the one way to reach it: a `Ledger` and its methods.

Every command opens its ledger through `open_db`, which applies the ledger's pending migration
steps. Writes go through `writing`: one transaction, all or nothing, filed in the audit trail.
A write that changes what derived data depends on says so with `touched`; the ledger itself
knows nothing of scores, and whoever opened it (tracker.scores.derived) decides what to
recompute before the transaction commits.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracker.errors import TrackerError

if TYPE_CHECKING:
    from sqlite_utils.db import Table

    from tracker.ledger.sqlite_utils_lean import Database

#: The name of the last step in migrations.py (a test holds the two together). A ledger that has
#: it applied is current, which `open_db` can see with one query, before importing sqlite-utils.
LATEST_STEP = "m003_import_groups"

DEFAULT_DB = Path("db") / "forecasts.db"
DB_ENV = "TRACKER_DB"


def default_path() -> Path:
    """`TRACKER_DB` if set, else db/forecasts.db below the working directory."""
    return Path(os.environ.get(DB_ENV) or DEFAULT_DB)


class Changes:
    """What one write transaction changed that derived data depends on: the questions whose
    forecasts or outcomes changed (None: possibly all of them), and whether a fit across every
    author and question is wanted now (True), never (False) or if cheap (None)."""

    def __init__(self) -> None:
        self.questions: set[str] | None = set()
        self.refit: bool | None = False

    def add(self, question_ids: Iterable[str] | None, refit: bool | None) -> None:
        if question_ids is None:
            self.questions = None
        elif self.questions is not None:
            self.questions.update(question_ids)
        if refit or (refit is None and self.refit is False):  # the strongest asked for wins
            self.refit = refit

    def __bool__(self) -> bool:
        return self.questions is None or bool(self.questions)


class Ledger:
    """An open ledger. Everything in tracker reaches SQLite through these methods.

    `execute`, `executemany` and `query` go straight to the sqlite3 connection. `db[name]` is a
    sqlite-utils Table, for its insert and upsert helpers; sqlite-utils is imported only then,
    because its import costs a command 0.1 s and the paths that record one outcome need none of it.
    """

    def __init__(self, conn: sqlite3.Connection, path: Path | None = None):
        self.conn = conn
        self.path = path
        #: called with the ledger and its Changes before a write that changed something commits
        self.derive: Callable[[Ledger, Changes], None] | None = None
        #: the changes of the write transaction under way (None outside one)
        self.changes: Changes | None = None
        self._savepoints = 0  # savepoints opened, for their names

    # ---------------------------------------------------------------- SQL

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]] | Iterable[dict[str, Any]]) -> sqlite3.Cursor:
        return self.conn.executemany(sql, rows)

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Iterator[dict[str, Any]]:
        """A query's rows as dicts."""
        cursor = self.conn.execute(sql, params)
        columns = [d[0] for d in cursor.description]
        for row in cursor:
            yield dict(zip(columns, row, strict=True))

    @property
    def in_transaction(self) -> bool:
        return self.conn.in_transaction

    @contextmanager
    def atomic(self) -> Iterator[Ledger]:
        """A savepoint inside a transaction, or a transaction of its own: all or nothing. The
        savepoint is plain SQL: a nested write (every import of a file) would otherwise import
        sqlite-utils for it, 55 ms of a re-import that changes nothing."""
        if not self.conn.in_transaction:
            with self.utils.atomic():
                yield self
            return
        self._savepoints += 1
        name = f"tracker_{self._savepoints}"
        self.conn.execute(f"SAVEPOINT {name}")
        try:
            yield self
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute(f"ROLLBACK TO {name}")
                self.conn.execute(f"RELEASE {name}")
            raise
        self.conn.execute(f"RELEASE {name}")

    # ---------------------------------------------------------------- tables

    @cached_property
    def utils(self) -> Database:
        """sqlite-utils' Database on the same connection (for table helpers and migrations)."""
        from tracker.ledger.sqlite_utils_lean import Database

        # no sqlite-utils plugins: tracker registers none, and loading them scans every installed
        # package's entry points, which cost each command 20-40 ms
        return Database(self.conn, execute_plugins=False)

    def __getitem__(self, name: str) -> Table:
        return self.utils.table(name)

    def count(self, table: str) -> int:
        return self.conn.execute(f"select count(*) from [{table}]").fetchone()[0]

    def table_names(self) -> list[str]:
        return [r[0] for r in self.conn.execute("select name from sqlite_master where type = 'table' order by name")]

    def view_names(self) -> list[str]:
        return [r[0] for r in self.conn.execute("select name from sqlite_master where type = 'view' order by name")]

    def close(self) -> None:
        self.conn.close()


def _current(conn: sqlite3.Connection) -> bool:
    """Whether every migration step is applied (steps apply in order, each in its own transaction)."""
    try:
        return conn.execute("select 1 from _sqlite_migrations where migration_set = 'tracker' and name = ?",
                            [LATEST_STEP]).fetchone() is not None
    except sqlite3.OperationalError:  # no migrations table: a new ledger
        return False


def _refuse_what_is_not_ours(conn: sqlite3.Connection, path: Path, current: bool) -> None:
    """A file holding someone else's tables, or a ledger a newer tracker migrated, is refused before
    anything is written to it; an empty SQLite file may become a ledger."""
    if current:
        newer = conn.execute("""select name from _sqlite_migrations where migration_set = 'tracker' and id >
                                (select id from _sqlite_migrations where migration_set = 'tracker' and name = ?)
                                order by id""", [LATEST_STEP]).fetchall()
        if newer:
            raise TrackerError(f"{path}: a newer tracker has migrated this ledger (its schema step "
                               f"{newer[-1][0]!r} is unknown to this version, whose last is {LATEST_STEP!r}); "
                               f"upgrade tracker to open it")
        return
    if conn.execute("select count(*) from sqlite_master where tbl_name != '_sqlite_migrations'").fetchone()[0] == 0:
        return  # an empty database, or one whose first step has yet to run: a new ledger
    try:
        ours = conn.execute("select 1 from _sqlite_migrations where migration_set = 'tracker' limit 1").fetchone()
    except sqlite3.OperationalError:
        ours = None
    if ours is None:
        raise TrackerError(f"{path}: not a tracker ledger (a SQLite database with tables of its own); "
                           f"pass --db a ledger, or a new file to make one")


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
    elif not path.is_file():  # SQLite would block on a pipe, or say only "disk I/O error"
        raise TrackerError(f"{path}: is not a regular file (a pipe or a device), not a SQLite database")
    try:
        conn = sqlite3.connect(str(path), timeout=30)  # the busy timeout: writers queue for 30 s
        # Fail fast on a file that is not a database, before any write is attempted.
        conn.execute("select count(*) from sqlite_master").fetchone()
        db = Ledger(conn, path)
        conn.execute("PRAGMA foreign_keys = ON")
        # what sqlite-utils' Database sets on a connection, set here whether or not one is made
        conn.execute("PRAGMA recursive_triggers = on")
        current = _current(conn)
        _refuse_what_is_not_ours(conn, path, current)
        if not write and not _writable(path):
            if not current:
                raise TrackerError(f"{path}: database is read-only and its schema is out of date")
            return db
        if not current:
            from tracker.ledger.migrations import migrate

            try:
                migrate(db.utils)
            except TrackerError as e:  # a ledger it cannot migrate is left as it was
                raise TrackerError(f"{path}: {e}") from None
        # WAL lets Datasette read while an analyst writes; the busy timeout makes writers queue.
        if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            conn.execute("PRAGMA journal_mode = wal")
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
def writing(db: Ledger, note: str | None = None) -> Iterator[Ledger]:
    """One write transaction, all or nothing, that takes the write lock at once (BEGIN IMMEDIATE).

    A plain BEGIN reads first and asks for the write lock later; if another analyst committed in
    between, SQLite must refuse the upgrade with "database is locked" and the busy timeout cannot
    help. Taking the lock up front makes concurrent writers queue instead. Inside a transaction
    already, this is a savepoint. `note` is kept with the audit trail of every change made.
    Before it commits, the changes that writes inside reported (`touched`) go to `db.derive`.
    """
    from tracker.ledger.audit import ChangeGroup

    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    db.changes = Changes()
    try:
        # every change made inside is filed under one change group: who, which command, why
        with ChangeGroup(db, note):
            yield db
            if db.changes:
                if db.derive is None:
                    raise RuntimeError("this write changed forecasts or outcomes, but the ledger was opened "
                                       "without anything to keep its scores current (tracker.scores.derived.open_db)")
                db.derive(db, db.changes)
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise
    else:
        db.conn.execute("COMMIT")
    finally:
        db.changes = None


def touched(db: Ledger, question_ids: Iterable[str] | None = None, *, refit: bool | None = None) -> None:
    """Report, inside a write, that the forecasts or outcomes of `question_ids` (all when None)
    changed; `refit` as in Changes. Whatever derives data from them sees it before the commit."""
    if db.changes is None:
        raise RuntimeError("touched() is for changes made inside writing()")
    db.changes.add(question_ids, refit)


@contextmanager
def indexes_built_after(db: Ledger, tables: list[str]) -> Iterator[None]:
    """Drop the tables' own indexes (their keys stay) for the block, and build them again after it.

    For a bulk write that makes a table several times bigger, one sort per index is much cheaper
    than inserting each entry into an index whose pages no longer fit in the cache. Only inside a
    transaction: if the block fails, the indexes are not built here; the rollback brings them back.
    """
    if not db.in_transaction:
        raise RuntimeError("indexes_built_after needs a transaction")
    marks = ", ".join("?" * len(tables))
    saved = db.execute(f"select name, sql from sqlite_master where type = 'index' and sql is not null "
                         f"and tbl_name in ({marks}) order by name", tables).fetchall()
    for name, _ in saved:
        db.execute(f"drop index [{name}]")
    yield
    for _, sql in saved:
        db.execute(sql)
