"""Ids that name nothing: the one error every command gives for an unknown question, document,
author or forecast, with "did you mean …" from the ids (and authors' names) closest to it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from tracker.errors import TrackerError

if TYPE_CHECKING:
    from tracker.ledger.connection import Ledger

#: kind → (table, the columns a record of it may be named by)
KINDS = {
    "question": ("questions", ("id",)),
    "document": ("documents", ("id",)),
    "author": ("authors", ("id", "name")),
    "forecast": ("forecasts", ("id",)),
}
#: Up to this many records of a kind, every id (and name) is a candidate (difflib over 5,000 ids
#: takes about 0.2 s, over 20,000 0.7 s). Past it (a million forecasts would take 18 s), only the
#: 100 ids that sort next to the one given are (20 ms): a typo late in an id still finds its
#: match, one in its first characters may not.
SCAN_LIMIT = 5_000
NEIGHBOURS = 50


def _candidates(db: Ledger, table: str, columns: tuple[str, ...], given: str) -> list[tuple[str, str]]:
    """(value, id) for the values of `columns` of every row, or past SCAN_LIMIT rows for the ids
    next to `given`."""
    rows = db.execute(f"select id, {', '.join(columns)} from {table} limit ?", [SCAN_LIMIT + 1]).fetchall()
    if len(rows) <= SCAN_LIMIT:
        return [(v, row[0]) for row in rows for v in row[1:] if v]
    near = db.execute(f"select id from (select id from {table} where id < ? order by id desc limit ?) "
                      f"union all select id from (select id from {table} where id >= ? order by id limit ?)",
                      [given, NEIGHBOURS, given, NEIGHBOURS]).fetchall()
    return [(r[0], r[0]) for r in near]


def close_matches(db: Ledger, kinds: str | Iterable[str], given: str, *, also: Iterable[str] = (),
                  names: bool = True, n: int = 3) -> list[str]:
    """The ids (and, for authors, unless names=False, names) of the kinds given that are closest
    to `given`, best first, compared without regard to case; `also` adds candidates not in the
    ledger yet (the records of the same import). One suggestion per record: an author's id or
    name, whichever is closer."""
    import difflib  # only when an id is wrong: not on the way of a quick command that works

    pool: dict[str, tuple[str, tuple[str, str]]] = {}  # lower-cased → (as written, (kind, id))
    for kind in [kinds] if isinstance(kinds, str) else kinds:
        table, columns = KINDS[kind]
        for value, record_id in _candidates(db, table, columns if names else ("id",), given):
            pool.setdefault(value.lower(), (value, (kind, record_id)))
    for value in also:
        pool.setdefault(value.lower(), (value, ("", value)))
    if pool.get(given.lower(), ("",))[0] == given:
        del pool[given.lower()]  # what was given is no suggestion for itself (another case is)
    out: list[str] = []
    records: set[tuple[str, str]] = set()
    for match in difflib.get_close_matches(given.lower(), list(pool), n=len(pool)):
        value, record = pool[match]
        if record not in records:
            records.add(record)
            out.append(value)
    return out[:n]


def did_you_mean(matches: list[str]) -> str:
    """"; did you mean 'a'?", "; did you mean 'a' or 'b'?", or nothing."""
    if not matches:
        return ""
    quoted = [repr(m) for m in matches]
    return "; did you mean " + (", ".join(quoted[:-1]) + " or " if len(quoted) > 1 else "") + quoted[-1] + "?"


def unknown(db: Ledger, kind: str | Iterable[str], given: str, message: str | None = None, *,
            hint: str = "", also: Iterable[str] = (), names: bool = True) -> TrackerError:
    """The error for an id that names no record of `kind` (or of any of the kinds given):
    `message` (by default "question 'x': no such question"), then "; did you mean …?" with the
    closest ids (and authors' names, unless names=False: where only an id will do), or else
    `hint`. The caller raises it."""
    if message is None:
        if not isinstance(kind, str):
            raise ValueError("unknown: several kinds need a message")
        message = f"{kind} {given!r}: no such {kind}"
    suggestion = did_you_mean(close_matches(db, kind, given, also=also, names=names))
    return TrackerError(message + (suggestion or hint))
