"""Fatebook's CSV export, as rows of tracker's tables.

The export: fatebook.io, "Export all your forecasts" (lib/web/export.ts).

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
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

from tracker import values
from tracker.errors import TrackerError
from tracker.imports.adapters.base import Adapted, day, forecast_id
from tracker.imports.table_file import TableFile

FATEBOOK_REQUIRED = ["Question title", "Forecast created by", "Forecast (scale = 0-1)", "Forecast created at",
                     "Question resolve by"]
_FATEBOOK_OUTCOMES = {"YES": "yes", "NO": "no", "AMBIGUOUS": "annulled"}


def fatebook_question_id(title: str, created_at: str, created_by: str) -> str:
    key = "\x1f".join([title, created_at, created_by])
    slug = values.slugify(title)[:48].strip("-")
    digest = hashlib.sha256(key.encode()).hexdigest()[:8]
    return f"fb-{slug}-{digest}" if slug else f"fb-{digest}"


class Fatebook(Adapted):
    kind, suffixes, describes = "fatebook", (".csv",), "Fatebook's CSV export"
    _table: TableFile  # always a file here: __init__ opens it

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
            yield n, {"id": forecast_id(qid, row["Forecast created by"], row["Forecast created at"],
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
