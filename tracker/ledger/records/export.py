"""Exporting the ledger as record files, in canonical form: one file per document, and
no-document.yml for what belongs to none, so that import → export → import changes nothing; file
names made safe from the ids, and a manifest written last, the whole export replacing the last."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

import yaml

from tracker import __version__
from tracker.errors import TrackerError
from tracker.ledger.connection import Ledger
from tracker.ledger.files import safe_stem, write_files
from tracker.ledger.outcomes import first_forecasts, odd_date, outcome_log
from tracker.ledger.records.load import AUTHOR_FIELDS, DOCUMENT_FIELDS
from tracker.ledger.records.manifest import FORMAT, MANIFEST, check_export, listed_files  # noqa: F401 (check_export: the export's API)


class _Dumper(yaml.SafeDumper):
    """Block lists indented under their key, as people write them."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


class _Flow(list):
    """A list written inline, [a, b], for short lists of scalars."""


class _FlowMap(dict):
    """A mapping written inline, {a: 0.5, b: 0.5}, for a multiple-choice distribution."""


# a timestamp as ISO 8601 writes it (2019-02-26T08:30:00+00:00), not with PyYAML's space
_Dumper.add_representer(dt.datetime, lambda d, v: d.represent_scalar("tag:yaml.org,2002:timestamp", v.isoformat()))
_Dumper.add_representer(_Flow, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))
_Dumper.add_representer(_FlowMap, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v.items(), flow_style=True))


def _date(s: str | None):
    return dt.date.fromisoformat(s) if s else None


def _moment(s: str | None):
    """A stored moment as the record writes it: a date (day precision), or a timestamp in UTC."""
    return _date(s) if s is None or len(s) == 10 else dt.datetime.fromisoformat(s)


def _clean(d: dict) -> dict:
    return {k: v for k, v in d.items() if v is not None and v != [] and v != _Flow()}


def _dump(data: dict) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100,
                     default_flow_style=False)


#: accept_date's reason for an outcome whose odd date came with no note: only a source that owns
#: its dates (an adapter's) writes one, as tracker.imports.outcome_rows checks the rest
SOURCE_DATE = "the date as the outcome's source gave it"


def _accept_date(o: dict, first: str | None) -> bool | str | None:
    """What the record says of an outcome date that the import's check would refuse: every such
    date in the ledger was accepted when it was written (tracker.ledger.outcomes.odd_date)."""
    if o["resolved_on"] is None or not odd_date(o["question_id"], o["resolved_on"], first):
        return None
    return True if o["note"] else SOURCE_DATE


def _export_outcomes(db: Ledger, question_ids: list[str]) -> list[dict]:
    out = []
    first = first_forecasts(db, question_ids)
    for qid in question_ids:
        for o in outcome_log(db, qid, in_force=False):  # the export does not say which
            ev = [_clean(e) for e in o["evidence"]]
            out.append(_clean({
                "question": qid,
                "action": None if o["action"] == "resolve" else o["action"],
                "outcome": o["outcome"],
                "resolved_on": _moment(o["resolved_on"]),
                "accept_date": _accept_date(o, first.get(qid)),
                "recorded_by": o["recorded_by"],
                "recorded_at": o["recorded_at"],
                "evidence": ev,
                "note": o["note"],
            }))
    return out


def _export_file(db: Ledger, doc: dict | None, forecasts: list[dict], extra_questions: list[str],
                 extra_authors: list[str]) -> tuple[str, dict[str, int]]:
    """The file's text, and how many records of each kind it holds."""
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
            "resolve_by": _moment(q["resolve_by"]), "topics": _Flow(json.loads(q["topics"])), "note": q["note"],
        }))
    out_forecasts = []
    for f in forecasts:
        interval = _Flow([f["interval_low"], f["interval_high"]]) if f["interval_low"] is not None else None
        out_forecasts.append(_clean({
            "id": f["id"],
            "question": f["question_id"],
            "authors": None if f_authors[f["id"]] == doc_authors else _Flow(f_authors[f["id"]]),
            "made_on": None if doc and f["made_on"] == doc["published_on"] else _moment(f["made_on"]),
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
    counts = {"documents": int(doc is not None), **{k: len(body[k]) for k in KINDS[1:]}}
    return _dump(_clean(body)), counts


#: The file for what belongs to no document. No document's file has this name: a document whose
#: id is no-document is written to no-document+<digest>.yml.
UNDOCUMENTED = "no-document.yml"
#: Written last: which files the export holds, with their SHA-256, so a reader can tell a whole
#: export from an interrupted one.
KINDS = ("documents", "authors", "questions", "forecasts", "outcomes")


def file_name(document_id: str | None) -> str:
    """The file a document's record is exported to (None: the one for what has no document): the
    id itself when it is a safe file name, else a safe form of it with a digest of the id
    (tracker.ledger.files.safe_stem). The same id always gives the same name."""
    if document_id is None:
        return UNDOCUMENTED
    return safe_stem(document_id, reserved=[UNDOCUMENTED.removesuffix(".yml")]) + ".yml"


def _encoded(text: str, what: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise TrackerError(f"{what}: holds text that is not valid Unicode (a lone surrogate); "
                           f"it cannot be exported") from None


def export_records(db: Ledger, directory: str | Path) -> list[Path]:
    """Write one file per document, plus no-document.yml for whatever belongs to no document
    (forecasts from flat tables, questions and authors nothing else carries), then MANIFEST.json.
    Returns the record files' paths.

    The files replace the previous export all together or not at all (tracker.ledger.files.
    write_files): a failure leaves the directory as it was. Files of the previous export (those its
    manifest lists) that this one no longer writes are removed, if nobody changed them since;
    nothing else in the directory is touched.
    """
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise TrackerError(f"{directory}: is a file, not a directory")
    files: list[tuple[str, bytes, str | None, dict[str, int]]] = []
    covered_q: set[str] = set()
    covered_a: set[str] = set()
    for doc in db.query("select * from documents order by id"):
        forecasts = list(db.query("select * from forecasts where document_id = ? order by id", [doc["id"]]))
        text, counts = _export_file(db, doc, forecasts, [], [])
        files.append((file_name(doc["id"]), _encoded(text, f"document {doc['id']!r}"), doc["id"], counts))
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
        text, counts = _export_file(db, None, loose, extra_q, extra_a)
        files.append((UNDOCUMENTED, _encoded(text, UNDOCUMENTED), None, counts))
    seen: dict[str, str | None] = {}
    for name, _, doc_id, _ in files:
        other = seen.setdefault(name.casefold(), doc_id)
        if other != doc_id:  # two SHA-256 digests that agree in 64 bits: never yet seen
            raise TrackerError(f"documents {other!r} and {doc_id!r}: both would be written to {name}")
    manifest = _manifest(db, files)
    stale = _stale(directory, {name for name, *_ in files})
    write_files(directory, [(name, data) for name, data, *_ in files] + [(MANIFEST, manifest)], remove=stale)
    return [directory / name for name, *_ in files]


def _manifest(db: Ledger, files: list[tuple[str, bytes, str | None, dict[str, int]]]) -> bytes:
    step = db.execute("select name from _sqlite_migrations where migration_set = 'tracker' "
                      "order by rowid desc limit 1").fetchone()
    manifest = {
        "format": FORMAT,
        "tracker": __version__,
        "ledger_schema": step[0] if step else None,
        "records": {kind: db.execute(f"select count(*) from {kind}").fetchone()[0] for kind in KINDS},
        "files": [{"name": name, "document": doc_id, "sha256": hashlib.sha256(data).hexdigest(),
                   "bytes": len(data), "records": counts} for name, data, doc_id, counts in files],
    }
    return (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _stale(directory: Path, names: set[str]) -> list[str]:
    """The files of the previous export that this one does not write, left as that export wrote
    them: its manifest lists them, they are .yml files right in `directory`, and their SHA-256 is
    still the one it lists. A file anyone changed or put there is kept."""
    out = []
    for name, digest in sorted((listed_files(directory) or {}).items()):
        path = directory / name
        if (name in names or not name.endswith(".yml") or name.startswith(".") or Path(name).name != name
                or "\\" in name or not path.is_file() or path.is_symlink()):
            continue
        if hashlib.sha256(path.read_bytes()).hexdigest() == digest:
            out.append(name)
    return out
