"""The `imports` table: which file was imported when, with what effect (and so which files changed since)."""

from __future__ import annotations

import datetime as dt

from .sqlite_utils_lean import Database


def log_import(db: Database, path: str, sha256: str, kind: str, counts: dict) -> None:
    """Note an import in the `imports` table, unless it changed nothing and the file is as last time:
    importing the same thing twice must leave the database as it was."""
    last = list(db.query("select sha256 from imports where path = ? order by id desc limit 1", [path]))
    if not counts["created"] and not counts["updated"] and last and last[0]["sha256"] == sha256:
        return
    db["imports"].insert({
        "path": path, "sha256": sha256, "kind": kind,
        "imported_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "created": counts["created"], "updated": counts["updated"], "unchanged": counts["unchanged"],
    })
