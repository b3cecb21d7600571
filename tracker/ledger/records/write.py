"""Writing loaded records into the ledger: any number of files in one transaction, after checking
what they point at (in the import or in the database) and that each forecast and outcome fits
its question's kind; then the questions touched are re-scored. `stale_paths` says which record
files changed since they were last imported."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from tracker import values
from tracker.errors import TrackerError
from tracker.intake.documents import read_text_file, sha256_file
from tracker.ledger.connection import Ledger, touched, writing
from tracker.ledger.documents import questions_of
from tracker.ledger.ids import unknown
from tracker.ledger.import_log import last_sha256, log_import
from tracker.ledger.outcomes import (
    append_outcome,
    current_outcome,
    existing_outcome_keys,
    first_forecasts,
    odd_date,
    outcome_key,
)
from tracker.ledger.records.load import Record


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def as_dict(self) -> dict:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


def _upsert(db: Ledger, table: str, row: dict, counts: Counts, keep: tuple[str, ...] = ()) -> str:
    """Insert or update one row by id; 'created', 'updated' or 'unchanged'. Columns in `keep` that the
    row leaves empty keep what the database has (e.g. a document's stored text)."""
    existing = list(db.query(f"select * from [{table}] where id = ?", [row["id"]]))
    if not existing:
        db[table].insert(row)
        counts.created += 1
        return "created"
    old = existing[0]
    new = {k: v for k, v in row.items() if not (k in keep and v is None)}
    if all(old.get(k) == v for k, v in new.items()):
        counts.unchanged += 1
        return "unchanged"
    db[table].update(row["id"], new)
    counts.updated += 1
    return "updated"


def _set_links(db: Ledger, table: str, key: str, key_value: str, other: str, ids: list[str]) -> bool:
    """Make the ordered link rows for one owner equal `ids`; True if anything changed."""
    current = [r[other] for r in db.query(
        f"select {other} from {table} where {key} = ? order by position", [key_value])]
    if current == ids:
        return False
    db.execute(f"delete from {table} where {key} = ?", [key_value])
    db[table].insert_all({key: key_value, other: i, "position": n} for n, i in enumerate(ids, 1))
    return True


def _check_references(db: Ledger, records: list[Record]) -> None:
    """Every id a record points at exists in some record of this import or in the database,
    and no two records of one import define the same thing differently."""
    defined: dict[tuple[str, str], tuple[str, dict]] = {}
    for rec in records:
        rows = [("author", r) for r in rec.authors] + [("question", r) for r in rec.questions]
        rows += [("forecast", r) for r in rec.forecasts]
        if rec.document:
            rows.append(("document", rec.document))
        for kind, row in rows:
            key = (kind, row["id"])
            if key in defined and defined[key][1] != row:
                raise TrackerError(
                    f"{rec.path}: {kind} {row['id']} is defined differently in {defined[key][0]}")
            defined[key] = (rec.path, row)

    def exists(kind: str, table: str, id_: str) -> bool:
        return (kind, id_) in defined or bool(list(db.query(f"select 1 from {table} where id = ?", [id_])))

    def missing(kind: str, id_: str, message: str) -> TrackerError:
        return unknown(db, kind, id_, message, also=[i for k, i in defined if k == kind], names=False)

    for rec in records:
        for a in rec.document_authors:
            if not exists("author", "authors", a):
                raise missing("author", a, f"{rec.path}: document author {a!r} is not among the authors")
        for f in rec.forecasts:
            if not exists("question", "questions", f["question_id"]):
                raise missing("question", f["question_id"],
                              f"{rec.path}: forecast {f['id']}: unknown question {f['question_id']!r}")
            for a in rec.forecast_authors[f["id"]]:
                if not exists("author", "authors", a):
                    raise missing("author", a, f"{rec.path}: forecast {f['id']}: unknown author {a!r}")
            if f["conditional_on"] and not exists("forecast", "forecasts", f["conditional_on"]):
                cond = f["conditional_on"]
                raise missing("forecast", cond,
                              f"{rec.path}: forecast {f['id']}: conditional_on unknown forecast {cond!r}")
            if f["conditional_on"] == f["id"]:
                raise TrackerError(f"{rec.path}: forecast {f['id']}: is conditional on itself")
        for o in rec.outcomes:
            if not exists("question", "questions", o["question_id"]):
                raise missing("question", o["question_id"],
                              f"{rec.path}: outcome for unknown question {o['question_id']!r}")


def _fit_to_questions(db: Ledger, records: list[Record]) -> None:
    """Each forecast and outcome has the shape its question's kind asks for: a probability and
    yes/no/annulled for a yes-no question; a distribution over exactly the question's options
    (put in the options' order) and one of the options, or annulled, for a multiple-choice one."""
    kinds: dict[str, tuple[str, list[str]]] = {}
    for rec in records:
        for q in rec.questions:
            kinds[q["id"]] = (q["kind"], json.loads(q["options"] or "[]"))

    def kind_of(qid: str) -> tuple[str, list[str]]:
        if qid not in kinds:
            (row,) = db.query("select kind, options from questions where id = ?", [qid])  # _check_references saw it
            kinds[qid] = (row["kind"], json.loads(row["options"] or "[]"))
        return kinds[qid]

    for rec in records:
        for i, f in enumerate(rec.forecasts):
            w = rec.places.get(("forecast", i), rec.path)
            kind, options = kind_of(f["question_id"])
            if kind == "binary" and f["probability"] is None:
                raise TrackerError(f"{w}: question {f['question_id']} is yes-no; give a probability")
            if kind == "multiple_choice":
                if f["probability"] is not None:
                    raise TrackerError(f"{w}: question {f['question_id']} is multiple-choice; give probabilities")
                dist = json.loads(f["probabilities"])
                if set(dist) != set(options):
                    missing = [o for o in options if o not in dist] or [o for o in dist if o not in options]
                    raise TrackerError(f"{w} probabilities: must cover exactly the options {options}; "
                                       f"{missing[0]!r} is {'missing' if missing[0] in options else 'not an option'}")
                f["probabilities"] = json.dumps({o: dist[o] for o in options}, ensure_ascii=False)
                if f["probabilities_given"]:
                    given = json.loads(f["probabilities_given"])
                    f["probabilities_given"] = json.dumps({o: given[o] for o in options}, ensure_ascii=False)
        for i, o in enumerate(rec.outcomes):
            if o["outcome"] is None:
                continue
            w = rec.places.get(("outcome", i), rec.path)
            kind, options = kind_of(o["question_id"])
            if kind == "binary":
                o["outcome"] = values.outcome(o["outcome"], f"{w} outcome")
            elif o["outcome"] not in options + ["annulled"]:
                raise TrackerError(f"{w} outcome: {o['outcome']!r} is not one of the options {options} or annulled")


def _no_silent_change(db: Ledger, where: str, qid: str, entry: dict) -> None:
    """A record changes an outcome in force only by saying so (`action: correct`), as a table row
    or `tracker resolve` must: an entry edited from no to yes in place would otherwise flip it."""
    if entry["action"] != "resolve":
        return
    current = current_outcome(db, qid)
    if current is not None and current["outcome"] != entry["outcome"]:
        raise TrackerError(f"{where}: question {qid} already has the outcome {current['outcome']!r} in force; "
                           f"a record changes it only with `action: correct` (or `tracker resolve {qid} "
                           f"--outcome {entry['outcome']} --correct`)")


def _language(db: Ledger, document_id: str) -> tuple | None:
    """(language,) of a document in the database, None when it is not there."""
    return db.execute("select language from documents where id = ?", [document_id]).fetchone()


def _dependency_order(forecasts: list[dict]) -> list[dict]:
    """Forecasts a condition points at go in before the forecasts that point at them."""
    by_id = {f["id"]: f for f in forecasts}
    ordered: list[dict] = []
    placed: set[str] = set()

    def place(f: dict, chain: tuple[str, ...]) -> None:
        if f["id"] in placed:
            return
        if f["id"] in chain:
            raise TrackerError(f"forecast {f['id']}: conditions form a cycle ({' → '.join(chain + (f['id'],))})")
        target = by_id.get(f["conditional_on"] or "")
        if target is not None:
            place(target, chain + (f["id"],))
        placed.add(f["id"])
        ordered.append(f)

    for f in forecasts:
        place(f, ())
    return ordered


def import_records(db: Ledger, records: list[Record], texts: Iterable[str | Path] = (),
                   note: str | None = None) -> dict:
    """Write records (and any document texts, matched by SHA-256) in one transaction.

    Returns counts per kind of row. Nothing is written if anything is wrong.
    """
    supplied: dict[str, tuple[str, str]] = {}
    for t in texts:
        body, digest = read_text_file(t)
        supplied[digest] = (str(t), body)
    wanted = {r.document["sha256"] for r in records if r.document and r.document["sha256"]}
    for digest, (tpath, _) in supplied.items():
        if digest not in wanted and not list(db.query("select 1 from documents where sha256 = ?", [digest])):
            raise TrackerError(f"{tpath}: its SHA-256 {digest[:12]}… matches no document")

    counts = {k: Counts() for k in ("authors", "documents", "questions", "forecasts", "outcomes")}
    with writing(db, note):
        _check_references(db, records)
        # every reference is checked above, across all the records: a record may use a question
        # that a record after it defines (SQLite would fail the insert, in that order only)
        db.execute("pragma defer_foreign_keys = on")
        _fit_to_questions(db, records)
        touched_questions: set[str] = set()
        for rec in records:
            before_totals = _totals(counts)
            for a in rec.authors:
                _upsert(db, "authors", a, counts["authors"])
            if rec.document:
                doc = dict(rec.document)
                text = supplied.get(doc["sha256"] or "")
                doc["text"] = text[1] if text else None
                before = _language(db, doc["id"])
                _upsert(db, "documents", doc, counts["documents"], keep=("text",))
                if before is not None and before[0] != doc["language"]:  # the upsert stores doc's language
                    touched_questions.update(questions_of(db, doc["id"]))
                _set_links(db, "document_authors", "document_id", doc["id"], "author_id", rec.document_authors)
            for q in rec.questions:
                if _upsert(db, "questions", q, counts["questions"]) != "unchanged":
                    touched_questions.add(q["id"])
            for f in _dependency_order(rec.forecasts):
                # a forecast moved to another question leaves the old one to re-score
                old_question = [r[0] for r in db.execute("select question_id from forecasts where id = ?",
                                                         [f["id"]])]
                changed = _upsert(db, "forecasts", f, counts["forecasts"]) != "unchanged"
                changed |= _set_links(db, "forecast_authors", "forecast_id", f["id"], "author_id",
                                      rec.forecast_authors[f["id"]])
                if changed:
                    touched_questions.add(f["question_id"])
                    touched_questions.update(old_question)
            by_question: dict[str, list[tuple[int, dict]]] = {}
            for i, o in enumerate(rec.outcomes):
                by_question.setdefault(o["question_id"], []).append((i, o))
            for qid, entries in by_question.items():
                have = existing_outcome_keys(db, qid)
                for i, o in entries:
                    key = outcome_key(o, o["evidence"])
                    if have[key] > 0:
                        have[key] -= 1
                        counts["outcomes"].unchanged += 1
                        continue
                    _no_silent_change(db, rec.places.get(("outcome", i), rec.path), qid, o)
                    _date_is_right(db, rec.places.get(("outcome", i), rec.path), qid, o)
                    append_outcome(db, o, o["evidence"], source="record")
                    counts["outcomes"].created += 1
                    touched_questions.add(qid)
            per_file = {k: v - before_totals[k] for k, v in _totals(counts).items()}
            log_import(db, rec.path, rec.sha256, "record", per_file)
        touched(db, touched_questions, refit=True)
    return {k: c.as_dict() for k, c in counts.items()}


def _date_is_right(db: Ledger, where: str, qid: str, entry: dict) -> None:
    """A new outcome's date passes the check `tracker resolve` makes (not in the future, not before
    the question's first forecast), or the entry accepts it with a reason: `accept_date: true`
    with a note, or `accept_date: REASON`."""
    if entry["resolved_on"] is None:
        return
    problem = odd_date(qid, entry["resolved_on"], first_forecasts(db, [qid]).get(qid))
    accepted = entry.get("accept_date")
    if problem and not accepted:
        raise TrackerError(f"{where} resolved_on: {problem}; if it is right, add `accept_date: true` and a note "
                           "saying why (or `accept_date: REASON`)")
    if problem and accepted is True and not entry.get("note"):
        raise TrackerError(f"{where} accept_date: true needs a note saying why the date is right")


def _totals(counts: dict[str, Counts]) -> dict[str, int]:
    return {k: sum(c.as_dict()[k] for c in counts.values()) for k in ("created", "updated", "unchanged")}


def stale_paths(db: Ledger, paths: list[Path]) -> list[Path]:
    """Record files whose content differs from what was last imported from that path."""
    stale = []
    for p in paths:
        if last_sha256(db, str(p)) != sha256_file(p):
            stale.append(p)
    return stale
