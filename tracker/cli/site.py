"""Commands for readers' site: serve the ledger in Datasette, and publish a read-only snapshot."""

from __future__ import annotations

import os
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
)


@app.command()
@command
def publish(
    directory: Annotated[Path, typer.Option(
        "--dir", help="Where to write the snapshot; an earlier snapshot there is replaced.")] = Path("db") / "snapshot",
    target: Annotated[str, typer.Option(
        help="Where it will be served: package (a Docker image), cloudrun, vercel or fly.")] = "package",
    name: Annotated[str, typer.Option(help="Name of the image, service, project or app on the target.")]
    = "tracker-forecasts",
    metadata: Annotated[Path | None, typer.Option(
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

    open_for_reading(db).close()  # a current schema, or a one-line error
    result = publishing.snapshot(db, directory, metadata=metadata, target=target, name=name)
    if as_json:
        print_json(result)
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
    metadata: Annotated[Path | None, typer.Option(
        help="Datasette metadata of your own, merged over the site's (which the plugin supplies).")] = None,
    text: Annotated[list[Path] | None, typer.Option(
        "--text", help="Document texts to store, matched by SHA-256. Repeatable.")] = None,
    build_only: Annotated[bool, typer.Option("--build-only", help="Build or update the database, don't serve.")]
    = False,
    db: DbOption = DEFAULT_DB,
):
    """Build the database from forecasts/ where it is missing or out of date, then serve it in Datasette.

    It only ever adds to the database: outcomes recorded from the command line and imported tables stay.
    """
    from tracker.cli import text as output
    from tracker.ledger.records.load import load_record, record_paths
    from tracker.ledger.records.write import import_records, stale_paths
    from tracker.scores.derived import migrate as migrate_ledger

    if metadata is not None:
        from tracker.site.publish import own_metadata

        own_metadata(metadata)  # a broken file is one line here, not Datasette's traceback
    if db.exists():  # a ledger made by another version: say what is rebuilt, then go on
        migrated = migrate_ledger(db)
        if migrated["scores"] != "current":
            typer.echo(output.migrated(migrated), err=True)
    conn = open_for_writing(db)
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
