"""`tracker backup` under faults: a copy that fails, or is killed, leaves the file at DEST as it was
and no file of its own; errors blame the side that failed."""

from __future__ import annotations

import errno
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tracker.cli import app
from tracker.errors import TrackerError
from tracker.ledger import backup as backups
from tracker.ledger import files


@pytest.fixture
def ledger(small_record, db_path) -> Path:
    assert CliRunner().invoke(app, ["import", str(small_record)]).exit_code == 0
    return db_path


@pytest.fixture
def earlier(tmp_path) -> Path:
    """An earlier backup at DEST, and a file of the user's that is named as the old code's temporary."""
    copies = tmp_path / "copies"
    copies.mkdir()
    (copies / "copy.db").write_bytes(b"an earlier backup")
    (copies / "copy.db.partial").write_bytes(b"the user's own")
    return copies


def _entries(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def test_a_backup_leaves_only_its_copy_and_touches_no_file_of_the_users(ledger, earlier):
    result = CliRunner().invoke(app, ["backup", str(earlier / "copy.db"), "--overwrite"])
    assert result.exit_code == 0, result.output
    assert sorted(_entries(earlier)) == ["copy.db", "copy.db.partial"]
    assert (earlier / "copy.db.partial").read_bytes() == b"the user's own"
    assert sqlite3.connect(earlier / "copy.db").execute("select count(*) from forecasts").fetchone() == (4,)


def test_a_disk_that_fills_during_the_copy_leaves_dest_as_it_was(ledger, earlier, monkeypatch):
    before = _entries(earlier)
    real = sqlite3.connect

    def small_disk(path, *args, **kwargs):  # the copy may grow to two pages: SQLite's own SQLITE_FULL
        conn = real(path, *args, **kwargs)
        if str(path).endswith(files.SUFFIX):
            conn.execute("PRAGMA max_page_count = 2")
        return conn

    monkeypatch.setattr(backups.sqlite3, "connect", small_disk)
    result = CliRunner().invoke(app, ["backup", str(earlier / "copy.db"), "--overwrite"])
    assert result.exit_code == 1
    assert result.stderr == f"Error: {earlier / 'copy.db'}: cannot write the copy (database or disk is full)\n"
    assert _entries(earlier) == before


@pytest.mark.parametrize("overwrite", [True, False])
def test_a_rename_that_fails_leaves_dest_as_it_was(ledger, earlier, monkeypatch, overwrite):
    before = _entries(earlier)
    dest = earlier / ("copy.db" if overwrite else "new.db")

    def failing(*args):
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(os, "replace", failing)
    monkeypatch.setattr(os, "link", failing)
    result = CliRunner().invoke(app, ["backup", str(dest), *(["--overwrite"] if overwrite else [])])
    assert result.exit_code == 1
    assert result.stderr == f"Error: {dest}: cannot write (Input/output error)\n"
    assert _entries(earlier) == before


def test_errors_name_the_side_that_failed(ledger, tmp_path):
    runner = CliRunner()
    missing = tmp_path / "no" / "such" / "copy.db"
    result = runner.invoke(app, ["backup", str(missing)])
    assert result.exit_code == 1
    assert result.stderr == f"Error: {missing}: cannot write (no directory {missing.parent})\n"
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database")
    result = runner.invoke(app, ["backup", str(tmp_path / "copy.db"), "--db", str(notes)])
    assert result.exit_code == 1
    assert result.stderr == f"Error: {notes}: cannot read it as a database (file is not a database)\n"
    assert not (tmp_path / "copy.db").exists()


def test_a_file_that_appears_at_dest_meanwhile_is_kept(tmp_path):
    tmp, dest = tmp_path / ".dest.0123abcd.tracker-partial", tmp_path / "dest"
    tmp.write_bytes(b"copy")
    dest.write_bytes(b"someone else's")
    with pytest.raises(TrackerError, match=re.escape(f"{dest}: exists already; pass --overwrite to replace it")):
        files.install(tmp, dest, overwrite=False)
    assert dest.read_bytes() == b"someone else's"


KILLED_BACKUP = """
import sys, time
from tracker.ledger import backup

def slow(*args, **kwargs):
    print("ready", flush=True)
    time.sleep(60)

backup.install = slow
from tracker.cli import app
app(sys.argv[1:])
"""


def test_a_killed_backup_leaves_dest_and_the_next_removes_what_it_left(ledger, earlier):
    before = _entries(earlier)
    proc = subprocess.Popen([sys.executable, "-c", KILLED_BACKUP, "backup", str(earlier / "copy.db"), "--overwrite",
                             "--db", str(ledger)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
    finally:
        proc.kill()
        proc.wait()
    after = _entries(earlier)
    [left] = set(after) - set(before)  # the complete copy, never renamed into place
    assert re.fullmatch(r"\.copy\.db\.[0-9a-f]{8}\.tracker-partial", left)
    assert {k: v for k, v in after.items() if k != left} == before
    assert CliRunner().invoke(app, ["backup", str(earlier / "copy.db"), "--overwrite"]).exit_code == 0
    assert sorted(_entries(earlier)) == ["copy.db", "copy.db.partial"]
