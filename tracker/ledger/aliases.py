"""Other names of an author, which only the user can declare: two names that would become one
author id are an error until then (tracker.imports.forecast_rows), never a silent merge."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

from tracker.errors import TrackerError
from tracker.ledger.audit import analyst
from tracker.ledger.ids import unknown

if TYPE_CHECKING:
    from tracker.ledger.connection import Ledger


def parse_same_person(given: str) -> tuple[str, str]:
    """--same-person 'NAME=AUTHOR_ID' → (name, author id)."""
    name, sep, author_id = given.rpartition("=")
    if not sep or not name.strip() or not author_id.strip():
        raise TrackerError(f"--same-person {given!r}: write it NAME=AUTHOR_ID, e.g. 'jörg müller=jörg-müller'")
    return name.strip(), author_id.strip()


def declare(db: Ledger, pairs: Iterable[tuple[str, str]], note: str | None = None) -> int:
    """Record that each name is another name of that author (inside the caller's write); returns
    how many were new. A name already declared for someone else is an error."""
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    added = 0
    for name, author_id in pairs:
        row = db.execute("select author_id from author_aliases where name = ?", [name]).fetchone()
        if row is not None:
            if row[0] != author_id:
                raise TrackerError(f"--same-person {name}={author_id}: {name!r} is already declared "
                                   f"another name of {row[0]!r}")
            continue
        db.execute("insert into author_aliases (name, author_id, recorded_by, recorded_at, note) "
                   "values (?, ?, ?, ?, ?)", [name, author_id, analyst(), now, note])
        added += 1
    return added


def check_declared(db: Ledger, pairs: Iterable[tuple[str, str]]) -> None:
    """After the import they came with: each declared author exists, in the ledger or the import,
    under a name of their own (not created by the rows the declaration renamed)."""
    for name, author_id in pairs:
        row = db.execute("select name from authors where id = ?", [author_id]).fetchone()
        if row is None or row[0] == name:
            raise unknown(db, "author", author_id, f"--same-person {name}={author_id}: no author has the id "
                                                   f"{author_id!r}", names=False)
