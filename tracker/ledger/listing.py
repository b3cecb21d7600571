"""Listing what the ledger holds, for the analyst's desk: its questions (open, due, or matching a
search), authors and documents, each with the counts that say how much hangs on it. Plain dicts;
scores are not the ledger's business (tracker.scores.reports adds them)."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from typing import TYPE_CHECKING

from tracker.errors import TrackerError

if TYPE_CHECKING:
    from tracker.ledger.connection import Ledger


def questions(db: Ledger, *, open_only: bool = False, due_on: str | dt.date | None = None,
              search: str | None = None) -> list[dict]:
    """Questions with their outcome in force (None while open), their number of forecasts and of
    distinct authors. open_only: those without an outcome in force. due_on (a date): those open and
    past their resolve-by date on that day, i.e. resolve_by before it. search: an FTS5 query over
    title and criteria (questions_fts); the best matches come first, otherwise the soonest due."""
    where: list[str] = []
    params: dict[str, str] = {}
    if open_only or due_on is not None:
        where.append("co.question_id is null")
    if due_on is not None:
        where.append("q.resolve_by < :due_on")
        params["due_on"] = due_on.isoformat() if isinstance(due_on, dt.date) else due_on
    source = "questions q"
    order = "q.resolve_by is null, q.resolve_by, q.id"
    if search is not None:
        if not search.strip():
            raise TrackerError("--search: give some words to search for")
        source = "questions_fts join questions q on q.rowid = questions_fts.rowid"
        where.append("questions_fts match :search")
        params["search"] = search
        order = "bm25(questions_fts), q.id"
    sql = f"""
        select q.id, q.title, q.resolve_by, q.kind, q.topics, co.outcome, co.resolved_on,
               (select count(*) from forecasts f where f.question_id = q.id) as forecasts,
               (select count(distinct fa.author_id) from forecasts f
                  join forecast_authors fa on fa.forecast_id = f.id where f.question_id = q.id) as authors
        from {source}
        left join current_outcomes co on co.question_id = q.id
        {"where " + " and ".join(where) if where else ""}
        order by {order}"""
    try:
        rows = list(db.query(sql, params))
    except sqlite3.OperationalError as e:  # FTS5 query syntax: "fts5: syntax error near …"
        if search is None:
            raise
        raise TrackerError(f"--search {search!r}: not a full-text query ({e})") from None
    for r in rows:
        r["topics"] = json.loads(r["topics"])
    return rows


def authors(db: Ledger) -> list[dict]:
    """Every author, by id: name, affiliation, and how many documents and forecasts carry them."""
    return list(db.query("""
        select a.id, a.name, a.affiliation,
               (select count(*) from document_authors da where da.author_id = a.id) as documents,
               (select count(*) from forecast_authors fa where fa.author_id = a.id) as forecasts
        from authors a order by a.id"""))


def documents(db: Ledger) -> list[dict]:
    """Every document, oldest first: title, publisher, date, language, its authors' names in byline
    order, and how many forecasts it holds."""
    rows = list(db.query("""
        select d.id, d.title, d.publisher, d.published_on, d.language,
               (select json_group_array(name) from (select a.name from document_authors da
                  join authors a on a.id = da.author_id where da.document_id = d.id order by da.position))
                 as authors,
               (select count(*) from forecasts f where f.document_id = d.id) as forecasts
        from documents d order by d.published_on is null, d.published_on, d.id"""))
    for r in rows:
        r["authors"] = json.loads(r["authors"])
    return rows
