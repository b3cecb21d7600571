"""Recording what happened: resolve, correct, un-resolve, and the full history of a question.

The outcome log is append-only (the database's triggers refuse UPDATE and DELETE), so a
correction or an un-resolve is a new row and every earlier record stays readable.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from typing import TYPE_CHECKING

from tracker import values
from tracker.errors import TrackerError
from tracker.ledger.audit import analyst
from tracker.ledger.connection import touched, writing
from tracker.ledger.ids import unknown

if TYPE_CHECKING:
    from tracker.ledger.connection import Ledger

OUTCOME_FIELDS = ["question_id", "action", "outcome", "resolved_on", "recorded_by", "recorded_at",
                  "note"]


def outcome_key(o: dict, evidence: list[dict]) -> str:
    """What makes two log entries the same entry, for merging a record file's log into the database's."""
    fields = {k: o.get(k) for k in OUTCOME_FIELDS}
    fields["evidence"] = [(e["url"], e.get("summary")) for e in evidence]
    return json.dumps(fields, sort_keys=True, ensure_ascii=False)


def existing_outcome_keys(db: Ledger, question_id: str) -> Counter:
    return Counter(outcome_key(o, o["evidence"]) for o in outcome_log(db, question_id, in_force=False))


def outcome_log(db: Ledger, question_id: str, *, in_force: bool = True) -> list[dict]:
    """Every outcome record of a question, oldest first, each with its `evidence` (url, summary, in
    order) and (unless in_force=False) whether it is `in_force`: three queries however long the
    log. Datasette's pages read it through a Ledger on their own connection."""
    log = [{**o, "evidence": []}
           for o in db.query("select * from outcomes where question_id = ? order by id", [question_id])]
    by_id = {o["id"]: o for o in log}
    for outcome_id, url, summary in db.execute("""
            select e.outcome_id, e.url, e.summary from outcome_evidence e join outcomes o on o.id = e.outcome_id
            where o.question_id = ? order by e.outcome_id, e.position""", [question_id]):
        by_id[outcome_id]["evidence"].append({"url": url, "summary": summary})
    if not in_force:
        return log
    current = db.execute("select outcome_id from current_outcomes where question_id = ?", [question_id]).fetchone()
    for o in log:
        o["in_force"] = current is not None and current[0] == o["id"]
    return log


def append_outcome(db: Ledger, row: dict, evidence: list[dict], source: str) -> int:
    """Append one record to the outcome log, with its evidence; returns its id. (Inside a write.)"""
    outcome_id = db.execute(
        f"insert into outcomes ({', '.join(OUTCOME_FIELDS)}, source) "
        f"values ({', '.join('?' * len(OUTCOME_FIELDS))}, ?)",
        [row.get(k) for k in OUTCOME_FIELDS] + [source]).lastrowid
    assert outcome_id is not None  # an insert always sets it
    db.executemany("insert into outcome_evidence (outcome_id, position, url, summary) values (?, ?, ?, ?)",
                        [(outcome_id, n, e["url"], e.get("summary")) for n, e in enumerate(evidence, 1)])
    return outcome_id


def current_outcome(db: Ledger, question_id: str) -> dict | None:
    rows = list(db.query("select * from current_outcomes where question_id = ?", [question_id]))
    return rows[0] if rows else None


def _require_question(db: Ledger, question_id: str) -> dict:
    rows = list(db.query("select * from questions where id = ?", [question_id]))
    if not rows:
        raise unknown(db, "question", question_id, hint=" (see `tracker questions`)")
    return rows[0]


def fit_outcome(question: dict, value: object, where: str) -> str:
    """The outcome as stored: yes / no / annulled (in the words values.outcome reads) or a
    probability-valued resolution for a yes-no question; one of the options, or annulled, for a
    multiple-choice one."""
    if question["kind"] == "multiple_choice":
        options = json.loads(question["options"])
        if value not in options + ["annulled"]:
            raise TrackerError(f"{where}: {value!r} is not one of question {question['id']}'s options "
                               f"({', '.join(options)}) or annulled")
        return str(value)
    return values.resolved_value(value, where)


def resolve(db: Ledger, question_id: str, outcome: str, *, resolved_on: str | None = None,
            evidence: list[dict] | None = None, note: str | None = None,
            recorded_by: str | None = None, correct: bool = False) -> dict:
    """Record an outcome (or, with correct=True, a correction of the one in force); returns the new row.

    Resolving a question that already has an outcome is refused unless it is a correction, so a
    mistyped command cannot silently replace a recorded outcome.
    """
    with writing(db, note):
        outcome = fit_outcome(_require_question(db, question_id), outcome, "--outcome")
        current = current_outcome(db, question_id)
        if current and not correct:
            raise TrackerError(
                f"question {question_id!r}: already resolved {current['outcome']!r} "
                f"(on {current['resolved_on']}); use --correct to change it")
        if correct and not current:
            raise TrackerError(f"question {question_id!r}: has no outcome to correct; resolve it first")
        if correct and current and resolved_on is None:
            resolved_on = current["resolved_on"]  # a correction of the outcome alone keeps the date
        if correct and current and current["outcome"] == outcome and current["resolved_on"] == resolved_on \
                and not evidence and not note:
            raise TrackerError(f"question {question_id!r}: the correction changes nothing")
        row = {
            "question_id": question_id,
            "action": "correct" if correct else "resolve",
            "outcome": outcome,
            "resolved_on": resolved_on or dt.date.today().isoformat(),
            "recorded_by": recorded_by or analyst(),
            "recorded_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "note": note,
        }
        oid = append_outcome(db, row, evidence or [], source="cli")
        touched(db, [question_id])
    return {"id": oid, **row, "evidence": evidence or []}


def unresolve(db: Ledger, question_id: str, *, note: str | None = None,
              recorded_by: str | None = None) -> dict:
    """Withdraw the outcome in force; the question is open again and its forecasts unscored."""
    with writing(db, note):
        _require_question(db, question_id)
        if not current_outcome(db, question_id):
            raise TrackerError(f"question {question_id!r}: is not resolved, nothing to undo")
        row = {
            "question_id": question_id,
            "action": "unresolve",
            "outcome": None,
            "resolved_on": None,
            "recorded_by": recorded_by or analyst(),
            "recorded_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "note": note,
        }
        oid = append_outcome(db, row, [], source="cli")
        touched(db, [question_id])
    return {"id": oid, **row, "evidence": []}


def history(db: Ledger, question_id: str) -> list[dict]:
    """Every outcome record of a question, oldest first, each with its evidence and whether it is in force."""
    _require_question(db, question_id)
    return outcome_log(db, question_id)
