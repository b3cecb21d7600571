"""A ledger's derived score tables: their one definition (schema.sql), whether a ledger's are
current, rebuilding them, and opening a ledger whose scores are kept current on every write.

The ledger layer knows nothing of scores. `open_db` here opens a ledger and gives it a `derive`
step, which re-scores the questions a write touched before that write commits. Rebuilding the
tables is a full rescore, so it is never a side effect of opening a ledger: `tracker migrate`
does it and says so.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
import zlib
from functools import lru_cache
from pathlib import Path

from tracker.errors import TrackerError
from tracker.ledger import connection
from tracker.ledger.connection import Changes, Ledger, writing

#: Bump when a full rescore would write other rows than the code before it did, without a
#: change to schema.sql (a new way to compute a stored score, another form of the stored sums):
#: ledgers whose score tables were built before must then be rebuilt.
SCORES_FORMAT = 1

#: One row: the definition the ledger's score tables were built from, and which objects it made.
STATE_TABLE = "derived_schema"


@lru_cache(maxsize=1)
def schema_sql() -> str:
    # read beside this module, not through importlib.resources: that (with zipfile and tempfile)
    # and hashlib cost every command 6 ms, 3 % of a `resolve` (measured 2026-12-02)
    return (Path(__file__).parent / "schema.sql").read_text(encoding="utf-8")


def shipped_scales(folder: Path | None = None) -> bytes:
    """The shipped scale files (or those in `folder`), as they are: the sensitivity tables read
    every forecast's words by them, so a changed scale changes stored scores as a changed
    schema.sql does."""
    import tracker.intake

    folder = folder or Path(tracker.intake.__file__).parent / "scales"
    return b"".join(p.name.encode() + b"\0" + p.read_bytes() for p in sorted(folder.glob("*.yml")))


@lru_cache(maxsize=1)
def version() -> str:
    """The definition's version: SCORES_FORMAT, the stored sums' format, and checksums of
    schema.sql and of the shipped scales."""
    from tracker.scores.sums import SUMS_FORMAT

    return (f"{SCORES_FORMAT}.{SUMS_FORMAT}.{zlib.crc32(schema_sql().encode()):08x}"
            f".{zlib.crc32(shipped_scales()):08x}")


def objects() -> list[tuple[str, str]]:
    """(type, name) of every table, index and view that schema.sql creates, in its order."""
    return [(kind.lower(), name) for kind, name in
            re.findall(r"^CREATE (TABLE|INDEX|VIEW) (\w+)", schema_sql(), flags=re.M)]


def state(db: Ledger) -> str:
    """'current', 'missing' (a new ledger) or 'stale' (built from another definition)."""
    exists = {r[0] for r in db.execute(
        "select name from sqlite_master where name in (?, 'forecast_scores')", [STATE_TABLE])}
    if STATE_TABLE not in exists:
        return "stale" if "forecast_scores" in exists else "missing"
    row = db.execute(f"select version from {STATE_TABLE}").fetchone()
    return "current" if row and row[0] == version() else "stale"


def build(db: Ledger) -> None:
    """Drop the score tables (as this definition or the one they were built from names them) and
    create them empty. Inside the caller's transaction."""
    from tracker.ledger.migrations import script

    built: list[list[str]] = []
    if db.execute("select 1 from sqlite_master where name = ?", [STATE_TABLE]).fetchone():
        built = json.loads(db.execute(f"select objects from {STATE_TABLE}").fetchone()[0] or "[]")
    names = {name for _, name in built} | {name for _, name in objects()}
    present = dict(db.execute("select name, type from sqlite_master where type in ('table', 'view')"))
    for name in sorted(names, key=lambda n: present.get(n) != "view"):  # views first: they read tables
        if name in present:
            db.execute(f"drop {present[name]} [{name}]")
    script(db, schema_sql())
    db.execute(f"create table if not exists {STATE_TABLE} (version text not null, built_at text not null, "
               f"objects text not null)")
    db.execute(f"delete from {STATE_TABLE}")
    db.execute(f"insert into {STATE_TABLE} values (?, ?, ?)",
               [version(), dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), json.dumps(objects())])


def _derive(db: Ledger, changes: Changes) -> None:
    from tracker.scores import board

    board.refresh(db, changes.questions, refit=changes.refit)


def _has_forecasts(db: Ledger) -> bool:
    return db.execute("select exists (select 1 from forecasts)").fetchone()[0] == 1


def open_db(path: str | Path | None = None, *, create: bool = True, write: bool = True) -> Ledger:
    """Open a ledger (tracker.ledger.connection.open_db) whose writes keep its scores current.

    A new ledger gets its empty score tables here. A ledger whose score tables were built from
    another definition is refused with the command that rebuilds them.
    """
    db = connection.open_db(path, create=create, write=write)
    current = state(db)
    if current == "missing" and not _has_forecasts(db) and write:
        with writing(db):
            if state(db) == "missing":  # another command may have built them while this one waited
                build(db)
    elif current != "current":
        why = ("its score tables were made by another version of tracker" if current == "stale"
               else "it has forecasts but no score tables" if _has_forecasts(db) else "it has no score tables yet")
        db.close()
        where = db.path
        raise TrackerError(f"{where}: {why}; run `tracker migrate --db {where}` to rebuild them")
    db.derive = _derive
    return db


def migrate(path: str | Path | None = None) -> dict:
    """Apply a ledger's pending schema steps and, if its score tables were built from another
    definition, rebuild them from the ledger in one transaction (a full rescore)."""
    db = connection.open_db(path, create=False)
    try:
        before = state(db)
        result: dict = {"db": str(db.path), "schema": connection.LATEST_STEP, "scores": "current"}
        if before == "current":  # nothing to do, and nothing to count
            return result
        from tracker.scores import board

        start = time.perf_counter()
        with writing(db, "score tables rebuilt: their definition changed"):
            build(db)
            board.refresh(db)
        return {**result, "scores": "rebuilt" if before == "stale" else "created", **_counts(db, start)}
    finally:
        db.close()


def rescore(db: Ledger, note: str | None = None) -> dict:
    """Recompute every score table from the ledger in one transaction (and refit the boards), as
    every write does for the questions it touches; a full rescore gives identical tables."""
    start = time.perf_counter()
    with writing(db, note):
        connection.touched(db, None, refit=True)
    return _counts(db, start)


def _counts(db: Ledger, start: float) -> dict:
    return {"seconds": round(time.perf_counter() - start, 3), "forecasts": db.count("forecasts"),
            "scored": db.count("forecast_scores") + db.count("multiple_choice_scores")}
