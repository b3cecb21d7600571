"""Commands that read forecasts and scores: list forecasts, score boards, calibration, head to
head, sensitivity to the reading of the words, and a full rescore."""

from __future__ import annotations

import sys
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
    show,
    stages_shown,
)
from tracker.errors import TrackerError


@app.command()
@command
def forecasts(
    author: Annotated[str | None, typer.Option(help="Only this author's forecasts (id or name).")] = None,
    question: Annotated[str | None, typer.Option(help="Only forecasts on this question id.")] = None,
    document: Annotated[str | None, typer.Option(help="Only forecasts from this document id.")] = None,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
):
    """One row per forecast: probability, outcome and Brier score (0..1)."""
    from tracker.cli import text as output
    from tracker.scores import reports

    rows = reports.list_forecasts(open_for_reading(db), author=author, question=question, document=document)
    show(as_json, rows, lambda: output.forecasts(rows))


@app.command()
@command
def authors(
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
):
    """List the authors, with their documents and forecasts. Each with its id, name, affiliation, how
    many documents and forecasts carry it, and how many of its forecasts are scored (the n of
    `tracker score`)."""
    from tracker.cli import text as output
    from tracker.scores import reports

    rows = reports.authors(open_for_reading(db))
    show(as_json, rows, lambda: output.authors(rows))


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

    conn = open_for_reading(db)
    if adjusted:
        if by != "author":
            raise TrackerError("--adjusted: goes with --by author")
        rows = reports.adjusted_table(conn, min_n=min_n)
        show(as_json, rows, lambda: output.adjusted(rows))
    else:
        rows = reports.score_table(conn, by, min_n=min_n)
        show(as_json, rows, lambda: output.scores(by, rows))


@app.command()
@command
def calibration(
    author: Annotated[str | None, typer.Option(help="Only this author's forecasts (id or name).")] = None,
    document: Annotated[str | None, typer.Option(help="Only forecasts from this document id.")] = None,
    topic: Annotated[str | None, typer.Option(help="Only forecasts on questions with this topic.")] = None,
    bins: Annotated[int, typer.Option(help="Number of equal-width probability bins.")] = 10,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
):
    """Calibration table (n, mean forecast, observed frequency with a Wilson 95 % interval per bin),
    the Murphy decomposition with Stephenson's within-bin terms, the Yates decomposition and ROC AUC."""
    from tracker.cli import text as output
    from tracker.scores import reports

    result = reports.calibration(open_for_reading(db), author=author, document=document, topic=topic, bins=bins)
    show(as_json, result, lambda: output.calibration(result))


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

    result = reports.compare(open_for_reading(db), author_a, author_b, seed=seed, n_boot=samples)
    show(as_json, result, lambda: output.comparison(result))


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

    rows = reports.sensitivity_table(open_for_reading(db))
    show(as_json, rows, lambda: output.sensitivity(rows))


@app.command()
@command
def rescore(
    note: Annotated[str | None, typer.Option(help="Why: kept in the audit trail (a rescore changes only "
                                                  "derived score tables, so normally nothing is kept).")] = None,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
):
    """Recompute every score table from the ledger in one transaction, and report how long it took.
    Each write already keeps the scores current, and a full rescore gives identical tables; it
    also refits the difficulty-adjusted board, which single outcomes on a large ledger leave stale."""
    from tracker.scores import derived

    conn = open_for_writing(db, create=False)
    with stages_shown(not as_json and sys.stderr.isatty()):
        result = derived.rescore(conn, note)
    show(as_json, result,
         lambda: f"Rescored {result['scored']} of {result['forecasts']} forecasts in {result['seconds']:.2f} s.")
