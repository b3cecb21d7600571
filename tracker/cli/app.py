"""The typer app and what every command shares: the options for the ledger and for JSON, opening the
ledger, one-line errors, printing."""

from __future__ import annotations

import contextlib
import functools
import json
import sqlite3
from pathlib import Path
from typing import Annotated

import typer

from tracker import __version__
from tracker.errors import TrackerError
from tracker.inputs import check_argument

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
            for name, value in kwargs.items():  # every command's values, checked in one place
                check_argument(name.replace("_", "-"), value)
            return fn(*args, **kwargs)
        except TrackerError as e:
            typer.echo(f"Error: {e}", err=True)
            raise typer.Exit(1) from None
        except sqlite3.Error as e:  # name the ledger ("database is locked" says not which)
            typer.echo(f"Error: {kwargs.get('db') or 'database'}: {e}", err=True)
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


def open_for_writing(db_path: Path, create: bool = True):
    """Open for a command that writes: every write keeps the score tables current."""
    from tracker.scores.derived import open_db

    return open_db(db_path, create=create)


def open_for_reading(db_path: Path):
    """Open for a command that only reads: a read-only file (a published snapshot) will do."""
    from tracker.scores.derived import open_db

    return open_db(db_path, create=False, write=False)


def print_json(data) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def show(as_json: bool, data, text) -> None:
    """JSON for scripts, or the text for people; `text` is called only when it is wanted, because
    formatting for people may add display-only fields to the rows."""
    if as_json:
        print_json(data)
    else:
        typer.echo(text())


@contextlib.contextmanager
def stages_shown(enabled: bool):
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
