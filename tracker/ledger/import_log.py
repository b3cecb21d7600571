"""The `imports` table: which file was imported when, with what effect (and so which files changed since)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tracker.ledger.connection import Ledger


def last_sha256(db: Ledger, path: str) -> str | None:
    """The SHA-256 of the file at `path` when it was last imported, if it ever was."""
    row = db.execute("select sha256 from imports where path = ? order by id desc limit 1", [path]).fetchone()
    return row[0] if row else None


def log_import(db: Ledger, path: str, sha256: str, kind: str, counts: dict) -> None:
    """Note an import in the `imports` table, unless it changed nothing and the file is as last time:
    importing the same thing twice must leave the database as it was."""
    if not counts["created"] and not counts["updated"] and last_sha256(db, path) == sha256:
        return
    db["imports"].insert({
        "path": path, "sha256": sha256, "kind": kind,
        "imported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "created": counts["created"], "updated": counts["updated"], "unchanged": counts["unchanged"],
    })
