"""Commands that record one thing at a time: a forecast with everything it needs, a question and an
author (tracker.ledger.adding). `document add` is in tracker.cli.documents."""

from __future__ import annotations

from typing import Annotated

import typer

from tracker.cli.app import DEFAULT_DB, DbOption, JsonOption, app, command, open_for_writing, show
from tracker.errors import TrackerError

forecast_app = typer.Typer(help="Forecasts: record one with `forecast add`, with its question, authors and document.",
                           no_args_is_help=True, rich_markup_mode=None)
app.add_typer(forecast_app, name="forecast")
question_app = typer.Typer(help="Questions: record one with `question add`.", no_args_is_help=True,
                           rich_markup_mode=None)
app.add_typer(question_app, name="question")
author_app = typer.Typer(help="Authors: record one (a person or an institution) with `author add`.",
                         no_args_is_help=True, rich_markup_mode=None)
app.add_typer(author_app, name="author")

NoteOption = Annotated[str | None, typer.Option(
    "--change-note", help="Why: kept in the audit trail with every change made.")]
SamePersonOption = Annotated[bool, typer.Option(
    "--same-person", help="A name whose id is already another name's author is that author (kept in "
                          "author_aliases); without it, that is an error.")]
DATE_HELP = "YYYY-MM-DD, an ISO 8601 time with a zone, or words such as '26. Februar 2019'"


def _when(value: str | None, where: str) -> str | None:
    if value is None:
        return None
    from tracker.intake import dates

    return dates.parse_date(value, where)


@forecast_app.command("add")
@command
def forecast_add(
    question: Annotated[str, typer.Argument(help="The question's id: one in the ledger, or a new one with --title.")],
    author: Annotated[list[str], typer.Option(
        "--author", help="An author's id or name, in byline order; an institution can be one. Names make ids as "
                         "tables do. Repeatable.")],
    stated: Annotated[str | None, typer.Option(
        "--stated", help="The probability the author wrote: in [0, 1], or a percentage such as 70%.")] = None,
    scale: Annotated[str | None, typer.Option(
        "--scale", help="Read --phrase by this scale of words (`tracker scales`): it gives the probability and "
                        "interval.")] = None,
    analyst: Annotated[str | None, typer.Option(
        "--analyst", help="The analyst's own reading of the words, in [0, 1]; needs --reasoning.")] = None,
    low: Annotated[str | None, typer.Option("--low", help="Low end of the plausible reading (with --high).")]
    = None,
    high: Annotated[str | None, typer.Option("--high", help="High end of the plausible reading (with --low).")]
    = None,
    reasoning: Annotated[str | None, typer.Option(help="Why the words were read as this number and question.")]
    = None,
    phrase: Annotated[str | None, typer.Option(help="The author's own estimative words, e.g. 'zu erwarten'.")]
    = None,
    quote: Annotated[str | None, typer.Option(
        help="The exact passage; checked against the document's text where it is stored.")] = None,
    location: Annotated[str | None, typer.Option(help="Where a reader finds the passage, e.g. 'Fazit, paragraph 2'.")]
    = None,
    made_on: Annotated[str | None, typer.Option(
        "--made-on", help=f"When the forecast was made: {DATE_HELP}. Default: the document's date.")] = None,
    document: Annotated[str | None, typer.Option(
        "--document", help="The document it is in: an id in the ledger, or with --url the id to give a new one.")]
    = None,
    url: Annotated[str | None, typer.Option(
        "--url", help="The document by its URL: the one recorded with it, else a new one without a file (a "
                      "statement, a news report); its authors are the forecast's.")] = None,
    document_title: Annotated[str | None, typer.Option(
        "--document-title", help="A new --url document's title.")] = None,
    publisher: Annotated[str | None, typer.Option(help="A new --url document's publisher.")] = None,
    published_on: Annotated[str | None, typer.Option(
        "--published-on", help=f"A new --url document's date: {DATE_HELP}.")] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="A new --url document's language (de, en, ...).")]
    = None,
    title: Annotated[str | None, typer.Option(
        help="A new question's text: neutral, resolvable, in English. Creates the question.")] = None,
    criteria: Annotated[str | None, typer.Option(help="A new question's criteria: yes if …; no if ….")] = None,
    resolve_by: Annotated[str | None, typer.Option("--resolve-by", help=f"A new question's deadline: {DATE_HELP}.")]
    = None,
    topic: Annotated[list[str] | None, typer.Option("--topic", help="A new question's topic. Repeatable.")] = None,
    affiliation: Annotated[list[str] | None, typer.Option(
        "--affiliation", help="The affiliation of the --author at the same position, for a new author or one "
                              "recorded without one. Repeatable.")] = None,
    id: Annotated[str | None, typer.Option(
        "--id", help="The forecast's id (default: DOCUMENT-NN, or QUESTION-AUTHOR-DATE without a document).")] = None,
    coded_by: Annotated[str | None, typer.Option(
        "--coded-by", help="Who read the words (default: $TRACKER_ANALYST or the login name, unless stated).")]
    = None,
    conditional_on: Annotated[str | None, typer.Option(
        "--conditional-on", help="The forecast this one is conditional on.")] = None,
    note: Annotated[str | None, typer.Option(help="A note kept with the forecast.")] = None,
    same_person: SamePersonOption = False,
    change_note: NoteOption = None,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
):
    """Record one forecast on a yes-no question, with whatever it needs that is new (its question,
    authors, a document given by URL), in one transaction. Give the reading one way: --stated P,
    --scale NAME with --phrase, or --analyst P with --reasoning."""
    from tracker.ledger import adding

    given = [m for m, v in (("--stated", stated), ("--scale", scale), ("--analyst", analyst)) if v is not None]
    if len(given) != 1:
        raise TrackerError("give the reading one way: --stated P, --scale NAME (with --phrase) or --analyst P "
                           "--reasoning TEXT" + (f", not {' and '.join(given)}" if given else ""))
    if scale is not None and (low is not None or high is not None):
        raise TrackerError("--low, --high: a scale gives the interval; leave them out, or use --analyst")
    from tracker import values

    number = stated if stated is not None else analyst
    reading = adding.Reading(
        method="stated" if stated is not None else "scale" if scale else "analyst",
        probability=values.probability(number, given[0]) if number is not None else None,
        low=values.probability(low, "--low") if low is not None else None,
        high=values.probability(high, "--high") if high is not None else None, scale=scale, reasoning=reasoning)
    new_question = None
    if title is not None:
        new_question = adding.NewQuestion(title, criteria, _when(resolve_by, "--resolve-by"), topic or [])
    elif criteria is not None or resolve_by is not None or topic:
        raise TrackerError("--criteria, --resolve-by, --topic: go with --title, for a new question")
    new_document = None
    if url is not None:
        new_document = adding.NewDocument(url, document_title, publisher, _when(published_on, "--published-on"),
                                          lang)
    elif document_title or publisher or published_on or lang:
        raise TrackerError("--document-title, --publisher, --published-on, --lang: go with --url, for a new document")
    result = adding.add_forecast(
        open_for_writing(db), question, author, reading, id=id, affiliations=affiliation or [], document=document,
        new_document=new_document, new_question=new_question, made_on=_when(made_on, "--made-on"), phrase=phrase,
        quote=quote, location=location, coded_by=coded_by, conditional_on=conditional_on, note=note,
        same_person=same_person, change_note=change_note)

    def text() -> str:
        interval = (f" [{result['interval_low']:g}, {result['interval_high']:g}]"
                    if result["interval_low"] is not None else "")
        how = f"{result['method']}" + (f": {result['scale']} {result['scale_version']}" if result["scale"] else "")
        return (f"Recorded {result['id']}: {result['probability']:g}{interval} ({how}) on {result['question_id']} "
                f"by {', '.join(result['authors'])}, made {result['made_on']}")

    show(as_json, result, text)


@question_app.command("add")
@command
def question_add(
    id: Annotated[str, typer.Argument(help="The question's id, as forecasts will name it.")],
    title: Annotated[str, typer.Option(help="The question: neutral, resolvable, in English.")],
    criteria: Annotated[str | None, typer.Option(help="How it resolves: yes if …; no if ….")] = None,
    resolve_by: Annotated[str | None, typer.Option("--resolve-by", help=f"The deadline: {DATE_HELP}.")] = None,
    topic: Annotated[list[str] | None, typer.Option("--topic", help="A topic. Repeatable.")] = None,
    option: Annotated[list[str] | None, typer.Option(
        "--option", help="An option of a multiple-choice question (two or more). Repeatable.")] = None,
    note: Annotated[str | None, typer.Option(help="A note kept with the question.")] = None,
    change_note: NoteOption = None,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
):
    """Record a question: yes-no, or multiple-choice with --option. The same question again changes
    nothing; another one under the same id is refused."""
    from tracker.ledger import adding

    result = adding.add_question(open_for_writing(db), id, title, criteria=criteria,
                                 resolve_by=_when(resolve_by, "--resolve-by"), topics=topic or [],
                                 options=option or [], note=note, change_note=change_note)
    verb = "Recorded" if result["status"] == "created" else "Unchanged:"
    show(as_json, result, lambda: f"{verb} {result['id']}: {result['title']}"
                                  + (f" (resolve by {result['resolve_by']})" if result["resolve_by"] else ""))


@author_app.command("add")
@command
def author_add(
    name: Annotated[str, typer.Argument(help="The author's name, or an institution's.")],
    id: Annotated[str | None, typer.Option("--id", help="The author's id (default: the one the name makes, as "
                                                        "in tables: 'Bernt Berger' → bernt-berger).")] = None,
    affiliation: Annotated[str | None, typer.Option(help="Where they work; changes a recorded one.")] = None,
    same_person: SamePersonOption = False,
    change_note: NoteOption = None,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
):
    """Record an author, or give one a new affiliation. A name that would make the id of an author of
    another name is refused, unless --same-person says it is theirs."""
    from tracker.ledger import adding

    result = adding.add_author(open_for_writing(db), name, id=id, affiliation=affiliation,
                               same_person=same_person, note=change_note)
    verb = {"created": "Recorded", "updated": "Updated", "unchanged": "Unchanged:"}[result["status"]]
    show(as_json, result, lambda: f"{verb} {result['id']}: {result['name']}"
                                  + (f" ({result['affiliation']})" if result["affiliation"] else ""))
