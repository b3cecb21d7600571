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


PolicyOption = Annotated[str | None, typer.Option(
    "--policy", help="How an author's forecasts on one question make their one score on it: time-weighted "
                     "(the default), first, last (the last before the outcome was known) or mean; or forecasts, "
                     "every forecast as published.")]
CsvOption = Annotated[bool, typer.Option("--csv", help="Print the board as CSV instead of a table.")]


def _show(as_json: bool, as_csv: bool, rows, text) -> None:
    from tracker.cli import text as output

    if as_csv:
        typer.echo(output.csv_rows(rows if isinstance(rows, list) else [rows]), nl=False)
    else:
        show(as_json, rows, text)


@app.command()
@command
def score(
    by: Annotated[str, typer.Option(help="Group by author, document, question, topic or horizon.")] = "author",
    policy: PolicyOption = None,
    topic: Annotated[str | None, typer.Option(
        help="With --by author: only questions with this topic, the board fitted on them.")] = None,
    adjusted: Annotated[bool, typer.Option(
        "--adjusted", help="The difficulty-adjusted board (two-way fixed effects over authors and questions).")]
    = False,
    method: Annotated[str, typer.Option(
        help="With --adjusted: tracker (the two-way fixed-effects fit) or forecastbench (ForecastBench's published "
             "leaderboard method: dataset and market halves, averaged).")] = "tracker",
    min_n: Annotated[int | None, typer.Option(
        "--min-n", help="Leave out rows with a smaller n (questions on the author boards; default 3 there, "
                        "1 for the forecast-level groups).")] = None,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
):
    """Scores per group with n and 95 % intervals: Brier (0..1, lower is better), log, skill. By
    author, each question counts once, scored by --policy, with the crowd's aggregates as benchmark
    rows, ranked by a shrinkage estimate with the raw mean beside it (docs/scoring.md)."""
    from tracker.cli import text as output
    from tracker.scores import fair, reports

    conn = open_for_reading(db)
    if by != "author" and (topic or (policy and policy != reports.FORECASTS)):
        raise TrackerError(f"--by {by}: scores every forecast; --policy and --topic go with --by author")
    if adjusted:
        if by != "author":
            raise TrackerError("--adjusted: goes with --by author")
        if topic:
            raise TrackerError("--topic: the adjusted boards are fitted on every topic at once; "
                               "use `tracker score --topic` for one topic's board")
        if method == "forecastbench":
            rows = reports.forecastbench_table(conn, reports.check_policy(policy or "time-weighted"),
                                               min_n=1 if min_n is None else min_n)
            _show(as_json, as_csv, rows, lambda: output.forecastbench(rows))
            return
        if method != "tracker":
            raise TrackerError(f"--method {method!r}: choose tracker or forecastbench")
        if policy and reports.check_policy(policy) != "time-weighted":
            raise TrackerError(f"--policy {policy}: the difficulty-adjusted board is fitted on the time-weighted "
                               "scores only (--method forecastbench takes any policy)")
        rows = reports.adjusted_table(conn, min_n=fair.DEFAULT_MIN_N if min_n is None else min_n)
        _show(as_json, as_csv, rows, lambda: output.adjusted(rows))
    elif by == "author" and (policy or "time-weighted") != reports.FORECASTS:
        rows = reports.policy_table(conn, reports.check_policy(policy or "time-weighted"),
                                    min_n=fair.DEFAULT_MIN_N if min_n is None else min_n, topic=topic)
        _show(as_json, as_csv, rows, lambda: output.policy_board(rows))
    else:
        if topic:
            raise TrackerError("--topic: goes with a policy (--policy forecasts has no per-topic author board)")
        rows = reports.score_table(conn, by, min_n=1 if min_n is None else min_n)
        _show(as_json, as_csv, rows, lambda: output.scores(by, rows))


@app.command()
@command
def calibration(
    author: Annotated[str | None, typer.Option(help="Only this author's forecasts (id or name).")] = None,
    document: Annotated[str | None, typer.Option(help="Only forecasts from this document id.")] = None,
    topic: Annotated[str | None, typer.Option(help="Only forecasts on questions with this topic.")] = None,
    bins: Annotated[int, typer.Option(help="Number of equal-width probability bins.")] = 10,
    policy: PolicyOption = None,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
):
    """Calibration table (n, mean forecast, observed frequency with a Wilson 95 % interval per bin),
    the Murphy decomposition with Stephenson's within-bin terms, the Yates decomposition and ROC AUC.
    Under a policy each (author, question) is one forecast; --policy forecasts takes every forecast."""
    from tracker.cli import text as output
    from tracker.scores import reports

    result = reports.calibration(open_for_reading(db), author=author, document=document, topic=topic, bins=bins,
                                 policy=policy or "time-weighted")
    if as_csv:
        typer.echo(output.csv_rows(result["bins"]), nl=False)
    else:
        show(as_json, result, lambda: output.calibration(result))


@app.command()
@command
def compare(
    author_a: Annotated[str, typer.Argument(help="Author A (id or name).")],
    author_b: Annotated[str, typer.Argument(help="Author B (id or name).")],
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap, so the interval can be reproduced.")] = 0,
    samples: Annotated[int, typer.Option(help="Bootstrap resamples of the common questions.")] = 10000,
    policy: PolicyOption = None,
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
):
    """A against B on the questions both answered, each scored once per question by --policy: mean
    Brier difference (A − B) with a bootstrap and a paired-t 95 % interval and a p-value."""
    from tracker.cli import text as output
    from tracker.scores import reports

    result = reports.compare(open_for_reading(db), author_a, author_b, seed=seed, n_boot=samples,
                             policy=policy or "time-weighted")
    _show(as_json, as_csv, {k: v for k, v in result.items() if k != "questions"} if as_csv else result,
          lambda: output.comparison(result))


@app.command()
@command
def sensitivity(
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
):
    """How each author's Brier and rank depend on how their words were read: at the ends of each
    forecast's interval and under every scale of estimative words that covers the phrase."""
    from tracker.cli import text as output
    from tracker.scores import reports

    rows = reports.sensitivity_table(open_for_reading(db))
    _show(as_json, as_csv, rows, lambda: output.sensitivity(rows))


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
