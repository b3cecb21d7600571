"""Commands that record: import files, resolve and un-resolve questions, read their history,
export the ledger back to files, back it up and migrate it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from tracker.cli.app import (
    DEFAULT_DB,
    DbOption,
    JsonOption,
    app,
    command,
    open_for_reading,
    open_for_writing,
    print_json,
    show,
    stages_shown,
)
from tracker.errors import TrackerError
from tracker.imports import adapters


@app.command("import")
@command
def import_(
    paths: Annotated[list[Path], typer.Argument(help="Record files (.yml) or directories of them; "
                                                "with --kind, CSV or JSONL tables.")],
    kind: Annotated[str, typer.Option(help="record (YAML files), forecasts or outcomes (flat .csv/.jsonl tables), "
                                           f"or an adapter's format: {adapters.described()}; the adapters' "
                                           "mappings are in docs/adapters/.")]
    = "record",
    text: Annotated[list[Path] | None, typer.Option(
        "--text", help="A document's full text to store; matched to its document by SHA-256. Repeatable.")] = None,
    note: Annotated[str | None, typer.Option(help="Why: kept in the audit trail with every change made.")] = None,
    skip_invalid: Annotated[bool, typer.Option(
        "--skip-invalid", help="Tables and adapters: report each bad row (FILE:LINE: reason, on stderr or in the "
                               "--json summary) and import the rest, instead of stopping at the first.")] = False,
    same_person: Annotated[list[str] | None, typer.Option(
        "--same-person", help="Tables and adapters: NAME=AUTHOR_ID says that rows naming NAME are that author's "
                              "(two names that would make one id are otherwise an error). Kept in author_aliases. "
                              "Repeatable.")] = None,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
):
    """Import curated records or flat tables, in one transaction (all or nothing). Importing the same
    input again changes nothing. Tables show a progress bar on a terminal and a summary: rows read,
    created, updated, unchanged and rejected."""
    from tracker.cli import text as output
    from tracker.imports import dispatch, progress
    from tracker.ledger.records.load import load_record, record_paths
    from tracker.ledger.records.write import import_records

    conn = open_for_writing(db)
    on_terminal = not as_json and sys.stderr.isatty()
    late_before = set() if as_json else _late(conn)
    if kind == "record":
        if skip_invalid:
            raise TrackerError("--skip-invalid: goes with tables, not with record files")
        if same_person:
            raise TrackerError("--same-person: goes with tables and adapters; a record names its authors by id")
        recs = [load_record(p) for p in record_paths(paths)]
        with stages_shown(on_terminal):
            result = import_records(conn, recs, texts=text or [], note=note)
    elif kind in dispatch.KINDS:
        if text:
            raise TrackerError("--text: goes with record files, not with tables")
        from tracker.ledger.aliases import parse_same_person

        declared = [parse_same_person(s) for s in same_person or []]
        with stages_shown(on_terminal):
            result = dispatch.import_files(
                conn, paths, kind, note=note, skip_invalid=skip_invalid,
                on_reject=None if as_json else (lambda message: typer.echo(f"Rejected: {message}", err=True)),
                progress_bar=on_terminal, same_person=declared)
        show(as_json, result, lambda: progress.summary_text(result))
        _say_late(conn, as_json, late_before)
        return
    else:
        raise TrackerError(f"--kind {kind!r}: choose record, {', '.join(dispatch.KINDS)}")
    show(as_json, result, lambda: output.import_summary(result))
    _say_late(conn, as_json, late_before)


def _late(conn) -> set[str]:
    from tracker.scores import reports

    return reports.late_ids(conn)


def _say_late(conn, as_json: bool, before: set[str]) -> None:
    """The late forecasts (made once their outcome was known: kept, never scored) that this import
    made: forecasts it added after their outcome, or older ones an outcome it added came before."""
    if as_json:  # scripts read the counts; the late forecasts are read from the whole ledger (90 ms at 100k)
        return
    now = _late(conn)
    new = len(now - before)
    if new:
        typer.echo(f"late: {new} forecast(s) made once their outcome was known, by this import ({len(now)} in the "
                   "ledger): kept, not scored (`tracker score` counts them per author)")


@app.command()
@command
def resolve(
    question_id: Annotated[str, typer.Argument(help="The question's id.")],
    outcome: Annotated[str, typer.Option(
        "--outcome", help="yes, no or annulled (also 1, 0, true, false); for a multiple-choice question, an option.")],
    on: Annotated[str | None, typer.Option(
        "--on", help="When the outcome became known: YYYY-MM-DD, an ISO 8601 time with a zone, or words like "
                     "'28 February 2019'. Default: today.")]
    = None,
    evidence: Annotated[list[str] | None, typer.Option(
        "--evidence", help="A link to the evidence. Repeatable.")] = None,
    summary: Annotated[list[str] | None, typer.Option(
        "--summary", help="What the evidence shows, in your words; one per --evidence, in order.")] = None,
    note: Annotated[str | None, typer.Option(help="Any judgement call behind the outcome.")] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who records it (default: $TRACKER_ANALYST or login name).")]
    = None,
    correct: Annotated[bool, typer.Option(
        "--correct", help="Correct the outcome in force; the earlier record is kept in the history.")] = False,
    accept_date: Annotated[bool, typer.Option(
        "--accept-date", help="Record a date that is in the future or before the question's first forecast, "
                              "which is otherwise refused; --note says why it is right.")] = False,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
):
    """Record what happened to a question, or (--correct) correct it. Scores update at once."""
    from tracker import values
    from tracker.ledger import outcomes

    day = None
    if on:
        from tracker.intake import (
            dates,  # its patterns take a few ms to build: only when a date is given
        )

        day = dates.parse_date(on, "--on")
    links = [values.url(u, "--evidence") for u in evidence or []]
    if summary and len(summary) != len(links):
        raise TrackerError(f"--summary: given {len(summary)} times for {len(links)} --evidence links")
    ev = [{"url": u, "summary": summary[i] if summary else None} for i, u in enumerate(links)]
    conn = open_for_writing(db, create=False)
    row = outcomes.resolve(conn, question_id, outcome, resolved_on=day, evidence=ev, note=note,
                           recorded_by=by, correct=correct, accept_date=accept_date)
    verb = "Corrected" if correct else "Resolved"
    show(as_json, row, lambda: f"{verb} {question_id}: {row['outcome']} (known {row['resolved_on']})")


@app.command()
@command
def unresolve(
    question_id: Annotated[str, typer.Argument(help="The question's id.")],
    note: Annotated[str | None, typer.Option(help="Why the outcome is withdrawn.")] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who records it (default: $TRACKER_ANALYST or login name).")]
    = None,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
):
    """Withdraw a question's outcome (kept in the history); its forecasts become unscored."""
    from tracker.ledger import outcomes

    row = outcomes.unresolve(open_for_writing(db, create=False), question_id, note=note, recorded_by=by)
    show(as_json, row, lambda: f"Un-resolved {question_id}; it is open again.")


@app.command()
@command
def history(
    record_id: Annotated[str, typer.Argument(help="A question's id (its outcome log), or any document, "
                                             "question, forecast or author id (with --changes).")],
    changes: Annotated[bool, typer.Option(
        "--changes", help="Show the audit trail: every change to the record, old and new values, who and why.")]
    = False,
    kind: Annotated[str | None, typer.Option(
        help="question, forecast, document or author, where an id names more than one.")] = None,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
):
    """Every outcome ever recorded for a question, oldest first, and which one is in force; or, with
    --changes (or for an id that is not a question), every change ever made to the record."""
    from tracker.cli import text as output
    from tracker.ledger import audit, outcomes

    conn = open_for_reading(db)
    if kind is not None and kind not in audit.KINDS:
        raise TrackerError(f"--kind {kind!r}: choose one of {', '.join(audit.KINDS)}")
    is_question = (kind in (None, "question")) and bool(list(conn.query("select 1 from questions where id = ?",
                                                                        [record_id])))
    if is_question and not changes:
        rows = outcomes.history(conn, record_id)
        show(as_json, rows, lambda: output.history(record_id, rows))
    else:
        rows = audit.record_changes(conn, record_id, kind)
        show(as_json, rows, lambda: output.changes(record_id, rows))


@app.command()
@command
def questions(
    open_only: Annotated[bool, typer.Option("--open", help="Only open questions: no outcome in force.")] = False,
    due: Annotated[bool, typer.Option(
        "--due", help="Only questions due: open and past their resolve-by date (as of today, or --as-of).")] = False,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="With --due: the day to judge by instead of today, YYYY-MM-DD or words.")] = None,
    search: Annotated[str | None, typer.Option(
        help="Only questions whose title or criteria match this full-text (FTS5) query, best match first, "
             "e.g. 'sanctions' or 'summit AND declaration'.")] = None,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
):
    """List the questions: all, open, due or matching a search. Each with its id, title, resolve-by
    date, outcome in force (or open), and how many forecasts and authors it has; soonest due first,
    or best match first when searching."""
    import datetime as dt

    from tracker.cli import text as output
    from tracker.ledger import listing

    if as_of is not None and not due:
        raise TrackerError("--as-of: goes with --due")
    due_on = None
    if due:
        from tracker.intake import dates

        due_on = dates.parse_date(as_of, "--as-of") if as_of else dt.date.today().isoformat()
    rows = listing.questions(open_for_reading(db), open_only=open_only, due_on=due_on, search=search)
    show(as_json, rows, lambda: output.questions(rows))


@app.command()
@command
def export(
    directory: Annotated[Path, typer.Argument(help="Where to write the record files (e.g. forecasts/).")],
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
):
    """Write the database back as record files, one per document, including the whole outcome history."""
    from tracker.ledger.records.export import export_records

    written = export_records(open_for_reading(db), directory)
    if as_json:
        print_json([str(p) for p in written])
    else:
        for p in written:
            typer.echo(f"wrote {p}")


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
    show(as_json, result, lambda: f"Backed up {result['source']} to {result['dest']}: {result['forecasts']} "
                                   f"forecasts, {result['bytes']} bytes, integrity {result['integrity_check']}.")


@app.command()
@command
def migrate(
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
):
    """Bring a ledger made by another version of tracker up to date: apply its pending schema steps,
    and rebuild its score tables from the ledger if their definition changed (a full rescore, in
    one transaction). Other commands refuse a ledger whose score tables are out of date."""
    from tracker.cli import text as output
    from tracker.scores.derived import migrate as migrate_ledger

    result = migrate_ledger(db)
    show(as_json, result, lambda: output.migrated(result))

