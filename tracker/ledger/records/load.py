"""Reading and validating one record file (format: docs/record-format.md) into plain row dicts:
its document, authors, questions, forecasts and outcomes, each checked as it is read, then the
checks that need the whole file. Every problem is a TrackerError naming file, line and field."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracker import values
from tracker.errors import TrackerError
from tracker.inputs import read_yaml
from tracker.intake.documents import sha256_bytes
from tracker.ledger.forecast_rules import RECORD, check_forecast, check_made_by_deadline, check_reading
from tracker.ledger.records.manifest import missing_files

DOCUMENT_FIELDS = ["id", "title", "publisher", "series", "published_on", "published_on_note",
                   "language", "url", "url_note", "sha256"]
AUTHOR_FIELDS = ["id", "name", "affiliation"]
QUESTION_FIELDS = ["id", "title", "kind", "options", "criteria", "resolve_by", "topics", "note"]
FORECAST_FIELDS = ["id", "question", "authors", "made_on", "probability", "probabilities", "normalise",
                   "interval", "method", "scale",
                   "scale_version", "phrase", "quote", "quote_offset", "location", "reasoning",
                   "coded_by", "conditional_on", "note"]
OUTCOME_FIELDS = ["question", "action", "outcome", "resolved_on", "accept_date", "recorded_by", "recorded_at",
                  "evidence", "note"]
QUESTION_KINDS = ("binary", "multiple_choice")
ACTIONS = ("resolve", "correct", "unresolve")


@dataclass
class Record:
    path: str
    sha256: str
    document: dict | None = None
    document_authors: list[str] = field(default_factory=list)
    authors: list[dict] = field(default_factory=list)
    questions: list[dict] = field(default_factory=list)
    forecasts: list[dict] = field(default_factory=list)
    forecast_authors: dict[str, list[str]] = field(default_factory=dict)
    outcomes: list[dict] = field(default_factory=list)
    #: where each forecast and outcome stands in the file, for errors found after loading
    places: dict[tuple[str, int], str] = field(default_factory=dict)


def _where(path: str, item: Any, label: str) -> str:
    line = getattr(item, "line", 0)
    return f"{path}:{line}: {label}" if line else f"{path}: {label}"


def _mapping(item: Any, where: str, allowed: list[str]) -> dict:
    if not isinstance(item, dict):
        raise TrackerError(f"{where}: expected a mapping of fields, got {type(item).__name__}")
    unknown = [k for k in item if k not in allowed]
    if unknown:
        raise TrackerError(f"{where}: unknown field {unknown[0]!r} (allowed: {', '.join(allowed)})")
    return item


def _list(value: Any, where: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise TrackerError(f"{where}: expected a list, got {type(value).__name__}")
    return value



def load_record(path: str | Path) -> Record:
    """Read and validate one record file; every problem is a TrackerError naming file, line and field."""
    path = Path(path)
    name = str(path)
    data, raw = read_yaml(path)
    if raw is None:
        raise TrackerError(f"{name}: file is empty")
    top = _mapping(raw, name, ["document", "authors", "questions", "forecasts", "outcomes"])
    rec = Record(path=name, sha256=sha256_bytes(data))
    rec.authors = [_author(item, name) for item in _list(top.get("authors"), f"{name}: authors")]
    if top.get("document") is not None:
        rec.document, rec.document_authors = _document(top["document"], name)
    rec.questions = [_question(item, name) for item in _list(top.get("questions"), f"{name}: questions")]
    for item in _list(top.get("forecasts"), f"{name}: forecasts"):
        _add_forecast(rec, item)
    for item in _list(top.get("outcomes"), f"{name}: outcomes"):
        _add_outcome(rec, item)
    _check_inside(rec)
    return rec


def _author(item: Any, name: str) -> dict:
    w = _where(name, item, "author")
    _mapping(item, w, AUTHOR_FIELDS)
    return {
        "id": values.record_id(item.get("id"), f"{w} id"),
        "name": values.text(item.get("name"), f"{w} name", required=True),
        "affiliation": values.text(item.get("affiliation"), f"{w} affiliation"),
    }


def _document(item: Any, name: str) -> tuple[dict, list[str]]:
    """The document's row, and its authors' ids in order."""
    w = _where(name, item, "document")
    _mapping(item, w, DOCUMENT_FIELDS + ["authors"])
    doc = {k: values.text(item.get(k), f"{w} {k}") for k in DOCUMENT_FIELDS}
    doc["id"] = values.record_id(item.get("id"), f"{w} id")
    doc["title"] = values.text(item.get("title"), f"{w} title", required=True)
    if item.get("published_on") is not None:
        doc["published_on"] = values.iso_date(item["published_on"], f"{w} published_on")
    if doc["sha256"] is not None and not _is_sha256(doc["sha256"]):
        raise TrackerError(f"{w} sha256: {doc['sha256']!r} is not 64 hex digits")
    if doc["url"] is not None:
        values.url(doc["url"], f"{w} url")
    authors = [values.record_id(a, f"{w} authors") for a in _list(item.get("authors"), f"{w} authors")]
    if not authors:
        raise TrackerError(f"{w} authors: a document needs at least one author")
    _no_repeats(authors, f"{w} authors")
    return doc, authors


def _question(item: Any, name: str) -> dict:
    w = _where(name, item, "question")
    _mapping(item, w, QUESTION_FIELDS)
    topics = [values.text(t, f"{w} topics", required=True) for t in _list(item.get("topics"), f"{w} topics")]
    _no_repeats(topics, f"{w} topics")
    kind = item.get("kind", "binary")
    if kind not in QUESTION_KINDS:
        raise TrackerError(f"{w} kind: {kind!r} is not one of {', '.join(QUESTION_KINDS)}")
    options = [values.text(o, f"{w} options", required=True) for o in _list(item.get("options"), f"{w} options")]
    _no_repeats(options, f"{w} options")
    if kind == "multiple_choice" and len(options) < 2:
        raise TrackerError(f"{w} options: a multiple-choice question needs two or more options")
    if kind == "binary" and options:
        raise TrackerError(f"{w} options: only a multiple_choice question has options")
    if "annulled" in options:
        raise TrackerError(f"{w} options: 'annulled' is reserved for annulling the question")
    return {
        "id": values.record_id(item.get("id"), f"{w} id"),
        "title": values.text(item.get("title"), f"{w} title", required=True),
        "kind": kind,
        "options": json.dumps(options, ensure_ascii=False) if options else None,
        "criteria": values.text(item.get("criteria"), f"{w} criteria"),
        "resolve_by": values.moment(item["resolve_by"], f"{w} resolve_by")
        if item.get("resolve_by") is not None else None,
        "topics": json.dumps(topics, ensure_ascii=False),
        "note": values.text(item.get("note"), f"{w} note"),
    }


def _add_forecast(rec: Record, item: Any) -> None:
    """One forecast: its row, its authors (the document's unless it names its own) and its place."""
    name = rec.path
    w = _where(name, item, "forecast")
    _mapping(item, w, FORECAST_FIELDS)
    fid = values.record_id(item.get("id"), f"{w} id")
    w = _where(name, item, f"forecast {fid}")
    rec.places[("forecast", len(rec.forecasts))] = w
    p, distribution, given = _probabilities(item, w)
    low = high = None
    if item.get("interval") is not None:
        if p is None:
            raise TrackerError(f"{w} interval: a multiple-choice forecast has no single interval")
        interval = _list(item["interval"], f"{w} interval")
        if len(interval) != 2:
            raise TrackerError(f"{w} interval: expected [low, high], got {len(interval)} values")
        low = values.probability(interval[0], f"{w} interval low")
        high = values.probability(interval[1], f"{w} interval high")
    method = check_forecast(w, RECORD, p, low, high, item.get("method"))
    scale = values.text(item.get("scale"), f"{w} scale")
    if method == "scale" and not scale:
        raise TrackerError(f"{w} scale: method 'scale' needs the scale's name")
    check_reading(w, method, p, low, high, scale, values.text(item.get("scale_version"), f"{w} scale_version"),
                  values.text(item.get("phrase"), f"{w} phrase"), values.text(item.get("quote"), f"{w} quote"))
    made_on = item.get("made_on", rec.document["published_on"] if rec.document else None)
    if made_on is None:
        raise TrackerError(f"{w} made_on: missing, and there is no document date to default to")
    offset = item.get("quote_offset")
    if offset is not None and (isinstance(offset, bool) or not isinstance(offset, int) or offset < 0):
        raise TrackerError(f"{w} quote_offset: {offset!r} is not a character position")
    if offset is not None and not item.get("quote"):
        raise TrackerError(f"{w} quote_offset: given without a quote")
    authors = [values.record_id(a, f"{w} authors") for a in _list(item.get("authors"), f"{w} authors")]
    _no_repeats(authors, f"{w} authors")
    if not authors:
        if not rec.document_authors:
            raise TrackerError(f"{w} authors: missing, and there is no document to default to")
        authors = list(rec.document_authors)
    rec.forecast_authors[fid] = authors
    rec.forecasts.append({
        "id": fid,
        "question_id": values.record_id(item.get("question"), f"{w} question"),
        "document_id": rec.document["id"] if rec.document else None,
        "made_on": values.moment(made_on, f"{w} made_on"),
        "probability": p,
        "probabilities": distribution,
        "probabilities_given": given,
        "interval_low": low,
        "interval_high": high,
        "method": method,
        "scale": scale,
        "scale_version": values.text(item.get("scale_version"), f"{w} scale_version"),
        "phrase": values.text(item.get("phrase"), f"{w} phrase"),
        "quote": values.text(item.get("quote"), f"{w} quote"),
        "quote_offset": offset,
        "location": values.text(item.get("location"), f"{w} location"),
        "reasoning": values.text(item.get("reasoning"), f"{w} reasoning"),
        "coded_by": values.text(item.get("coded_by"), f"{w} coded_by"),
        "conditional_on": values.record_id(item["conditional_on"], f"{w} conditional_on")
        if item.get("conditional_on") is not None else None,
        "note": values.text(item.get("note"), f"{w} note"),
    })


def _add_outcome(rec: Record, item: Any) -> None:
    """One entry of an outcome log (resolve, correct or unresolve), with its evidence and place."""
    name = rec.path
    w = _where(name, item, "outcome")
    _mapping(item, w, OUTCOME_FIELDS)
    qid = values.record_id(item.get("question"), f"{w} question")
    w = _where(name, item, f"outcome for {qid}")
    action = item.get("action", "resolve")
    if action not in ACTIONS:
        raise TrackerError(f"{w} action: {action!r} is not one of {', '.join(ACTIONS)}")
    rec.places[("outcome", len(rec.outcomes))] = w
    if action == "unresolve":
        if item.get("outcome") is not None:
            raise TrackerError(f"{w} outcome: an unresolve entry has no outcome")
        out = None
    else:
        # yes / no / annulled, or an option of a multiple-choice question: which one fits is
        # checked against the question once every record is loaded (_fit_to_questions).
        out = item.get("outcome")
        if isinstance(out, bool) or out is None or isinstance(out, (int, float)):
            out = values.outcome(out, f"{w} outcome")
        else:
            out = values.text(out, f"{w} outcome", required=True)
    evidence = []
    for ev in _list(item.get("evidence"), f"{w} evidence"):
        we = _where(name, ev, f"evidence for {qid}")
        _mapping(ev, we, ["url", "summary"])
        evidence.append({"url": values.url(ev.get("url"), f"{we} url"),
                         "summary": values.text(ev.get("summary"), f"{we} summary")})
    accept = item.get("accept_date")
    if accept is not None and accept is not True:
        accept = values.text(accept, f"{w} accept_date") if isinstance(accept, str) else None
        if accept is None:
            raise TrackerError(f"{w} accept_date: true (the note says why the date is right) or the reason, "
                               f"got {item.get('accept_date')!r}")
    recorded_at = item.get("recorded_at")
    if isinstance(recorded_at, dt.datetime):
        recorded_at = recorded_at.isoformat()
    rec.outcomes.append({
        "question_id": qid,
        "action": action,
        "outcome": out,
        "resolved_on": values.moment(item["resolved_on"], f"{w} resolved_on")
        if item.get("resolved_on") is not None else None,
        "recorded_by": values.text(item.get("recorded_by"), f"{w} recorded_by"),
        "recorded_at": values.text(recorded_at, f"{w} recorded_at"),
        "note": values.text(item.get("note"), f"{w} note"),
        "evidence": evidence,
        # kept in the file, not the ledger: the check it answers is made again on every import
        "accept_date": accept,
    })


def _probabilities(item: dict, w: str) -> tuple[float | None, str | None, str | None]:
    """(probability, distribution JSON, distribution as given JSON) of one forecast: a yes-no
    forecast has a probability; a multiple-choice one a mapping of options to probabilities that
    must sum to 1, unless the analyst writes `normalise: true` (the given numbers are kept)."""
    has_p, has_d = item.get("probability") is not None, item.get("probabilities") is not None
    if has_p == has_d:
        raise TrackerError(f"{w}: give either probability (yes-no) or probabilities (multiple choice)")
    if has_p:
        if item.get("normalise") is not None:
            raise TrackerError(f"{w} normalise: only goes with probabilities")
        return values.probability(item["probability"], f"{w} probability"), None, None
    mapping = item["probabilities"]
    if not isinstance(mapping, dict) or len(mapping) < 2:
        raise TrackerError(f"{w} probabilities: expected a mapping of two or more options to probabilities")
    normalise = item.get("normalise", False)
    if not isinstance(normalise, bool):
        raise TrackerError(f"{w} normalise: expected true or false")
    given = {str(k): values.probability(v, f"{w} probabilities {k}") for k, v in mapping.items()}
    try:
        fitted = values.check_distribution(list(given.values()), normalise=normalise)
    except ValueError as e:
        raise TrackerError(f"{w} probabilities: {str(e).replace('pass normalise', 'write normalise: true')}") from None
    distribution = dict(zip(given, fitted, strict=True))
    changed = distribution != given
    return (None, json.dumps(distribution, ensure_ascii=False),
            json.dumps(given, ensure_ascii=False) if changed else None)


def _is_sha256(s: str) -> bool:
    return len(s) == 64 and all(c in "0123456789abcdef" for c in s)


def _no_repeats(items: list, where: str) -> None:
    repeated = [k for k, n in Counter(items).items() if n > 1]
    if repeated:
        raise TrackerError(f"{where}: {repeated[0]!r} is listed twice")


def _check_inside(rec: Record) -> None:
    """Checks that need only the file itself: unique ids, dates in order."""
    for kind, rows in (("author", rec.authors), ("question", rec.questions), ("forecast", rec.forecasts)):
        _no_repeats([r["id"] for r in rows], f"{rec.path}: {kind} ids")
    resolve_by = {q["id"]: q["resolve_by"] for q in rec.questions}
    for f in rec.forecasts:
        check_made_by_deadline(f"{rec.path}: forecast {f['id']}", RECORD, f["question_id"], f["made_on"],
                               resolve_by.get(f["question_id"]))



def record_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given, and the *.yml / *.yaml files inside directories, in name order. A
    directory that `tracker export` wrote (it has a MANIFEST.json) is refused while a file its
    manifest lists is missing: an export cut short would import as a smaller ledger. Files edited
    since are fine: the curated record is meant to be edited."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir() and (p / "MANIFEST.json").is_file():
            missing = missing_files(p)
            if missing:
                raise TrackerError(missing[0] + f" ({len(missing)} problem(s); export again)")
        if p.is_dir():
            found = sorted(list(p.glob("*.yml")) + list(p.glob("*.yaml")))
            if not found:
                raise TrackerError(f"{p}: no .yml record files in this directory")
            out.extend(found)
        elif p.exists():
            out.append(p)
        else:
            raise TrackerError(f"{p}: no such file or directory")
    return out
