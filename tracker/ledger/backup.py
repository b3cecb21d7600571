"""Consistent copies of the ledger while others write, through SQLite's online backup API."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from tracker.errors import TrackerError


def backup(source: str | Path, dest: str | Path, *, overwrite: bool = False) -> dict:
    """Copy the database at `source` to `dest` as one consistent snapshot and check the copy.

    The backup API copies pages under SQLite's own locking, so writers may keep writing; the copy
    is written beside `dest` and renamed into place only once it passes `integrity_check`, so a
    failed or interrupted backup never leaves a half-written file where a good one was expected.
    """
    source, dest = Path(source), Path(dest)
    if not source.exists():
        raise TrackerError(f"{source}: no database here")
    if dest.is_dir():
        dest = dest / source.name
    if dest.resolve() == source.resolve():
        raise TrackerError(f"{dest}: is the database itself")
    if dest.exists() and not overwrite:
        raise TrackerError(f"{dest}: exists already; pass --overwrite to replace it")
    partial = dest.with_name(dest.name + ".partial")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    try:
        out = sqlite3.connect(partial)
        try:
            src.backup(out, pages=1024)
            # A standalone file: no WAL beside it to lose when it is copied on.
            out.execute("PRAGMA journal_mode = DELETE")
            check = out.execute("PRAGMA integrity_check").fetchone()[0]
            tables = out.execute("select count(*) from sqlite_master where type = 'table'").fetchone()[0]
            forecasts = out.execute("select count(*) from forecasts").fetchone()[0] if _has(out, "forecasts") else 0
        finally:
            out.close()
    except sqlite3.Error as e:
        partial.unlink(missing_ok=True)
        raise TrackerError(f"{source}: backup failed ({e})") from None
    finally:
        src.close()
    if check != "ok":
        partial.unlink(missing_ok=True)
        raise TrackerError(f"{dest}: the copy failed its integrity check ({check})")
    os.replace(partial, dest)
    return {"source": str(source), "dest": str(dest), "bytes": dest.stat().st_size, "tables": tables,
            "forecasts": forecasts, "integrity_check": check}


def _has(conn: sqlite3.Connection, table: str) -> bool:
    return bool(conn.execute("select 1 from sqlite_master where name = ?", [table]).fetchone())
