"""PredictionBook's API JSON and its public CSV dump, as rows of tracker's tables.

This module reads the JSON (bellroy/predictionbook) and picks the reader by the file's suffix: a
.csv file is the public dump, read by predictionbook_dump.py.

The JSON is what the API's controllers render with PredictionSerializer and ResponseSerializer
(app/serializers/): `api/my_predictions` answers `{"user": {...}, "predictions": [...]}`,
`api/predictions` a list of predictions, `api/predictions/:id` one prediction,
`api/prediction_groups` groups `{"id", "description", "predictions": [...]}`; JSONL with one
prediction a line is read too (line by line, for large files; a .json file is read whole).
A prediction is

    {"created_at", "creator_id", "creator_label", "deadline", "description_with_group",
     "description", "group_id", "id", "mean_confidence", "outcome", "prediction_group_id",
     "last_judgement_at", "updated_at", "uuid", "version", "visibility", "withdrawn",
     "responses": [{"comment", "confidence", "created_at", "id", "updated_at", "user_id",
                    "user_label"}]}

with times in UTC, ISO 8601 to the millisecond (`2017-04-17T14:09:39.000Z`). `outcome` is the
latest judgement's (true right, false wrong, null unknown or none) and `last_judgement_at`
when it was made (since August 2023). Older files name things differently, and these are read
too: "credence" for "confidence", "judgement" ("right"/"wrong"/"unknown"), a list "judgements"
whose last entry counts (each with "outcome" and "created_at"), and "user" for the user label.

    question_id  pb:<prediction id>
    question     description_with_group ("[group] description"), else description
    resolve_by   deadline, with its time
    id           pb:<prediction id>:<response id> (without a response id: made from question,
                 author, timestamp and confidence)
    author       the response's user_label (else "PredictionBook user <user_id>")
    author_id    pb:<user_id> (without one: pb:name:<user label>, as the dump's)
    probability  confidence / 100 (PredictionBook's confidence is a percentage)
    made_on      the response's created_at, with its time
    note         the comment given with that confidence, if any
    outcome      true -> yes, false -> no; null -> open (judged "unknown": open, counted)
    resolved_on  last_judgement_at (or the last judgement's created_at); a file without it has
                 no judgement time: the deadline, or the last forecast if that is later

Left out, and counted: withdrawn predictions (withdrawn by their creator while open: never
judged); responses with no confidence (comments); forecasts made after the deadline (tracker
refuses them); the outcome of a prediction none of whose forecasts is kept. A forecast made
once the judgement was known is kept: tracker marks it late and never scores it. Not read:
mean_confidence (derived), updated_at (the prediction's last edit, not its judgement: judging
does not touch it), uuid, version, visibility, group_id, prediction_group_id, creator_id and
creator_label (the creator's own forecast is the first response).
"""

from __future__ import annotations

from collections.abc import Iterator

from tracker import inputs
from tracker.errors import TrackerError
from tracker.imports.adapters.base import Adapted, forecast_id
from tracker.imports.adapters.predictionbook_dump import (
    AFTER_DEADLINE,
    NOTHING_TO_RESOLVE,
    Dump,
    after,
    author_name,
    name_id,
)
from tracker.imports.table_file import TableFile

JUDGED_UNKNOWN = "predictions judged unknown (open on PredictionBook)"
_WORDS = {True: "yes", False: "no", "right": "yes", "wrong": "no", "true": "yes", "false": "no"}


class PredictionBook(Adapted):
    kind, suffixes = "predictionbook", (".json", ".jsonl", ".ndjson", ".csv")
    describes = "PredictionBook's API JSON or public CSV dump"

    def forecasts(self) -> Iterator:
        self.dropped.clear()
        if self.path.suffix.lower() == ".csv":
            return Dump(self).forecasts()
        return self._forecasts()

    def outcomes(self) -> Iterator:
        if self.path.suffix.lower() == ".csv":
            return Dump(self).outcomes()
        return self._outcomes()

    def position(self) -> int:
        # a .jsonl file and the dump are read by a TableFile; a .json one is parsed whole, then walked
        return super().position() if self._table is not None else int(getattr(self, "_done", 0) * self.size)

    # ------------------------------------------------------------------ the JSON

    def _predictions(self) -> Iterator[tuple[str, dict | TrackerError]]:
        """(where, prediction) for each prediction in the file."""
        if self.path.suffix.lower() in (".jsonl", ".ndjson"):
            self._table = TableFile(self.path, jsonl_object="a prediction (a JSON object)")
            for n, p in self._table.rows():
                yield str(n), p
            return
        data = inputs.load_json(inputs.read_text(self.path), self.path, unique_keys=True)
        predictions = _predictions_in(data)
        if predictions is None and isinstance(data, dict) and data.get("error"):
            raise TrackerError(f"{self.path}: the API answered with an error: {data['error']}")
        if predictions is None:
            raise TrackerError(f"{self.path}: expected a prediction, a list of predictions, or an object with "
                               "'predictions'")
        total = max(len(predictions), 1)
        for i, p in enumerate(predictions):
            self._done = (i + 1) / total
            pid = p.get("id") if isinstance(p, dict) else None
            where = f"prediction {pid}" if pid is not None else f"predictions[{i}]"
            yield where, p if isinstance(p, dict) else TrackerError(f"{self.path}:{where}: expected a JSON object")

    def _qid(self, p: dict, where: str) -> str:
        pid = p.get("id")
        if isinstance(pid, bool) or not isinstance(pid, (int, str)) or not str(pid).strip():
            raise TrackerError(f"{self.path}:{where}: a prediction needs an id")
        return f"pb:{pid}"

    def _plan(self, p: dict, where: str) -> Iterator[tuple[str, dict | TrackerError | str]]:
        """(where, forecast row, or the error reading it, or why it is left out) for each response."""
        qid = self._qid(p, where)
        responses = p.get("responses") or []
        if not isinstance(responses, list):
            raise TrackerError(f"{self.path}:{where}: responses must be a list")
        for k, r in enumerate(responses):
            if not isinstance(r, dict):
                yield f"{where}, response {k + 1}", TrackerError(
                    f"{self.path}:{where}, response {k + 1}: expected a JSON object")
                continue
            rid = r.get("id")
            at = f"{where}, response {rid if rid is not None else k + 1}"
            confidence = r.get("confidence", r.get("credence"))
            if confidence is None:
                yield at, "responses with no confidence (comments)"
                continue
            made_on = r.get("created_at")
            if after(made_on, p.get("deadline")):
                yield at, AFTER_DEADLINE
                continue
            user_id = r.get("user_id")
            label = r.get("user_label") or r.get("user") or (
                f"PredictionBook user {user_id}" if user_id is not None else None)
            if not isinstance(label, str):
                label = ""
            title = p.get("description_with_group") or p.get("description")
            yield at, {
                "id": f"{qid}:{rid}" if rid is not None and str(rid).strip() else
                forecast_id(qid, label, made_on, confidence),
                "question_id": qid, "question": title, "resolve_by": p.get("deadline"),
                "author": author_name(label),
                "author_id": f"pb:{user_id}" if user_id is not None else name_id(label) if label.strip() else "",
                "probability": _percent(confidence), "made_on": made_on, "note": r.get("comment") or None}

    def _forecasts(self) -> Iterator:
        for where, p in self._predictions():
            if isinstance(p, TrackerError):
                yield where, p
                continue
            if p.get("withdrawn"):
                self.dropped["withdrawn predictions"] += 1
                continue
            outcome, judged_at = _judgement(p)
            if outcome in (None, "unknown", "") and judged_at:
                self.dropped[JUDGED_UNKNOWN] += 1
            kept = False
            try:
                for at, row in self._plan(p, where):
                    if isinstance(row, str):
                        self.dropped[row] += 1
                        continue
                    kept = kept or isinstance(row, dict)
                    yield at, row
            except TrackerError as e:
                yield where, e
                continue
            if not kept and _word(outcome) is not None:
                self.dropped[NOTHING_TO_RESOLVE] += 1

    def _outcomes(self) -> Iterator:
        for where, p in self._predictions():
            if isinstance(p, TrackerError) or p.get("withdrawn"):
                continue
            outcome, judged_at = _judgement(p)
            word = _word(outcome)
            if outcome in (None, "unknown", ""):
                continue  # open
            try:
                kept = [row for _, row in self._plan(p, where) if isinstance(row, dict)]
            except TrackerError:
                continue  # reported with the forecasts
            if not kept:
                continue  # no forecast kept: no question to resolve (counted with the forecasts)
            on = judged_at or _latest([p.get("deadline"), *(row["made_on"] for row in kept)])
            yield where, {"question_id": self._qid(p, where), "outcome": word or outcome, "resolved_on": on}


def _predictions_in(data: object) -> list | None:
    """The predictions of an API answer: my_predictions' or a group's "predictions", a list of
    predictions or of groups, or one prediction."""
    if isinstance(data, dict):
        if isinstance(data.get("predictions"), list):
            return data["predictions"]
        return [data] if "responses" in data or "description" in data else None
    if isinstance(data, list):
        if data and all(isinstance(g, dict) and isinstance(g.get("predictions"), list) for g in data):
            return [p for g in data for p in g["predictions"]]
        return data
    return None


def _judgement(p: dict) -> tuple[object, object]:
    """(the latest judgement's outcome, when it was made, if the file says)."""
    if "last_judgement_at" in p:
        return p.get("outcome"), p.get("last_judgement_at")
    judgements = p.get("judgements")
    if isinstance(judgements, list) and judgements:
        last = judgements[-1] if isinstance(judgements[-1], dict) else {}
        return last.get("outcome"), last.get("created_at")
    if "judgement" in p:
        return p.get("judgement"), None
    return p.get("outcome"), None


def _word(outcome: object) -> str | None:
    """yes or no for a judgement PredictionBook made, else None."""
    return _WORDS.get(outcome) if isinstance(outcome, (bool, str)) else None


def _latest(moments: list) -> object:
    """The latest of some moments as written (the first, if they cannot be compared)."""
    best = moments[0]
    for m in moments[1:]:
        if after(m, best):
            best = m
    return best


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
