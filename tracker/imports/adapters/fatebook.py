"""Fatebook's CSV export, as rows of tracker's tables.

Source: Sage-Future/fatebook (MIT), read at 3eb5379f94e92317386e7f859c76e26cf9305fb1:
lib/web/export.ts (questionsToCsv, jsonToCsv, printForCsv: "Export all your forecasts"),
lib/web/tournament_router.ts (exportToCsv: a tournament's "Export to CSV"), lib/_utils_common.ts
(getDateTimeYYYYMMDDHHMMSS), lib/web/question_router.ts (which questions, and how hidden
forecasts are blanked), prisma/schema.prisma and lib/_scoring.ts. docs/adapters/fatebook.md
gives the commits of each layout and the comparison with Fatebook's own scores.

One row per forecast, the question's fields repeated on each. The layouts, all read by name:

    2023-07 (15 columns)  Question title, Forecast created by, Forecast (scale = 0-1), Forecast
                          created at, Question created by, Question created at, Question
                          resolution, Question resolve by, Question resolved at, Your Brier score
                          for this question, Your relative Brier score for this question,
                          Question notes, Question shared with, Question shared publicly,
                          Question comments
    2024-09 (16 columns)  + Multiple choice option (second); Resolution and Resolved at (after
                          Question resolve by) instead of Question resolution / resolved at
    2025-01 (17 columns)  + Question tags (last)
    tournament (12)       Tournament name, Question title, Multiple choice option, Forecast created
                          by, Forecast (scale = 0-1), Forecast created at, Question created by,
                          Question created at, Question resolve by, Resolution, Resolved at,
                          Question notes

Timestamps are written `YYYY-MM-DD HH:MM:S` (seconds not zero-padded) from the Date's local
fields, on the server: fatebook.io runs on Vercel, whose functions run in UTC (TZ is reserved
there), so they are UTC and are read as such. An ISO 8601 timestamp with a zone is read too.

    question_id  fatebook:<Question created at, as ISO UTC>: the export has no question id, and
                 the creation time is what does not change when a question is edited. Questions
                 of one file created in the same second (bulk imports into Fatebook) add
                 /<8 hex of SHA-256 of creator and title>. A multiple-choice option adds
                 /<option>: Fatebook scores each option as a yes/no question of its own
    question     Question title (an option: "<title> — <option>")
    resolve_by   Question resolve by, as UTC
    id           base.forecast_id(question_id, "", Forecast created at, forecast): the
                 author's name is left out, so a renamed user's forecasts keep their ids; it
                 is put in where two people's forecasts on one question share time and value
    author       Forecast created by
    probability  Forecast (scale = 0-1)
    made_on      Forecast created at, as UTC
    topic        Question tags (the exporter's own tags), and the tournament's name
    outcome      Resolution (an option's own, for an option): YES -> yes, NO -> no,
                 AMBIGUOUS -> annulled; empty -> still open, no outcome row
    resolved_on  Resolved at, as UTC (else Question resolve by)

Left out, and counted: hidden forecasts (Fatebook blanks the author and the value of others'
forecasts on a question whose forecasts are hidden); forecasts by users with no name (the export
has no other way to tell people apart); forecasts made after the question's resolve-by time (the
core does not count a forecast made after its deadline); a forecast repeated with the same
person, time and value (Fatebook's spreadsheet import adds a sheet's forecasts again each time it
runs). Left out as such: the Brier and relative Brier scores (tracker computes its own; the docs
say how they compare), Question notes, comments, shared with / publicly (text about the
question, access control), Question created by (only to tell apart questions created in the
same second).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from tracker.errors import TrackerError
from tracker.imports.adapters.base import Adapted, forecast_id
from tracker.imports.table_file import TableFile

TITLE, OPTION, BY, VALUE, AT = ("Question title", "Multiple choice option", "Forecast created by",
                                "Forecast (scale = 0-1)", "Forecast created at")
CREATOR, CREATED, RESOLVE_BY, TAGS, TOURNAMENT = ("Question created by", "Question created at",
                                                  "Question resolve by", "Question tags", "Tournament name")
#: the 2024-09 name of a column, then its 2023-07 name
RESOLUTION, RESOLVED_AT = ("Resolution", "Question resolution"), ("Resolved at", "Question resolved at")

#: the columns read, which every layout has (the 2023-07 one names the last two Question
#: resolution and Question resolved at)
FATEBOOK_REQUIRED = [TITLE, BY, VALUE, AT, CREATOR, CREATED, RESOLVE_BY, RESOLUTION[0], RESOLVED_AT[0]]
_OUTCOMES = {"YES": "yes", "NO": "no", "AMBIGUOUS": "annulled"}
_STAMP = re.compile(r"^(\d{4}-\d{2}-\d{2}) (\d{2}):(\d{2}):(\d{1,2})$")
#: the longest id the core keeps
_ID_CHARS = 500


def utc(value: str) -> str:
    """A Fatebook timestamp ("2025-02-03 09:05:1", UTC) in ISO 8601 with its zone
    ("2025-02-03T09:05:01Z"). Anything else is returned stripped, for the core to read or refuse."""
    text = value.strip()
    m = _STAMP.match(text)
    if not m:
        return text
    day, hours, minutes, seconds = m.groups()
    return f"{day}T{hours}:{minutes}:{int(seconds):02d}Z"


def _instant(iso: str) -> dt.datetime | None:
    try:
        stamp = dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp if stamp.tzinfo is not None else None


def _first(row: dict, names: tuple[str, ...]) -> str:
    for name in names:
        if name in row:
            return (row[name] or "").strip()
    return ""


def _forecast_key(row: dict) -> tuple:
    """What tells a forecast apart but its author: question, option, time and value."""
    return tuple((row.get(c) or "").strip() for c in (CREATED, CREATOR, TITLE, OPTION, AT, VALUE))


def _digest(*parts: str, n: int = 8) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:n]


class Fatebook(Adapted):
    kind, suffixes, describes = "fatebook", (".csv",), "Fatebook's CSV export"
    _table: TableFile  # always a file here: __init__ opens it

    def __init__(self, path: Path):
        super().__init__(path)
        self._table = TableFile(path, check_header=self._check_header)
        self._shared: tuple[set[str], set[tuple]] | None = None

    def _check_header(self, fields: list[str]) -> None:
        also = {RESOLUTION[0]: RESOLUTION[1], RESOLVED_AT[0]: RESOLVED_AT[1]}  # the 2023-07 names
        missing = [c for c in FATEBOOK_REQUIRED if c not in fields and also.get(c) not in fields]
        if missing:
            raise TrackerError(f"{self.path}: not a Fatebook export: no column {missing[0]!r} "
                               f"(expected: {', '.join(FATEBOOK_REQUIRED)})")

    # ------------------------------------------------------------------ the question of a row

    def _scan(self) -> tuple[set[str], set[tuple]]:
        """A first pass over the file, once: the creation times (ISO) that more than one question
        has (Fatebook's bulk imports create questions in the same second), and the forecasts that
        different people made on one question in the same second with the same value."""
        if self._shared is None:
            questions: dict[str, set[tuple[str, str]]] = defaultdict(set)
            authors: dict[tuple, str] = {}
            same: set[tuple] = set()
            for _, row in TableFile(self.path, check_header=self._check_header).rows():
                if not isinstance(row, dict):
                    continue
                created = utc(row[CREATED] or "")
                questions[created].add(((row[CREATOR] or "").strip(), (row[TITLE] or "").strip()))
                who = (row[BY] or "").strip()
                if who:
                    key = _forecast_key(row)
                    if authors.setdefault(key, who) != who:
                        same.add(key)
            self._shared = ({c for c, of_c in questions.items() if len(of_c) > 1}, same)
        return self._shared

    def _question(self, where: object, row: dict) -> dict:
        """The question a row is about (an option of a multiple-choice question is one of its own)."""
        created, title = utc(row[CREATED] or ""), (row[TITLE] or "").strip()
        if not created:
            raise TrackerError(f"{self.path}:{where}: {CREATED} is empty; it is what identifies a Fatebook question")
        qid = f"fatebook:{created}"
        if created in self._scan()[0]:
            qid += "/" + _digest((row[CREATOR] or "").strip(), title)
        option = (row.get(OPTION) or "").strip()
        if option:
            with_option = f"{qid}/{option}"
            qid = with_option if len(with_option) <= _ID_CHARS else f"{qid}/option-{_digest(option, n=16)}"
            title = f"{title} — {option}"
        topics = [t.strip() for t in (row.get(TAGS) or "").split(";") if t.strip()]
        tournament = (row.get(TOURNAMENT) or "").strip()
        if tournament and tournament not in topics:
            topics.append(tournament)
        return {"question_id": qid, "question": title or None, "resolve_by": utc(row[RESOLVE_BY] or ""),
                "topic": ";".join(topics) or None}

    def _kept(self, row: dict, question: dict) -> str | None:
        """Why a row is not a forecast to import (and counted so), or None."""
        who, value = (row[BY] or "").strip(), (row[VALUE] or "").strip()
        if not who:
            return "hidden forecasts" if not value else "forecasts by users with no name"
        made, deadline = _instant(utc(row[AT] or "")), _instant(question["resolve_by"])
        if made is not None and deadline is not None and made > deadline:
            return "forecasts made after the resolve-by time"
        return None

    # ------------------------------------------------------------------ the two streams

    def forecasts(self) -> Iterator:
        self.dropped.clear()
        seen: set[str] = set()
        for n, row in self._table.rows():
            if isinstance(row, TrackerError):
                yield n, row
                continue
            try:
                question = self._question(n, row)
            except TrackerError as e:
                yield n, e
                continue
            reason = self._kept(row, question)
            if reason:
                self.dropped[reason] += 1
                continue
            who, at, value = row[BY].strip(), utc(row[AT] or ""), row[VALUE].strip()
            # a renamed user's forecasts keep their ids (the core gives them the new author)
            fid = forecast_id(question["question_id"], who if _forecast_key(row) in self._scan()[1] else "",
                              at, value)
            if fid in seen:  # Fatebook's spreadsheet import, run twice, adds every forecast again
                self.dropped["repeated forecasts (same person, time and value)"] += 1
                continue
            seen.add(fid)
            yield n, {"id": fid, **question, "author": who, "probability": value, "made_on": at}

    def outcomes(self) -> Iterator:
        """One outcome per resolved question (or option) that has a forecast imported: the
        resolution is repeated on every row, and a question none of whose forecasts is kept is
        not created, so it has nothing to resolve."""
        done: set[str] = set()
        for n, row in self._table.rows():
            if isinstance(row, TrackerError):
                continue
            resolution = _first(row, RESOLUTION)
            if not resolution:
                continue
            try:
                question = self._question(n, row)
            except TrackerError:
                continue  # reported with the forecasts
            qid = question["question_id"]
            if qid in done or self._kept(row, question):
                continue
            done.add(qid)
            resolved_at = _first(row, RESOLVED_AT)
            yield n, {"question_id": qid, "outcome": _OUTCOMES.get(resolution.upper(), resolution),
                      "resolved_on": utc(resolved_at) if resolved_at else question["resolve_by"]}
