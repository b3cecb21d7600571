"""The run of one table's import: a streaming bulk import in one transaction, with staging tables.

Validation is row by row in Python, in file order, with the same one-line messages naming
file:line as ever. The database work is batched: rows are taken in chunks of `CHUNK`; for each
chunk the state the checks need (questions, documents, forecast ids seen earlier in the file) is
fetched with one query per kind, the chunk's rows are checked in order against it, and the rows
that pass go with `executemany` into TEMP staging tables. Forecasts wait there until the whole
file is read; then set-based SQL creates authors, sorts each row into created, updated or
unchanged, and writes forecasts and their authors in key order (a file that at least doubles a
large ledger has their indexes built after its rows, by one sort each: `BULK_ROWS`). Memory
holds one chunk, never the file: the staged rows, ids seen earlier in the file (for the
duplicate check) and the questions a write touched live in TEMP tables, and SQLite's sort is
bounded by its cache.

The whole file is one transaction (`writing`), so a bad row anywhere leaves the database as it
was. With `skip_invalid` a bad row is reported through `on_reject` and left out instead, and the
rest is imported; a rejected row has no effect at all (it creates no author or question).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from tracker.errors import TrackerError
from tracker.imports.table_file import Row, TableFile
from tracker.intake.documents import sha256_file
from tracker.ledger import connection
from tracker.ledger.connection import writing
from tracker.ledger.import_log import log_import, unchanged_since

if TYPE_CHECKING:
    from tracker.ledger.connection import Ledger

#: rows per batch of database work
CHUNK = 5000
#: page caches (KiB) while an import runs: the ledger's, and the staging tables'. Re-measured
#: 2026-12-02 on 1M forecasts (no re-scoring): 76.7 s and 310 MB with them, 91.9 s and 61 MB
#: with SQLite's default 2 MB.
CACHE_KIB, TEMP_CACHE_KIB = 131072, 32768
#: rejects kept for a --json summary (all are counted, and all go to on_reject)
MAX_LISTED_REJECTS = 1000


class Run:
    """Counts, rejects and the TEMP tables of one file's import."""

    def __init__(self, db: Ledger, path: Path, counts: dict, skip_invalid: bool,
                 on_reject: Callable[[str], None] | None, progress: Callable[[int], None] | None,
                 position: Callable[[], int] | None, sha256: str | None = None):
        self.db, self.path, self.counts, self.sha256 = db, path, counts, sha256
        self.skip_invalid, self.on_reject, self.progress, self.position = skip_invalid, on_reject, progress, position
        self.rejects: list[dict] = []
        self.seq = 0  # the last staged row's number, across chunks
        self.follows_source = False  # rows of an adapter, whose source owns what it exports
        self.state: dict = {}  # what a kind of table carries from chunk to chunk (bounded by people, not rows)
        self.kind = "forecasts"  # as the import log names it (import_table sets it)

    def reject(self, label: object, error: TrackerError) -> None:
        """A bad row: stop (the default) or, with skip_invalid, report it and go on."""
        if not self.skip_invalid:
            raise error
        self.counts["rejected"] += 1
        if len(self.rejects) < MAX_LISTED_REJECTS:
            self.rejects.append({"line": label, "error": str(error)})
        if self.on_reject:
            self.on_reject(str(error))

    def tick(self) -> None:
        if self.progress and self.position:
            self.progress(self.position())

    def temp(self, *ddl: str) -> None:
        """Create the TEMP tables, and give the page caches room while the import runs (SQLite's
        default of 2 MB makes every insert into a large index a read; the caches only grow as
        pages are used, so memory stays well inside the limit)."""
        self.caches = [(schema, self.db.execute(f"pragma {schema}.cache_size").fetchone()[0])
                       for schema in ("main", "temp")]
        self.db.execute(f"pragma main.cache_size = -{CACHE_KIB}")
        self.db.execute(f"pragma temp.cache_size = -{TEMP_CACHE_KIB}")
        for statement in ddl:
            self.db.execute(statement)

    def drop(self, *tables: str) -> None:
        for t in tables:
            self.db.execute(f"drop table if exists temp.{t}")
        for schema, size in getattr(self, "caches", ()):
            self.db.execute(f"pragma {schema}.cache_size = {size}")

    def file_sha256(self) -> str:
        """The file's SHA-256 (hashed once, unless the caller gave it)."""
        if self.sha256 is None:
            self.sha256 = sha256_file(self.path)
        return self.sha256

    def finish(self, kind: str) -> None:
        if self.skip_invalid:
            self.counts["rejects"] = self.rejects
        log_import(self.db, str(self.path), self.file_sha256(), kind, self.counts)


def _chunks(rows: Iterable[Row], parse: Callable, run: Run) -> Iterator[list]:
    """Parsed rows in chunks. In the default mode a row that fails the pure-Python checks ends
    the chunk (and the reading): the chunk's earlier rows are still checked against the database
    first, so the error reported is always the first in file order."""
    batch: list = []
    for label, row in rows:
        run.counts["read"] += 1
        item = parse(label, row)
        batch.append(item)
        if item[2] is not None and not run.skip_invalid:
            yield batch
            return
        if len(batch) >= CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def import_table(run: Run, rows: Iterable[Row] | None, parse: Callable[[str, dict], object], chunk: Callable,
            temp: tuple[str, ...], temp_tables: tuple[str, ...], kind: str, note: str | None,
            flush: Callable[[Run], None] | None = None) -> dict:
    """What both table imports do around their own checks: read the file (or an adapter's
    `rows`), parse each row with `parse(where, row)` (a TrackerError rejects it), and hand the
    parsed rows to `chunk(run, batch)` in chunks, in one transaction with TEMP staging tables;
    then `flush(run)` (writes that wait for the whole file), log the import and re-score the
    questions touched. Returns the counts."""
    db, path = run.db, run.path
    run.kind = kind
    from_file = rows is None  # a table file (an adapter's rows are never taken as unchanged)
    if rows is None:
        table = TableFile(path)
        rows, run.position = table.rows(), table.position

    def checked(label, row):
        if isinstance(row, TrackerError):
            return label, None, row
        try:
            return label, parse(f"{path}:{label}", row), None
        except TrackerError as e:
            return label, None, e

    with writing(db, note):
        if from_file:
            same = unchanged_since(db, str(path), run.file_sha256(), kind)
            if same is not None:
                # the same bytes as last time, and nothing they depend on changed since: no row
                # would change, so none is read and nothing is written
                run.counts.update(unchanged=same["rows"], same_as_import=same["import"])
                if run.skip_invalid:
                    run.counts["rejects"] = []
                run.tick()
                return run.counts
        run.drop(*temp_tables)
        run.temp(*temp)
        try:
            for batch in _chunks(rows, checked, run):
                chunk(run, batch)
                run.tick()
            run.tick()  # reading is over (a file of no rows has had no chunk): a bar shows it full
            if flush is not None:
                flush(run)
            touched = {r[0] for r in db.execute("select question_id from temp._import_touched")}
        finally:
            run.drop(*temp_tables)
        run.finish(kind)
        connection.touched(db, touched, refit=True)
    return run.counts
