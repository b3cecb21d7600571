"""Flat CSV and JSONL tables of forecasts or outcomes: a streaming bulk import in one transaction.

Validation is row by row in Python, in file order, with the same one-line messages naming
file:line as ever. The database work is batched: rows are taken in chunks of `CHUNK`; for each
chunk the state the checks need (questions, documents, forecast ids seen earlier in the file) is
fetched with one query per kind, the chunk's rows are checked in order against it, and the rows
that pass go with `executemany` into TEMP staging tables. Forecasts wait there until the whole
file is read; then set-based SQL creates authors, sorts each row into created, updated or
unchanged, and writes forecasts and their authors in key order (a file that at least doubles a
large ledger has their indexes built after its rows, by one sort each: `BULK_ROWS`). Memory
holds one chunk, never the file: the staged rows, ids seen earlier in the file (for the
duplicate check) and the questions a write touched live in TEMP tables, and SQLite's sort is
bounded by its cache.

The whole file is one transaction (`writing`), so a bad row anywhere leaves the database as it
was. With `skip_invalid` a bad row is reported through `on_reject` and left out instead, and the
rest is imported; a rejected row has no effect at all (it creates no author or question).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from functools import lru_cache, partial
from pathlib import Path
from typing import TYPE_CHECKING

from tracker.scores import board

from tracker import values
from tracker.ledger.connection import indexes_built_after, writing
from tracker.intake.documents import sha256_file
from tracker.errors import TrackerError
from tracker.ledger.import_log import log_import
from tracker.ledger.outcomes import fit_outcome

if TYPE_CHECKING:
    from tracker.ledger.sqlite_utils_lean import Database

FORECAST_REQUIRED = ["question_id", "author", "probability", "made_on"]
FORECAST_OPTIONAL = ["id", "document", "question", "resolve_by", "phrase", "quote", "topic", "method",
                     "interval_low", "interval_high", "note"]
OUTCOME_REQUIRED = ["question_id", "outcome", "resolved_on"]
OUTCOME_OPTIONAL = ["evidence", "note", "recorded_by"]

#: rows per batch of database work
CHUNK = 5000
#: page caches (KiB) while an import runs: the ledger's, and the staging tables'
CACHE_KIB, TEMP_CACHE_KIB = 131072, 32768
#: rejects kept for a --json summary (all are counted, and all go to on_reject)
MAX_LISTED_REJECTS = 1000

#: a row as a source gives it: (where it is, e.g. a line number; the row, or the error reading it)
Row = tuple[object, "dict | TrackerError"]


# ------------------------------------------------------------------ reading

class TableFile:
    """A .csv or .jsonl table read one row at a time. A row that cannot be read (wrong number of
    columns, broken JSON) comes out as a TrackerError in its place, so an import that skips bad
    rows can go on; a file that cannot be read at all (not UTF-8, broken quoting) raises.
    `check_header`, if given, is called with a CSV's column names before its first row (to
    raise a TrackerError for a file that is not what the reader expects); `jsonl_object` is what
    each line of a .jsonl must be, as its error names it."""

    def __init__(self, path: str | Path, check_header: Callable[[list[str]], None] | None = None,
                 jsonl_object: str = "a JSON object"):
        self.path = Path(path)
        self.check_header, self.jsonl_object = check_header, jsonl_object
        suffix = self.path.suffix.lower()
        if suffix not in (".csv", ".jsonl", ".ndjson"):
            raise TrackerError(f"{self.path}: unknown table type {suffix or '(none)'!r}; use .csv or .jsonl")
        self.csv = suffix == ".csv"
        try:
            self.size = self.path.stat().st_size
        except OSError as e:
            raise TrackerError(f"{self.path}: cannot read ({e.strerror})") from None
        self._raw = None

    def position(self) -> int:
        """Bytes read so far (for a progress bar): the whole file once it is closed."""
        raw = self._raw
        try:
            return raw.tell() if raw is not None and not raw.closed else self.size
        except (OSError, ValueError):
            return self.size

    def rows(self) -> Iterator[Row]:
        path = self.path
        try:
            raw = path.open("rb")
        except OSError as e:
            raise TrackerError(f"{path}: cannot read ({e.strerror})") from None
        self._raw = raw
        with raw:
            stream = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
            try:
                yield from (self._csv_rows(stream) if self.csv else self._jsonl_rows(stream))
            except UnicodeDecodeError as e:
                raise TrackerError(f"{path}: not UTF-8 text (byte {e.start})") from None
            except csv.Error as e:
                raise TrackerError(f"{path}: broken CSV ({e})") from None

    def _csv_rows(self, stream) -> Iterator[Row]:
        reader = csv.reader(stream, strict=True)
        header = next(reader, None)
        if not header:
            raise TrackerError(f"{self.path}: file is empty")
        fields = [h.strip() for h in header]
        if self.check_header:
            self.check_header(fields)
        width = len(fields)
        for values_ in reader:
            if not values_:
                continue  # a blank line, as csv.DictReader skips it
            if len(values_) != width:
                yield reader.line_num, TrackerError(f"{self.path}:{reader.line_num}: expected {width} columns")
                continue
            yield reader.line_num, dict(zip(fields, values_))

    def _jsonl_rows(self, stream) -> Iterator[Row]:
        seen = False
        for n, line in enumerate(stream, 1):
            if not line.strip():
                continue
            seen = True
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                yield n, TrackerError(f"{self.path}:{n}: broken JSON ({e.msg})")
                continue
            if not isinstance(row, dict):
                yield n, TrackerError(f"{self.path}:{n}: expected {self.jsonl_object} per line")
                continue
            yield n, row
        if not seen:
            raise TrackerError(f"{self.path}: file is empty")


class _Columns:
    """The column check, done once per distinct set of keys (a CSV has one)."""

    def __init__(self, required: list[str], optional: list[str]):
        self.required, self.known = required, set(required) | set(optional)
        self.verdicts: dict[tuple, str | None] = {}

    def check(self, where: str, row: dict) -> None:
        keys = tuple(row)
        verdict = self.verdicts.get(keys, False)
        if verdict is False:
            missing = [c for c in self.required if c not in row]
            unknown = [c for c in row if c not in self.known]
            verdict = (f"missing column {missing[0]!r} (required: {', '.join(self.required)})" if missing
                       else f"unknown column {unknown[0]!r}" if unknown else None)
            if len(self.verdicts) < 256:
                self.verdicts[keys] = verdict
        if verdict:
            raise TrackerError(f"{where}: {verdict}")


def _blank(v: object) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _split(v: object) -> list[str]:
    if type(v) is str and ";" not in v:  # the common case: one name, one topic
        s = v.strip()
        return [s] if s else []
    if isinstance(v, list):
        return [str(x).strip() for x in v if str(x).strip()]
    return [s.strip() for s in str(v).split(";") if s.strip()] if not _blank(v) else []


# Memoised parsing of the values that repeat row after row (dates, probabilities, ids, names).
# A cached function returns None for a bad value; the uncached one then raises with the message.
_slugify = lru_cache(maxsize=65536)(values.slugify)


def _cached(parse):
    @lru_cache(maxsize=65536)
    def ok(value):
        try:
            return parse(value, "")
        except TrackerError:
            return None

    def checked(value, where):
        if type(value) is str:
            got = ok(value)
            if got is not None:
                return got
        return parse(value, where)

    return checked


_iso_date = _cached(values.iso_date)
_probability = _cached(values.probability)
_slug = _cached(values.slug)


@lru_cache(maxsize=65536)
def _topic_list(stored: str) -> tuple[str, ...]:
    """A question's stored topics (JSON), parsed once: the questions are fetched again for each
    chunk, and a million rows would otherwise parse them a million times."""
    return tuple(json.loads(stored))


def _keys(items: Iterable[str]) -> str:
    return json.dumps(sorted({k for k in items if k is not None}))


# ------------------------------------------------------------------ the import run

class _Run:
    """Counts, rejects and the TEMP tables of one file's import."""

    def __init__(self, db: Database, path: Path, counts: dict, skip_invalid: bool,
                 on_reject: Callable[[str], None] | None, progress: Callable[[int], None] | None,
                 position: Callable[[], int] | None, sha256: str | None = None):
        self.db, self.conn, self.path, self.counts, self.sha256 = db, db.conn, path, counts, sha256
        self.skip_invalid, self.on_reject, self.progress, self.position = skip_invalid, on_reject, progress, position
        self.rejects: list[dict] = []
        self.seq = 0  # the last staged row's number, across chunks

    def reject(self, label: object, error: TrackerError) -> None:
        """A bad row: stop (the default) or, with skip_invalid, report it and go on."""
        if not self.skip_invalid:
            raise error
        self.counts["rejected"] += 1
        if len(self.rejects) < MAX_LISTED_REJECTS:
            self.rejects.append({"line": label, "error": str(error)})
        if self.on_reject:
            self.on_reject(str(error))

    def tick(self) -> None:
        if self.progress and self.position:
            self.progress(self.position())

    def temp(self, *ddl: str) -> None:
        """Create the TEMP tables, and give the page caches room while the import runs (SQLite's
        default of 2 MB makes every insert into a large index a read; the caches only grow as
        pages are used, so memory stays well inside the limit)."""
        self.caches = [(schema, self.conn.execute(f"pragma {schema}.cache_size").fetchone()[0])
                       for schema in ("main", "temp")]
        self.conn.execute(f"pragma main.cache_size = -{CACHE_KIB}")
        self.conn.execute(f"pragma temp.cache_size = -{TEMP_CACHE_KIB}")
        for statement in ddl:
            self.conn.execute(statement)

    def drop(self, *tables: str) -> None:
        for t in tables:
            self.conn.execute(f"drop table if exists temp.{t}")
        for schema, size in getattr(self, "caches", ()):
            self.conn.execute(f"pragma {schema}.cache_size = {size}")

    def finish(self, kind: str) -> None:
        if self.skip_invalid:
            self.counts["rejects"] = self.rejects
        log_import(self.db, str(self.path), self.sha256 or sha256_file(self.path), kind, self.counts)


def _chunks(rows: Iterable[Row], parse: Callable, run: _Run) -> Iterator[list]:
    """Parsed rows in chunks. In the default mode a row that fails the pure-Python checks ends
    the chunk (and the reading): the chunk's earlier rows are still checked against the database
    first, so the error reported is always the first in file order."""
    batch: list = []
    for label, row in rows:
        run.counts["read"] += 1
        item = parse(label, row)
        batch.append(item)
        if item[2] is not None and not run.skip_invalid:
            yield batch
            return
        if len(batch) >= CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def _import(run: _Run, rows: Iterable[Row] | None, parse: Callable[[str, dict], object], chunk: Callable,
            temp: tuple[str, ...], temp_tables: tuple[str, ...], kind: str, note: str | None,
            flush: Callable[[_Run], None] | None = None) -> dict:
    """What both table imports do around their own checks: read the file (or an adapter's
    `rows`), parse each row with `parse(where, row)` (a TrackerError rejects it), and hand the
    parsed rows to `chunk(run, batch)` in chunks, in one transaction with TEMP staging tables;
    then `flush(run)` (writes that wait for the whole file), log the import and re-score the
    questions touched. Returns the counts."""
    db, path = run.db, run.path
    if rows is None:
        table = TableFile(path)
        rows, run.position = table.rows(), table.position

    def checked(label, row):
        if isinstance(row, TrackerError):
            return label, None, row
        try:
            return label, parse(f"{path}:{label}", row), None
        except TrackerError as e:
            return label, None, e

    with writing(db, note):
        run.drop(*temp_tables)
        run.temp(*temp)
        try:
            for batch in _chunks(rows, checked, run):
                chunk(run, batch)
                run.tick()
            run.tick()  # reading is over (a file of no rows has had no chunk): a bar shows it full
            if flush is not None:
                flush(run)
            touched = {r[0] for r in db.execute("select question_id from temp._import_touched")}
        finally:
            run.drop(*temp_tables)
        run.finish(kind)
        board.refresh(db, touched, refit=True)
    return run.counts


# ------------------------------------------------------------------ forecasts

#: how far a row's pure-Python checks got before failing: the database checks that come earlier
#: in a row (as the checks were always ordered) still run first
_BEFORE_DOCUMENT, _BEFORE_QUESTION, _AFTER_QUESTION = 0, 1, 2


class _Forecast:
    """One forecast row as read (fields a failing row never reached stay None)."""
    qid = doc = author_ids = names = made_on = p = title = resolve_by = topics = None
    low = high = method = fid = phrase = quote = note = None


def _parse_forecast(where: str, row: dict, columns: _Columns) -> _Forecast:
    """The pure-Python checks of one forecast row, in the order they have always run. A failing
    row's error carries how far it got (`stage`) and what it had read so far (`partial`)."""
    f = _Forecast()
    stage = _BEFORE_DOCUMENT
    try:
        columns.check(where, row)
        f.qid = _slug(str(row["question_id"]).strip(), f"{where}: question_id")
        names = _split(row["author"])
        if not names:
            raise TrackerError(f"{where}: author is empty")
        f.made_on = _iso_date(row["made_on"], f"{where}: made_on")
        f.p = _probability(row["probability"], f"{where}: probability")
        doc = row.get("document")
        f.doc = None if _blank(doc) else values.slug(doc, f"{where}: document")
        stage = _BEFORE_QUESTION
        author_ids = []
        for name in names:
            aid = _slugify(name)
            if not aid:
                raise TrackerError(f"{where}: author {name!r} has no letters or digits to make an id from")
            author_ids.append(aid)
        f.names, f.author_ids = names, author_ids
        if len(set(author_ids)) != len(author_ids):
            raise TrackerError(f"{where}: author lists the same person twice")
        f.title = values.text(row.get("question"), f"{where}: question")
        rb = row.get("resolve_by")
        f.resolve_by = None if _blank(rb) else _iso_date(rb, f"{where}: resolve_by")
        f.topics = _split(row.get("topic"))
        stage = _AFTER_QUESTION
        low, high = row.get("interval_low"), row.get("interval_high")
        f.low = None if _blank(low) else values.probability(low, f"{where}: interval_low")
        f.high = None if _blank(high) else values.probability(high, f"{where}: interval_high")
        if (f.low is None) != (f.high is None):
            raise TrackerError(f"{where}: give both interval_low and interval_high, or neither")
        if f.low is not None and not f.low <= f.p <= f.high:
            raise TrackerError(f"{where}: interval [{f.low}, {f.high}] does not contain the probability {f.p}")
        method = row.get("method")
        f.method = "stated" if _blank(method) else str(method).strip()
        if f.method not in ("stated", "analyst"):
            raise TrackerError(f"{where}: method {f.method!r} must be 'stated' or 'analyst' in a table")
        given = row.get("id")
        f.fid = values.slug(given, f"{where}: id") if not _blank(given) else table_forecast_id(
            f.qid, author_ids, f.made_on, f.doc)
        f.phrase = values.text(row.get("phrase"), f"{where}: phrase")
        f.quote = values.text(row.get("quote"), f"{where}: quote")
        f.note = values.text(row.get("note"), f"{where}: note")
    except TrackerError as e:
        e.stage, e.partial = stage, f  # type: ignore[attr-defined]
        raise
    return f


def table_forecast_id(qid: str, authors: list[str], made_on: str, doc: str | None) -> str:
    """A forecast from a table with no id is known by question, authors, date and document."""
    key = "\x1f".join([qid, ";".join(authors), made_on, doc or ""])
    return "t-" + hashlib.sha256(key.encode()).hexdigest()[:16]


def _digest(f: _Forecast) -> int:
    """Stands for the whole forecast when a later row repeats its id (same process only)."""
    return hash((f.fid, f.qid, f.doc, f.made_on, f.p, f.low, f.high, f.method, f.phrase, f.quote, f.note,
                 tuple(f.author_ids)))


_FORECAST_TEMP = (
    "create temp table _import_seen (id text primary key, line text not null, digest integer not null) without rowid",
    """create temp table _import_forecasts (
        seq integer primary key, id text not null, question_id text not null, document_id text,
        made_on text not null, probability real not null, interval_low real, interval_high real,
        method text not null, phrase text, quote text, note text, authors text not null,
        status text not null default 'created', old_question_id text)""",
    """create temp table _import_forecast_authors (
        seq integer not null, forecast_id text not null, author_id text not null, name text not null,
        position integer not null)""",
    "create temp table _import_touched (question_id text primary key) without rowid",
)
_FORECAST_TEMP_TABLES = ("_import_seen", "_import_forecasts", "_import_forecast_authors", "_import_touched")

# A staged forecast that exists already is unchanged when every column a table writes is equal
# and its authors are the same people in the same order.
_SAME_FORECAST = """
    f.question_id is s.question_id and f.document_id is s.document_id and f.made_on is s.made_on
    and f.probability is s.probability and f.interval_low is s.interval_low
    and f.interval_high is s.interval_high and f.method is s.method and f.scale is null
    and f.scale_version is null and f.phrase is s.phrase and f.quote is s.quote
    and f.quote_offset is null and f.location is null and f.reasoning is null and f.coded_by is null
    and f.conditional_on is null and f.note is s.note
    and (select group_concat(author_id, char(31)) from
           (select author_id from forecast_authors where forecast_id = f.id order by position)) is s.authors"""
_FORECAST_COLUMNS = ("id, question_id, document_id, made_on, probability, interval_low, interval_high, method, "
                     "scale, scale_version, phrase, quote, quote_offset, location, reasoning, coded_by, "
                     "conditional_on, note")


def import_forecasts(db: Database, path: str | Path, progress: Callable[[int], None] | None = None,
                     note: str | None = None, *, skip_invalid: bool = False,
                     on_reject: Callable[[str], None] | None = None,
                     rows: Iterable[Row] | None = None, position: Callable[[], int] | None = None,
                     kind: str = "forecasts", sha256: str | None = None) -> dict:
    """Import a forecasts table; unknown questions and authors are created. Returns counts: read,
    created, updated, unchanged, rejected, questions_created, authors_created (and, with
    skip_invalid, the first rejects as `rejects`).

    `progress(bytes_read)` is called once per chunk. `rows` replaces reading `path` (an adapter's
    rows; `path` still names the source in messages and in the import log; `sha256`, the file's if
    the caller has it, is logged instead of hashing the file again)."""
    path = Path(path)
    columns = _Columns(FORECAST_REQUIRED, FORECAST_OPTIONAL)
    run = _Run(db, path, {"read": 0, "created": 0, "updated": 0, "unchanged": 0, "rejected": 0,
                          "questions_created": 0, "authors_created": 0}, skip_invalid, on_reject, progress, position,
               sha256)
    return _import(run, rows, partial(_parse_forecast, columns=columns), _forecast_chunk,
                   _FORECAST_TEMP, _FORECAST_TEMP_TABLES, kind, note, flush=_write_forecasts)


def _forecast_chunk(run: _Run, batch: list) -> None:
    conn, path, seq = run.conn, run.path, run.seq
    # What the checks need from the database, fetched once for the chunk. A failing row's
    # question and document are fetched too: their checks come before its own error.
    parsed = [(label, rec if rec is not None else getattr(err, "partial", None), err) for label, rec, err in batch]
    qids = [rec.qid for _, rec, _ in parsed if rec is not None]
    docs = [rec.doc for _, rec, _ in parsed if rec is not None]
    fids = [rec.fid for _, rec, err in parsed if rec is not None and err is None]
    questions = {r[0]: {"title": r[1], "note": r[2], "resolve_by": r[3], "topics": r[4], "kind": r[5],
                        "topic_list": None}
                 for r in conn.execute("select id, title, note, resolve_by, topics, kind from questions "
                                       "where id in (select value from json_each(?))", [_keys(qids)])}
    known_docs = {r[0] for r in conn.execute("select id from documents where id in (select value from json_each(?))",
                                             [_keys(docs)])}
    seen = {r[0]: (r[1], r[2]) for r in conn.execute(
        "select id, line, digest from temp._import_seen where id in (select value from json_each(?))", [_keys(fids)])}
    created_questions: dict[str, dict] = {}   # in order of creation
    changed_questions: dict[str, dict] = {}
    staged, staged_authors, staged_seen = [], [], []
    for label, rec, err in parsed:
        where = f"{path}:{label}"
        if err is not None:
            # A failing row: only the database checks that come before its error can pre-empt it.
            failed = _partial_checks(err, run, questions, known_docs, where)
            run.reject(label, failed or err)
            continue
        try:
            if rec.doc and rec.doc not in known_docs:
                raise TrackerError(f"{where}: unknown document {rec.doc!r}; import its record first")
            q = questions.get(rec.qid)
            after, created = _question_after(q, rec, where, path)
            if rec.fid in seen:
                first_line, first = seen[rec.fid]
                if first != _digest(rec):
                    raise TrackerError(f"{where}: forecast {rec.fid} differs from the one on line {first_line}")
                raise TrackerError(f"{where}: repeats the forecast on line {first_line}")
            if after["resolve_by"] and after["resolve_by"] < rec.made_on:
                raise TrackerError(f"{where}: made_on {rec.made_on} is after question {rec.qid}'s resolve-by date "
                                   f"{after['resolve_by']}")
        except TrackerError as e:
            run.reject(label, e)
            continue
        # the row is accepted: its effects become the state later rows are checked against
        if created:
            created_questions[rec.qid] = after
            run.counts["questions_created"] += 1
        elif after is not q:
            if rec.qid in created_questions:
                created_questions[rec.qid] = after
            else:
                changed_questions[rec.qid] = after
        questions[rec.qid] = after
        digest = _digest(rec)
        seen[rec.fid] = (str(label), digest)
        staged_seen.append((rec.fid, str(label), digest))
        seq += 1
        staged.append((seq, rec.fid, rec.qid, rec.doc, rec.made_on, rec.p, rec.low, rec.high, rec.method,
                       rec.phrase, rec.quote, rec.note, "\x1f".join(rec.author_ids)))
        staged_authors += [(seq, rec.fid, aid, name, i) for i, (aid, name) in
                           enumerate(zip(rec.author_ids, rec.names), 1)]
    _write_questions(conn, created_questions, changed_questions)
    # The forecasts wait in the staging tables until the whole file is read (_write_forecasts):
    # no later row is checked against them (repeats are caught by _import_seen), and writing
    # them all at once, in key order, appends to the indexes instead of splitting pages all over.
    conn.executemany("insert into temp._import_seen (id, line, digest) values (?, ?, ?)", staged_seen)
    conn.executemany(
        "insert into temp._import_forecasts (seq, id, question_id, document_id, made_on, probability, interval_low, "
        "interval_high, method, phrase, quote, note, authors) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", staged)
    conn.executemany("insert into temp._import_forecast_authors (seq, forecast_id, author_id, name, position) "
                     "values (?, ?, ?, ?, ?)", staged_authors)
    run.seq = seq


def _partial_checks(err: TrackerError, run: _Run, questions: dict, known_docs: set, where: str) -> TrackerError | None:
    """For a row that failed a pure-Python check: the database check that would have failed
    first (an unknown document, a question that does not fit), if any."""
    stage = getattr(err, "stage", None)
    partial = getattr(err, "partial", None)
    if stage is None or partial is None:
        return None
    if stage >= _BEFORE_QUESTION and partial.doc and partial.doc not in known_docs:
        return TrackerError(f"{where}: unknown document {partial.doc!r}; import its record first")
    if stage >= _AFTER_QUESTION:
        try:
            _question_after(questions.get(partial.qid), partial, where, run.path)
        except TrackerError as e:
            return e
    return None


def _question_after(q: dict | None, rec: _Forecast, where: str, path: Path) -> tuple[dict, bool]:
    """The question as it is after this row (a new dict when it changes), and whether the row
    creates it. A table never silently rewrites a question: other wording or another deadline is
    an error; topics are added, a missing deadline and a placeholder title are filled in."""
    qid, title, resolve_by = rec.qid, rec.title, rec.resolve_by
    if q is None:
        return {"title": title or qid, "note": None if title else f"created by importing {path.name}, which gave no wording",
                "resolve_by": resolve_by, "topics": json.dumps(rec.topics, ensure_ascii=False), "kind": "binary",
                "topic_list": list(rec.topics)}, True
    if q["kind"] != "binary":
        raise TrackerError(f"{where}: question {qid} is multiple-choice; tables hold yes-no forecasts only")
    placeholder = q["title"] == qid and q["note"]
    if title is not None and title != q["title"] and not placeholder:
        raise TrackerError(f"{where}: question {qid} is worded differently in the database")
    if resolve_by is not None and q["resolve_by"] not in (None, resolve_by):
        raise TrackerError(f"{where}: question {qid} has resolve_by {q['resolve_by']} in the database, not {resolve_by}")
    change = {}
    if rec.topics:
        have = q["topic_list"]
        if have is None:
            have = q["topic_list"] = _topic_list(q["topics"])
        new = [t for t in rec.topics if t not in have]
        if new:
            merged = [*have, *new]
            change.update({"topics": json.dumps(merged, ensure_ascii=False), "topic_list": merged})
    if resolve_by is not None and q["resolve_by"] is None:
        change["resolve_by"] = resolve_by
    if title is not None and placeholder and title != q["title"]:
        change.update({"title": title, "note": None})
    return ({**q, **change} if change else q), False


def _write_questions(conn, created: dict[str, dict], changed: dict[str, dict]) -> None:
    if created:
        conn.executemany(
            "insert into questions (id, title, criteria, resolve_by, topics, note) values (?, ?, null, ?, ?, ?)",
            [(qid, q["title"], q["resolve_by"], q["topics"], q["note"]) for qid, q in created.items()])
    if changed:
        conn.executemany("update questions set title = ?, note = ?, resolve_by = ?, topics = ? where id = ?",
                         [(q["title"], q["note"], q["resolve_by"], q["topics"], qid) for qid, q in changed.items()])
        # new topics or a new deadline move the question's forecasts between groups: re-score it
        conn.executemany("insert or ignore into temp._import_touched values (?)", [(qid,) for qid in changed])


#: A file that creates at least this many forecasts, and at least as many as the ledger holds,
#: has the indexes of forecasts, their authors and their audit trail built after its rows are
#: written (db.indexes_built_after): at a million rows that saves 10-15 % of the write.
BULK_ROWS = 50_000
BULK_TABLES = ["forecasts", "forecast_authors", "_history_json_forecasts", "_history_json_forecast_authors"]

#: the stage reported while the staged forecasts are written (after the progress bar is full)
WRITING_FORECASTS = "writing the forecasts"


def _write_forecasts(run: _Run) -> None:
    """Write the file's staged forecasts: new authors, then each forecast created, updated or left
    unchanged by comparison with what is there, in set-based statements over the whole file."""
    conn, counts = run.conn, run.counts
    board.stage(WRITING_FORECASTS)
    # New people, under the first spelling of their name in the file.
    counts["authors_created"] += conn.execute("""
        insert into authors (id, name, affiliation)
        select a.author_id, a.name, null from temp._import_forecast_authors a
        where a.rowid in (select min(rowid) from temp._import_forecast_authors group by author_id)
          and not exists (select 1 from authors x where x.id = a.author_id)
        order by a.rowid""").rowcount
    # Created, updated or unchanged, by comparison with what is there.
    conn.execute(f"""
        update temp._import_forecasts as s
        set status = case when {_SAME_FORECAST} then 'unchanged' else 'updated' end, old_question_id = f.question_id
        from main.forecasts f where f.id = s.id""")
    by_status = dict(conn.execute("select status, count(*) from temp._import_forecasts group by status"))
    for status, n in by_status.items():
        counts[status] += n
    if by_status.get("updated"):
        conn.execute("""insert or ignore into temp._import_touched
                        select old_question_id from temp._import_forecasts where status = 'updated'""")
        conn.execute("""
            update main.forecasts as f set question_id = s.question_id, document_id = s.document_id,
                made_on = s.made_on, probability = s.probability, interval_low = s.interval_low,
                interval_high = s.interval_high, method = s.method, scale = null, scale_version = null,
                phrase = s.phrase, quote = s.quote, quote_offset = null, location = null, reasoning = null,
                coded_by = null, conditional_on = null, note = s.note
            from temp._import_forecasts s where s.id = f.id and s.status = 'updated'""")
        conn.execute("""delete from main.forecast_authors where forecast_id in
                        (select id from temp._import_forecasts where status = 'updated')""")
    bulk = (by_status.get("created", 0) >= BULK_ROWS
            and by_status["created"] >= conn.execute("select count(*) from main.forecasts").fetchone()[0])
    with indexes_built_after(conn, BULK_TABLES) if bulk else nullcontext():
        conn.execute(f"""
            insert into main.forecasts ({_FORECAST_COLUMNS})
            select id, question_id, document_id, made_on, probability, interval_low, interval_high, method,
                   null, null, phrase, quote, null, null, null, null, null, note
            from temp._import_forecasts where status = 'created' order by id""")
        conn.execute("""
            insert into main.forecast_authors (forecast_id, author_id, position)
            select a.forecast_id, a.author_id, a.position from temp._import_forecast_authors a
            join temp._import_forecasts s on s.seq = a.seq where s.status != 'unchanged'
            order by a.forecast_id, a.author_id""")
    conn.execute("""insert or ignore into temp._import_touched
                    select question_id from temp._import_forecasts where status != 'unchanged'""")


# ------------------------------------------------------------------ outcomes

_OUTCOME_TEMP = (
    "create temp table _import_seen_questions (question_id text primary key, line text not null) without rowid",
    """create temp table _import_outcomes (
        id integer primary key, question_id text not null, outcome text not null, resolved_on text not null,
        recorded_by text, note text)""",
    """create temp table _import_evidence (
        outcome_id integer not null, position integer not null, url text not null)""",
    "create temp table _import_touched (question_id text primary key) without rowid",
)
_OUTCOME_TEMP_TABLES = ("_import_seen_questions", "_import_outcomes", "_import_evidence", "_import_touched")


def import_outcomes(db: Database, path: str | Path, progress: Callable[[int], None] | None = None,
                    note: str | None = None, *, skip_invalid: bool = False,
                    on_reject: Callable[[str], None] | None = None,
                    rows: Iterable[Row] | None = None, position: Callable[[], int] | None = None,
                    kind: str = "outcomes", sha256: str | None = None) -> dict:
    """Import an outcomes table. A row that repeats the outcome in force is unchanged; a row for a
    question with a different outcome in force is an error (corrections go through `tracker resolve
    --correct`, so a table can never silently overturn an outcome)."""
    path = Path(path)
    columns = _Columns(OUTCOME_REQUIRED, OUTCOME_OPTIONAL)

    def parse(where: str, row: dict) -> tuple[str, dict]:
        columns.check(where, row)
        return _slug(str(row["question_id"]).strip(), f"{where}: question_id"), row

    run = _Run(db, path, {"read": 0, "created": 0, "updated": 0, "unchanged": 0, "rejected": 0},
               skip_invalid, on_reject, progress, position, sha256)
    return _import(run, rows, parse, _outcome_chunk, _OUTCOME_TEMP, _OUTCOME_TEMP_TABLES, kind, note)


def _outcome_chunk(run: _Run, batch: list) -> None:
    conn, path = run.conn, run.path
    qids = _keys(item[1][0] for item in batch if item[1] is not None)
    seen = {r[0]: r[1] for r in conn.execute(
        "select question_id, line from temp._import_seen_questions where question_id in "
        "(select value from json_each(?))", [qids])}
    questions = {r["id"]: r for r in run.db.query(
        "select * from questions where id in (select value from json_each(?))", [qids])}
    current = {r["question_id"]: r for r in run.db.query(
        "select question_id, outcome, resolved_on from current_outcomes where question_id in "
        "(select value from json_each(?))", [qids])}
    # the ids SQLite would give, one after another (the write lock is held)
    next_id = conn.execute("select coalesce(max(id), 0) + 1 from main.outcomes").fetchone()[0]
    staged, evidence, staged_seen = [], [], []
    for label, parsed, err in batch:
        if parsed is None:
            run.reject(label, err)
            continue
        qid, row = parsed
        where = f"{path}:{label}"
        try:
            if qid in seen:
                raise TrackerError(f"{where}: question {qid} already has an outcome on line {seen[qid]}")
            question = questions.get(qid)
            if question is None:
                raise TrackerError(f"{where}: unknown question {qid!r}")
            out = fit_outcome(question, row["outcome"], f"{where}: outcome")
            on = _iso_date(row["resolved_on"], f"{where}: resolved_on")
            links = [values.url(u, f"{where}: evidence") for u in _split(str(row.get("evidence") or "").replace(" ", ";"))]
            now = current.get(qid)
            if now and not (now["outcome"] == out and now["resolved_on"] == on):
                raise TrackerError(
                    f"{where}: question {qid} is already resolved {now['outcome']!r} on "
                    f"{now['resolved_on']}; correct it with `tracker resolve {qid} --correct`")
            if not now:
                recorded_by = values.text(row.get("recorded_by"), f"{where}: recorded_by")
                row_note = values.text(row.get("note"), f"{where}: note")
        except TrackerError as e:
            run.reject(label, e)
            continue
        seen[qid] = str(label)
        staged_seen.append((qid, str(label)))
        if now:
            run.counts["unchanged"] += 1
            continue
        staged.append((next_id, qid, out, on, recorded_by, row_note))
        evidence += [(next_id, i, url) for i, url in enumerate(links, 1)]
        next_id += 1
    conn.executemany("insert into temp._import_seen_questions (question_id, line) values (?, ?)", staged_seen)
    if not staged:
        return
    conn.executemany("insert into temp._import_outcomes (id, question_id, outcome, resolved_on, recorded_by, note) "
                     "values (?, ?, ?, ?, ?, ?)", staged)
    conn.executemany("insert into temp._import_evidence (outcome_id, position, url) values (?, ?, ?)", evidence)
    run.counts["created"] += conn.execute("""
        insert into main.outcomes (id, question_id, action, outcome, resolved_on, recorded_by, recorded_at, note, source)
        select id, question_id, 'resolve', outcome, resolved_on, recorded_by, null, note, 'table'
        from temp._import_outcomes order by id""").rowcount
    conn.execute("""
        insert into main.outcome_evidence (outcome_id, position, url, summary)
        select outcome_id, position, url, null from temp._import_evidence order by outcome_id, position""")
    conn.execute("insert or ignore into temp._import_touched select question_id from temp._import_outcomes")
    conn.execute("delete from temp._import_outcomes")
    conn.execute("delete from temp._import_evidence")


# ------------------------------------------------------------------ files, adapters, progress, summary

#: what `tracker import --kind` takes besides record files
KINDS = ("forecasts", "outcomes", "fatebook", "predictionbook")


def import_files(db: Database, paths: Iterable[str | Path], kind: str, *, note: str | None = None,
                 skip_invalid: bool = False, on_reject: Callable[[str], None] | None = None,
                 progress_bar: bool = False) -> dict:
    """Import tables (or an adapter's files) in one transaction; {path: counts}."""
    result = {}
    with writing(db, note), board.one_refresh(db):
        for p in paths:
            result[str(p)] = import_file(db, p, kind, skip_invalid=skip_invalid, on_reject=on_reject,
                                         progress_bar=progress_bar)
    return result


def import_file(db: Database, path: str | Path, kind: str, *, note: str | None = None,
                skip_invalid: bool = False, on_reject: Callable[[str], None] | None = None,
                progress_bar: bool = False) -> dict:
    """One table, or one file through an adapter (its forecasts, then its outcomes, in one
    transaction: {"forecasts": counts, "outcomes": counts, "dropped": {reason: n}})."""
    path = Path(path)
    options = {"skip_invalid": skip_invalid, "on_reject": on_reject}
    if kind in ("forecasts", "outcomes"):
        fn = import_forecasts if kind == "forecasts" else import_outcomes
        size = path.stat().st_size if path.is_file() else 0
        with _bar(progress_bar, size, path.name) as progress:
            return fn(db, path, progress, note, **options)
    from tracker.imports import adapters

    adapter = adapters.open_adapter(path, kind)
    options["sha256"] = sha256_file(path)  # one hash for the import log's two entries (forecasts, outcomes)
    with writing(db, note), board.one_refresh(db):
        with _bar(progress_bar, adapter.size, f"{path.name} (forecasts)") as progress:
            forecasts = import_forecasts(db, path, progress, rows=adapter.forecasts(), position=adapter.position,
                                         kind=kind, **options)
        dropped = dict(adapter.dropped)
        with _bar(progress_bar, adapter.size, f"{path.name} (outcomes)") as progress:
            outcomes = import_outcomes(db, path, progress, rows=adapter.outcomes(), position=adapter.position,
                                       kind=f"{kind}-outcomes", **options)
    return {"forecasts": forecasts, "outcomes": outcomes, "dropped": dropped}


class _bar:
    """A progress bar on stderr (click's), fed with bytes read; nothing when not enabled."""

    def __init__(self, enabled: bool, size: int, label: str):
        self.enabled, self.size, self.label, self.done, self.bar = enabled, max(size, 1), label, 0, None

    def __enter__(self):
        if not self.enabled:
            return None
        import sys

        import click

        self.bar = click.progressbar(length=self.size, label=self.label, file=sys.stderr, show_pos=False,
                                     show_percent=True, show_eta=True)
        self.bar.__enter__()
        return self.update

    def update(self, position: int) -> None:
        if self.bar is None:
            return
        position = min(max(position, 0), self.size)
        if position > self.done:
            self.bar.update(position - self.done)
            self.done = position
        if self.done >= self.size:
            # the whole file is read: end the bar's line before re-scoring reports its stages
            self.bar.__exit__(None, None, None)
            self.bar = None

    def __exit__(self, *exc):
        if self.bar is not None and exc[0] is None:
            self.update(self.size)  # which ends the bar
        if self.bar is not None:
            self.bar.__exit__(*exc)
        return False


def _counts_text(c: dict) -> str:
    text = ", ".join(f"{c.get(k, 0)} {k}" for k in ("read", "created", "updated", "unchanged", "rejected"))
    new = [f"{c[k]} {k.split('_')[0]}" for k in ("questions_created", "authors_created") if c.get(k)]
    return text + (f" (new: {', '.join(new)})" if new else "")


def summary_text(result: dict) -> str:
    """The import's summary for people: per file, rows read, created, updated, unchanged and
    rejected; for an adapter, its forecasts and outcomes, and what it left out and why."""
    lines = []
    for path, c in result.items():
        if isinstance(c.get("forecasts"), dict):
            lines.append(f"{path}: forecasts: {_counts_text(c['forecasts'])}")
            lines.append(f"{path}: outcomes: {_counts_text(c['outcomes'])}")
            if c.get("dropped"):
                lines.append(f"{path}: left out: " + "; ".join(f"{n} {why}" for why, n in sorted(c["dropped"].items())))
        else:
            lines.append(f"{path}: {_counts_text(c)}")
    return "\n".join(lines)
