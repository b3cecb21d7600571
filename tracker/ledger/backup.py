"""Consistent copies of the ledger while others write, through SQLite's online backup API."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tracker.errors import TrackerError
from tracker.ledger.files import fsync_path, install, temporary

#: SQLite's primary result codes for a failure of the file written, not of the one read.
_DEST_ERRORS = {8, 10, 13, 14, 15}  # READONLY, IOERR, FULL, CANTOPEN, PROTOCOL


def backup(source: str | Path, dest: str | Path, *, overwrite: bool = False) -> dict:
    """Copy the database at `source` to `dest` as one consistent snapshot and check the copy.

    The backup API copies pages under SQLite's own locking, so writers may keep writing. The copy
    is written to a new temporary file beside `dest` (tracker.ledger.files.temporary), flushed to
    disk, and renamed into place only once it passes `integrity_check`, so a failed or interrupted
    backup leaves whatever was at `dest` as it was, and no file of its own.
    """
    source, dest = Path(source), Path(dest)
    if not source.is_file():
        raise TrackerError(f"{source}: no database here")
    if dest.is_dir():
        dest = dest / source.name
    if dest.resolve() == source.resolve():
        raise TrackerError(f"{dest}: is the database itself")
    if dest.exists() and not overwrite:
        raise TrackerError(f"{dest}: exists already; pass --overwrite to replace it")
    if not dest.parent.is_dir():
        raise TrackerError(f"{dest}: cannot write (no directory {dest.parent})")
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
        src.execute("select count(*) from sqlite_master").fetchone()
    except sqlite3.Error as e:
        raise TrackerError(f"{source}: cannot read it as a database ({e})") from None
    try:
        with temporary(dest) as partial:
            check, tables, forecasts = _copy(src, partial, source, dest)
            if check != "ok":
                raise TrackerError(f"{dest}: the copy failed its integrity check ({check})")
            fsync_path(partial)
            install(partial, dest, overwrite=overwrite)
    finally:
        src.close()
    return {"source": str(source), "dest": str(dest), "bytes": dest.stat().st_size, "tables": tables,
            "forecasts": forecasts, "integrity_check": check}


def _copy(src: sqlite3.Connection, partial: Path, source: Path, dest: Path) -> tuple[str, int, int]:
    """Copy into `partial`; (integrity_check, tables, forecasts) of the copy. An error names the
    side it came from: `dest` for a full disk or a file that cannot be written, else `source`."""
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
        code = getattr(e, "sqlite_errorcode", 0) & 0xFF
        if code in _DEST_ERRORS:
            raise TrackerError(f"{dest}: cannot write the copy ({e})") from None
        raise TrackerError(f"{source}: backup failed ({e})") from None
    return check, tables, forecasts


def _has(conn: sqlite3.Connection, table: str) -> bool:
    return bool(conn.execute("select 1 from sqlite_master where name = ?", [table]).fetchone())

