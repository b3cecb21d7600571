"""PredictionBook's public dump, the CSV file researchers use, as rows of tracker's tables.

The dump is `data/predictionbook/public.csv` (shipped zipped) in niplav/iqisa, scraped from
every public prediction page of predictionbook.com (`iqisa/predictionbook.py`, `_get_forecast_data`).
One row per forecast (a response with a confidence), the question's fields repeated on each:

    question_id,user_id,team_id,probability,answer_option,timestamp,outcome,open_time,close_time,
    resolve_time,time_open,n_opts,options,q_status,q_type

Times are UTC with the zone written (`2008-06-20 03:46:16+00:00`), to the second. `user_id` is
the name PredictionBook shows for the user (`User#to_s`: name, else login), not a number.
`q_status` is `resolved` (outcome 1.0 or 0.0), `open` (no judgement, outcome empty) or
`ambiguous` (outcome -1.0: the latest judgement is PredictionBook's "unknown", which reopens
the prediction). `resolve_time` is when the latest judgement was made. A `questions.csv` beside
the file (the dump's other half: question_id, q_title, ...) gives the titles.

    question_id  pb:<question_id>
    question     q_title from questions.csv beside the file (description_with_group), if there
    resolve_by   close_time (the deadline), to the second
    id           <question_id>-<12 hex digits of SHA-256 of (user_id, timestamp, probability)>,
                 and -2, -3, ... for a row repeated exactly (a double submission: both count)
    author       user_id (the name shown)
    author_id    pb:name:<user_id>, verbatim (characters an id cannot hold written as <U+XXXX>)
    probability  probability, as written
    made_on      timestamp, to the second
    outcome      1.0 -> yes, 0.0 -> no, dated resolve_time; open and ambiguous: no outcome row

Left out, and counted: forecasts made after the deadline (tracker refuses them); the outcome
of a question none of whose forecasts is kept (it has no question to resolve); questions judged
"unknown" are open. A forecast made once the judgement was known is kept: tracker marks it late
and never scores it. team_id, answer_option, n_opts, options and q_type are the same on every
row (0, 1, 2, the option legend, 0); open_time and time_open are not forecasts.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections import Counter
from collections.abc import Iterator

from tracker.errors import TrackerError
from tracker.imports.adapters.base import Adapted, forecast_id
from tracker.imports.table_file import TableFile

#: the dump's header, in its order (iqisa/predictionbook.py builds the DataFrame so)
DUMP_COLUMNS = ("question_id", "user_id", "team_id", "probability", "answer_option", "timestamp", "outcome",
                "open_time", "close_time", "resolve_time", "time_open", "n_opts", "options", "q_status", "q_type")
#: the columns the mapping reads
NEEDED = ("question_id", "user_id", "probability", "timestamp", "outcome", "close_time", "resolve_time", "q_status")
#: the header of PredictionBook's own CSV export (PredictionsController#mine: PredictionSerializer without responses)
EXPORT_COLUMNS = ("created_at", "creator_id", "creator_label", "deadline", "description_with_group", "description",
                  "group_id", "id", "mean_confidence", "outcome", "prediction_group_id", "last_judgement_at",
                  "updated_at", "uuid", "version", "visibility", "withdrawn")

AFTER_DEADLINE = "forecasts made after the deadline"
JUDGED_UNKNOWN = "questions judged unknown (open on PredictionBook)"
NOTHING_TO_RESOLVE = "outcomes of questions none of whose forecasts is kept"
_UNPRINTABLE = ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")  # what tracker.values.record_id refuses


def name_id(label: str) -> str:
    """The author id for a PredictionBook name: `pb:name:` and the name verbatim, each character
    that an id cannot hold (one user's name is a zero-width space) written as <U+XXXX>, and so
    are spaces at the ends of a name."""
    body = "".join(_escaped(ch) if unicodedata.category(ch) in _UNPRINTABLE else ch for ch in label)
    if not body.strip():
        return "pb:name:" + "".join(map(_escaped, body))
    i, j = len(body) - len(body.lstrip()), len(body.rstrip())
    return "pb:name:" + "".join(map(_escaped, body[:i])) + body[i:j] + "".join(map(_escaped, body[j:]))


def _escaped(ch: str) -> str:
    return f"<U+{ord(ch):04X}>"


def author_name(label: str) -> str:
    """A name as the flat tables take it: ';' separates authors there, so a ';' in one name is
    written ','."""
    return label.replace(";", ",")


def after(a: object, b: object) -> bool:
    """Whether moment a is after moment b as tracker's check decides it (tracker.values.later): to
    the instant where both have a time, else by the day. False when either is missing or
    unreadable: the row then goes on, and the table check names what is wrong."""
    x, y = _moment(a), _moment(b)
    if x is None or y is None:
        return False
    if isinstance(x, dt.datetime) and isinstance(y, dt.datetime):
        return x > y
    return _day(x) > _day(y)


def _moment(value: object) -> dt.datetime | dt.date | None:
    """A timestamp with a zone (in UTC) or a date, as written in a file; None if it is neither."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        stamp = dt.datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in "Zz" else text)
    except ValueError:
        return None
    return stamp.astimezone(dt.UTC) if stamp.tzinfo is not None and stamp.utcoffset() is not None else None


def _day(m: dt.datetime | dt.date) -> dt.date:
    return m.date() if isinstance(m, dt.datetime) else m


class Dump:
    """The dump's rows for one adapter (which keeps the counts of what is left out, and the
    TableFile that tells how far reading has got)."""

    def __init__(self, adapter: Adapted):
        self.adapter, self.path = adapter, adapter.path

    def _check_header(self, fields: list[str]) -> None:
        if all(c in fields for c in NEEDED):
            return
        if "q_title" in fields:
            raise TrackerError(f"{self.path}: this is the dump's questions file (titles and outcomes, no forecasts); "
                               "import public.csv: the titles are read from a questions.csv beside it")
        if "mean_confidence" in fields and "creator_label" in fields:
            raise TrackerError(f"{self.path}: PredictionBook's own CSV export (my_predictions.csv) has each "
                               "prediction's mean confidence but nobody's forecasts; import the API's JSON "
                               "(api/my_predictions) instead")
        missing = next(c for c in NEEDED if c not in fields)
        raise TrackerError(f"{self.path}: not PredictionBook's public dump: no column {missing!r} "
                           f"(expected {', '.join(DUMP_COLUMNS)})")

    def _rows(self) -> Iterator[tuple[int, dict | TrackerError]]:
        table = TableFile(self.path, check_header=self._check_header)
        self.adapter._table = table
        yield from table.rows()  # type: ignore[misc]

    def titles(self) -> dict[str, str]:
        """question_id -> title, from the dump's questions.csv beside the file, if there is one."""
        other = self.path.with_name("questions.csv")
        if other == self.path or not other.is_file():
            return {}

        def check(fields: list[str]) -> None:
            if "question_id" not in fields or "q_title" not in fields:
                raise TrackerError(f"{other}: not the dump's questions file: expected question_id and q_title")

        titles = {}
        for _, row in TableFile(other, check_header=check).rows():
            if isinstance(row, TrackerError):
                raise row
            if row["q_title"].strip():
                titles[row["question_id"].strip()] = row["q_title"]
        return titles

    @staticmethod
    def verdict(row: dict) -> str | None:
        """Why a row's forecast is left out, or None to keep it."""
        if after(row["timestamp"], row["close_time"]):
            return AFTER_DEADLINE
        return None

    def forecasts(self) -> Iterator:
        dropped = self.adapter.dropped
        titles = self.titles()
        repeats: Counter[str] = Counter()
        kept: dict[str, bool] = {}  # question_id -> whether a forecast of it is kept (resolved questions)
        unknown: set[str] = set()
        for n, row in self._rows():
            if isinstance(row, TrackerError):
                yield n, row
                continue
            pbid = row["question_id"].strip()
            if not pbid:
                yield n, TrackerError(f"{self.path}:{n}: question_id is empty")
                continue
            qid = f"pb:{pbid}"
            status = row["q_status"]
            if status == "ambiguous" and qid not in unknown:
                unknown.add(qid)
                dropped[JUDGED_UNKNOWN] += 1
            reason = self.verdict(row)
            if status == "resolved":
                kept[qid] = kept.get(qid, False) or reason is None
            if reason:
                dropped[reason] += 1
                continue
            label = row["user_id"]
            fid = forecast_id(qid, label, row["timestamp"], row["probability"])
            repeats[fid] += 1
            yield n, {
                "id": fid if repeats[fid] == 1 else f"{fid}-{repeats[fid]}",
                "question_id": qid, "question": titles.get(pbid), "resolve_by": row["close_time"],
                "author": author_name(label), "author_id": name_id(label) if label.strip() else "",
                "probability": row["probability"], "made_on": row["timestamp"]}
        if n_lost := sum(not k for k in kept.values()):
            dropped[NOTHING_TO_RESOLVE] += n_lost

    def outcomes(self) -> Iterator:
        done: set[str] = set()
        for n, row in self._rows():
            if isinstance(row, TrackerError) or row["q_status"] != "resolved":
                continue  # a bad row is reported with the forecasts; an open question has no outcome
            qid = f"pb:{row['question_id'].strip()}"
            if qid in done or self.verdict(row):
                continue  # resolved already, or this row's forecast is left out (a later one may be kept)
            done.add(qid)
            value = row["outcome"].strip()
            yield n, {"question_id": qid, "outcome": {"1.0": "yes", "0.0": "no"}.get(value, value),
                      "resolved_on": row["resolve_time"]}
