"""What a quick write imports. Start-up is most of a single `resolve` (README, "Benchmarks"), so the
modules it must not load are held here; the time itself is measured in benchmarks/run.py, never in
a test."""

import subprocess
import sys

import pytest

from tracker.imports.forecast_rows import import_forecasts
from tracker.imports.outcome_rows import import_outcomes
from tracker.ledger.connection import LATEST_STEP
from tracker.scores import board
from tracker.scores.derived import open_db

#: never needed to record one outcome: sqlite-utils (60-70 ms to import), dateparser (dates in
#: words only), pandas, pydantic (which Typer 0.28 and later load to check every option), and
#: statistics (3-4 ms with random, fractions and decimal, for one normal quantile)
NEVER = ("sqlite_utils", "dateparser", "pandas", "pydantic", "statistics")
#: needed only to refit the difficulty-adjusted board, which one outcome on a large ledger leaves
#: stale (board.REFIT_LIMIT)
FIT = ("scipy", "numpy")

WRITES = [
    ("resolve", "q2", "--outcome", "yes", "--on", "2019-12-31", "--evidence", "https://example.org/y"),
    ("resolve", "q1", "--outcome", "yes", "--correct", "--note", "misread"),
    ("unresolve", "q3", "--note", "withdrawn"),
]


def _imported(db_path, *args: str) -> set[str]:
    """The top-level packages a real `tracker` process imported to run the command."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "tracker", *args, "--db", str(db_path)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    modules = {line.rsplit("|", 1)[1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}
    assert "tracker.ledger.outcomes" in modules  # the command really ran
    return {m.split(".")[0] for m in modules}


@pytest.fixture(scope="module")
def large_ledger(tmp_path_factory):
    """More scored (author, forecast) pairs than REFIT_LIMIT, with q1-q3 as WRITES needs them."""
    d = tmp_path_factory.mktemp("large")
    n = board.REFIT_LIMIT + 100
    forecasts = d / "f.csv"
    forecasts.write_text("question_id,author,probability,made_on\n" + "".join(
        f"q{i % 60 + 1},A{i % 400},0.{i % 9 + 1},2019-01-{i % 28 + 1:02d}\n" for i in range(n)))
    outcomes = d / "o.csv"
    outcomes.write_text("question_id,outcome,resolved_on\n" + "".join(
        f"q{q},{'yes' if q % 3 else 'no'},2019-06-01\n" for q in range(1, 61) if q != 2))
    db = open_db(d / "ledger.db")
    import_forecasts(db, forecasts)
    import_outcomes(db, outcomes)
    assert board._scored_pairs(db) > board.REFIT_LIMIT
    db.close()
    return d / "ledger.db"


@pytest.mark.parametrize("args", WRITES, ids=lambda a: "-".join(a[:3]))
def test_an_outcome_on_a_large_ledger_loads_nothing_heavy(large_ledger, args):
    loaded = _imported(large_ledger, *args) & set(NEVER + FIT)
    assert not loaded, f"{' '.join(args)} imported {sorted(loaded)}"


@pytest.mark.parametrize("args", WRITES, ids=lambda a: "-".join(a[:3]))
def test_an_outcome_on_a_small_ledger_loads_only_the_fit(small_db, db_path, args):
    small_db.close()
    loaded = _imported(db_path, *args) & set(NEVER + FIT)
    assert loaded <= set(FIT), f"{' '.join(args)} imported {sorted(loaded)}"


def test_an_old_ledger_still_gets_its_migrations(db_path):
    """The quick open trusts LATEST_STEP; a ledger one step behind must still be migrated."""
    from tracker.ledger.migrations import migrations
    from tracker.ledger.sqlite_utils_lean import Database

    old = Database(db_path)
    migrations.apply(old, stop_before=LATEST_STEP)
    assert [m.name for m in migrations.pending(old)] == [LATEST_STEP]
    old.close()
    db = open_db(db_path)
    assert not migrations.pending(db.utils)
