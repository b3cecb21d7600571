"""The values in a table's cells: blanks, lists written with ';', and memoised parsing of the values
that repeat row after row (dates, probabilities, ids, names), for a million-row import."""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import lru_cache

from tracker import values
from tracker.errors import TrackerError


def blank(v: object) -> bool:
    """An empty cell: missing, null, or only spaces."""
    return v is None or (isinstance(v, str) and not v.strip())


def split(v: object) -> list[str]:
    """A cell that lists names or topics, separated by ';' (or a JSON list), without blanks."""
    if type(v) is str and ";" not in v:  # the common case: one name, one topic
        s = v.strip()
        return [s] if s else []
    if isinstance(v, list):
        return [str(x).strip() for x in v if str(x).strip()]
    return [s.strip() for s in str(v).split(";") if s.strip()] if not blank(v) else []


# Memoised versions of tracker.values' parsers, under the same names. A cached function returns
# None for a bad value; the uncached one then raises with the message.
name_id = lru_cache(maxsize=65536)(values.name_id)


def _cached(parse):
    @lru_cache(maxsize=65536)
    def ok(value):
        try:
            return parse(value, "")
        except TrackerError:
            return None

    def checked(value, where):
        if type(value) is str:
            got = ok(value)
            if got is not None:
                return got
        return parse(value, where)

    return checked


moment = _cached(values.moment)
probability = _cached(values.probability)
record_id = _cached(values.record_id)


@lru_cache(maxsize=65536)
def topic_list(stored: str) -> tuple[str, ...]:
    """A question's stored topics (JSON), parsed once: the questions are fetched again for each
    chunk, and a million rows would otherwise parse them a million times."""
    return tuple(json.loads(stored))


def json_keys(items: Iterable[str]) -> str:
    """Distinct keys as one JSON list, for `where id in (select value from json_each(?))`."""
    return json.dumps(sorted({k for k in items if k is not None}))
