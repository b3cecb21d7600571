"""The `imports` table: which file was imported when, with what effect (and so which files changed since).

Each entry also keeps what the import's result depended on, as it was when the import ended
(`state`): how many schema steps were applied, the last entry of each audit table its checks
read, the last import group and the last declared alias. A file with the same SHA-256 as its
last import, which rejected nothing, finds that state unchanged only if nothing it depends on
changed since (no migration, no audited change, no rows filed by another import): then
importing it again would change nothing, and `unchanged_since` says so without reading it.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tracker.ledger.connection import Ledger

#: per kind of table: the audited tables whose rows its checks read (a change to any of them
#: since the last import means the file is read again)
DEPENDS = {
    "forecasts": ("authors", "documents", "questions", "forecasts", "forecast_authors"),
    "outcomes": ("questions", "forecasts", "forecast_authors", "outcomes", "outcome_evidence"),
}


def last_sha256(db: Ledger, path: str) -> str | None:
    """The SHA-256 of the file at `path` when it was last imported, if it ever was."""
    row = db.execute("select sha256 from imports where path = ? order by id desc limit 1", [path]).fetchone()
    return row[0] if row else None


def state(db: Ledger, kind: str) -> str | None:
    """What an import of `kind` depends on, now, as JSON (None for a kind without DEPENDS)."""
    if kind not in DEPENDS:
        return None
    marks = {t: db.execute(f"select max(id) from [_history_json_{t}]").fetchone()[0] for t in DEPENDS[kind]}
    return json.dumps({
        "schema": db.execute("select count(*) from _sqlite_migrations").fetchone()[0],
        "audit": marks,
        "import_groups": db.execute("select max(id) from import_groups").fetchone()[0],
        "aliases": db.execute("select max(rowid) from author_aliases").fetchone()[0],
    }, sort_keys=True)


def unchanged_since(db: Ledger, path: str, sha256: str, kind: str) -> dict | None:
    """The last import of `path`, if importing the same bytes again would change nothing: same
    SHA-256 and kind, no row rejected then, and nothing it depends on changed since."""
    row = db.execute("select id, sha256, kind, created, updated, unchanged, rejected, state from imports "
                     "where path = ? order by id desc limit 1", [path]).fetchone()
    if row is None or row[1] != sha256 or row[2] != kind or row[6] != 0 or row[7] is None:
        return None
    if row[7] != state(db, kind):
        return None
    return {"import": row[0], "rows": row[3] + row[4] + row[5]}


def log_import(db: Ledger, path: str, sha256: str, kind: str, counts: dict) -> None:
    """Note an import in the `imports` table, unless it changed nothing and the file is as last time:
    importing the same thing twice must leave the database as it was."""
    if not counts["created"] and not counts["updated"] and last_sha256(db, path) == sha256:
        return
    db["imports"].insert({
        "path": path, "sha256": sha256, "kind": kind,
        "imported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "created": counts["created"], "updated": counts["updated"], "unchanged": counts["unchanged"],
        "rejected": counts.get("rejected", 0), "state": state(db, kind),
    })
