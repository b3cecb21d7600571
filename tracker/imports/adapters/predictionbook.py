"""PredictionBook's JSON, as rows of tracker's tables.

The data: predictionbook.com/api/my_predictions (PredictionSerializer).

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

import json
from collections.abc import Iterator
from pathlib import Path

from tracker.errors import TrackerError
from tracker.imports.adapters.base import Adapted, day, forecast_id
from tracker.imports.table_file import TableFile


class PredictionBook(Adapted):
    kind, suffixes, describes = "predictionbook", (".json", ".jsonl", ".ndjson"), "PredictionBook's JSON"
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
                    forecast_id(qid, label, r.get("created_at"), confidence),
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
