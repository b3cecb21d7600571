"""The Good Judgment Project's survey forecasts, as rows of tracker's tables.

The data: the GJP data set on Harvard Dataverse (doi:10.7910/DVN/BPCDH5), as mirrored in
niplav/iqisa `data/gjp/`: the yearly `survey_fcasts.yrN.csv` (and `survey_fcasts_mini.yr1.csv`,
its first 9,999 rows), and `ifps.csv`, the questions. The survey file is the one imported; the
questions are read from `ifps.csv` in the same directory (`tracker import --kind gjp
data/gjp/survey_fcasts.yr1.csv`). docs/adapters/gjp.md has the sources and what was checked.

A survey file has one row per answer option of a forecast (R's write.csv: text quoted, numbers
and NA bare):

    ifp_id, ctt, cond, training, team, user_id, forecast_id, fcast_type, answer_option, value,
    fcast_date, expertise, q_status, viewtime, year, timestamp

`forecast_id` is unique within a year, and its rows carry the same user, date and timestamp;
`fcast_type` is 0 new, 1 update, 2 affirm (an update with no change in value), 4 withdraw. A
question (`ifp_id` `NNNN-T`) has `q_type` 0 (yes-no or several options), 1-5 (branch T of a
conditional question: `options` starts with the condition) or 6 (ordered options), `n_opts`
options written `(a) Yes, (b) No`, an `outcome` letter, and dates written M/D/YY.

    question_id  gjp:<ifp_id>
    question     q_text (for a conditional branch: q_text [the condition])
    resolve_by   date_to_close
    options      a question whose options are (a) Yes, (b) No is yes-no; any other is
                 multiple-choice, its options labelled as GJP writes them ("(b) Putin"), in order
    id           gjp:yr<year>:<ifp_id>:<forecast_id>, the forecast id verbatim (negative, or
                 1e+05 as R wrote it); forecast ids are unique only within a year
    author       "GJP user <user_id>", author_id gjp:<user_id>
    probability  the value of option a (yes-no), after checking that a and b sum to 1
    probabilities  each option's value (multiple choice)
    made_on      fcast_date, day precision: GJP does not say which zone its timestamps are in
    note         the timestamp as written (time of day, zone unknown), fcast_type, ctt, expertise
    topic        gjp-year-<year>; gjp-conditional or gjp-ordered for those question types
    outcome      closed: the outcome letter's option (a -> yes, b -> no for yes-no);
                 voided -> annulled (GJP did not score them, nor does tracker)
    resolved_on  date_closed (a voided question has none: date_to_close)

Dropped, and counted: withdrawals (fcast_type 4: they repeat the standing forecast to end its
scoring, they are not a new judgement); forecasts with no user (user_id NULL or NA); forecasts
made after the question's date_to_close; forecasts missing an option's row (a file cut short,
as the mini file's last forecast is). ctt, cond, training, team, expertise and viewtime describe
the forecaster's experimental condition; only ctt and expertise are kept, in the note.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tracker import inputs
from tracker.errors import TrackerError
from tracker.imports.adapters.base import Adapted
from tracker.imports.table_file import TableFile

#: the questions file, read from the survey file's directory
IFPS_NAME = "ifps.csv"
SURVEY_REQUIRED = ["ifp_id", "user_id", "forecast_id", "fcast_type", "answer_option", "value", "fcast_date", "year"]
IFPS_REQUIRED = ["ifp_id", "q_type", "q_text", "q_status", "date_to_close", "date_closed", "outcome", "n_opts",
                 "options"]
#: what GJP's files write for a missing value (R's NA, and NULL from the database it came from)
MISSING = ("", "NA", "NULL")
WITHDRAW = "4"
_MDY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")
_ISO_DAY = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[ T].*)?$")
_YES_NO = ["(a) yes", "(b) no"]


@dataclass
class Question:
    """One row of ifps.csv, as tracker needs it."""
    ifp_id: str
    line: int
    title: str
    letters: list[str]          # a, b, c ... in order
    labels: list[str] | None    # the options of a multiple-choice question; None for yes-no
    status: str
    outcome: str
    resolve_by: str | None
    resolved_on: str | None
    topics: list[str] = field(default_factory=list)

    def answer(self, letter: str) -> str:
        """The outcome row's word for an option letter."""
        if self.labels is None:
            return "yes" if letter == "a" else "no"
        return self.labels[self.letters.index(letter)]


def gjp_day(value: str, where: str) -> str | None:
    """A GJP date: M/D/YY as ifps.csv writes it (9/1/11, 12/30/11 0:00: the time of day is
    dropped, as its zone is not given), YYYY-MM-DD as its readme says; None for NA or NULL."""
    text = value.strip()
    if text in MISSING:
        return None
    m = _MDY.match(text)
    if m:
        month, day_, year = int(m.group(1)), int(m.group(2)), m.group(3)
        try:
            return dt.date(int(year) + 2000 if len(year) == 2 else int(year), month, day_).isoformat()
        except ValueError:
            pass
    m = _ISO_DAY.match(text)
    if m:
        return m.group(1)
    raise TrackerError(f"{where}: date {value!r} is not of the form M/D/YY")


def parse_options(options: str, n: int, where: str) -> tuple[str, list[str]]:
    """(the condition before the options, if any; the n options as written), from
    `If ... :  (a) Yes, (b) No` or `(a) Medvedev, (b) Putin, (c) Neither`."""
    marks, pos = [], 0
    for k in range(n):
        i = options.find(f"({chr(97 + k)})", pos)
        if i < 0:
            raise TrackerError(f"{where}: options {options[:80]!r} do not list {n} options (a) to ({chr(96 + n)})")
        marks.append(i)
        pos = i + 3
    labels = [options[i:j].strip().rstrip(",").strip() for i, j in zip(marks, [*marks[1:], len(options)], strict=True)]
    return options[:marks[0]].strip().rstrip(":").strip(), labels


def _question(row: dict, line: int, where: str) -> Question:
    ifp_id = row["ifp_id"].strip()
    try:
        n = int(row["n_opts"].strip())
    except ValueError:
        raise TrackerError(f"{where}: n_opts {row['n_opts']!r} is not a number") from None
    if not 2 <= n <= 26:
        raise TrackerError(f"{where}: n_opts {n} is not between 2 and 26")
    condition, labels = parse_options(row["options"], n, where)
    q_type = row["q_type"].strip()
    title = " ".join(row["q_text"].split())
    topics = []
    if condition:
        title = f"{title} [{condition}]"
        topics.append("gjp-conditional")
    if q_type == "6":
        topics.append("gjp-ordered")
    yes_no = [label.lower() for label in labels] == _YES_NO
    return Question(ifp_id, line, title, [chr(97 + k) for k in range(n)], None if yes_no else labels,
                    row["q_status"].strip().lower(), row["outcome"].strip().lower(),
                    gjp_day(row["date_to_close"], f"{where}: date_to_close"),
                    gjp_day(row["date_closed"], f"{where}: date_closed"), topics)


def read_ifps(path: Path) -> dict[str, Question | TrackerError]:
    """ifps.csv, whole (it is small): each question, or the error reading its row. Records may end
    in CR (as in the Dataverse original) or LF (as in iqisa's copy)."""
    if not path.exists():
        raise TrackerError(f"{path}: cannot read (No such file or directory); GJP's survey files are read with the "
                           f"{IFPS_NAME} beside them")
    data = inputs.read_bytes(path)  # a regular file within the size limit, or one line naming it
    try:
        text = inputs.decode(data, path)
    except TrackerError as e:
        raise TrackerError(f"{e}; iqisa's copy of {IFPS_NAME} is (its doc/summary.md gives the fix for the "
                           "Dataverse original)") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [h.strip() for h in next(reader, [])]
        doubled = next((h for i, h in enumerate(header) if h in header[:i]), None)
        if doubled is not None:  # csv keeps the last without a word
            raise TrackerError(f"{path}:1: column {doubled!r} appears twice in the header")
        missing = [c for c in IFPS_REQUIRED if c not in header]
        if missing:
            raise TrackerError(f"{path}: not GJP's {IFPS_NAME}: no column {missing[0]!r}")
        out: dict[str, Question | TrackerError] = {}
        line = reader.line_num
        for values_ in reader:
            first, line = line + 1, reader.line_num
            if not values_:
                continue
            where = f"{path}:{first}"
            if len(values_) != len(header):
                out[values_[0].strip()] = TrackerError(f"{where}: expected {len(header)} columns")
                continue
            row = dict(zip(header, values_, strict=True))
            ifp_id = row["ifp_id"].strip()
            if ifp_id in out:
                raise TrackerError(f"{where}: question {ifp_id} is listed twice")
            try:
                out[ifp_id] = _question(row, first, where)
            except TrackerError as e:
                out[ifp_id] = e
    except csv.Error as e:
        raise TrackerError(f"{path}: broken CSV ({e})") from None
    return out


@dataclass
class _Pending:
    """The rows of one forecast read so far (one per answer option)."""
    line: object  # where its first row is
    row: dict
    values: dict[str, str] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)


class GoodJudgment(Adapted):
    kind, suffixes = "gjp", (".csv",)
    describes = "GJP's survey CSV, with ifps.csv beside it"
    _table: TableFile

    def __init__(self, path: Path):
        super().__init__(path)
        self.ifps_path = path.with_name(IFPS_NAME)
        self._table = TableFile(path, check_header=self._check_header)
        self._questions: dict[str, Question | TrackerError] | None = None

    def _check_header(self, fields: list[str]) -> None:
        missing = [c for c in SURVEY_REQUIRED if c not in fields]
        if missing:
            hint = (f"; {IFPS_NAME} holds GJP's questions: import a survey_fcasts file, and {IFPS_NAME} is read "
                    "from beside it") if "q_text" in fields else ""
            raise TrackerError(f"{self.path}: not a GJP survey file: no column {missing[0]!r} "
                               f"(expected: {', '.join(SURVEY_REQUIRED)}){hint}")

    def questions(self) -> dict[str, Question | TrackerError]:
        if self._questions is None:
            self._questions = read_ifps(self.ifps_path)
        return self._questions

    def forecasts(self) -> Iterator:
        self.dropped.clear()
        return self._forecasts(self.dropped)

    def _forecasts(self, dropped: Counter) -> Iterator:
        """(where, row) for each forecast once all its options' rows are read; what is left out is
        counted in `dropped`."""
        questions = self.questions()
        pending: dict[tuple[str, str, str], _Pending] = {}
        for n, row in self._table.rows():
            if isinstance(row, TrackerError):
                yield n, row
                continue
            where = f"{self.path}:{n}"
            ifp_id, fid, year = row["ifp_id"].strip(), row["forecast_id"].strip(), row["year"].strip()
            if year in MISSING or fid in MISSING:
                yield n, TrackerError(f"{where}: {'year' if year in MISSING else 'forecast_id'} is missing")
                continue
            q = questions.get(ifp_id)
            if q is None:
                yield n, TrackerError(f"{where}: question {ifp_id!r} is not in {self.ifps_path}")
                continue
            if isinstance(q, TrackerError):
                yield n, TrackerError(f"{where}: question {ifp_id}: {q}")
                continue
            key = (year, ifp_id, fid)
            p = pending.get(key)
            if p is None:
                p = pending[key] = _Pending(n, row)
            letter = row["answer_option"].strip().lower()
            problem = self._misfit(p, row, letter, q)
            if problem:
                pending.pop(key)
                yield n, TrackerError(f"{where}: forecast {fid} on {ifp_id}: {problem}")
                continue
            p.values[letter], p.types[letter] = row["value"].strip(), row["fcast_type"].strip()
            if len(p.values) == len(q.letters):
                del pending[key]
                made = self._row(p, q, dropped)
                if made is not None:
                    yield p.line, made
        if pending:
            dropped["forecasts missing an option's row (a file cut short)"] += len(pending)

    @staticmethod
    def _misfit(p: _Pending, row: dict, letter: str, q: Question) -> str | None:
        """Why this row does not belong with the forecast's rows read before it, if it does not."""
        if letter not in q.letters:
            return f"answer_option {letter!r} is not one of the question's options ({', '.join(q.letters)})"
        if letter in p.values:
            return f"option {letter} is given twice (lines {p.line} and later)"
        for column in ("user_id", "fcast_date", "timestamp"):
            if row.get(column, "").strip() != p.row.get(column, "").strip():
                return f"its rows disagree on {column} (line {p.line}: {p.row.get(column)!r})"
        return None

    def _row(self, p: _Pending, q: Question, dropped: Counter) -> dict | TrackerError | None:
        """One forecast as a row of tracker's forecast table, or None if it is left out."""
        row, where = p.row, f"{self.path}:{p.line}"
        user = row["user_id"].strip()
        if user in MISSING:
            dropped["forecasts with no user (user_id NULL or NA)"] += 1
            return None
        if WITHDRAW in p.types.values():
            dropped["withdrawals (fcast_type 4)"] += 1
            return None
        stamp = row.get("timestamp", "").strip()
        made_on = row["fcast_date"].strip() or stamp[:10]
        if q.resolve_by and len(made_on) == 10 and made_on > q.resolve_by:
            dropped["forecasts made after the question's date_to_close"] += 1
            return None
        year, fid = row["year"].strip(), row["forecast_id"].strip()
        out: dict[str, object] = {
            "id": f"gjp:yr{year}:{q.ifp_id}:{fid}", "question_id": f"gjp:{q.ifp_id}", "question": q.title,
            "resolve_by": q.resolve_by, "author": f"GJP user {user}", "author_id": f"gjp:{user}",
            "made_on": made_on, "topic": ";".join([f"gjp-year-{year}", *q.topics]), "note": self._note(p)}
        numbers = {}
        for letter, value in p.values.items():
            try:
                numbers[letter] = float(value)
            except ValueError:
                return TrackerError(f"{where}: option {letter}: value {value!r} is not a number")
        if q.labels is None:
            total = numbers["a"] + numbers["b"]
            if abs(total - 1) > 1e-6:
                return TrackerError(f"{where}: forecast {fid}: options a and b sum to {total:g}, not 1")
            out["probability"] = numbers["a"]
        else:
            out["options"] = json.dumps(q.labels, ensure_ascii=False)
            out["probabilities"] = json.dumps({label: numbers[letter] for letter, label in zip(q.letters, q.labels,
                                                                                              strict=True)},
                                              ensure_ascii=False)
        return out

    @staticmethod
    def _note(p: _Pending) -> str:
        row = p.row
        types = set(p.types.values())
        kinds = (next(iter(types)) if len(types) == 1
                 else " ".join(f"{letter}:{t}" for letter, t in sorted(p.types.items())))
        parts = [f"GJP timestamp {row['timestamp'].strip()} (time zone not given)"] if row.get("timestamp") else []
        parts.append(f"fcast_type {kinds}")
        for column in ("ctt", "expertise"):
            value = (row.get(column) or "").strip()
            if value not in MISSING:
                parts.append(f"{column} {value}")
        return "; ".join(parts)

    def outcomes(self) -> Iterator:
        questions = self.questions()
        asked: dict[str, None] = {}  # the questions this file's forecasts created, in order
        for _, made in self._forecasts(Counter()):
            if isinstance(made, dict):
                asked.setdefault(str(made["question_id"])[len("gjp:"):])
        for ifp_id in asked:
            q = questions[ifp_id]
            assert isinstance(q, Question)  # a forecast was made on it
            where = f"{ifp_id} ({self.ifps_path.name}:{q.line})"
            if q.status == "voided":
                yield where, {"question_id": f"gjp:{ifp_id}", "outcome": "annulled", "resolved_on": q.resolve_by}
            elif q.status == "closed":
                if q.outcome not in q.letters:
                    yield where, TrackerError(f"{self.ifps_path}:{q.line}: question {ifp_id} is closed with outcome "
                                              f"{q.outcome!r}, not one of {', '.join(q.letters)}")
                    continue
                yield where, {"question_id": f"gjp:{ifp_id}", "outcome": q.answer(q.outcome),
                              "resolved_on": q.resolved_on or q.resolve_by}
            # any other status (open): no outcome yet
