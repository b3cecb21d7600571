"""The rules a forecast keeps wherever it is written: in a record file, or in a row of a table (or
of an adapter's rows, which are table rows).

Each path reads its own syntax first (a record's `interval: [low, high]` or a table's two columns;
a record's required method or a table's blank one, which means 'stated'), then checks the values
here, so a rule is written once. The two have always said the same rule in their own words, a
record naming the field after the forecast ("FILE:LINE: forecast f1 interval: ..."), a table
after its line ("FILE:LINE: interval ..."), and the tests pin both: each source passes its
`Wording`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tracker import values
from tracker.errors import TrackerError

#: how a forecast's probability was arrived at
METHODS = ("stated", "scale", "analyst")


@dataclass(frozen=True)
class Wording:
    """How one kind of source reads a forecast's method and says each rule's message (str.format
    templates; `where` is the forecast's place, as the source writes it)."""

    #: the methods the source can hold
    methods: tuple[str, ...]
    #: the method as written (or None) -> the method; `where` names the forecast
    read_method: Callable[[object, str], str]
    outside_interval: str   # where, low, high, p
    unknown_method: str     # where, method, methods
    after_deadline: str     # where, question_id, made_on, resolve_by


def _record_method(value: object, where: str) -> str:
    return values.text(value, f"{where} method", required=True)


def _table_method(value: object, where: str) -> str:
    """A blank cell is 'stated' (the same test as tracker.imports.cells.blank, in one call: this
    runs once per row of a million-row table)."""
    if value is None:
        return "stated"
    if isinstance(value, str):
        return value.strip() or "stated"
    return str(value).strip()


RECORD = Wording(
    methods=METHODS,
    read_method=_record_method,
    outside_interval="{where} interval: [{low}, {high}] does not contain the probability {p}",
    unknown_method="{where} method: {method!r} is not one of {methods}",
    after_deadline="{where}: made on {made_on}, after its question's resolve-by date {resolve_by}",
)

#: a table has no scale column, so its forecasts are stated or the analyst's
TABLE = Wording(
    methods=("stated", "analyst"),
    read_method=_table_method,
    outside_interval="{where}: interval [{low}, {high}] does not contain the probability {p}",
    unknown_method="{where}: method {method!r} must be 'stated' or 'analyst' in a table",
    after_deadline="{where}: made_on {made_on} is after question {question_id}'s resolve-by date {resolve_by}",
)


def check_forecast(where: str, wording: Wording, p: float | None, low: float | None, high: float | None,
                   method: object) -> str:
    """One forecast's values, in the order both paths have always checked them: the interval, if
    any, holds the probability; the method is one the source holds. Returns the method as read."""
    if low is not None and not low <= p <= high:  # type: ignore[operator]
        raise TrackerError(wording.outside_interval.format(where=where, low=low, high=high, p=p))
    method = wording.read_method(method, where)
    if method not in wording.methods:
        raise TrackerError(wording.unknown_method.format(where=where, method=method,
                                                         methods=", ".join(wording.methods)))
    return method


def check_made_by_deadline(where: str, wording: Wording, question_id: str, made_on: str,
                           resolve_by: str | None) -> None:
    """A forecast is made on or before its question's resolve-by date (tracker does not count a
    forecast made after its deadline). Both paths check it once the question is known: a record
    against the questions in its file, a table against the question as the rows before left it."""
    if resolve_by and values.later(made_on, resolve_by):
        raise TrackerError(wording.after_deadline.format(where=where, question_id=question_id, made_on=made_on,
                                                         resolve_by=resolve_by))
