"""ForecastBench's forecast sets, each with the question set and resolution set of its round.

The data: forecastingresearch/forecastbench-datasets (datasets/forecast_sets/, question_sets/,
resolution_sets/), written by forecastingresearch/forecastbench (src/orchestration/_io.py,
src/llm_forecaster/output.py; read and scored by src/resolve/_prepare.py and
src/leaderboard/main.py). docs/adapters/forecastbench.md has the commits.

One file is imported: a forecast set,

    {"organization", "model", ["model_organization", ...], "question_set" (or "question-set"),
     "forecast_due_date", "forecasts": [{"id", "source", "forecast", "resolution_date",
     "reasoning", ["direction"], ["user_id", "searches", "consulted_urls"]}]}

Its round's other two files are found by the names ForecastBench gives them, beside it or in
the datasets repository's layout (../question_sets/, ../../question_sets/, and the same for
resolution_sets/): the question set named in the forecast set, and
`<forecast_due_date>_resolution_set.json` ({"forecast_due_date", "question_set", "resolutions":
[{"id", "source", "direction", "resolution_date", "resolved_to", "resolved"}]}). Either may be
missing (a new round has no resolution set yet); what that leaves out is counted.

    question_id  fb:<forecast_due_date>:<source>:<id>:<resolution_date> for a dataset question
                 (acled, dbnomics, fred, wikipedia, yfinance: one question per resolution date),
                 fb:<forecast_due_date>:<source>:<id> for a market question (manifold,
                 metaculus, infer, polymarket); ids verbatim. ForecastBench's leaderboard keys
                 its questions the same way (question_pk): a dataset question resolves against
                 its value on the due date, so each round's question is its own.
    question     the question set's "question", with {forecast_due_date} and {resolution_date}
                 filled in
    resolve_by   the resolution date (dataset); the day the market closes (market)
    author       <organization>/<model>, and /<user_id> in a set of individual forecasters
    author_id    fb: + the same, verbatim (case kept)
    id           made from the question and the author (a set has one forecast per forecaster
                 and question; a corrected set updates it)
    probability  forecast
    made_on      forecast_due_date (ForecastBench's dates are days)
    topic        forecastbench-dataset or forecastbench-market; forecastbench-<source>
    note         reasoning
    outcome      resolved_to 1.0/0.0 when resolved; an unresolved market's value (strictly
                 between 0 and 1) as a probability-valued resolution
    resolved_on  the resolution set's resolution_date

Left out, and counted: combination questions (an id that is a list of two, with a direction:
ForecastBench's leaderboard leaves them out too); forecasts with no value, on a source ForecastBench
does not know, on a question not in the question set, for a resolution date the question does not
have (ForecastBench drops all of these); forecasts on a market that closed before the due date;
resolutions with no value (nullified by ForecastBench) or an unresolved market at exactly 0 or 1.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterator
from pathlib import Path

from tracker import inputs
from tracker.errors import TrackerError
from tracker.imports.adapters.base import Adapted, day, forecast_id

#: src/sources/_metadata.py: market sources resolve once; dataset sources at each horizon
MARKET_SOURCES = ("manifold", "metaculus", "infer", "polymarket")
DATASET_SOURCES = ("acled", "dbnomics", "fred", "wikipedia", "yfinance")
#: src/helpers/constants.py FORECAST_HORIZONS_IN_DAYS: the resolution dates a dataset question has
HORIZONS = (7, 30, 90, 180, 365, 1095, 1825, 3650)

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

COMBINATION = "forecasts on combination questions (not scored: ForecastBench's leaderboard leaves them out too)"


def read_json(path: Path) -> object:
    """A whole JSON file, read as every input is (tracker.inputs: its limits and one-line errors)."""
    return inputs.load_json(inputs.read_text(path), path)


def _text(value: object) -> str | None:
    """An id or name as ForecastBench writes it (a string, sometimes a number), else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, str)):
        return str(value)
    return None


class _Round:
    """What the forecast set's round says about its questions: the question set's questions and
    the resolution set's rows, each by ForecastBench's key."""

    def __init__(self, due: str):
        self.due = due
        self.questions: dict[tuple[str, str], dict] | None = None  # None: no question set found
        self.market: dict[tuple[str, str], tuple[int, dict]] = {}
        self.dataset: dict[tuple[str, str, str], tuple[int, dict]] = {}
        self.resolution_name: str | None = None  # None: no resolution set found


class ForecastBench(Adapted):
    kind, suffixes = "forecastbench", (".json",)
    describes = "ForecastBench's JSON forecast sets"

    def __init__(self, path: Path):
        super().__init__(path)
        self._loaded: tuple[dict, _Round] | None = None
        self._done = 0.0
        #: each question's outcome row (None: it stays open), filled in while the forecasts are read
        self._outcome_rows: dict[str, tuple[str, dict | TrackerError] | None] | None = None

    def _load(self) -> tuple[dict, _Round]:
        if self._loaded is None:
            data = read_json(self.path)
            if not isinstance(data, dict) or not isinstance(data.get("forecasts"), list):
                what = ("a question set" if isinstance(data, dict) and "questions" in data else
                        "a resolution set" if isinstance(data, dict) and "resolutions" in data else None)
                if what:
                    raise TrackerError(f"{self.path}: {what}; import the forecast set of its round "
                                       "(its question and resolution sets are read from beside it)")
                raise TrackerError(f"{self.path}: not a ForecastBench forecast set (no list of 'forecasts')")
            self._loaded = (data, self._round(data))
        return self._loaded

    def _round(self, data: dict) -> _Round:
        qs_name = _text(data.get("question_set", data.get("question-set")))
        due = _text(data.get("forecast_due_date"))
        m = _DATE.search(due or qs_name or "")
        if not m:
            raise TrackerError(f"{self.path}: no forecast_due_date, and no date in its question_set")
        rnd = _Round(m.group(0))
        if qs_name:
            qs_path = self._beside(Path(qs_name).name, "question_sets")
            if qs_path is not None:
                qs = self._companion(qs_path, "questions", rnd.due)
                rnd.questions = {}
                for q in qs:
                    if isinstance(q, dict) and _text(q.get("id")) is not None and isinstance(q.get("source"), str):
                        rnd.questions[(q["source"].lower(), _text(q["id"]) or "")] = q
        rs_path = self._beside(f"{rnd.due}_resolution_set.json", "resolution_sets")
        if rs_path is not None:
            rnd.resolution_name = rs_path.name
            for i, r in enumerate(self._companion(rs_path, "resolutions", rnd.due)):
                if not isinstance(r, dict) or not isinstance(r.get("source"), str) or _text(r.get("id")) is None:
                    continue  # combinations (an id that is a list) and anything unreadable: never asked for
                source, qid = r["source"].lower(), _text(r["id"]) or ""
                if source in MARKET_SOURCES:
                    rnd.market[(source, qid)] = (i, r)
                elif isinstance(r.get("resolution_date"), str):
                    rnd.dataset[(source, qid, r["resolution_date"][:10])] = (i, r)
        return rnd

    def _beside(self, name: str, folder: str) -> Path | None:
        """The round's other file: beside the forecast set, or where the datasets repository
        keeps it (datasets/<folder>/, two levels up from datasets/forecast_sets/<date>/)."""
        here = self.path.parent
        for candidate in (here / name, here.parent / folder / name, here.parent.parent / folder / name):
            if candidate.is_file():
                return candidate
        return None

    def _companion(self, path: Path, key: str, due: str) -> list:
        data = read_json(path)
        if not isinstance(data, dict) or not isinstance(data.get(key), list):
            raise TrackerError(f"{path}: expected a JSON object with a list of '{key}'")
        if _text(data.get("forecast_due_date")) not in (None, due):
            raise TrackerError(f"{path}: its forecast_due_date is {data['forecast_due_date']}, "
                               f"not {due} as {self.path.name}'s")
        return data[key]

    def position(self) -> int:
        return int(self._done * self.size)  # the files are parsed whole, then walked

    def forecasts(self) -> Iterator:
        self.dropped.clear()
        data, rnd = self._load()
        outcome_rows: dict[str, tuple[str, dict | TrackerError] | None] = {}
        self._outcome_rows = outcome_rows
        organization, model = _text(data.get("organization")), _text(data.get("model"))
        if not organization or not model:
            raise TrackerError(f"{self.path}: a forecast set names its organization and model")
        rows = data["forecasts"]
        total = max(len(rows), 1)
        for i, f in enumerate(rows):
            self._done = (i + 1) / total
            where = f"forecasts[{i}]"
            if not isinstance(f, dict):
                yield where, TrackerError(f"{self.path}:{where}: expected a JSON object")
                continue
            try:
                row = self._forecast(f, where, rnd, (organization, model), outcome_rows)
            except TrackerError as e:
                yield where, e
                continue
            if row is not None:
                yield where, row
        if rnd.questions is None and outcome_rows:
            self.dropped["questions with no wording (question set not found)"] = len(outcome_rows)
        if rnd.resolution_name is None and outcome_rows:
            self.dropped["questions left open (resolution set not found)"] = len(outcome_rows)

    def _forecast(self, f: dict, where: str, rnd: _Round, who: tuple[str, str],
                  outcome_rows: dict[str, tuple[str, dict | TrackerError] | None]) -> dict | None:
        """One forecast as a row (None: left out, and counted); its question's outcome row is
        worked out the first time the question is met."""
        if isinstance(f.get("id"), list):
            self.dropped[COMBINATION] += 1
            return None
        source, sid = f.get("source"), _text(f.get("id"))
        if not isinstance(source, str) or not sid:
            raise TrackerError(f"{self.path}:{where}: a forecast needs an id and a source")
        source = source.strip().lower()
        if source not in MARKET_SOURCES + DATASET_SOURCES:
            self.dropped["forecasts on a source ForecastBench does not know"] += 1
            return None
        value = f.get("forecast")
        if value is None or (isinstance(value, float) and math.isnan(value)):
            self.dropped["forecasts with no value"] += 1
            return None
        question = rnd.questions.get((source, sid)) if rnd.questions is not None else None
        if rnd.questions is not None and question is None:
            self.dropped["forecasts on a question not in the question set"] += 1
            return None
        due, title = rnd.due, question.get("question") if question else None
        if source in MARKET_SOURCES:
            qid = f"fb:{due}:{source}:{sid}"
            closes = day(question.get("market_info_close_datetime")) if question else None
            resolve_by = closes if isinstance(closes, str) and _DATE.fullmatch(closes) else None
            if resolve_by is not None and resolve_by < due:
                self.dropped["forecasts on a market that closed before the forecast due date"] += 1
                return None
            resolution = rnd.market.get((source, sid))
        else:
            resolve_by = f["resolution_date"][:10] if isinstance(f.get("resolution_date"), str) else None
            if resolve_by is None or resolve_by not in self._resolution_dates(question, due):
                self.dropped["dataset forecasts for a resolution date the question does not have"] += 1
                return None
            qid = f"fb:{due}:{source}:{sid}:{resolve_by}"
            resolution = rnd.dataset.get((source, sid, resolve_by))
            if isinstance(title, str):
                title = title.replace("{forecast_due_date}", due).replace("{resolution_date}", resolve_by)
        if qid not in outcome_rows:
            outcome_rows[qid] = self._outcome(qid, resolution, rnd)
        user = _text(f.get("user_id"))
        author = "/".join([*who, *([user] if user else [])])
        return {"id": forecast_id(qid, author, due, ""), "question_id": qid, "question": title,
                "resolve_by": resolve_by, "author": author, "author_id": f"fb:{author}", "probability": value,
                "made_on": due, "topic": f"forecastbench-{'market' if source in MARKET_SOURCES else 'dataset'};"
                f"forecastbench-{source}", "note": f.get("reasoning") or None}

    @staticmethod
    def _resolution_dates(question: dict | None, due: str) -> list[str]:
        given = question.get("resolution_dates") if question else None
        if isinstance(given, list):
            return [str(d)[:10] for d in given]
        start = dt.date.fromisoformat(due)
        return [(start + dt.timedelta(days=h)).isoformat() for h in HORIZONS]

    def _outcome(self, qid: str, found: tuple[int, dict] | None, rnd: _Round) -> tuple[str, dict | TrackerError] | None:
        """The outcome row of a question, from its resolution row (None: it stays open)."""
        if found is None:
            return None
        i, r = found
        where = f"{rnd.resolution_name} resolutions[{i}]"
        value, resolved, on = r.get("resolved_to"), r.get("resolved"), r.get("resolution_date")
        if value is None or isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
            self.dropped["resolutions with no value (nullified by ForecastBench; left open)"] += 1
            return None
        if resolved is True and value not in (0, 1):
            return where, TrackerError(f"{self.path}:{where}: resolved_to {value!r} for a resolved question; "
                                       "expected 1.0 or 0.0")
        if resolved is not True and value in (0, 1):
            self.dropped["unresolved markets valued at exactly 0 or 1 (a value, not an outcome; left open)"] += 1
            return None
        return where, {"question_id": qid, "outcome": repr(float(value)),
                       "resolved_on": on[:10] if isinstance(on, str) else on}

    def outcomes(self) -> Iterator:
        if self._outcome_rows is None:
            for _ in self.forecasts():
                pass
        found = [row for row in (self._outcome_rows or {}).values() if row is not None]
        total = max(len(found), 1)
        for k, (where, row) in enumerate(found):
            self._done = (k + 1) / total
            yield where, row
