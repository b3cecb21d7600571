"""Metaculus's data export, as rows of tracker's tables.

The export: metaculus.com's "Download data" (a question, a group, a tournament; or an admin's or a
data-access user's export), written by `generate_data` in utils/csv_utils.py of Metaculus/metaculus:
a zip of question_data.csv, forecast_data.csv and, if asked for, comment_data.csv and score_data.csv
(with a README.md since August 2025). Read as the zip itself, or unzipped, through the path of its
forecast_data.csv or question_data.csv (the other beside it).

Every value is what Python's csv.writer makes of Django's: timestamps `2023-06-01 16:12:09.418230+00:00`
(UTC, the server's zone; no fraction when it is 0), lists as Python reprs (`['Space']`,
`[0.86, 0.13, None, 0.01]`), booleans `True`/`False`, None as an empty field. A user forecast on a
question that is open, annulled or ambiguous has one field fewer than the header (the exporter adds
"Probability of Resolution" and "PDF at Resolution" only once a question resolves); such rows are read.
Columns are found by name, so every layout since November 2024 is read (docs/adapters/metaculus.md).

    question_id  metaculus:question:<Question ID> (the question's id, not the post id in the URL)
    question     Question Title (with the Label of a group's sub-question, in brackets, if the title
                 does not name it)
    resolve_by   Scheduled Close Time: when forecasting ends; Metaculus takes no forecast after it
    topic        Categories
    id           <question_id>-<12 hex of SHA-256 of question, forecaster and Start Time>: the
                 export has no forecast id; Metaculus keys a forecast by these three
    author       Forecaster Username (anonymized exports: "anonymous <first 8 hex of the hash>")
    author_id    metaculus:user:<Forecaster ID> (anonymized: metaculus:anonymous:<the hash>)
    made_on      Start Time, to the microsecond, in UTC
    probability  Probability Yes (binary questions)
    options      multiple choice: MC Options (All) (before 2026: MC Options), in Metaculus's order,
    probabilities  and Probability Yes Per Category, the list in that order
    outcome      Resolution: yes, no, an option's label, or ambiguous/annulled (tracker: annulled);
                 empty: open, no outcome row
    resolved_on  Resolution Known Time (else Actual Close Time, else Scheduled Close Time)

A Metaculus forecast stands from its Start Time until its End Time: the forecaster's next forecast,
a withdrawal, an expiry the forecaster set, or an option added to the question. Tracker's forecast is
made at the Start Time and stands until the forecaster's next one; an end with no next forecast is
counted ("forecasts withdrawn, expired or ended by an option change"), not scored.

Left out, and counted: the aggregate rows (the community prediction: not a forecaster's); forecasts on
numeric, date and discrete questions (distributions; tracker scores probabilities); forecasts made
once the question had closed (Actual Close Time: an early resolution dated back; Metaculus gives them
no weight either) and forecasts that ended before it opened; a multiple-choice forecast with no
probability for an option added later (Metaculus counts that option in "Other" for it), unless the
question resolved to an option it priced: the others are 0 then, and its score is Metaculus's.
Not read: the scores (tracker computes its own), comments, the continuous columns, Question URL, Post
ID, curation, project, Leaderboard Tags, CP Reveal Time, Include Bots in Aggregates, Question Weight.
"""

from __future__ import annotations

import ast
import csv
import datetime as dt
import io
import json
import math
import re
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from tracker.errors import TrackerError
from tracker.imports.adapters.base import Adapted, forecast_id

QUESTIONS, FORECASTS = "question_data.csv", "forecast_data.csv"
QUESTION_REQUIRED = ["Question ID", "Question Title", "Question Type", "Scheduled Close Time", "Resolution"]
FORECAST_REQUIRED = ["Question ID", "Start Time", "End Time", "Probability Yes", "Probability Yes Per Category"]
SCORED_KINDS = ("binary", "multiple_choice")
OTHER_KINDS = ("numeric", "date", "discrete")
UNSUCCESSFUL = ("ambiguous", "annulled")
#: Metaculus accepts a multiple-choice forecast whose sum passes numpy.isclose(sum, 1): within 1e-8 + 1e-5
METACULUS_SUM_TOLERANCE = 1e-8 + 1e-5
TRACKER_SUM_TOLERANCE = 1e-6
_ANONYMOUS = re.compile(r"^[0-9a-f]{64}$")

AGGREGATES = "aggregate forecasts (the community prediction)"
AFTER_CLOSE = "forecasts made after the question closed"
BEFORE_OPEN = "forecasts that ended before the question opened"
ENDED = "forecasts withdrawn, expired or ended by an option change (kept as made; the end is not scored)"
MISSING_OPTION_OPEN = "multiple-choice forecasts without a probability for every option, question not resolved to one"
MISSING_OUTCOME = "multiple-choice forecasts without a probability for the option that happened"
RESCALED = "multiple-choice forecasts rescaled to sum to 1 (Metaculus allows 1e-5 off)"
UNREADABLE_QUESTION = "forecasts on a question whose row could not be read"


def stamp(text: str | None, what: str) -> dt.datetime | None:
    """A timestamp as the export writes it (str of an aware datetime, UTC); None for an empty field.
    One without a zone is in UTC, the zone Metaculus's server runs in (settings.TIME_ZONE)."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise TrackerError(f"{what}: {text!r} is not a timestamp") from None
    return (when if when.tzinfo else when.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)


def iso(when: dt.datetime | None) -> str | None:
    return when.isoformat() if when is not None else None


def python_list(text: str, what: str) -> list | None:
    """A list cell (Python's repr of a list, as csv.writer writes it); None for an empty field."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        value = None
    if not isinstance(value, (list, tuple)):
        raise TrackerError(f"{what}: expected a list, got {text[:60]!r}")
    return list(value)


@dataclass
class _Question:
    where: str
    qid: str
    title: str
    kind: str
    options: list[str] | None
    resolve_by: str | None
    opened: dt.datetime | None
    closed: dt.datetime | None
    resolution: str | None
    resolved_on: str | None
    topics: str | None
    error: TrackerError | None = None

    @property
    def option_that_happened(self) -> str | None:
        if self.kind == "multiple_choice" and self.options and self.resolution in self.options:
            return self.resolution
        return None


class Metaculus(Adapted):
    kind, suffixes, describes = "metaculus", (".zip", ".csv"), "Metaculus's data export (the .zip, or its CSVs)"

    def __init__(self, path: Path):
        super().__init__(path)
        self._zip: zipfile.ZipFile | None = None
        self._raw: IO[bytes] | None = None
        self._questions: dict[str, _Question] | None = None
        self._broken: list[tuple[str, TrackerError]] = []  # rows of question_data.csv that could not be split
        self._kept: set[str] = set()   # questions with a forecast handed on
        self._read = False
        if path.suffix.lower() == ".csv":
            if path.name not in (QUESTIONS, FORECASTS):
                raise TrackerError(f"{path}: expected Metaculus's {FORECASTS} or {QUESTIONS} (the other beside "
                                   f"it), or the export's .zip")
            for name in (QUESTIONS, FORECASTS):
                if not (path.parent / name).is_file():
                    raise TrackerError(f"{path}: no {name} beside it (Metaculus's export has both)")
            self.size = (path.parent / FORECASTS).stat().st_size

    # ------------------------------------------------------------------ reading the files

    def position(self) -> int:
        raw = self._zip.fp if self._zip is not None else self._raw
        try:
            return min(raw.tell(), self.size) if raw is not None and not raw.closed else self.size
        except (OSError, ValueError, AttributeError):
            return self.size

    def _open(self, name: str) -> tuple[IO[bytes], str]:
        """The member `name` of the export as a byte stream, and how its lines are named in messages."""
        if self.path.suffix.lower() == ".csv":
            member = self.path.parent / name
            try:
                self._raw = member.open("rb")
            except OSError as e:
                raise TrackerError(f"{member}: cannot read ({e.strerror})") from None
            return self._raw, "" if member.name == self.path.name else f"{name}:"
        if self._zip is None:
            try:
                self._zip = zipfile.ZipFile(self.path)
            except (zipfile.BadZipFile, OSError) as e:
                raise TrackerError(f"{self.path}: not a readable zip file ({e})") from None
        members = {PurePosixPath(n).name: n for n in self._zip.namelist() if not n.endswith("/")}
        if name not in members:
            raise TrackerError(f"{self.path}: not a Metaculus export: no {name} in the zip "
                               f"(it has: {', '.join(sorted(members)) or 'nothing'})")
        return self._zip.open(members[name]), f"{name}:"

    def _rows(self, name: str, required: list[str]) -> Iterator[tuple[str, dict | TrackerError]]:
        raw, prefix = self._open(name)
        with raw:
            stream = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
            reader = csv.reader(stream, strict=True)
            try:
                header = next(reader, None)
                if not header:
                    raise TrackerError(f"{self.path}:{prefix}1: {name} is empty")
                fields = [h.strip() for h in header]
                missing = [c for c in required if c not in fields]
                if missing:
                    raise TrackerError(f"{self.path}: not Metaculus's {name}: no column {missing[0]!r}")
                width = len(fields)
                for values in reader:
                    if not values:
                        continue
                    where = f"{prefix}{reader.line_num}"
                    if len(values) == width - 1:
                        values.append("")  # the exporter's short row: no "PDF at Resolution"
                    if len(values) != width:
                        yield where, TrackerError(f"{self.path}:{where}: expected {width} columns, got {len(values)}")
                        continue
                    yield where, dict(zip(fields, values, strict=True))
            except UnicodeDecodeError as e:
                member = f":{name}" if prefix else ""
                raise TrackerError(f"{self.path}{member}: not UTF-8 text (byte {e.start})") from None
            except csv.Error as e:
                raise TrackerError(f"{self.path}:{prefix}{reader.line_num}: broken CSV ({e})") from None

    def _load_questions(self) -> dict[str, _Question]:
        if self._questions is None:
            questions: dict[str, _Question] = {}
            for where, row in self._rows(QUESTIONS, QUESTION_REQUIRED):
                if isinstance(row, TrackerError):
                    self._broken.append((where, row))  # reported with the forecasts
                    continue
                key = row["Question ID"].strip()
                if key in questions:
                    raise TrackerError(f"{self.path}:{where}: question {key} again (first on "
                                       f"{questions[key].where})")
                questions[key] = self._question(where, key, row)
            self._questions = questions
        return self._questions

    def _question(self, where: str, key: str, row: dict) -> _Question:
        at = f"{self.path}:{where}"
        title, label = row["Question Title"].strip(), (row.get("Label") or "").strip()
        if label and label not in title:
            title = f"{title} ({label})"
        kind = row["Question Type"].strip()
        q = _Question(where, f"metaculus:question:{key}", title, kind, None, None, None, None,
                      row["Resolution"].strip() or None, None, None)
        try:
            if kind not in SCORED_KINDS + OTHER_KINDS:
                raise TrackerError(f"{at}: Question Type {kind!r} is none of Metaculus's "
                                   f"({', '.join(SCORED_KINDS + OTHER_KINDS)})")
            q.resolve_by = iso(stamp(row["Scheduled Close Time"], f"{at}: Scheduled Close Time"))
            q.opened = stamp(row.get("Open Time"), f"{at}: Open Time")
            q.closed = (stamp(row.get("Actual Close Time"), f"{at}: Actual Close Time")
                        or stamp(row["Scheduled Close Time"], f"{at}: Scheduled Close Time"))
            q.resolved_on = (iso(stamp(row.get("Resolution Known Time"), f"{at}: Resolution Known Time"))
                             or iso(q.closed))
            categories = python_list(row.get("Categories", ""), f"{at}: Categories") or []
            q.topics = ";".join(str(c).strip() for c in categories if str(c).strip()) or None
            if kind == "multiple_choice":
                column = "MC Options (All)" if row.get("MC Options (All)", "").strip() else (
                    "MC Options (Current)" if "MC Options (Current)" in row else "MC Options")
                options = python_list(row.get(column, ""), f"{at}: {column}")
                if not options or not all(isinstance(o, str) for o in options):
                    raise TrackerError(f"{at}: {column}: a multiple-choice question needs its list of options")
                q.options = options
        except TrackerError as e:
            q.error = e
        return q

    # ------------------------------------------------------------------ the rows

    def forecasts(self) -> Iterator:
        self.dropped.clear()
        self._kept.clear()
        questions = self._load_questions()
        told: set[str] = set()  # questions whose error was given
        # (question, author) → start → [end, handed on]: which forecasts ended with none after them
        runs: dict[tuple[str, str], dict[str, list]] = defaultdict(dict)
        yield from self._broken
        for where, row in self._rows(FORECASTS, FORECAST_REQUIRED):
            if isinstance(row, TrackerError):
                yield where, row
                continue
            at = f"{self.path}:{where}"
            key = row["Question ID"].strip()
            q = questions.get(key)
            if q is None:
                yield where, TrackerError(f"{at}: question {key} is not in {QUESTIONS}")
                continue
            who = self._forecaster(row)
            if who is None:
                self.dropped[AGGREGATES] += 1
                continue
            if q.error is not None:
                if key in told:
                    self.dropped[UNREADABLE_QUESTION] += 1
                else:
                    told.add(key)
                    yield where, q.error
                continue
            if q.kind not in SCORED_KINDS:
                self.dropped[f"forecasts on {q.kind} questions"] += 1
                continue
            try:
                start = stamp(row["Start Time"], f"{at}: Start Time")
                end = stamp(row["End Time"], f"{at}: End Time")
                if start is None:
                    raise TrackerError(f"{at}: Start Time is empty")
                run = runs[(key, who[1])][iso(start) or ""] = [iso(end), False]
                if q.closed is not None and start >= q.closed:
                    self.dropped[AFTER_CLOSE] += 1
                    continue
                if end is not None and q.opened is not None and end <= q.opened:
                    self.dropped[BEFORE_OPEN] += 1
                    continue
                values = self._values(q, row, at)
            except TrackerError as e:
                yield where, e
                continue
            if values is None:
                continue  # left out, and counted, by _values
            made_on = iso(start)
            run[1] = True
            self._kept.add(q.qid)
            yield where, {"id": forecast_id(q.qid, who[1], made_on, ""), "question_id": q.qid,
                          "question": q.title or None, "resolve_by": q.resolve_by, "author": who[0],
                          "author_id": who[1], "made_on": made_on, "topic": q.topics, **values}
        # An end that is not the start of the same forecaster's next forecast: withdrawn, expired, or
        # ended when an option was added.
        ended = sum(1 for starts in runs.values() for end, kept in starts.values()
                    if kept and end is not None and end not in starts)
        if ended:
            self.dropped[ENDED] += ended
        self._read = True
        self.close()

    def close(self) -> None:
        """Close the zip (the outcomes need only the questions, read already)."""
        if self._zip is not None:
            self._zip.close()
            self._zip = None

    @staticmethod
    def _forecaster(row: dict) -> tuple[str, str] | None:
        """(name, author id) of a user's forecast; None for an aggregate's row."""
        if "Forecaster (Anonymized)" in row:
            digest = row["Forecaster (Anonymized)"].strip()
            if not _ANONYMOUS.match(digest):
                return None  # an aggregation method's name
            return f"anonymous {digest[:8]}", f"metaculus:anonymous:{digest}"
        user_id = (row.get("Forecaster ID") or "").strip()
        if not user_id:
            return None
        name = (row.get("Forecaster Username") or "").strip()
        return name or f"Metaculus user {user_id}", f"metaculus:user:{user_id}"

    def _values(self, q: _Question, row: dict, at: str) -> dict | None:
        """The forecast's probability (binary) or options and probabilities (multiple choice); None
        for a forecast left out (and counted)."""
        if q.kind == "binary":
            return {"probability": row["Probability Yes"].strip()}
        assert q.options is not None
        cell = "Probability Yes Per Category"
        values = python_list(row[cell], f"{at}: {cell}")
        if values is None:
            raise TrackerError(f"{at}: {cell} is empty")
        if len(values) != len(q.options):
            raise TrackerError(f"{at}: {cell} has {len(values)} probabilities for {len(q.options)} options")
        if not all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v))
                   for v in values):
            raise TrackerError(f"{at}: {cell}: expected numbers (or None), got {row[cell].strip()[:60]!r}")
        missing = [o for o, v in zip(q.options, values, strict=True) if v is None]
        if missing:
            happened = q.option_that_happened
            if happened is None:
                self.dropped[MISSING_OPTION_OPEN] += 1
                return None
            if happened in missing:
                self.dropped[MISSING_OUTCOME] += 1
                return None
        numbers = [0.0 if v is None else float(v) for v in values]
        total = math.fsum(numbers)
        if TRACKER_SUM_TOLERANCE < abs(total - 1) <= METACULUS_SUM_TOLERANCE:
            numbers = [v / total for v in numbers]
            self.dropped[RESCALED] += 1
        return {"options": json.dumps(q.options, ensure_ascii=False),
                "probabilities": json.dumps(dict(zip(q.options, numbers, strict=True)), ensure_ascii=False)}

    def outcomes(self) -> Iterator:
        if not self._read:
            for _ in self.forecasts():
                pass  # which questions have forecasts (an outcome needs its question in the ledger)
        for q in self._load_questions().values():
            if q.error is None and q.resolution and q.kind in SCORED_KINDS and q.qid in self._kept:
                yield q.where, {"question_id": q.qid, "outcome": q.resolution, "resolved_on": q.resolved_on}
