"""The `tracker` command line: parse, call a plain function, print. No SQL and no maths here."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sqlite3
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from tracker import __version__
from tracker.errors import TrackerError

app = typer.Typer(
    help="Record the forecasts in published analysis, resolve them with evidence, and score them.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

DbOption = Annotated[Path, typer.Option(
    "--db", envvar="TRACKER_DB", help="The ledger's SQLite file (env TRACKER_DB).",
    show_default=True)]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of a table.")]
DEFAULT_DB = Path("db") / "forecasts.db"


def command(fn):
    """Turn a TrackerError (or a database error) into one line on stderr and exit 1, no traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from tracker.ledger.audit import COMMAND, describe_command

        token = COMMAND.set(describe_command(fn.__name__, kwargs))  # filed with every change made
        try:
            return fn(*args, **kwargs)
        except TrackerError as e:
            typer.echo(f"Error: {e}", err=True)
            raise typer.Exit(1) from None
        except sqlite3.Error as e:
            typer.echo(f"Error: database: {e}", err=True)
            raise typer.Exit(1) from None
        except OSError as e:
            # a file that cannot be read or written: name it, no traceback
            typer.echo(f"Error: {e.filename or 'file'}: {e.strerror or e}", err=True)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            typer.echo("Interrupted: nothing was written.", err=True)
            raise typer.Exit(130) from None
        finally:
            COMMAND.reset(token)

    return wrapper


def _open(db_path: Path, create: bool = True):
    """Open for a command that writes: every write keeps the score tables current."""
    from tracker.scores.derived import open_db

    return open_db(db_path, create=create)


def _read(db_path: Path):
    """Open for a command that only reads: a read-only file (a published snapshot) will do."""
    from tracker.scores.derived import open_db

    return open_db(db_path, create=False, write=False)


def _print_json(data) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def _show(as_json: bool, data, text) -> None:
    """JSON for scripts, or the text for people; `text` is called only when it is wanted, because
    formatting for people may add display-only fields to the rows."""
    if as_json:
        _print_json(data)
    else:
        typer.echo(text())


@contextlib.contextmanager
def _stages(enabled: bool):
    """On a terminal, one line on stderr as each stage of writing and re-scoring starts, with the
    time so far: on a large ledger they take minutes after the last row is read (tracker.stages)."""
    if not enabled:
        yield
        return
    import time

    from tracker import stages

    start = time.perf_counter()
    token = stages.ON_STAGE.set(
        lambda stage: typer.echo(f"{time.perf_counter() - start:7.1f} s: {stage}…", err=True))
    try:
        yield
    finally:
        stages.ON_STAGE.reset(token)


@app.callback(invoke_without_command=True)
def main(version: Annotated[bool, typer.Option("--version", help="Show the version and exit.")] = False):
    if version:
        typer.echo(f"tracker {__version__}")
        raise typer.Exit()


@app.command("import")
@command
def import_(
    paths: Annotated[list[Path], typer.Argument(help="Record files (.yml) or directories of them; "
                                                "with --kind, CSV or JSONL tables.")],
    kind: Annotated[str, typer.Option(help="record (YAML files), forecasts or outcomes (flat .csv/.jsonl tables), "
                                           "fatebook (Fatebook's CSV export) or predictionbook (PredictionBook "
                                           "JSON); the adapters' mappings are in docs/adapters.md.")]
    = "record",
    text: Annotated[Optional[list[Path]], typer.Option(
        "--text", help="A document's full text to store; matched to its document by SHA-256. Repeatable.")] = None,
    note: Annotated[Optional[str], typer.Option(help="Why: kept in the audit trail with every change made.")] = None,
    skip_invalid: Annotated[bool, typer.Option(
        "--skip-invalid", help="Tables and adapters: report each bad row (FILE:LINE: reason, on stderr or in the "
                               "--json summary) and import the rest, instead of stopping at the first.")] = False,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
):
    """Import curated records or flat tables, in one transaction (all or nothing). Importing the same
    input again changes nothing. Tables show a progress bar on a terminal and a summary: rows read,
    created, updated, unchanged and rejected."""
    from tracker.cli import text as output
    from tracker.ledger.records.load import load_record, record_paths
    from tracker.ledger.records.write import import_records
    from tracker.imports import dispatch, progress

    conn = _open(db)
    on_terminal = not as_json and sys.stderr.isatty()
    if kind == "record":
        if skip_invalid:
            raise TrackerError("--skip-invalid: goes with tables, not with record files")
        recs = [load_record(p) for p in record_paths(paths)]
        with _stages(on_terminal):
            result = import_records(conn, recs, texts=text or [], note=note)
    elif kind in dispatch.KINDS:
        if text:
            raise TrackerError("--text: goes with record files, not with tables")
        with _stages(on_terminal):
            result = dispatch.import_files(
                conn, paths, kind, note=note, skip_invalid=skip_invalid,
                on_reject=None if as_json else (lambda message: typer.echo(f"Rejected: {message}", err=True)),
                progress_bar=on_terminal)
        _show(as_json, result, lambda: progress.summary_text(result))
        return
    else:
        raise TrackerError(f"--kind {kind!r}: choose record, {', '.join(dispatch.KINDS)}")
    _show(as_json, result, lambda: output.import_summary(result))


@app.command()
@command
def resolve(
    question_id: Annotated[str, typer.Argument(help="The question's id.")],
    outcome: Annotated[str, typer.Option(
        "--outcome", help="yes, no or annulled (also 1, 0, true, false); for a multiple-choice question, an option.")],
    on: Annotated[Optional[str], typer.Option(
        "--on", help="When the outcome became known: YYYY-MM-DD or words like '28 February 2019'. Default: today.")]
    = None,
    evidence: Annotated[Optional[list[str]], typer.Option(
        "--evidence", help="A link to the evidence. Repeatable.")] = None,
    summary: Annotated[Optional[list[str]], typer.Option(
        "--summary", help="What the evidence shows, in your words; one per --evidence, in order.")] = None,
    note: Annotated[Optional[str], typer.Option(help="Any judgement call behind the outcome.")] = None,
    by: Annotated[Optional[str], typer.Option("--by", help="Who records it (default: $TRACKER_ANALYST or login name).")]
    = None,
    correct: Annotated[bool, typer.Option(
        "--correct", help="Correct the outcome in force; the earlier record is kept in the history.")] = False,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
):
    """Record what happened to a question, or (--correct) correct it. Scores update at once."""
    from tracker.ledger import outcomes
    from tracker import values

    day = None
    if on:
        from tracker.intake import dates  # its patterns take a few ms to build: only when a date is given

        day = dates.parse_date(on, "--on")
    links = [values.url(u, "--evidence") for u in evidence or []]
    if summary and len(summary) != len(links):
        raise TrackerError(f"--summary: given {len(summary)} times for {len(links)} --evidence links")
    ev = [{"url": u, "summary": (summary or [None] * len(links))[i]} for i, u in enumerate(links)]
    conn = _open(db, create=False)
    row = outcomes.resolve(conn, question_id, outcome, resolved_on=day, evidence=ev, note=note,
                           recorded_by=by, correct=correct)
    verb = "Corrected" if correct else "Resolved"
    _show(as_json, row, lambda: f"{verb} {question_id}: {row['outcome']} (known {row['resolved_on']})")


@app.command()
@command
def unresolve(
    question_id: Annotated[str, typer.Argument(help="The question's id.")],
    note: Annotated[Optional[str], typer.Option(help="Why the outcome is withdrawn.")] = None,
    by: Annotated[Optional[str], typer.Option("--by", help="Who records it (default: $TRACKER_ANALYST or login name).")]
    = None,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
):
    """Withdraw a question's outcome (kept in the history); its forecasts become unscored."""
    from tracker.ledger import outcomes

    row = outcomes.unresolve(_open(db, create=False), question_id, note=note, recorded_by=by)
    _show(as_json, row, lambda: f"Un-resolved {question_id}; it is open again.")


@app.command()
@command
def history(
    record_id: Annotated[str, typer.Argument(help="A question's id (its outcome log), or any document, "
                                             "question, forecast or author id (with --changes).")],
    changes: Annotated[bool, typer.Option(
        "--changes", help="Show the audit trail: every change to the record, old and new values, who and why.")]
    = False,
    kind: Annotated[Optional[str], typer.Option(
        help="question, forecast, document or author, where an id names more than one.")] = None,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
):
    """Every outcome ever recorded for a question, oldest first, and which one is in force; or, with
    --changes (or for an id that is not a question), every change ever made to the record."""
    from tracker.ledger import audit
    from tracker.cli import text as output
    from tracker.ledger import outcomes

    conn = _read(db)
    if kind is not None and kind not in audit.KINDS:
        raise TrackerError(f"--kind {kind!r}: choose one of {', '.join(audit.KINDS)}")
    is_question = (kind in (None, "question")) and bool(list(conn.query("select 1 from questions where id = ?",
                                                                        [record_id])))
    if is_question and not changes:
        rows = outcomes.history(conn, record_id)
        _show(as_json, rows, lambda: output.history(record_id, rows))
    else:
        rows = audit.record_changes(conn, record_id, kind)
        _show(as_json, rows, lambda: output.changes(record_id, rows))


@app.command()
@command
def forecasts(
    author: Annotated[Optional[str], typer.Option(help="Only this author's forecasts (id or name).")] = None,
    question: Annotated[Optional[str], typer.Option(help="Only forecasts on this question id.")] = None,
    document: Annotated[Optional[str], typer.Option(help="Only forecasts from this document id.")] = None,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
):
    """One row per forecast: probability, outcome and Brier score (0..1)."""
    from tracker.cli import text as output
    from tracker.scores import reports

    rows = reports.list_forecasts(_read(db), author=author, question=question, document=document)
    _show(as_json, rows, lambda: output.forecasts(rows))


@app.command()
@command
def score(
    by: Annotated[str, typer.Option(help="Group by author, document, question, topic or horizon.")] = "author",
    adjusted: Annotated[bool, typer.Option(
        "--adjusted", help="The difficulty-adjusted board (two-way fixed effects over authors and questions).")]
    = False,
    min_n: Annotated[int, typer.Option("--min-n", help="Leave out groups with fewer scored forecasts.")] = 1,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
):
    """Mean scores per group with n and 95 % intervals: Brier (0..1, lower is better), log, skill."""
    from tracker.cli import text as output
    from tracker.scores import reports

    conn = _read(db)
    if adjusted:
        if by != "author":
            raise TrackerError("--adjusted: goes with --by author")
        rows = reports.adjusted_table(conn, min_n=min_n)
        _show(as_json, rows, lambda: output.adjusted(rows))
    else:
        rows = reports.score_table(conn, by, min_n=min_n)
        _show(as_json, rows, lambda: output.scores(by, rows))


@app.command()
@command
def calibration(
    author: Annotated[Optional[str], typer.Option(help="Only this author's forecasts (id or name).")] = None,
    document: Annotated[Optional[str], typer.Option(help="Only forecasts from this document id.")] = None,
    topic: Annotated[Optional[str], typer.Option(help="Only forecasts on questions with this topic.")] = None,
    bins: Annotated[int, typer.Option(help="Number of equal-width probability bins.")] = 10,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
):
    """Calibration table (n, mean forecast, observed frequency with a Wilson 95 % interval per bin),
    the Murphy decomposition with Stephenson's within-bin terms, the Yates decomposition and ROC AUC."""
    from tracker.cli import text as output
    from tracker.scores import reports

    result = reports.calibration(_read(db), author=author, document=document, topic=topic, bins=bins)
    _show(as_json, result, lambda: output.calibration(result))


@app.command()
@command
def compare(
    author_a: Annotated[str, typer.Argument(help="Author A (id or name).")],
    author_b: Annotated[str, typer.Argument(help="Author B (id or name).")],
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap, so the interval can be reproduced.")] = 0,
    samples: Annotated[int, typer.Option(help="Bootstrap resamples of the common questions.")] = 10000,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
):
    """A against B on the questions both answered: mean Brier difference (A − B) with a bootstrap and
    a paired-t 95 % interval and a p-value."""
    from tracker.cli import text as output
    from tracker.scores import reports

    result = reports.compare(_read(db), author_a, author_b, seed=seed, n_boot=samples)
    _show(as_json, result, lambda: output.comparison(result))


@app.command()
@command
def sensitivity(
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
):
    """How each author's Brier and rank depend on how their words were read: at the ends of each
    forecast's interval and under every scale of estimative words that covers the phrase."""
    from tracker.cli import text as output
    from tracker.scores import reports

    rows = reports.sensitivity_table(_read(db))
    _show(as_json, rows, lambda: output.sensitivity(rows))


@app.command()
@command
def rescore(
    note: Annotated[Optional[str], typer.Option(help="Why: kept in the audit trail (a rescore changes only "
                                                     "derived score tables, so normally nothing is kept).")] = None,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
):
    """Recompute every score table from the ledger in one transaction, and report how long it took.
    Each write already keeps the scores current, and a full rescore gives identical tables; it
    also refits the difficulty-adjusted board, which single outcomes on a large ledger leave stale."""
    import time

    from tracker.scores import board
    from tracker.ledger.connection import writing

    conn = _open(db, create=False)
    start = time.perf_counter()
    with writing(conn, note), _stages(not as_json and sys.stderr.isatty()):
        board.refresh(conn)
    result = {"seconds": round(time.perf_counter() - start, 3), "forecasts": conn["forecasts"].count,
              "scored": conn["forecast_scores"].count + conn["multiple_choice_scores"].count}
    _show(as_json, result, lambda: f"Rescored {result['scored']} of {result['forecasts']} forecasts in {result['seconds']:.2f} s.")


@app.command()
@command
def migrate(
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
):
    """Bring a ledger made by another version of tracker up to date: apply its pending schema steps,
    and rebuild its score tables from the ledger if their definition changed (a full rescore, in
    one transaction). Other commands refuse a ledger whose score tables are out of date."""
    from tracker.scores.derived import migrate as migrate_ledger

    result = migrate_ledger(db)
    _show(as_json, result, lambda: _migrated(result))


def _migrated(r: dict) -> str:
    scores = {"current": "score tables current",
              "rebuilt": f"score tables rebuilt (their definition changed) in {r['seconds']:.2f} s",
              "created": f"score tables created in {r['seconds']:.2f} s"}[r["scores"]]
    return f"{r['db']}: schema current ({r['schema']}); {scores}: {r['scored']} of {r['forecasts']} forecasts scored."


@app.command()
@command
def export(
    directory: Annotated[Path, typer.Argument(help="Where to write the record files (e.g. forecasts/).")],
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
):
    """Write the database back as record files, one per document, including the whole outcome history."""
    from tracker.ledger.records.export import export_records

    written = export_records(_read(db), directory)
    if as_json:
        _print_json([str(p) for p in written])
    else:
        for p in written:
            typer.echo(f"wrote {p}")


document_app = typer.Typer(help="Documents: add a brief (.txt, .md, .html, .pdf) or a new version of one.",
                            no_args_is_help=True, rich_markup_mode=None)
app.add_typer(document_app, name="document")
scales_app = typer.Typer(help="Scales of estimative words: list them, or show one with `scales show NAME`.",
                         invoke_without_command=True, rich_markup_mode=None)
app.add_typer(scales_app, name="scales")
ScalesOption = Annotated[Optional[Path], typer.Option(
    "--scales", envvar="TRACKER_SCALES", help="A directory of your own scale files (*.yml), added to the shipped ones "
                                              "(env TRACKER_SCALES).")]


@document_app.command("add")
@command
def document_add(
    file: Annotated[Path, typer.Argument(help="The document: .txt, .md, .html or .pdf. Metadata may also come from "
                                              "FILE.meta.yml beside it, or from the file itself.")],
    id: Annotated[Optional[str], typer.Option("--id", help="The document's id (default: the document these bytes "
                                                            "already are, else a slug of the title).")] = None,
    title: Annotated[Optional[str], typer.Option(help="Title (default: from the side file or the file).")] = None,
    publisher: Annotated[Optional[str], typer.Option(help="Publisher, e.g. the think tank.")] = None,
    published_on: Annotated[Optional[str], typer.Option(
        "--published-on", help="Publication date: YYYY-MM-DD or words such as '26. Februar 2019'.")] = None,
    lang: Annotated[Optional[str], typer.Option("--lang", help="Language, ISO 639-1 (de, en, ...).")] = None,
    url: Annotated[Optional[str], typer.Option(help="Where the document is published.")] = None,
    author: Annotated[Optional[list[str]], typer.Option(
        "--author", help="An author's name, in byline order. Repeatable.")] = None,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
):
    """Add a document to the ledger: its cleaned text, SHA-256 and metadata, in one transaction. The same
    file again changes nothing; a changed file under the same id is recorded as a new version."""
    from tracker.intake import dates
    from tracker.ledger import documents

    day = dates.parse_date(published_on, "--published-on") if published_on else None
    result = documents.add_document(_open(db), file, id=id, title=title, publisher=publisher, published_on=day,
                                    language=lang, url=url, authors=author or None)
    note = {"created": "added", "unchanged": "unchanged (same SHA-256)", "updated": "metadata or text filled in",
            "revised": f"new version {result['version']}, replacing version {result['version'] - 1}"}
    _show(as_json, result, lambda: f"{result['id']}: {note[result['status']]} — {result['title']} "
                                   f"({result['characters']} characters, sha256 {result['sha256'][:12]}…)")


@app.command()
@command
def extract(
    document: Annotated[str, typer.Argument(help="A document id in the ledger, or a file (.txt, .md, .html, .pdf).")],
    lang: Annotated[Optional[str], typer.Option(
        "--lang", help="de or en (default: the document's language, else guessed from the text).")] = None,
    draft: Annotated[Optional[Path], typer.Option(
        "--draft", help="Write the candidates as a draft record (forecasts/ format) to this file.")] = None,
    event: Annotated[Optional[list[str]], typer.Option(
        "--event", help="An event and its date for deadlines such as 'nach dem Gipfel': NAME=YYYY-MM-DD. Repeatable.")]
    = None,
    prefer: Annotated[Optional[list[str]], typer.Option(
        "--prefer", help="A scale to prefer when several read a phrase. Repeatable, in order.")] = None,
    scales: ScalesOption = None,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
):
    """List the sentences that may be forecasts, with the estimative words found and the probability a scale
    reads them as (or 'uncovered'). --draft writes them as a record for the analyst to finish and import."""
    from tracker.intake import extract as ex
    from tracker import values
    from tracker.intake import wording

    events = {}
    for item in event or []:
        name, _, day = item.partition("=")
        if not name.strip() or not day:
            raise TrackerError(f"--event {item!r}: write NAME=YYYY-MM-DD")
        events[name.strip()] = values.iso_date(day.strip(), f"--event {name.strip()}")
    loaded = wording.load_scales(scales)
    for name in prefer or []:
        if name not in loaded:
            raise TrackerError(f"--prefer {name!r}: no such scale (have: {', '.join(loaded)})")
    from tracker.ledger import documents

    if Path(document).is_file():
        row, authors, text = (documents.for_file(_open(db, create=False), document) if Path(db).exists()
                              else ex.from_file(document))
    else:
        row, authors, text = documents.stored(_open(db, create=False), document)
    language = lang or (row.get("language") if row.get("language") in wording.LANGUAGES else None) \
        or ex.guess_language(text)
    found = ex.candidates(text, language, scales=loaded, prefer=tuple(prefer or ()),
                          published_on=row.get("published_on"), events=events)
    if draft:
        ex.write_draft(row, found, draft, authors=authors)
    if as_json:
        _print_json({"document": row["id"], "language": language, "draft": str(draft) if draft else None,
                     "candidates": [c.as_dict() for c in found]})
    else:
        typer.echo(ex.format_candidates(found))
        if draft:
            typer.echo(f"Draft written to {draft}: fill in every TODO, then `tracker import {draft}`.")


@scales_app.callback()
@command
def scales_list(
    ctx: typer.Context,
    scales: ScalesOption = None,
    as_json: JsonOption = False,
):
    """List the scales of estimative words: shipped ones and your own (--scales DIR)."""
    from tracker.cli import text as output
    from tracker.intake import wording

    if ctx.invoked_subcommand is not None:
        return
    rows = [s.as_dict(terms=False) for s in wording.load_scales(scales).values()]
    if as_json:
        _print_json(rows)
        return
    for r in rows:
        r["kind"] = "judgement" if r["judgement"] else ("shipped" if r["shipped"] else "user")
    typer.echo(output.table(rows, [("name", "name", ""), ("version", "version", ""), ("language", "lang", ""),
                                   ("n_terms", "terms", ""), ("kind", "kind", ""), ("title", "title", "")]))


@scales_app.command("show")
@command
def scales_show(
    name: Annotated[str, typer.Argument(help="The scale's name, as `tracker scales` lists it.")],
    scales: ScalesOption = None,
    as_json: JsonOption = False,
):
    """Show one scale: its source, and every term with its point value, interval and aliases."""
    from tracker.cli import text as output
    from tracker.intake import wording

    scale = wording.get_scale(name, scales)
    data = scale.as_dict()
    if as_json:
        _print_json(data)
        return
    typer.echo(f"{scale.name} {scale.version} ({scale.language}): {scale.title}")
    typer.echo(f"source: {scale.source}")
    if scale.url:
        typer.echo(f"url: {scale.url}")
    if scale.judgement:
        typer.echo("These values are analysts' judgement, each justified below.")
    if scale.note:
        typer.echo(f"note: {scale.note}")
    rows = [{"term": t["term"], "value": t["value"], "low": t["low"], "high": t["high"],
             "aliases": ", ".join(t["aliases"])} for t in data["terms"]]
    typer.echo(output.table(rows, [("term", "term", ""), ("value", "p", "pct"), ("low", "low", "pct"),
                                   ("high", "high", "pct"), ("aliases", "aliases", "")]))
    for t in data["terms"]:
        if t.get("justification"):
            typer.echo(f"  {t['term']}: {t['justification']}")


@app.command()
@command
def backup(
    dest: Annotated[Path, typer.Argument(help="The file (or directory) to write the copy to.")],
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace DEST if it exists.")] = False,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
):
    """A consistent copy of the database, taken while others may be writing (SQLite's backup API),
    checked with integrity_check before it is put in place."""
    from tracker.ledger import backup as backups

    result = backups.backup(db, dest, overwrite=overwrite)
    _show(as_json, result, lambda: f"Backed up {result['source']} to {result['dest']}: {result['forecasts']} "
                                   f"forecasts, {result['bytes']} bytes, integrity {result['integrity_check']}.")


@app.command()
@command
def publish(
    directory: Annotated[Path, typer.Option(
        "--dir", help="Where to write the snapshot; an earlier snapshot there is replaced.")] = Path("db") / "snapshot",
    target: Annotated[str, typer.Option(
        help="Where it will be served: package (a Docker image), cloudrun, vercel or fly.")] = "package",
    name: Annotated[str, typer.Option(help="Name of the image, service, project or app on the target.")]
    = "tracker-forecasts",
    metadata: Annotated[Optional[Path], typer.Option(
        help="Datasette metadata of your own (a title, a licence) to publish over the site's.")] = None,
    run: Annotated[bool, typer.Option("--run", help="Run the publish command instead of only printing it.")] = False,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
):
    """Make a read-only, immutable snapshot for readers (a consistent copy of the database, its inspect
    file, your own --metadata if any, settings with SQL time and row limits, pinned versions, the tracker
    wheel whose plugin brings the site's metadata) and print, or --run, the
    datasette command that serves or publishes it."""
    import shlex

    from tracker.site import publish as publishing

    _read(db).close()  # a current schema, or a one-line error
    result = publishing.snapshot(db, directory, metadata=metadata, target=target, name=name)
    if as_json:
        _print_json(result)
    else:
        tables = result["database"]["tables"]
        typer.echo(f"Snapshot in {directory}: {', '.join(result['files'])}")
        typer.echo(f"  {tables.get('forecasts', 0)} forecasts, {tables.get('documents', 0)} documents; "
                   f"sha256 {result['database']['sha256'][:12]}…; pins "
                   + ", ".join(f"{k} {v}" for k, v in result["pins"].items()))
        typer.echo(f"Serve it here or on any host of yours (read-only, immutable):\n"
                   f"  cd {shlex.quote(str(directory))} && {result['commands']['serve']}")
        typer.echo(f"Publish it ({target}):\n  cd {shlex.quote(str(directory))} && {result['commands']['publish']}")
    if run:
        publishing.run(shlex.split(result["commands"]["publish"]), directory)


@app.command()
@command
def serve(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8001,
    host: Annotated[str, typer.Option(help="Address to bind (127.0.0.1 keeps it on this machine).")] = "127.0.0.1",
    records_dir: Annotated[Path, typer.Option("--forecasts", help="The record files to build from.")]
    = Path("forecasts"),
    metadata: Annotated[Optional[Path], typer.Option(
        help="Datasette metadata of your own, merged over the site's (which the plugin supplies).")] = None,
    text: Annotated[Optional[list[Path]], typer.Option(
        "--text", help="Document texts to store, matched by SHA-256. Repeatable.")] = None,
    build_only: Annotated[bool, typer.Option("--build-only", help="Build or update the database, don't serve.")]
    = False,
    db: DbOption = DEFAULT_DB,
):
    """Build the database from forecasts/ where it is missing or out of date, then serve it in Datasette.

    It only ever adds to the database: outcomes recorded from the command line and imported tables stay.
    """
    from tracker.ledger.records.load import load_record, record_paths
    from tracker.ledger.records.write import import_records, stale_paths
    from tracker.scores.derived import migrate as migrate_ledger

    if metadata is not None and not metadata.is_file():
        raise TrackerError(f"{metadata}: no metadata file here")
    if db.exists():  # a ledger made by another version: say what is rebuilt, then go on
        migrated = migrate_ledger(db)
        if migrated["scores"] != "current":
            typer.echo(_migrated(migrated), err=True)
    conn = _open(db)
    paths = record_paths([records_dir]) if records_dir.exists() else []
    stale = stale_paths(conn, paths)
    if stale or text:
        result = import_records(conn, [load_record(p) for p in paths], texts=text or [])
        created = sum(c["created"] for c in result.values())
        updated = sum(c["updated"] for c in result.values())
        typer.echo(f"Built {db} from {len(paths)} record file(s): {created} created, {updated} updated.", err=True)
    else:
        typer.echo(f"{db} is up to date with {records_dir}.", err=True)
    conn.close()
    if build_only:
        return
    from tracker.site.publish import LIMITS, setting_args

    args = [sys.executable, "-m", "datasette", "serve", str(db), "--host", host, "--port", str(port),
            *setting_args(LIMITS)]
    if metadata is not None:
        args += ["--metadata", str(metadata)]
    sys.stdout.flush()
    os.execv(sys.executable, args)
