"""Import adapters: files people already have, read as rows of tracker's flat tables.

Each adapter turns one file into two streams of rows in the format of `tracker import --kind
forecasts` and `--kind outcomes` (see tracker.imports.forecast_rows and outcome_rows), which then go through exactly the same
checks, batching and transaction as a table of our own. Every row carries where it came from
(a line number, or a prediction and response id), so a bad row is reported as `FILE:WHERE:
reason`. What an adapter leaves out on purpose is counted in `dropped`, by reason, and reported
in the import's summary. docs/adapters.md has the same mappings with examples.

Fatebook: the CSV export (fatebook.io, "Export all your forecasts"; lib/web/export.ts)
--------------------------------------------------------------------------------------
One row per forecast, with the question's fields repeated on each row; the header is

    Question title, Multiple choice option, Forecast created by, Forecast (scale = 0-1),
    Forecast created at, Question created by, Question created at, Question resolve by,
    Resolution, Resolved at, Your Brier score for this question, Your relative Brier score
    for this question, Question notes, Question shared with, Question shared publicly,
    Question comments

(earlier exports: "Question resolution" and "Question resolved at" instead of "Resolution" and
"Resolved at", and no "Multiple choice option"; both are read). Dates are written
`YYYY-MM-DD HH:MM:S` in the exporting machine's local time; an ISO timestamp is read too.

    question_id  fb-<slug of the title>-<8 hex of SHA-256 of title, question created at and
                 question created by>: the export carries no question id, so the question is
                 known by what identifies it; the same export always gives the same id
    id           <question_id>-<12 hex of SHA-256 of author, Forecast created at and the
                 forecast>: people update a forecast several times a day, and the full
                 timestamp tells those apart
    question     Question title
    resolve_by   the date of Question resolve by
    author       Forecast created by
    probability  Forecast (scale = 0-1)
    made_on      the date of Forecast created at
    outcome      Resolution: YES -> yes, NO -> no, AMBIGUOUS -> annulled; empty -> still open
    resolved_on  the date of Resolved at (else of Question resolve by)

Dropped, and why: rows of multiple-choice questions ("Multiple choice option" set: tables hold
yes-no forecasts; a multiple-choice question comes in as a record file with its options);
forecasts made after the question's resolve-by date (tracker does not count a forecast made
after its deadline; counted, not silently lost); the Brier and relative Brier scores (tracker
computes its own, from the forecasts); Question notes and Question comments (free text about the
question, not forecasts; the flat tables have no place for them); Question shared with / shared
publicly (Fatebook's access control); Question created by / at (used only for the question id).
Time of day is dropped: tracker's dates are days.

PredictionBook: JSON (predictionbook.com/api/my_predictions; PredictionSerializer)
----------------------------------------------------------------------------------
Either the API's answer `{"user": {...}, "predictions": [...]}`, a list of predictions, or
JSONL with one prediction per line (read line by line, for large files; a .json file is read
whole). A prediction is

    {"id", "description", "deadline", "created_at", "updated_at", "creator_id", "uuid",
     "withdrawn", "version", "visibility", "group_id", "prediction_group_id", "outcome",
     "mean_confidence", "responses": [{"id", "comment", "confidence", "created_at",
     "updated_at", "user_id", "user_label"}]}

`outcome` is the latest judgement: true (right), false (wrong) or null (unknown). Older dumps
name things differently, and these are read too: "credence" for "confidence", "judgement"
("right"/"wrong"/"unknown", or a list "judgements" whose last entry counts, each with an
"outcome" and "created_at"), and "creator"/"user" for the user label.

    question_id  pb-<prediction id>
    question     description
    resolve_by   the UTC date of deadline
    id           pb-<prediction id>-<response id> (else made from question, author, timestamp
                 and confidence, as for Fatebook)
    author       the response's user_label (else "PredictionBook user <user_id>")
    probability  confidence / 100 (PredictionBook's confidence is a percentage)
    made_on      the UTC date of the response's created_at
    note         the comment given with that confidence, if any
    outcome      true -> yes, false -> no; null -> still open
    resolved_on  the date of the last judgement if the file has it, else of updated_at (the
                 API has no judgement date: the prediction's last change is the nearest;
                 Fatebook's own PredictionBook importer makes the same choice), else deadline

Dropped, and why: withdrawn predictions (withdrawn by their creator while open: never
resolved); responses with no confidence (comments only: not forecasts); forecasts made after the
deadline (as for Fatebook); mean_confidence (derived from the responses); uuid, version,
visibility, group_id, prediction_group_id, creator_id (PredictionBook's bookkeeping and access
control; the creator's own forecast is the first response).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from tracker import values
from tracker.errors import TrackerError
from tracker.imports.table_file import TableFile

KINDS = ("fatebook", "predictionbook")

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
                return stamp.astimezone(dt.timezone.utc).date().isoformat()
        except ValueError:
            pass
    m = _DAY.match(text)
    return m.group(1) if m else value


class Adapted:
    """One source file as forecast rows and outcome rows (each a fresh iterator), with what was
    dropped and how far reading has got (through `_table`, the TableFile reading it, if any)."""

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


# ------------------------------------------------------------------ Fatebook

FATEBOOK_REQUIRED = ["Question title", "Forecast created by", "Forecast (scale = 0-1)", "Forecast created at",
                     "Question resolve by"]
_FATEBOOK_OUTCOMES = {"YES": "yes", "NO": "no", "AMBIGUOUS": "annulled"}


def fatebook_question_id(title: str, created_at: str, created_by: str) -> str:
    key = "\x1f".join([title, created_at, created_by])
    slug = values.slugify(title)[:48].strip("-")
    digest = hashlib.sha256(key.encode()).hexdigest()[:8]
    return f"fb-{slug}-{digest}" if slug else f"fb-{digest}"


class Fatebook(Adapted):
    def __init__(self, path: Path):
        super().__init__(path)
        self._table = TableFile(path, check_header=self._check_header)

    def _check_header(self, fields: list[str]) -> None:
        missing = [c for c in FATEBOOK_REQUIRED if c not in fields]
        if missing:
            raise TrackerError(f"{self.path}: not a Fatebook export: no column {missing[0]!r} "
                               f"(expected: {', '.join(FATEBOOK_REQUIRED)})")

    @staticmethod
    def _question(row: dict) -> tuple[str, object]:
        title = row["Question title"].strip()
        qid = fatebook_question_id(title, row.get("Question created at", "").strip(),
                                   row.get("Question created by", "").strip())
        return qid, day(row["Question resolve by"])

    def forecasts(self) -> Iterator:
        self.dropped.clear()
        for n, row in self._table.rows():
            if isinstance(row, TrackerError):
                yield n, row
                continue
            if (row.get("Multiple choice option") or "").strip():
                self.dropped["rows of multiple-choice questions"] += 1
                continue
            qid, resolve_by = self._question(row)
            made_on = day(row["Forecast created at"])
            if isinstance(made_on, str) and isinstance(resolve_by, str) and len(made_on) == len(resolve_by) == 10 \
                    and made_on > resolve_by:
                self.dropped["forecasts made after the resolve-by date"] += 1
                continue
            yield n, {"id": _forecast_id(qid, row["Forecast created by"], row["Forecast created at"],
                                         row["Forecast (scale = 0-1)"]),
                      "question_id": qid, "question": row["Question title"].strip() or None,
                      "resolve_by": resolve_by, "author": row["Forecast created by"],
                      "probability": row["Forecast (scale = 0-1)"], "made_on": made_on}

    def outcomes(self) -> Iterator:
        done: set[str] = set()
        for n, row in self._table.rows():
            if isinstance(row, TrackerError) or (row.get("Multiple choice option") or "").strip():
                continue
            resolution = (row.get("Resolution") or row.get("Question resolution") or "").strip()
            if not resolution:
                continue
            qid, resolve_by = self._question(row)
            if qid in done:
                continue  # the question's outcome is repeated on each of its forecasts' rows
            done.add(qid)
            resolved_at = (row.get("Resolved at") or row.get("Question resolved at") or "").strip()
            yield n, {"question_id": qid, "outcome": _FATEBOOK_OUTCOMES.get(resolution.upper(), resolution),
                      "resolved_on": day(resolved_at) if resolved_at else resolve_by}


# ------------------------------------------------------------------ PredictionBook

class PredictionBook(Adapted):
    def _predictions(self) -> Iterator[tuple[str, dict | TrackerError]]:
        """(where, prediction) for each prediction in the file."""
        if self.path.suffix.lower() in (".jsonl", ".ndjson"):
            self._table = TableFile(self.path, jsonl_object="a prediction (a JSON object)")
            for n, p in self._table.rows():
                yield str(n), p
            return
        try:
            data = json.loads(self.path.read_bytes().decode("utf-8-sig"))
        except OSError as e:
            raise TrackerError(f"{self.path}: cannot read ({e.strerror})") from None
        except UnicodeDecodeError as e:
            raise TrackerError(f"{self.path}: not UTF-8 text (byte {e.start})") from None
        except json.JSONDecodeError as e:
            raise TrackerError(f"{self.path}:{e.lineno}: broken JSON ({e.msg})") from None
        predictions = data.get("predictions") if isinstance(data, dict) else data
        if not isinstance(predictions, list):
            raise TrackerError(f"{self.path}: expected a list of predictions, or an object with 'predictions'")
        total = max(len(predictions), 1)
        for i, p in enumerate(predictions):
            self._done = (i + 1) / total
            pid = p.get("id") if isinstance(p, dict) else None
            where = f"prediction {pid}" if pid is not None else f"predictions[{i}]"
            yield where, p if isinstance(p, dict) else TrackerError(f"{self.path}:{where}: expected a JSON object")

    def position(self) -> int:
        # a .jsonl dump is read by a TableFile; a .json one is parsed whole, then walked
        return super().position() if self._table is not None else int(getattr(self, "_done", 0) * self.size)

    @staticmethod
    def _qid(p: dict, where: str, path: Path) -> str:
        pid = p.get("id")
        if isinstance(pid, bool) or not isinstance(pid, (int, str)) or not str(pid).strip():
            raise TrackerError(f"{path}:{where}: a prediction needs an id")
        return f"pb-{str(pid).strip().lower()}"

    @staticmethod
    def _outcome(p: dict) -> tuple[object, object]:
        """(outcome as PredictionBook gives it, when it was judged if known)."""
        judgements = p.get("judgements")
        if isinstance(judgements, list) and judgements:
            last = judgements[-1] if isinstance(judgements[-1], dict) else {}
            return last.get("outcome"), last.get("created_at")
        if "judgement" in p:
            return p.get("judgement"), None
        return p.get("outcome"), None

    def forecasts(self) -> Iterator:
        self.dropped.clear()
        for where, p in self._predictions():
            if isinstance(p, TrackerError):
                yield where, p
                continue
            if p.get("withdrawn"):
                self.dropped["withdrawn predictions"] += 1
                continue
            try:
                qid = self._qid(p, where, self.path)
            except TrackerError as e:
                yield where, e
                continue
            resolve_by = day(p.get("deadline"))
            responses = p.get("responses") or []
            if not isinstance(responses, list):
                yield where, TrackerError(f"{self.path}:{where}: responses must be a list")
                continue
            for k, r in enumerate(responses):
                if not isinstance(r, dict):
                    yield f"{where}, response {k + 1}", TrackerError(
                        f"{self.path}:{where}, response {k + 1}: expected a JSON object")
                    continue
                rid = r.get("id")
                at = f"{where}, response {rid if rid is not None else k + 1}"
                confidence = r.get("confidence", r.get("credence"))
                if confidence is None:
                    self.dropped["responses with no confidence (comments)"] += 1
                    continue
                made_on = day(r.get("created_at"))
                if isinstance(made_on, str) and isinstance(resolve_by, str) and len(made_on) == len(resolve_by) == 10 \
                        and made_on > resolve_by:
                    self.dropped["forecasts made after the deadline"] += 1
                    continue
                label = r.get("user_label") or r.get("user") or (
                    f"PredictionBook user {r['user_id']}" if r.get("user_id") is not None else None)
                yield at, {
                    "id": f"{qid}-{str(rid).strip().lower()}" if rid is not None and str(rid).strip() else
                    _forecast_id(qid, label, r.get("created_at"), confidence),
                    "question_id": qid, "question": p.get("description"), "resolve_by": resolve_by,
                    "author": label if isinstance(label, str) else "", "probability": _percent(confidence),
                    "made_on": made_on, "note": r.get("comment") or None}

    def outcomes(self) -> Iterator:
        for where, p in self._predictions():
            if isinstance(p, TrackerError) or p.get("withdrawn"):
                continue
            outcome, judged_at = self._outcome(p)
            if outcome in (None, "unknown", ""):
                continue
            try:
                qid = self._qid(p, where, self.path)
            except TrackerError:
                continue  # reported with the forecasts
            word = {True: "yes", False: "no", "right": "yes", "wrong": "no"}.get(outcome, outcome)
            on = judged_at or p.get("updated_at") or p.get("deadline")
            yield where, {"question_id": qid, "outcome": word, "resolved_on": day(on)}


def _forecast_id(qid: str, author: object, created_at: object, value: object) -> str:
    """Someone may forecast a question several times a day: the full timestamp tells them apart
    (tracker's own default id, made from the day, would not)."""
    key = "\x1f".join(str(x) for x in (qid, author, created_at, value))
    return f"{qid}-{hashlib.sha256(key.encode()).hexdigest()[:12]}"


def _percent(confidence: object) -> object:
    """PredictionBook's confidence is a percentage (0..100): as a probability, or as it is (for the
    table check to reject with its message)."""
    if isinstance(confidence, bool):
        return confidence
    if isinstance(confidence, (int, float)):
        return confidence / 100
    if isinstance(confidence, str) and confidence.strip():
        return confidence.strip() if confidence.strip().endswith("%") else f"{confidence.strip()}%"
    return confidence


def open_adapter(path: str | Path, kind: str) -> Adapted:
    path = Path(path)
    if not path.exists():
        raise TrackerError(f"{path}: no such file")
    if kind == "fatebook":
        if path.suffix.lower() != ".csv":
            raise TrackerError(f"{path}: a Fatebook export is a .csv file")
        return Fatebook(path)
    if kind == "predictionbook":
        if path.suffix.lower() not in (".json", ".jsonl", ".ndjson"):
            raise TrackerError(f"{path}: PredictionBook data is a .json (or .jsonl) file")
        return PredictionBook(path)
    raise TrackerError(f"--kind {kind!r}: no such adapter (have: {', '.join(KINDS)})")
