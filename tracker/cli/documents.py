"""Commands for documents and their words: add a document, find its forecasts, and the scales of
estimative words."""

from __future__ import annotations

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
)
from tracker.errors import TrackerError

document_app = typer.Typer(help="Documents: add a brief (.txt, .md, .html, .pdf) or a new version of one.",
                            no_args_is_help=True, rich_markup_mode=None)
app.add_typer(document_app, name="document")
scales_app = typer.Typer(help="Scales of estimative words: list them, or show one with `scales show NAME`.",
                         invoke_without_command=True, rich_markup_mode=None)
app.add_typer(scales_app, name="scales")
ScalesOption = Annotated[Path | None, typer.Option(
    "--scales", envvar="TRACKER_SCALES", help="A directory of your own scale files (*.yml), added to the shipped ones "
                                              "(env TRACKER_SCALES).")]


@document_app.command("add")
@command
def document_add(
    file: Annotated[Path | None, typer.Argument(
        help="The document: .txt, .md, .html or .pdf. Metadata may also come from FILE.meta.yml beside it, or "
             "from the file itself. Leave it out to add a document by --url.")] = None,
    id: Annotated[str | None, typer.Option("--id", help="The document's id (default: the document these bytes "
                                                        "already are, else one with this --url, else a slug of the "
                                                        "title for a new document). A new version of a document "
                                                        "names it here: a title never decides that.")] = None,
    title: Annotated[str | None, typer.Option(help="Title (default: from the side file or the file).")] = None,
    publisher: Annotated[str | None, typer.Option(help="Publisher, e.g. the think tank.")] = None,
    published_on: Annotated[str | None, typer.Option(
        "--published-on", help="Publication date: YYYY-MM-DD or words such as '26. Februar 2019'.")] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="Language, ISO 639-1 (de, en, ...).")] = None,
    url: Annotated[str | None, typer.Option(
        help="Where the document is published. Without FILE, the document is fetched from it (HTML, PDF or "
             "text) and stored as a file would be.")] = None,
    no_fetch: Annotated[bool, typer.Option(
        "--no-fetch", help="With --url and no FILE: record the document by its URL and --title alone, without "
                           "its text (a statement, a paywalled report).")] = False,
    author: Annotated[list[str] | None, typer.Option(
        "--author", help="An author's name, in byline order; an institution can be one. A document needs one, "
                         "here or in the file's metadata. Repeatable.")] = None,
    affiliation: Annotated[list[str] | None, typer.Option(
        "--affiliation", help="With --no-fetch: the affiliation of the --author at the same position. "
                              "Repeatable.")] = None,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
):
    """Add a document to the ledger: its cleaned text, SHA-256 and metadata, in one transaction. The same
    file again changes nothing; a changed file under the same id is recorded as a new version. Without a
    FILE, --url fetches it, or with --no-fetch records it by its URL and title alone."""
    from tracker.intake import dates
    from tracker.ledger import documents

    day = dates.parse_date(published_on, "--published-on") if published_on else None
    if file is None and url is None:
        raise TrackerError("give the document: a FILE, or its --url")
    if no_fetch or affiliation:
        if file is not None or not no_fetch:
            raise TrackerError("--no-fetch, --affiliation: go with --url and no FILE")
        from tracker.ledger import adding

        made = adding.add_statement(open_for_writing(db), url or "", title or "", author or [], id=id,
                                    affiliations=affiliation or [], publisher=publisher, published_on=day,
                                    language=lang)
        verb = {"created": "added by its URL, without its text", "unchanged": "unchanged (same URL)"}[made["status"]]
        show(as_json, made, lambda: f"{made['id']}: {verb} — {made['title']}")
        return
    if file is None:
        from tracker import values
        from tracker.intake import fetch

        with fetch.fetched(values.url(url, "--url")) as fetched:
            result = documents.add_document(open_for_writing(db), fetched, source=url, id=id, title=title,
                                            publisher=publisher, published_on=day, language=lang, url=url,
                                            authors=author or None)
    else:
        result = documents.add_document(open_for_writing(db), file, id=id, title=title, publisher=publisher,
                                        published_on=day, language=lang, url=url, authors=author or None)
    note = {"created": "added", "unchanged": "unchanged (same SHA-256)", "updated": "metadata or text filled in",
            "revised": f"new version {result['version']}, replacing version {result['version'] - 1}"}
    show(as_json, result, lambda: f"{result['id']}: {note[result['status']]} — {result['title']} "
                                   f"({result['characters']} characters, sha256 {result['sha256'][:12]}…)")


@app.command("documents")
@command
def documents_(
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
):
    """List the documents, oldest first. Each with its id, title, publisher, publication date,
    language, authors and how many forecasts it holds."""
    from tracker.cli import text as output
    from tracker.ledger import listing

    rows = listing.documents(open_for_reading(db))
    show(as_json, rows, lambda: output.documents(rows))


@app.command()
@command
def extract(
    document: Annotated[str, typer.Argument(help="A document id in the ledger, or a file (.txt, .md, .html, .pdf).")],
    lang: Annotated[str | None, typer.Option(
        "--lang", help="de or en (default: the document's language, else guessed from the text).")] = None,
    draft: Annotated[Path | None, typer.Option(
        "--draft", help="Write the candidates as a draft record (forecasts/ format) to this file.")] = None,
    event: Annotated[list[str] | None, typer.Option(
        "--event", help="An event and its date for deadlines such as 'nach dem Gipfel': NAME=YYYY-MM-DD. Repeatable.")]
    = None,
    prefer: Annotated[list[str] | None, typer.Option(
        "--prefer", help="A scale to prefer when several read a phrase. Repeatable, in order.")] = None,
    scales: ScalesOption = None,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
):
    """List the sentences that may be forecasts, with the estimative words found and the probability a scale
    reads them as (or 'uncovered'). --draft writes them as a record for the analyst to finish and import."""
    from tracker import values
    from tracker.intake import extract as ex
    from tracker.intake import wording

    events: dict[str, object] = {}  # names -> dates, as extract.candidates takes them
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
        row, authors, text = (documents.for_file(open_for_writing(db, create=False), document) if Path(db).exists()
                              else ex.from_file(document))
    else:
        row, authors, text = documents.stored(open_for_writing(db, create=False), document)
    language = lang or (row.get("language") if row.get("language") in wording.LANGUAGES else None) \
        or ex.guess_language(text)
    found = ex.candidates(text, language, scales=loaded, prefer=tuple(prefer or ()),
                          published_on=row.get("published_on"), events=events)
    if draft:
        ex.write_draft(row, found, draft, authors=authors)
    if as_json:
        print_json({"document": row["id"], "language": language, "draft": str(draft) if draft else None,
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
        print_json(rows)
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
        print_json(data)
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


@scales_app.command("lookup")
@command
def scales_lookup(
    phrase: Annotated[str, typer.Argument(help="The words, e.g. 'likely', 'dürfte kaum', 'a real possibility'.")],
    scales: ScalesOption = None,
    as_json: JsonOption = False,
):
    """Show how every scale, in any language, reads a phrase: the term it takes the words as, its
    point value and interval (negation read as the complement). The readings a sensitivity
    analysis varies."""
    from tracker.cli import text as output
    from tracker.intake import wording

    loaded = wording.load_scales(scales)
    rows = [{"scale": m.scale, "version": m.version, "language": loaded[m.scale or ""].language, "term": m.term,
             "phrase": m.phrase, "value": m.value, "low": m.low, "high": m.high, "negated": m.negated,
             "judgement": m.judgement} for m in wording.readings(phrase, scales=loaded)]
    if as_json:
        print_json(rows)
        return
    if not rows:
        typer.echo(f"No scale reads {phrase!r}. `tracker scales` lists them; --scales DIR adds your own.")
        return
    for r in rows:
        r["how"] = ", ".join(w for w, on in (("negated", r["negated"]), ("judgement", r["judgement"])) if on)
    typer.echo(output.table(rows, [("scale", "scale", ""), ("language", "lang", ""), ("term", "term", ""),
                                   ("value", "p", "pct"), ("low", "low", "pct"), ("high", "high", "pct"),
                                   ("how", "note", "")]))
