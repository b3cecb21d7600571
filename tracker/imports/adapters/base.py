"""What every adapter shares: the Adapted base class (a file as forecast rows and outcome rows),
the calendar day of a timestamp, and a forecast id for a source that gives none."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from tracker.imports.table_file import TableFile

_DAY = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})")


def day(value: object) -> object:
    """The calendar day of a timestamp: UTC for an ISO timestamp with a zone, else the date as
    written. Anything else is returned as it is, for the table check to reject with its message."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if len(text) > 10 and ("Z" in text[10:] or "+" in text[10:] or text[10:].count("-")):
        try:
            stamp = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            if stamp.tzinfo is not None:
                return stamp.astimezone(dt.UTC).date().isoformat()
        except ValueError:
            pass
    m = _DAY.match(text)
    return m.group(1) if m else value


class Adapted:
    """One source file as forecast rows and outcome rows (each a fresh iterator), with what was
    dropped and how far reading has got (through `_table`, the TableFile reading it, if any).
    A subclass names its `kind` (for --kind), the file `suffixes` it reads and what it `describes`."""

    kind: str
    suffixes: tuple[str, ...]
    describes: str

    def __init__(self, path: Path):
        self.path = path
        self.size = path.stat().st_size if path.exists() else 0
        self.dropped: Counter = Counter()
        self._table: TableFile | None = None

    def position(self) -> int:
        return self._table.position() if self._table is not None else 0

    def forecasts(self) -> Iterator:
        raise NotImplementedError

    def outcomes(self) -> Iterator:
        raise NotImplementedError


def forecast_id(qid: str, author: object, created_at: object, value: object) -> str:
    """Someone may forecast a question several times a day: the full timestamp tells them apart
    (tracker's own default id, made from the day, would not)."""
    key = "\x1f".join(str(x) for x in (qid, author, created_at, value))
    return f"{qid}-{hashlib.sha256(key.encode()).hexdigest()[:12]}"
