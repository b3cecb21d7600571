"""The ledger under faults: SIGKILL mid-import, concurrent analysts, backups while writing."""

import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

from tracker.errors import TrackerError
from tracker.ledger.backup import backup
from tracker.scores.derived import open_db

ROWS = 6000


def tracker(*args, **kwargs):
    return subprocess.Popen([sys.executable, "-m", "tracker", *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


@pytest.fixture
def big_table(tmp_path):
    p = tmp_path / "big.csv"
    lines = ["question_id,author,probability,made_on"]
    lines += [f"q{i % 700},Author {i % 97},{(i % 99 + 1) / 100},2019-01-{1 + i % 28:02d}" for i in range(ROWS)]
    p.write_text("\n".join(lines) + "\n")
    return p


# The bulk import takes 6,000 rows in a fraction of a second, so the kill test needs a table whose
# import outlasts its kill window (0.3 to 2 s after start).
KILL_ROWS = 60_000


@pytest.fixture
def kill_table(tmp_path):
    p = tmp_path / "kill.csv"
    lines = ["question_id,author,probability,made_on"]
    lines += [f"q{i % 7000},Author {i % 97},{(i % 99 + 1) / 100},2019-0{1 + i // 28 % 9}-{1 + i % 28:02d}"
              for i in range(KILL_ROWS)]
    p.write_text("\n".join(lines) + "\n")
    return p


def counts(path):
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
        return (conn.execute("select count(*) from forecasts").fetchone()[0],
                conn.execute("select count(*) from forecast_scores").fetchone()[0])
    finally:
        conn.close()


def test_sigkill_mid_import_leaves_all_or_nothing(tmp_path, kill_table, db_path):
    open_db(db_path).close()
    rng = random.Random(20261124)
    outcomes = set()
    for _ in range(4):
        proc = tracker("import", "--kind", "forecasts", kill_table, "--db", db_path)
        time.sleep(rng.uniform(0.3, 2.0))
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        n, _ = counts(db_path)
        assert n in (0, KILL_ROWS), f"a killed import left {n} of {KILL_ROWS} forecasts"
        outcomes.add(n)
        if n == KILL_ROWS:
            break
    proc = tracker("import", "--kind", "forecasts", kill_table, "--db", db_path)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert counts(db_path)[0] == KILL_ROWS
    assert 0 in outcomes, "no kill landed inside the import; the test proved nothing"


WRITER = """
import sys, csv, tempfile, os
from tracker.scores.derived import open_db
from tracker.imports.forecast_rows import import_forecasts
from tracker.ledger.outcomes import resolve
w = int(sys.argv[2])
db = open_db(sys.argv[1])
errors = 0
for i in range(25):
    path = os.path.join(sys.argv[3], f"w{w}-{i}.csv")
    with open(path, "w") as f:
        f.write("question_id,author,probability,made_on\\n")
        f.write(f"w{w}-q{i},Writer {w},0.{1 + i % 9},2019-01-01\\n")
    import_forecasts(db, path)
    resolve(db, f"w{w}-q{i}", "yes" if i % 2 else "no", resolved_on="2019-02-01")
print("done", w)
"""


def test_eight_writers_while_datasette_reads(tmp_path, db_path):
    """8 processes × 50 writes (25 imports and 25 resolves each) while Datasette reads."""
    import asyncio

    from datasette.app import Datasette

    open_db(db_path).close()
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    ds = Datasette([str(db_path)])
    stop = threading.Event()
    reads, read_errors = [], []

    def reader():
        async def loop():
            while not stop.is_set():
                r = await ds.client.get(f"/{db_path.stem}/author_scores.json?_shape=array")
                (reads if r.status_code == 200 else read_errors).append(r.status_code)
                await asyncio.sleep(0.01)
        asyncio.run(loop())

    t = threading.Thread(target=reader)
    t.start()
    procs = [subprocess.Popen([sys.executable, str(script), str(db_path), str(w), str(tmp_path)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for w in range(8)]
    results = [p.communicate(timeout=300) for p in procs]
    stop.set()
    t.join(timeout=30)
    for p, (_, err) in zip(procs, results, strict=True):
        assert p.returncode == 0, err[-2000:]
        assert "locked" not in err
    conn = sqlite3.connect(db_path)
    assert conn.execute("select count(*) from forecasts").fetchone()[0] == 200
    assert conn.execute("select count(*) from outcomes").fetchone()[0] == 200
    assert conn.execute("select count(*) from author_scores where n = 25").fetchone()[0] == 8
    assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
    assert reads and not read_errors


def test_backup_while_writing_and_restore(tmp_path, big_table, db_path):
    from tracker.imports.forecast_rows import import_forecasts

    db = open_db(db_path)
    import_forecasts(db, big_table)
    db.close()
    writer = tracker("resolve", "q1", "--outcome", "yes", "--on", "2019-03-01", "--db", db_path)
    copy = tmp_path / "copy.db"
    result = backup(db_path, copy)
    writer.communicate(timeout=60)
    assert result["integrity_check"] == "ok" and result["forecasts"] == ROWS
    # restore: the copy is a complete ledger that tracker opens and reads
    restored = open_db(copy)
    assert restored["forecasts"].count == ROWS
    assert restored.execute("pragma integrity_check").fetchone()[0] == "ok"
    with pytest.raises(TrackerError, match="exists already"):
        backup(db_path, copy)
    assert not list(tmp_path.glob("*.partial"))


NEW_LEDGER_WRITER = """
import sys
from tracker.imports.forecast_rows import import_forecasts
from tracker.ledger.outcomes import resolve
from tracker.scores.derived import open_db
db = open_db(sys.argv[1])  # every writer finds the ledger new, and races to build it
import_forecasts(db, sys.argv[2])
resolve(db, sys.argv[3], "yes", resolved_on="2019-02-01")
"""


def test_writers_racing_to_create_a_new_ledger_keep_every_score(tmp_path):
    """Four commands open a ledger that does not exist yet at once: each builds the empty score
    tables only if no other did first, so no one's scores are dropped by a late build."""
    script = tmp_path / "new_writer.py"
    script.write_text(NEW_LEDGER_WRITER)
    path = tmp_path / "new.db"
    procs = []
    for w in range(4):
        table = tmp_path / f"n{w}.csv"
        table.write_text(f"question_id,author,probability,made_on\nn{w},Writer {w},0.7,2019-01-01\n")
        procs.append(subprocess.Popen([sys.executable, str(script), str(path), str(table), f"n{w}"],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err[-2000:]
    conn = sqlite3.connect(path)
    assert conn.execute("select count(*) from forecast_scores").fetchone()[0] == 4
    assert conn.execute("select count(*) from author_scores where n = 1").fetchone()[0] == 4


# ------------------------------------------------------------------------------ the draft record

DRAFT_TEXT = ("Ausblick 2019\n\nEin Abkommen ist bis Ende 2019 wahrscheinlich. Die Sanktionen werden "
              "bis Juni 2019 kaum gelockert.\n")


@pytest.fixture
def drafted(tmp_path, db_path):
    """A document with candidates, and the draft `extract --draft` wrote of it."""
    from typer.testing import CliRunner

    from tracker.cli import app

    text = tmp_path / "brief.txt"
    text.write_text(DRAFT_TEXT, encoding="utf-8")
    runner = CliRunner()
    added = runner.invoke(app, ["document", "add", str(text), "--author", "Anna Autorin", "--lang", "de",
                                "--id", "ausblick", "--db", str(db_path)])
    assert added.exit_code == 0, added.output
    out = tmp_path / "drafts"
    out.mkdir()
    made = runner.invoke(app, ["extract", "ausblick", "--draft", str(out / "draft.yml"), "--db", str(db_path)])
    assert made.exit_code == 0, made.output
    return out / "draft.yml"


@pytest.mark.parametrize("step", ["fsync", "replace"])
def test_a_draft_that_fails_midway_leaves_the_earlier_draft(drafted, db_path, monkeypatch, step):
    """`extract --draft` writes through tracker.outputs: a full disk at the flush or the rename
    leaves the analyst's earlier draft byte for byte, names the file, and leaves no temporary."""
    import errno
    import os

    from typer.testing import CliRunner

    from tracker.cli import app

    drafted.write_text(drafted.read_text(encoding="utf-8") + "# the analyst's notes\n", encoding="utf-8")
    before = {p.name: p.read_bytes() for p in drafted.parent.iterdir()}

    def full(*args):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, step, full)
    result = CliRunner().invoke(app, ["extract", "ausblick", "--draft", str(drafted), "--db", str(db_path)])
    monkeypatch.undo()
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr == f"Error: {drafted}: cannot write (No space left on device)\n"
    assert {p.name: p.read_bytes() for p in drafted.parent.iterdir()} == before


KILLED_DRAFT = """
import os, sys, time
real = os.replace

def slow(*args):
    print("ready", flush=True)
    time.sleep(60)

os.replace = slow
from tracker.cli import app
app(sys.argv[1:])
"""


def test_a_draft_killed_before_its_rename_leaves_the_earlier_draft(drafted, db_path, tmp_path):
    """SIGKILL with the new draft written but not yet in place: the old one is whole, and the
    next draft removes the abandoned temporary (only it)."""
    before = drafted.read_bytes()
    script = tmp_path / "killed_draft.py"
    script.write_text(KILLED_DRAFT)
    proc = subprocess.Popen([sys.executable, str(script), "extract", "ausblick", "--lang", "en", "--draft",
                             str(drafted), "--db", str(db_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    assert proc.stdout.readline() == "ready\n", proc.stderr.read()
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert drafted.read_bytes() == before
    left = sorted(p.name for p in drafted.parent.iterdir())
    assert len(left) == 2 and left[1] == "draft.yml" and left[0].endswith(".tracker-partial")
    (drafted.parent / "mine.tracker-partial").write_text("the user's own")
    again = tracker("extract", "ausblick", "--draft", drafted, "--db", db_path)
    _, err = again.communicate(timeout=60)
    assert again.returncode == 0, err
    assert sorted(p.name for p in drafted.parent.iterdir()) == ["draft.yml", "mine.tracker-partial"]


def test_a_locked_ledger_is_named(small_db, db_path, monkeypatch):
    """Another process holds the write lock past the busy timeout (30 s, made 0.1 s here): the
    one line names the ledger, and nothing is written."""
    from typer.testing import CliRunner

    from tracker.cli import app
    from tracker.ledger import connection

    real = connection.sqlite3.connect
    monkeypatch.setattr(connection.sqlite3, "connect", lambda path, timeout=5.0, **kw: real(path, timeout=0.1, **kw))
    holder = sqlite3.connect(db_path)
    holder.execute("begin immediate")
    try:
        result = CliRunner().invoke(app, ["resolve", "q2", "--outcome", "yes", "--db", str(db_path)])
    finally:
        holder.rollback()
        holder.close()
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr == f"Error: {db_path}: database is locked\n"
    assert sqlite3.connect(db_path).execute("select count(*) from outcomes where question_id = 'q2'").fetchone() == (0,)
