"""The served site is bounded: a slow query gets a clear error within the time limit, not a hang,
and a page returns at most the row limit."""

import asyncio
import time

from datasette.app import Datasette

from tracker.ledger.records.load import load_record
from tracker.ledger.records.write import import_records
from tracker.scores.derived import open_db

SLOW = ("with recursive n(i) as (select 1 union all select i + 1 from n where i < 100000000) "
        "select count(*) from n")


def test_slow_sql_is_stopped_with_a_clear_error(tmp_path, small_record):
    path = tmp_path / "forecasts.db"
    db = open_db(path)
    import_records(db, [load_record(small_record)])
    db.close()
    ds = Datasette([str(path)],  # the plugin brings the site's metadata
                   settings={"sql_time_limit_ms": 200, "max_returned_rows": 3})

    async def go():
        await ds.invoke_startup()
        start = time.monotonic()
        slow = await ds.client.get("/forecasts.json", params={"sql": SLOW})
        took = time.monotonic() - start
        rows = await ds.client.get("/forecasts.json", params={"sql": "select * from forecasts", "_shape": "objects"})
        return slow, took, rows

    slow, took, rows = asyncio.run(go())
    assert slow.status_code == 400
    assert "SQL query took too long" in slow.json()["error"]
    assert took < 5, f"the time limit did not stop the query ({took:.1f} s)"
    data = rows.json()
    assert len(data["rows"]) == 3 and data["truncated"] is True


def test_tracker_serve_runs_datasette_with_the_limits(tmp_path, small_record):
    """The real `tracker serve`, on loopback: its Datasette reports the time and row limits."""
    import socket
    import subprocess
    import sys

    import httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    records = small_record.parent
    proc = subprocess.Popen([sys.executable, "-m", "tracker", "serve", "--port", str(port), "--forecasts",
                             str(records), "--db", str(tmp_path / "forecasts.db")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        settings = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and settings is None:
            try:
                settings = httpx.get(f"http://127.0.0.1:{port}/-/settings.json", timeout=2).json()
            except httpx.HTTPError:
                time.sleep(0.3)
        assert settings, "tracker serve did not answer"
        assert settings["sql_time_limit_ms"] == 3000 and settings["max_returned_rows"] == 2000
        page = httpx.get(f"http://127.0.0.1:{port}/forecasts/forecasts/f1", timeout=5)
        assert page.status_code == 200 and "Read as <strong>80 %</strong>" in page.text
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_tracker_serve_passes_only_the_users_own_metadata(tmp_path, small_record, monkeypatch):
    """No metadata file is needed (the plugin brings the site's); --metadata FILE adds the user's own."""
    import os

    from typer.testing import CliRunner

    from tracker.cli import app

    ran = []
    monkeypatch.setattr(os, "execv", lambda path, args: ran.append(args))
    monkeypatch.chdir(tmp_path)  # no db/metadata.yml here, and none needed
    records = str(small_record.parent)
    runner = CliRunner()
    result = runner.invoke(app, ["serve", "--forecasts", records, "--db", str(tmp_path / "ledger.db")])
    assert result.exit_code == 0, result.output
    assert "--metadata" not in ran[-1] and str(tmp_path / "ledger.db") in ran[-1]
    own = tmp_path / "ours.yml"
    own.write_text("title: Ours\n", encoding="utf-8")
    result = runner.invoke(app, ["serve", "--forecasts", records, "--db", str(tmp_path / "ledger.db"),
                                 "--metadata", str(own)])
    assert result.exit_code == 0, result.output
    assert ran[-1][ran[-1].index("--metadata") + 1] == str(own)
    result = runner.invoke(app, ["serve", "--forecasts", records, "--db", str(tmp_path / "other.db"),
                                 "--metadata", str(tmp_path / "none.yml")])
    assert result.exit_code == 1 and len(ran) == 2
    assert result.stderr == f"Error: {tmp_path / 'none.yml'}: no metadata file here\n"
    assert not (tmp_path / "other.db").exists()  # refused before anything was built
