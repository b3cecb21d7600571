"""Forecast tables: the checks of each row, in the order they have always run, against the
questions, documents and forecast ids the chunk needs; the rows that pass are staged, and written
once the whole file is read (`import_forecasts`, through tracker.imports.run)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from tracker import values
from tracker.errors import TrackerError
from tracker.imports.cells import blank, json_keys, moment, name_id, probability, record_id, split, topic_list
from tracker.imports.run import Run, import_table
from tracker.imports.table_file import Columns, Row
from tracker.ledger.audit import open_import_group
from tracker.ledger.connection import indexes_built_after
from tracker.ledger.forecast_rules import TABLE, check_forecast, check_made_by_deadline
from tracker.stages import stage

if TYPE_CHECKING:
    from tracker.ledger.connection import Ledger

FORECAST_REQUIRED = ["question_id", "author", "made_on"]
FORECAST_OPTIONAL = ["probability", "id", "author_id", "document", "question", "resolve_by", "phrase", "quote",
                     "topic", "method", "interval_low", "interval_high", "note", "options", "probabilities"]

#: how far a row's pure-Python checks got before failing: the database checks that come earlier
#: in a row (as the checks were always ordered) still run first
_BEFORE_DOCUMENT, _BEFORE_QUESTION, _AFTER_QUESTION = 0, 1, 2


class _Forecast:
    """One forecast row as read (fields a failing row never reached stay None). The types are
    those of a row that passed every check, the only kind that is written."""
    qid: str
    doc: str | None
    author_ids: list[str]
    names: list[str]
    named: bool             # the author ids were made from the names (no author_id column)
    aliased: set[str] | None  # names the user declared another name of an author
    made_on: str
    p: float | None
    options: list[str] | None     # a multiple-choice forecast: its question's options, in order,
    dist: str | None              # and its distribution over them (JSON, in that order)
    title: str | None
    resolve_by: str | None
    topics: list[str]
    low: float | None
    high: float | None
    method: str
    fid: str
    phrase: str | None
    quote: str | None
    note: str | None


# the None a failing row's partial forecast reads for each field its checks never reached
for _field in _Forecast.__annotations__:
    setattr(_Forecast, _field, None)
del _field


def _parse_forecast(where: str, row: dict, columns: Columns) -> _Forecast:
    """The pure-Python checks of one forecast row, in the order they have always run. A failing
    row's error carries how far it got (`stage`) and what it had read so far (`partial`)."""
    f = _Forecast()
    stage = _BEFORE_DOCUMENT
    try:
        columns.check(where, row)
        f.qid = record_id(row["question_id"], f"{where}: question_id")
        names = split(row["author"])
        if not names:
            raise TrackerError(f"{where}: author is empty")
        f.made_on = moment(row["made_on"], f"{where}: made_on")
        f.p, f.options, f.dist = _probabilities(row, where)
        doc = row.get("document")
        f.doc = None if blank(doc) else record_id(doc, f"{where}: document")
        stage = _BEFORE_QUESTION
        given_ids = row.get("author_id")
        if not blank(given_ids):
            author_ids = [record_id(a, f"{where}: author_id") for a in split(given_ids)]
            if len(author_ids) != len(names):
                raise TrackerError(f"{where}: author_id lists {len(author_ids)} id(s) for {len(names)} name(s)")
            f.named = False
        else:
            author_ids = []
            for name in names:
                aid = name_id(name)
                if not aid:
                    raise TrackerError(f"{where}: author {name!r} has no letters or digits to make an id from")
                author_ids.append(aid)
            f.named = True
        f.names, f.author_ids = names, author_ids
        if len(set(author_ids)) != len(author_ids):
            raise TrackerError(f"{where}: author lists the same person twice")
        f.title = values.text(row.get("question"), f"{where}: question")
        rb = row.get("resolve_by")
        f.resolve_by = None if blank(rb) else moment(rb, f"{where}: resolve_by")
        f.topics = split(row.get("topic"))
        stage = _AFTER_QUESTION
        low, high = row.get("interval_low"), row.get("interval_high")
        f.low = None if blank(low) else values.probability(low, f"{where}: interval_low")
        f.high = None if blank(high) else values.probability(high, f"{where}: interval_high")
        if (f.low is None) != (f.high is None):
            raise TrackerError(f"{where}: give both interval_low and interval_high, or neither")
        if f.low is not None and f.p is None:
            raise TrackerError(f"{where}: an interval goes with a yes-no probability, not a distribution")
        f.method = check_forecast(where, TABLE, f.p, f.low, f.high, row.get("method"))
        given = row.get("id")
        f.fid = values.record_id(given, f"{where}: id") if not blank(given) else table_forecast_id(
            f.qid, author_ids, f.made_on, f.doc)
        f.phrase = values.text(row.get("phrase"), f"{where}: phrase")
        f.quote = values.text(row.get("quote"), f"{where}: quote")
        f.note = values.text(row.get("note"), f"{where}: note")
    except TrackerError as e:
        e.stage, e.partial = stage, f  # type: ignore[attr-defined]
        raise
    return f


def _probabilities(row: dict, where: str) -> tuple[float | None, list[str] | None, str | None]:
    """A yes-no forecast's probability, or a multiple-choice forecast's options and distribution
    (`options`, a JSON list, and `probabilities`, a JSON object option → probability)."""
    given, options = row.get("probabilities"), row.get("options")
    if blank(given) and blank(options):
        if blank(row.get("probability")):
            raise TrackerError(f"{where}: probability is missing (or give options and probabilities)")
        return probability(row["probability"], f"{where}: probability"), None, None
    if not blank(row.get("probability")):
        raise TrackerError(f"{where}: give probability, or options and probabilities, not both")
    if blank(given) or blank(options):
        raise TrackerError(f"{where}: a multiple-choice forecast needs both options and probabilities")
    labels, dist = _json_cell(options, list, f"{where}: options"), _json_cell(given, dict, f"{where}: probabilities")
    if len(labels) < 2 or not all(isinstance(o, str) and o.strip() == o and o for o in labels) \
            or len(set(labels)) != len(labels) or "annulled" in labels:
        raise TrackerError(f"{where}: options must list two or more distinct names (not 'annulled')")
    if set(dist) != set(labels):
        missing = [o for o in labels if o not in dist] or [o for o in dist if o not in labels]
        raise TrackerError(f"{where}: probabilities must give each option exactly once ({missing[0]!r} does not fit)")
    probs = [values.probability(dist[o], f"{where}: probabilities {o!r}") for o in labels]
    try:
        values.check_distribution(probs)
    except ValueError as e:
        raise TrackerError(f"{where}: probabilities: {str(e).split(';')[0]}") from None
    return None, labels, json.dumps(dict(zip(labels, probs, strict=True)), ensure_ascii=False)


def _json_cell(value: object, kind: type, where: str):
    """A list or object, as JSONL gives it or as a CSV cell writes it in JSON."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise TrackerError(f"{where}: {str(value)[:80]!r} is not JSON") from None
    if not isinstance(value, kind):
        raise TrackerError(f"{where}: expected a JSON {'list' if kind is list else 'object'}")
    return value


def table_forecast_id(qid: str, authors: list[str], made_on: str, doc: str | None) -> str:
    """A forecast from a table with no id is known by question, authors, date and document."""
    key = "\x1f".join([qid, ";".join(authors), made_on, doc or ""])
    return "t-" + hashlib.sha256(key.encode()).hexdigest()[:16]


def _digest(f: _Forecast) -> int:
    """Stands for the whole forecast when a later row repeats its id (same process only)."""
    return hash((f.fid, f.qid, f.doc, f.made_on, f.p, f.dist, f.low, f.high, f.method, f.phrase, f.quote, f.note,
                 tuple(f.author_ids)))


_FORECAST_TEMP = (
    "create temp table _import_seen (id text primary key, line text not null, digest integer not null) without rowid",
    """create temp table _import_forecasts (
        seq integer primary key, id text not null, question_id text not null, document_id text,
        made_on text not null, probability real, probabilities text, interval_low real, interval_high real,
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
    and f.probability is s.probability and f.probabilities is s.probabilities
    and f.probabilities_given is null and f.interval_low is s.interval_low
    and f.interval_high is s.interval_high and f.method is s.method and f.scale is null
    and f.scale_version is null and f.phrase is s.phrase and f.quote is s.quote
    and f.quote_offset is null and f.location is null and f.reasoning is null and f.coded_by is null
    and f.conditional_on is null and f.note is s.note
    and (select group_concat(author_id, char(31)) from
           (select author_id from forecast_authors where forecast_id = f.id order by position)) is s.authors"""
_FORECAST_COLUMNS = ("id, question_id, document_id, made_on, probability, probabilities, probabilities_given, "
                     "interval_low, interval_high, method, "
                     "scale, scale_version, phrase, quote, quote_offset, location, reasoning, coded_by, "
                     "conditional_on, note")


def import_forecasts(db: Ledger, path: str | Path, progress: Callable[[int], None] | None = None,
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
    columns = Columns(FORECAST_REQUIRED, FORECAST_OPTIONAL)
    run = Run(db, path, {"read": 0, "created": 0, "updated": 0, "unchanged": 0, "rejected": 0,
                          "questions_created": 0, "questions_updated": 0, "authors_created": 0}, skip_invalid,
               on_reject, progress, position, sha256)
    run.follows_source = kind != "forecasts"  # an adapter's rows: its source owns its questions
    return import_table(run, rows, partial(_parse_forecast, columns=columns), _forecast_chunk,
                   _FORECAST_TEMP, _FORECAST_TEMP_TABLES, kind, note, flush=_write_forecasts)


def _forecast_chunk(run: Run, batch: list) -> None:
    db, path, seq = run.db, run.path, run.seq
    # What the checks need from the database, fetched once for the chunk. A failing row's
    # question and document are fetched too: their checks come before its own error.
    parsed = [(label, rec if rec is not None else getattr(err, "partial", None), err) for label, rec, err in batch]
    qids = [rec.qid for _, rec, _ in parsed if rec is not None]
    docs = [rec.doc for _, rec, _ in parsed if rec is not None]
    fids = [rec.fid for _, rec, err in parsed if rec is not None and err is None]
    questions = {r[0]: {"title": r[1], "note": r[2], "resolve_by": r[3], "topics": r[4], "kind": r[5],
                        "options": r[6], "topic_list": None}
                 for r in db.execute("select id, title, note, resolve_by, topics, kind, options from questions "
                                       "where id in (select value from json_each(?))", [json_keys(qids)])}
    known_docs = {r[0] for r in db.execute("select id from documents where id in (select value from json_each(?))",
                                             [json_keys(docs)])}
    seen = {r[0]: (r[1], r[2]) for r in db.execute(
        "select id, line, digest from temp._import_seen where id in (select value from json_each(?))",
        [json_keys(fids)])}
    names = _names_of(run, [rec for _, rec, err in parsed if rec is not None and err is None and rec.named])
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
        assert rec is not None  # a row without an error was parsed
        try:
            if rec.doc and rec.doc not in known_docs:
                raise TrackerError(f"{where}: unknown document {rec.doc!r}; import its record first")
            q = questions.get(rec.qid)
            after, created = _question_after(q, rec, where, path, run.follows_source)
            if rec.fid in seen:
                first_line, first = seen[rec.fid]
                if first != _digest(rec):
                    raise TrackerError(f"{where}: forecast {rec.fid} differs from the one on line {first_line}")
                raise TrackerError(f"{where}: repeats the forecast on line {first_line}")
            check_made_by_deadline(where, TABLE, rec.qid, rec.made_on, after["resolve_by"])
            if rec.named:
                _check_names(rec, names, where)
        except TrackerError as e:
            run.reject(label, e)
            continue
        # the row is accepted: its effects become the state later rows are checked against
        if created:
            created_questions[rec.qid] = after
            run.counts["questions_created"] += 1
        elif after is not q:
            if after.get("edited") and not (q or {}).get("edited"):
                run.counts["questions_updated"] += 1
            if rec.qid in created_questions:
                created_questions[rec.qid] = after
            else:
                changed_questions[rec.qid] = after
        questions[rec.qid] = after
        if rec.named:
            for aid, name in zip(rec.author_ids, rec.names, strict=True):
                names.setdefault(aid, name)
        digest = _digest(rec)
        seen[rec.fid] = (str(label), digest)
        staged_seen.append((rec.fid, str(label), digest))
        seq += 1
        staged.append((seq, rec.fid, rec.qid, rec.doc, rec.made_on, rec.p, rec.dist, rec.low, rec.high, rec.method,
                       rec.phrase, rec.quote, rec.note, "\x1f".join(rec.author_ids)))
        staged_authors += [(seq, rec.fid, aid, name, i) for i, (aid, name) in
                           enumerate(zip(rec.author_ids, rec.names, strict=True), 1)]
    _write_questions(db, created_questions, changed_questions)
    # The forecasts wait in the staging tables until the whole file is read (_write_forecasts):
    # no later row is checked against them (repeats are caught by _import_seen), and writing
    # them all at once, in key order, appends to the indexes instead of splitting pages all over.
    db.executemany("insert into temp._import_seen (id, line, digest) values (?, ?, ?)", staged_seen)
    db.executemany(
        "insert into temp._import_forecasts (seq, id, question_id, document_id, made_on, probability, probabilities, "
        "interval_low, interval_high, method, phrase, quote, note, authors) "
        "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", staged)
    db.executemany("insert into temp._import_forecast_authors (seq, forecast_id, author_id, name, position) "
                     "values (?, ?, ?, ?, ?)", staged_authors)
    run.seq = seq


def _names_of(run: Run, named: list[_Forecast]) -> dict[str, str]:
    """For forecasts whose author ids were made from names: each name the user declared another
    name of an author (author_aliases) is given that author's id, in place; the result is the
    name each id already belongs to (in the ledger, or earlier in this file)."""
    db = run.db
    wanted = {n for rec in named for n in rec.names}
    aliases = dict(db.execute("select name, author_id from author_aliases where name in "
                              "(select value from json_each(?))", [json_keys(wanted)]))
    for rec in named:
        if any(n in aliases for n in rec.names):
            rec.author_ids = [aliases.get(n, aid) for n, aid in zip(rec.names, rec.author_ids, strict=True)]
            rec.aliased = {n for n in rec.names if n in aliases}
    first: dict[str, str] = run.state.setdefault("author_names", {})
    ids = {aid for rec in named for aid in rec.author_ids} - set(first)
    first.update(db.execute("select id, name from authors where id in (select value from json_each(?))",
                            [json_keys(ids)]))
    return first


def _check_names(rec: _Forecast, names: dict[str, str], where: str) -> None:
    """Two different names never become one author without the user's word."""
    for aid, name in zip(rec.author_ids, rec.names, strict=True):
        known = names.get(aid)
        if known is not None and known != name and name != aid and name not in (rec.aliased or ()):
            raise TrackerError(
                f"{where}: author {name!r} would get the id {aid!r} of {known!r}; if they are one person, "
                f"say so with --same-person {name + '=' + aid!r}, else give the row an author_id")


def _partial_checks(err: TrackerError, run: Run, questions: dict, known_docs: set, where: str) -> TrackerError | None:
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
            _question_after(questions.get(partial.qid), partial, where, run.path, run.follows_source)
        except TrackerError as e:
            return e
    return None


def _question_after(q: dict | None, rec: _Forecast, where: str, path: Path,
                    follow: bool = False) -> tuple[dict, bool]:
    """The question as it is after this row (a new dict when it changes), and whether the row
    creates it. A table never silently rewrites a question: other wording or another deadline is
    an error; topics are added, a missing deadline and a placeholder title are filled in. An
    adapter's rows `follow` their source, which owns its questions: a title or deadline edited
    there is taken (kept in the audit trail, and counted as questions_updated)."""
    qid, title, resolve_by = rec.qid, rec.title, rec.resolve_by
    options = None if rec.options is None else json.dumps(rec.options, ensure_ascii=False)
    if q is None:
        return {"title": title or qid,
                "note": None if title else f"created by importing {path.name}, which gave no wording",
                "resolve_by": resolve_by, "topics": json.dumps(rec.topics, ensure_ascii=False),
                "kind": "binary" if options is None else "multiple_choice", "options": options,
                "topic_list": list(rec.topics)}, True
    if q["kind"] != ("binary" if options is None else "multiple_choice"):
        raise TrackerError(f"{where}: question {qid} is {q['kind'].replace('_', '-')} in the database; "
                           + ("give options and probabilities" if options is None else "give a probability"))
    if options is not None and q["options"] != options and json.loads(q["options"]) != rec.options:
        raise TrackerError(f"{where}: question {qid} has the options {', '.join(json.loads(q['options']))} "
                           f"in the database, not {', '.join(rec.options or [])}")
    placeholder = q["title"] == qid and q["note"]
    change: dict[str, object] = {}
    if title is not None and title != q["title"] and not placeholder:
        if not follow:
            raise TrackerError(f"{where}: question {qid} is worded differently in the database")
        change.update({"title": title, "edited": True})
    if resolve_by is not None and q["resolve_by"] not in (None, resolve_by):
        if not follow:
            raise TrackerError(f"{where}: question {qid} has resolve_by {q['resolve_by']} in the database, "
                               f"not {resolve_by}")
        change.update({"resolve_by": resolve_by, "edited": True})
    if rec.topics:
        have = q["topic_list"]
        if have is None:
            have = q["topic_list"] = topic_list(q["topics"])
        new = [t for t in rec.topics if t not in have]
        if new:
            merged = [*have, *new]
            change.update({"topics": json.dumps(merged, ensure_ascii=False), "topic_list": merged})
    if resolve_by is not None and q["resolve_by"] is None:
        change["resolve_by"] = resolve_by
    if title is not None and placeholder and title != q["title"]:
        change.update({"title": title, "note": None})
    return ({**q, **change} if change else q), False


def _write_questions(db: Ledger, created: dict[str, dict], changed: dict[str, dict]) -> None:
    if created:
        db.executemany(
            "insert into questions (id, title, criteria, resolve_by, topics, note, kind, options) "
            "values (?, ?, null, ?, ?, ?, ?, ?)",
            [(qid, q["title"], q["resolve_by"], q["topics"], q["note"], q["kind"], q["options"])
             for qid, q in created.items()])
    if changed:
        db.executemany("update questions set title = ?, note = ?, resolve_by = ?, topics = ? where id = ?",
                         [(q["title"], q["note"], q["resolve_by"], q["topics"], qid) for qid, q in changed.items()])
        # new topics or a new deadline move the question's forecasts between groups: re-score it
        db.executemany("insert or ignore into temp._import_touched values (?)", [(qid,) for qid in changed])


#: A file that creates at least this many forecasts, and at least as many as the ledger holds,
#: has the indexes of forecasts and their authors built after its rows are
#: written (db.indexes_built_after): at a million rows that saves 10-15 % of the write.
BULK_ROWS = 50_000
BULK_TABLES = ["forecasts", "forecast_authors"]

#: the stage reported while the staged forecasts are written (after the progress bar is full)
WRITING_FORECASTS = "writing the forecasts"


def _write_forecasts(run: Run) -> None:
    """Write the file's staged forecasts: new authors, then each forecast created, updated or left
    unchanged by comparison with what is there, in set-based statements over the whole file."""
    db, counts = run.db, run.counts
    stage(WRITING_FORECASTS)
    # New people, under the first spelling of their name in the file.
    counts["authors_created"] += db.execute("""
        insert into authors (id, name, affiliation)
        select a.author_id, a.name, null from temp._import_forecast_authors a
        where a.rowid in (select min(rowid) from temp._import_forecast_authors group by author_id)
          and not exists (select 1 from authors x where x.id = a.author_id)
        order by a.rowid""").rowcount
    # Created, updated or unchanged, by comparison with what is there.
    db.execute(f"""
        update temp._import_forecasts as s
        set status = case when {_SAME_FORECAST} then 'unchanged' else 'updated' end, old_question_id = f.question_id
        from main.forecasts f where f.id = s.id""")
    by_status = dict(db.execute("select status, count(*) from temp._import_forecasts group by status"))
    for status, n in by_status.items():
        counts[status] += n
    if by_status.get("updated"):
        db.execute("""insert or ignore into temp._import_touched
                        select old_question_id from temp._import_forecasts where status = 'updated'""")
        db.execute("""
            update main.forecasts as f set question_id = s.question_id, document_id = s.document_id,
                made_on = s.made_on, probability = s.probability, probabilities = s.probabilities,
                probabilities_given = null, interval_low = s.interval_low,
                interval_high = s.interval_high, method = s.method, scale = null, scale_version = null,
                phrase = s.phrase, quote = s.quote, quote_offset = null, location = null, reasoning = null,
                coded_by = null, conditional_on = null, note = s.note
            from temp._import_forecasts s where s.id = f.id and s.status = 'updated'""")
        db.execute("""delete from main.forecast_authors where forecast_id in
                        (select id from temp._import_forecasts where status = 'updated')""")
    bulk = (by_status.get("created", 0) >= BULK_ROWS
            and by_status["created"] >= db.execute("select count(*) from main.forecasts").fetchone()[0])
    # The rows it creates are filed under one import group, and carry its id instead of an audit
    # row each (tracker.ledger.audit); updates and the author links they rewrite are audited per row.
    group = None
    if by_status.get("created"):
        links = db.execute("""select count(*) from temp._import_forecast_authors a join temp._import_forecasts s
                              on s.seq = a.seq where s.status = 'created'""").fetchone()[0]
        group = open_import_group(db, str(run.path), run.file_sha256(), run.kind, by_status["created"], links)
    with indexes_built_after(db, BULK_TABLES) if bulk else nullcontext():
        db.execute(f"""
            insert into main.forecasts ({_FORECAST_COLUMNS}, import_group)
            select id, question_id, document_id, made_on, probability, probabilities, null, interval_low,
                   interval_high, method, null, null, phrase, quote, null, null, null, null, null, note, ?
            from temp._import_forecasts where status = 'created' order by id""", [group])
        db.execute("""
            insert into main.forecast_authors (forecast_id, author_id, position, import_group)
            select a.forecast_id, a.author_id, a.position, case when s.status = 'created' then ? end
            from temp._import_forecast_authors a
            join temp._import_forecasts s on s.seq = a.seq where s.status != 'unchanged'
            order by a.forecast_id, a.author_id""", [group])
    db.execute("""insert or ignore into temp._import_touched
                    select question_id from temp._import_forecasts where status != 'unchanged'""")
