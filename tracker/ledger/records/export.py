"""Exporting the ledger as record files, in canonical form: one file per document, and
no-document.yml for what belongs to none, so that import → export → import changes nothing."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import yaml

from tracker.errors import TrackerError
from tracker.ledger.connection import Ledger
from tracker.ledger.outcomes import outcome_log
from tracker.ledger.records.load import AUTHOR_FIELDS, DOCUMENT_FIELDS


class _Dumper(yaml.SafeDumper):
    """Block lists indented under their key, as people write them."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


class _Flow(list):
    """A list written inline, [a, b], for short lists of scalars."""


class _FlowMap(dict):
    """A mapping written inline, {a: 0.5, b: 0.5}, for a multiple-choice distribution."""


_Dumper.add_representer(_Flow, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))
_Dumper.add_representer(_FlowMap, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v.items(), flow_style=True))


def _date(s: str | None):
    return dt.date.fromisoformat(s) if s else None


def _clean(d: dict) -> dict:
    return {k: v for k, v in d.items() if v is not None and v != [] and v != _Flow()}


def _dump(data: dict) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100,
                     default_flow_style=False)


def _export_outcomes(db: Ledger, question_ids: list[str]) -> list[dict]:
    out = []
    for qid in question_ids:
        for o in outcome_log(db, qid, in_force=False):  # the export does not say which
            ev = [_clean(e) for e in o["evidence"]]
            out.append(_clean({
                "question": qid,
                "action": None if o["action"] == "resolve" else o["action"],
                "outcome": o["outcome"],
                "resolved_on": _date(o["resolved_on"]),
                "recorded_by": o["recorded_by"],
                "recorded_at": o["recorded_at"],
                "evidence": ev,
                "note": o["note"],
            }))
    return out


def _export_file(db: Ledger, doc: dict | None, forecasts: list[dict], extra_questions: list[str],
                 extra_authors: list[str]) -> str:
    doc_authors: list[str] = []
    body: dict[str, Any] = {}
    if doc:
        doc_authors = [r["author_id"] for r in db.query(
            "select author_id from document_authors where document_id = ? order by position", [doc["id"]])]
        d = {k: doc[k] for k in DOCUMENT_FIELDS}
        d["published_on"] = _date(doc["published_on"])
        d["authors"] = _Flow(doc_authors)
        body["document"] = _clean(d)
    f_authors = {f["id"]: [r["author_id"] for r in db.query(
        "select author_id from forecast_authors where forecast_id = ? order by position", [f["id"]])]
        for f in forecasts}
    author_ids = list(dict.fromkeys(doc_authors + [a for f in forecasts for a in f_authors[f["id"]]]
                                    + extra_authors))
    question_ids = list(dict.fromkeys([f["question_id"] for f in forecasts] + extra_questions))
    authors = []
    for aid in author_ids:
        a = db["authors"].get(aid)
        authors.append(_clean({k: a[k] for k in AUTHOR_FIELDS}))
    questions = []
    for qid in question_ids:
        q = db["questions"].get(qid)
        questions.append(_clean({
            "id": q["id"], "title": q["title"],
            "kind": None if q["kind"] == "binary" else q["kind"],
            "options": _Flow(json.loads(q["options"])) if q["options"] else None,
            "criteria": q["criteria"],
            "resolve_by": _date(q["resolve_by"]), "topics": _Flow(json.loads(q["topics"])), "note": q["note"],
        }))
    out_forecasts = []
    for f in forecasts:
        interval = _Flow([f["interval_low"], f["interval_high"]]) if f["interval_low"] is not None else None
        out_forecasts.append(_clean({
            "id": f["id"],
            "question": f["question_id"],
            "authors": None if f_authors[f["id"]] == doc_authors else _Flow(f_authors[f["id"]]),
            "made_on": None if doc and f["made_on"] == doc["published_on"] else _date(f["made_on"]),
            "probability": f["probability"],
            "probabilities": _FlowMap(json.loads(f["probabilities_given"] or f["probabilities"]))
            if f["probabilities"] else None,
            "normalise": True if f["probabilities_given"] else None,
            "interval": interval,
            **{k: f[k] for k in ("method", "scale", "scale_version", "phrase", "quote", "quote_offset",
                                 "location", "reasoning", "coded_by", "conditional_on", "note")},
        }))
    body["authors"] = authors
    body["questions"] = questions
    body["forecasts"] = out_forecasts
    body["outcomes"] = _export_outcomes(db, question_ids)
    return _dump(_clean(body))


UNDOCUMENTED = "no-document.yml"


def export_records(db: Ledger, directory: str | Path) -> list[Path]:
    """Write one file per document, plus no-document.yml for whatever belongs to no document
    (forecasts from flat tables, questions and authors nothing else carries). Returns the paths."""
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise TrackerError(f"{directory}: is a file, not a directory")
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    covered_q: set[str] = set()
    covered_a: set[str] = set()
    for doc in db.query("select * from documents order by id"):
        forecasts = list(db.query("select * from forecasts where document_id = ? order by id", [doc["id"]]))
        path = directory / f"{doc['id']}.yml"
        path.write_text(_export_file(db, doc, forecasts, [], []), encoding="utf-8")
        written.append(path)
    for row in db.query("select distinct question_id from forecasts where document_id is not null"):
        covered_q.add(row["question_id"])
    for row in db.query("""select author_id from document_authors union
                           select fa.author_id from forecast_authors fa join forecasts f on f.id = fa.forecast_id
                           where f.document_id is not null"""):
        covered_a.add(row["author_id"])
    loose = list(db.query("select * from forecasts where document_id is null order by id"))
    loose_q = {f["question_id"] for f in loose}
    extra_q = [r["id"] for r in db.query("select id from questions order by id")
               if r["id"] not in covered_q and r["id"] not in loose_q]
    loose_a = {r["author_id"] for r in db.query(
        "select fa.author_id from forecast_authors fa join forecasts f on f.id = fa.forecast_id "
        "where f.document_id is null")}
    extra_a = [r["id"] for r in db.query("select id from authors order by id")
               if r["id"] not in covered_a and r["id"] not in loose_a]
    if loose or extra_q or extra_a:
        path = directory / UNDOCUMENTED
        path.write_text(_export_file(db, None, loose, extra_q, extra_a), encoding="utf-8")
        written.append(path)
    return written
