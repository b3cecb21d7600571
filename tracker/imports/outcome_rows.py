"""Outcome tables: each row resolves a question, checked against the questions and the outcomes in
force, and written chunk by chunk (`import_outcomes`, through tracker.imports.run)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from tracker import values
from tracker.errors import TrackerError
from tracker.imports.cells import json_keys, moment, record_id, split
from tracker.imports.run import Run, import_table
from tracker.imports.table_file import Columns, Row
from tracker.ledger.outcomes import first_forecasts, fit_outcome, odd_date

if TYPE_CHECKING:
    from tracker.ledger.connection import Ledger

OUTCOME_REQUIRED = ["question_id", "outcome", "resolved_on"]
OUTCOME_OPTIONAL = ["evidence", "note", "recorded_by"]


_OUTCOME_TEMP = (
    "create temp table _import_seen_questions (question_id text primary key, line text not null) without rowid",
    """create temp table _import_outcomes (
        id integer primary key, question_id text not null, action text not null, outcome text not null,
        resolved_on text not null, recorded_by text, note text)""",
    """create temp table _import_evidence (
        outcome_id integer not null, position integer not null, url text not null)""",
    "create temp table _import_touched (question_id text primary key) without rowid",
)
_OUTCOME_TEMP_TABLES = ("_import_seen_questions", "_import_outcomes", "_import_evidence", "_import_touched")


def import_outcomes(db: Ledger, path: str | Path, progress: Callable[[int], None] | None = None,
                    note: str | None = None, *, skip_invalid: bool = False,
                    on_reject: Callable[[str], None] | None = None,
                    rows: Iterable[Row] | None = None, position: Callable[[], int] | None = None,
                    kind: str = "outcomes", sha256: str | None = None) -> dict:
    """Import an outcomes table. A row that repeats the outcome in force is unchanged; a row for a
    question with a different outcome in force is an error (corrections go through `tracker resolve
    --correct`, so a table can never silently overturn an outcome). An adapter's rows follow their
    source, which owns its questions: an outcome changed there (re-resolved, or a market's value
    moved) is appended as a correction, counted as `corrected` and kept in the outcome log."""
    path = Path(path)
    columns = Columns(OUTCOME_REQUIRED, OUTCOME_OPTIONAL)

    def parse(where: str, row: dict) -> tuple[str, dict]:
        columns.check(where, row)
        return record_id(row["question_id"], f"{where}: question_id"), row

    run = Run(db, path, {"read": 0, "created": 0, "updated": 0, "unchanged": 0, "rejected": 0, "corrected": 0},
               skip_invalid, on_reject, progress, position, sha256)
    run.follows_source = kind != "outcomes"
    return import_table(run, rows, parse, _outcome_chunk, _OUTCOME_TEMP, _OUTCOME_TEMP_TABLES, kind, note)


def _outcome_chunk(run: Run, batch: list) -> None:
    db, path = run.db, run.path
    qids = json_keys(item[1][0] for item in batch if item[1] is not None)
    seen = {r[0]: r[1] for r in db.execute(
        "select question_id, line from temp._import_seen_questions where question_id in "
        "(select value from json_each(?))", [qids])}
    questions = {r["id"]: r for r in run.db.query(
        "select * from questions where id in (select value from json_each(?))", [qids])}
    current = {r["question_id"]: r for r in run.db.query(
        "select question_id, outcome, resolved_on from current_outcomes where question_id in "
        "(select value from json_each(?))", [qids])}
    first = first_forecasts(db, list(questions))
    # the ids SQLite would give, one after another (the write lock is held)
    next_id = db.execute("select coalesce(max(id), 0) + 1 from main.outcomes").fetchone()[0]
    staged, evidence, staged_seen = [], [], []
    for label, parsed, err in batch:
        if parsed is None:
            run.reject(label, err)
            continue
        qid, row = parsed
        where = f"{path}:{label}"
        try:
            if qid in seen:
                raise TrackerError(f"{where}: question {qid} already has an outcome on line {seen[qid]}")
            question = questions.get(qid)
            if question is None:
                raise TrackerError(f"{where}: unknown question {qid!r}")
            out = fit_outcome(question, row["outcome"], f"{where}: outcome")
            on = moment(row["resolved_on"], f"{where}: resolved_on")
            links = [values.url(u, f"{where}: evidence")
                     for u in split(str(row.get("evidence") or "").replace(" ", ";"))]
            now = current.get(qid) or {}
            changed = bool(now) and not (now["outcome"] == out and now["resolved_on"] == on)
            if changed and not run.follows_source:
                raise TrackerError(
                    f"{where}: question {qid} is already resolved {now['outcome']!r} on "
                    f"{now['resolved_on']}; correct it with `tracker resolve {qid} --correct`")
            if not now or changed:
                # an adapter's source owns its questions and their dates; a table of the user's is checked
                problem = None if run.follows_source else odd_date(qid, on, first.get(qid))
                if problem:
                    raise TrackerError(f"{where}: resolved_on: {problem}; if it is right, record it with "
                                       f"`tracker resolve {qid} --accept-date --note TEXT`")
                recorded_by = values.text(row.get("recorded_by"), f"{where}: recorded_by")
                row_note = values.text(row.get("note"), f"{where}: note")
                if changed:
                    row_note = (row_note + " " if row_note else "") + \
                        f"(changed at the source, {path.name}: was {now['outcome']} on {now['resolved_on']})"
        except TrackerError as e:
            run.reject(label, e)
            continue
        seen[qid] = str(label)
        staged_seen.append((qid, str(label)))
        if now and not changed:
            run.counts["unchanged"] += 1
            continue
        run.counts["corrected" if changed else "created"] += 1
        staged.append((next_id, qid, "correct" if changed else "resolve", out, on, recorded_by, row_note))
        evidence += [(next_id, i, url) for i, url in enumerate(links, 1)]
        next_id += 1
    db.executemany("insert into temp._import_seen_questions (question_id, line) values (?, ?)", staged_seen)
    if not staged:
        return
    db.executemany("insert into temp._import_outcomes (id, question_id, action, outcome, resolved_on, recorded_by, "
                   "note) values (?, ?, ?, ?, ?, ?, ?)", staged)
    db.executemany("insert into temp._import_evidence (outcome_id, position, url) values (?, ?, ?)", evidence)
    db.execute("""
        insert into main.outcomes (id, question_id, action, outcome, resolved_on, recorded_by, recorded_at, note,
                                   source)
        select id, question_id, action, outcome, resolved_on, recorded_by, null, note, 'table'
        from temp._import_outcomes order by id""")
    db.execute("""
        insert into main.outcome_evidence (outcome_id, position, url, summary)
        select outcome_id, position, url, null from temp._import_evidence order by outcome_id, position""")
    db.execute("insert or ignore into temp._import_touched select question_id from temp._import_outcomes")
    db.execute("delete from temp._import_outcomes")
    db.execute("delete from temp._import_evidence")
