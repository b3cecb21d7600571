"""The curated record: one YAML file per document in forecasts/ (format: docs/record-format.md).

`load_record` reads and validates a file into plain row dicts; `import_records` writes any number
of them in one transaction; `export_records` writes the database back in canonical form, so that
import → export → import changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from tracker.ledger.sqlite_utils_lean import Database

from tracker.scores import board

from tracker.scores import rules

from tracker import values
from tracker.intake.documents import read_text_file, sha256_bytes, sha256_file
from tracker.ledger.connection import writing
from tracker.errors import TrackerError
from tracker.ledger.import_log import last_sha256, log_import
from tracker.ledger.outcomes import append_outcome, existing_outcome_keys, outcome_key, outcome_log

DOCUMENT_FIELDS = ["id", "title", "publisher", "series", "published_on", "published_on_note",
                   "language", "url", "url_note", "sha256"]
AUTHOR_FIELDS = ["id", "name", "affiliation"]
QUESTION_FIELDS = ["id", "title", "kind", "options", "criteria", "resolve_by", "topics", "note"]
METHODS = ("stated", "scale", "analyst")
QUESTION_KINDS = ("binary", "multiple_choice")
ACTIONS = ("resolve", "correct", "unresolve")


# ---------------------------------------------------------------- reading YAML with line numbers

class _Map(dict):
    line: int = 0


class _Loader(yaml.SafeLoader):
    """Safe YAML that remembers each mapping's line and refuses duplicate keys (PyYAML keeps the last)."""

    def construct_mapping(self, node, deep=False):  # type: ignore[override]
        seen: set = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, (dict, list)):
                raise yaml.constructor.ConstructorError(
                    None, None, "a key must be plain text, not a mapping or a list", key_node.start_mark)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        mapping = _Map(super().construct_mapping(node, deep=deep))
        mapping.line = node.start_mark.line + 1
        return mapping


    def construct_yaml_timestamp(self, node):  # type: ignore[override]
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.value!r} is not a real date", node.start_mark) from None


_Loader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _Loader.construct_mapping)  # type: ignore[arg-type]
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


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
    try:
        data = path.read_bytes()
    except OSError as e:
        raise TrackerError(f"{name}: cannot read ({e.strerror})") from None
    try:
        source = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise TrackerError(f"{name}: not UTF-8 text (byte {e.start})") from None
    try:
        raw = yaml.load(source, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        at = f":{mark.line + 1}" if mark else ""
        raise TrackerError(f"{name}{at}: broken YAML ({problem})") from None
    if raw is None:
        raise TrackerError(f"{name}: file is empty")
    top = _mapping(raw, name, ["document", "authors", "questions", "forecasts", "outcomes"])
    rec = Record(path=name, sha256=sha256_bytes(data))

    for item in _list(top.get("authors"), f"{name}: authors"):
        w = _where(name, item, "author")
        _mapping(item, w, AUTHOR_FIELDS)
        rec.authors.append({
            "id": values.slug(item.get("id"), f"{w} id"),
            "name": values.text(item.get("name"), f"{w} name", required=True),
            "affiliation": values.text(item.get("affiliation"), f"{w} affiliation"),
        })

    if top.get("document") is not None:
        item = top["document"]
        w = _where(name, item, "document")
        _mapping(item, w, DOCUMENT_FIELDS + ["authors"])
        doc = {k: values.text(item.get(k), f"{w} {k}") for k in DOCUMENT_FIELDS}
        doc["id"] = values.slug(item.get("id"), f"{w} id")
        doc["title"] = values.text(item.get("title"), f"{w} title", required=True)
        if item.get("published_on") is not None:
            doc["published_on"] = values.iso_date(item["published_on"], f"{w} published_on")
        if doc["sha256"] is not None and not _is_sha256(doc["sha256"]):
            raise TrackerError(f"{w} sha256: {doc['sha256']!r} is not 64 hex digits")
        if doc["url"] is not None:
            values.url(doc["url"], f"{w} url")
        rec.document = doc
        rec.document_authors = [values.slug(a, f"{w} authors") for a in _list(item.get("authors"), f"{w} authors")]
        if not rec.document_authors:
            raise TrackerError(f"{w} authors: a document needs at least one author")
        _no_repeats(rec.document_authors, f"{w} authors")

    for item in _list(top.get("questions"), f"{name}: questions"):
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
        rec.questions.append({
            "id": values.slug(item.get("id"), f"{w} id"),
            "title": values.text(item.get("title"), f"{w} title", required=True),
            "kind": kind,
            "options": json.dumps(options, ensure_ascii=False) if options else None,
            "criteria": values.text(item.get("criteria"), f"{w} criteria"),
            "resolve_by": values.iso_date(item["resolve_by"], f"{w} resolve_by")
            if item.get("resolve_by") is not None else None,
            "topics": json.dumps(topics, ensure_ascii=False),
            "note": values.text(item.get("note"), f"{w} note"),
        })

    doc_id = rec.document["id"] if rec.document else None
    doc_date = rec.document["published_on"] if rec.document else None
    allowed = ["id", "question", "authors", "made_on", "probability", "probabilities", "normalise",
               "interval", "method", "scale",
               "scale_version", "phrase", "quote", "quote_offset", "location", "reasoning",
               "coded_by", "conditional_on", "note"]
    for item in _list(top.get("forecasts"), f"{name}: forecasts"):
        w = _where(name, item, "forecast")
        _mapping(item, w, allowed)
        fid = values.slug(item.get("id"), f"{w} id")
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
            if not low <= p <= high:
                raise TrackerError(f"{w} interval: [{low}, {high}] does not contain the probability {p}")
        method = values.text(item.get("method"), f"{w} method", required=True)
        if method not in METHODS:
            raise TrackerError(f"{w} method: {method!r} is not one of {', '.join(METHODS)}")
        scale = values.text(item.get("scale"), f"{w} scale")
        if method == "scale" and not scale:
            raise TrackerError(f"{w} scale: method 'scale' needs the scale's name")
        made_on = item.get("made_on", doc_date)
        if made_on is None:
            raise TrackerError(f"{w} made_on: missing, and there is no document date to default to")
        offset = item.get("quote_offset")
        if offset is not None and (isinstance(offset, bool) or not isinstance(offset, int) or offset < 0):
            raise TrackerError(f"{w} quote_offset: {offset!r} is not a character position")
        if offset is not None and not item.get("quote"):
            raise TrackerError(f"{w} quote_offset: given without a quote")
        authors = [values.slug(a, f"{w} authors") for a in _list(item.get("authors"), f"{w} authors")]
        _no_repeats(authors, f"{w} authors")
        if not authors:
            if not rec.document_authors:
                raise TrackerError(f"{w} authors: missing, and there is no document to default to")
            authors = list(rec.document_authors)
        rec.forecast_authors[fid] = authors
        rec.forecasts.append({
            "id": fid,
            "question_id": values.slug(item.get("question"), f"{w} question"),
            "document_id": doc_id,
            "made_on": values.iso_date(made_on, f"{w} made_on"),
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
            "conditional_on": values.slug(item["conditional_on"], f"{w} conditional_on")
            if item.get("conditional_on") is not None else None,
            "note": values.text(item.get("note"), f"{w} note"),
        })

    for item in _list(top.get("outcomes"), f"{name}: outcomes"):
        w = _where(name, item, "outcome")
        _mapping(item, w, ["question", "action", "outcome", "resolved_on", "recorded_by",
                           "recorded_at", "evidence", "note"])
        qid = values.slug(item.get("question"), f"{w} question")
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
        recorded_at = item.get("recorded_at")
        if isinstance(recorded_at, dt.datetime):
            recorded_at = recorded_at.isoformat()
        rec.outcomes.append({
            "question_id": qid,
            "action": action,
            "outcome": out,
            "resolved_on": values.iso_date(item["resolved_on"], f"{w} resolved_on")
            if item.get("resolved_on") is not None else None,
            "recorded_by": values.text(item.get("recorded_by"), f"{w} recorded_by"),
            "recorded_at": values.text(recorded_at, f"{w} recorded_at"),
            "note": values.text(item.get("note"), f"{w} note"),
            "evidence": evidence,
        })
    _check_inside(rec)
    return rec


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
        fitted = rules.check_distribution(list(given.values()), normalise=normalise)
    except ValueError as e:
        raise TrackerError(f"{w} probabilities: {str(e).replace('pass normalise', 'write normalise: true')}") from None
    distribution = dict(zip(given, fitted))
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
        deadline = resolve_by.get(f["question_id"])
        if deadline is not None and deadline < f["made_on"]:
            raise TrackerError(
                f"{rec.path}: forecast {f['id']}: made on {f['made_on']}, after its question's "
                f"resolve-by date {deadline}")


# ---------------------------------------------------------------- writing records to the database

@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, other: Counts) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged

    def as_dict(self) -> dict:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


def _upsert(db: Database, table: str, row: dict, counts: Counts, keep: tuple[str, ...] = ()) -> str:
    """Insert or update one row by id; 'created', 'updated' or 'unchanged'. Columns in `keep` that the
    row leaves empty keep what the database has (e.g. a document's stored text)."""
    existing = list(db.query(f"select * from [{table}] where id = ?", [row["id"]]))
    if not existing:
        db[table].insert(row)
        counts.created += 1
        return "created"
    old = existing[0]
    new = {k: v for k, v in row.items() if not (k in keep and v is None)}
    if all(old.get(k) == v for k, v in new.items()):
        counts.unchanged += 1
        return "unchanged"
    db[table].update(row["id"], new)
    counts.updated += 1
    return "updated"


def _set_links(db: Database, table: str, key: str, key_value: str, other: str, ids: list[str]) -> bool:
    """Make the ordered link rows for one owner equal `ids`; True if anything changed."""
    current = [r[other] for r in db.query(
        f"select {other} from {table} where {key} = ? order by position", [key_value])]
    if current == ids:
        return False
    db.execute(f"delete from {table} where {key} = ?", [key_value])
    db[table].insert_all({key: key_value, other: i, "position": n} for n, i in enumerate(ids, 1))
    return True


def _check_references(db: Database, records: list[Record]) -> None:
    """Every id a record points at exists in some record of this import or in the database,
    and no two records of one import define the same thing differently."""
    defined: dict[tuple[str, str], tuple[str, dict]] = {}
    for rec in records:
        rows = [("author", r) for r in rec.authors] + [("question", r) for r in rec.questions]
        rows += [("forecast", r) for r in rec.forecasts]
        if rec.document:
            rows.append(("document", rec.document))
        for kind, row in rows:
            key = (kind, row["id"])
            if key in defined and defined[key][1] != row:
                raise TrackerError(
                    f"{rec.path}: {kind} {row['id']} is defined differently in {defined[key][0]}")
            defined[key] = (rec.path, row)

    def exists(kind: str, table: str, id_: str) -> bool:
        return (kind, id_) in defined or bool(list(db.query(f"select 1 from {table} where id = ?", [id_])))

    for rec in records:
        for a in rec.document_authors:
            if not exists("author", "authors", a):
                raise TrackerError(f"{rec.path}: document author {a!r} is not among the authors")
        for f in rec.forecasts:
            if not exists("question", "questions", f["question_id"]):
                raise TrackerError(f"{rec.path}: forecast {f['id']}: unknown question {f['question_id']!r}")
            for a in rec.forecast_authors[f["id"]]:
                if not exists("author", "authors", a):
                    raise TrackerError(f"{rec.path}: forecast {f['id']}: unknown author {a!r}")
            if f["conditional_on"] and not exists("forecast", "forecasts", f["conditional_on"]):
                raise TrackerError(
                    f"{rec.path}: forecast {f['id']}: conditional_on unknown forecast {f['conditional_on']!r}")
            if f["conditional_on"] == f["id"]:
                raise TrackerError(f"{rec.path}: forecast {f['id']}: is conditional on itself")
        for o in rec.outcomes:
            if not exists("question", "questions", o["question_id"]):
                raise TrackerError(f"{rec.path}: outcome for unknown question {o['question_id']!r}")


def _fit_to_questions(db: Database, records: list[Record]) -> None:
    """Each forecast and outcome has the shape its question's kind asks for: a probability and
    yes/no/annulled for a yes-no question; a distribution over exactly the question's options
    (put in the options' order) and one of the options, or annulled, for a multiple-choice one."""
    kinds: dict[str, tuple[str, list[str]]] = {}
    for rec in records:
        for q in rec.questions:
            kinds[q["id"]] = (q["kind"], json.loads(q["options"] or "[]"))

    def kind_of(qid: str) -> tuple[str, list[str]]:
        if qid not in kinds:
            row = list(db.query("select kind, options from questions where id = ?", [qid]))[0]
            kinds[qid] = (row["kind"], json.loads(row["options"] or "[]"))
        return kinds[qid]

    for rec in records:
        for i, f in enumerate(rec.forecasts):
            w = rec.places.get(("forecast", i), rec.path)
            kind, options = kind_of(f["question_id"])
            if kind == "binary" and f["probability"] is None:
                raise TrackerError(f"{w}: question {f['question_id']} is yes-no; give a probability")
            if kind == "multiple_choice":
                if f["probability"] is not None:
                    raise TrackerError(f"{w}: question {f['question_id']} is multiple-choice; give probabilities")
                dist = json.loads(f["probabilities"])
                if set(dist) != set(options):
                    missing = [o for o in options if o not in dist] or [o for o in dist if o not in options]
                    raise TrackerError(f"{w} probabilities: must cover exactly the options {options}; "
                                       f"{missing[0]!r} is {'missing' if missing[0] in options else 'not an option'}")
                f["probabilities"] = json.dumps({o: dist[o] for o in options}, ensure_ascii=False)
                if f["probabilities_given"]:
                    given = json.loads(f["probabilities_given"])
                    f["probabilities_given"] = json.dumps({o: given[o] for o in options}, ensure_ascii=False)
        for i, o in enumerate(rec.outcomes):
            if o["outcome"] is None:
                continue
            w = rec.places.get(("outcome", i), rec.path)
            kind, options = kind_of(o["question_id"])
            if kind == "binary":
                o["outcome"] = values.outcome(o["outcome"], f"{w} outcome")
            elif o["outcome"] not in options + ["annulled"]:
                raise TrackerError(f"{w} outcome: {o['outcome']!r} is not one of the options {options} or annulled")


def _language(db: Database, document_id: str) -> tuple | None:
    """(language,) of a document in the database, None when it is not there."""
    return db.conn.execute("select language from documents where id = ?", [document_id]).fetchone()


def _dependency_order(forecasts: list[dict]) -> list[dict]:
    """Forecasts a condition points at go in before the forecasts that point at them."""
    by_id = {f["id"]: f for f in forecasts}
    ordered: list[dict] = []
    placed: set[str] = set()

    def place(f: dict, chain: tuple[str, ...]) -> None:
        if f["id"] in placed:
            return
        if f["id"] in chain:
            raise TrackerError(f"forecast {f['id']}: conditions form a cycle ({' → '.join(chain + (f['id'],))})")
        target = by_id.get(f["conditional_on"] or "")
        if target is not None:
            place(target, chain + (f["id"],))
        placed.add(f["id"])
        ordered.append(f)

    for f in forecasts:
        place(f, ())
    return ordered


def import_records(db: Database, records: list[Record], texts: list[str | Path] = (),
                   note: str | None = None) -> dict:
    """Write records (and any document texts, matched by SHA-256) in one transaction.

    Returns counts per kind of row. Nothing is written if anything is wrong.
    """
    supplied: dict[str, tuple[str, str]] = {}
    for t in texts:
        body, digest = read_text_file(t)
        supplied[digest] = (str(t), body)
    wanted = {r.document["sha256"] for r in records if r.document and r.document["sha256"]}
    for digest, (tpath, _) in supplied.items():
        if digest not in wanted and not list(db.query("select 1 from documents where sha256 = ?", [digest])):
            raise TrackerError(f"{tpath}: its SHA-256 {digest[:12]}… matches no document")

    counts = {k: Counts() for k in ("authors", "documents", "questions", "forecasts", "outcomes")}
    with writing(db, note):
        _check_references(db, records)
        _fit_to_questions(db, records)
        touched_questions: set[str] = set()
        for rec in records:
            before_totals = _totals(counts)
            for a in rec.authors:
                _upsert(db, "authors", a, counts["authors"])
            if rec.document:
                doc = dict(rec.document)
                text = supplied.get(doc["sha256"] or "")
                doc["text"] = text[1] if text else None
                before = _language(db, doc["id"])
                _upsert(db, "documents", doc, counts["documents"], keep=("text",))
                if before is not None and before[0] != doc["language"]:  # the upsert stores doc's language
                    touched_questions.update(board.questions_of_document(db, doc["id"]))
                _set_links(db, "document_authors", "document_id", doc["id"], "author_id", rec.document_authors)
            for q in rec.questions:
                if _upsert(db, "questions", q, counts["questions"]) != "unchanged":
                    touched_questions.add(q["id"])
            for f in _dependency_order(rec.forecasts):
                # a forecast moved to another question leaves the old one to re-score
                before = [r[0] for r in db.execute("select question_id from forecasts where id = ?", [f["id"]])]
                changed = _upsert(db, "forecasts", f, counts["forecasts"]) != "unchanged"
                changed |= _set_links(db, "forecast_authors", "forecast_id", f["id"], "author_id",
                                      rec.forecast_authors[f["id"]])
                if changed:
                    touched_questions.add(f["question_id"])
                    touched_questions.update(before)
            by_question: dict[str, list[dict]] = {}
            for o in rec.outcomes:
                by_question.setdefault(o["question_id"], []).append(o)
            for qid, entries in by_question.items():
                have = existing_outcome_keys(db, qid)
                for o in entries:
                    key = outcome_key(o, o["evidence"])
                    if have[key] > 0:
                        have[key] -= 1
                        counts["outcomes"].unchanged += 1
                        continue
                    append_outcome(db, o, o["evidence"], source="record")
                    counts["outcomes"].created += 1
                    touched_questions.add(qid)
            per_file = {k: v - before_totals[k] for k, v in _totals(counts).items()}
            log_import(db, rec.path, rec.sha256, "record", per_file)
        board.refresh(db, touched_questions, refit=True)
    return {k: c.as_dict() for k, c in counts.items()}


def _totals(counts: dict[str, Counts]) -> dict[str, int]:
    return {k: sum(c.as_dict()[k] for c in counts.values()) for k in ("created", "updated", "unchanged")}


def record_paths(paths: list[str | Path]) -> list[Path]:
    """Files as given, and the *.yml / *.yaml files inside directories, in name order."""
    out: list[Path] = []
    for p in map(Path, paths):
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


def stale_paths(db: Database, paths: list[Path]) -> list[Path]:
    """Record files whose content differs from what was last imported from that path."""
    stale = []
    for p in paths:
        if last_sha256(db, str(p)) != sha256_file(p):
            stale.append(p)
    return stale


# ---------------------------------------------------------------- exporting the database as records

class _Dumper(yaml.SafeDumper):
    """Block lists indented under their key, as people write them."""

    def increase_indent(self, flow=False, indentless=False):  # type: ignore[override]
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


def _export_outcomes(db: Database, question_ids: list[str]) -> list[dict]:
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


def _export_file(db: Database, doc: dict | None, forecasts: list[dict], extra_questions: list[str],
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


def export_records(db: Database, directory: str | Path) -> list[Path]:
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
