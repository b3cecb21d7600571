"""Shared fixtures: real SQLite files in temporary directories, never the project's own database."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RECORDS = ROOT / "forecasts"
HANOI_RECORD = RECORDS / "dgap-2019-berger-gipfeltreffen-in-hanoi.yml"
# The briefs live beside the project (../shared/briefs), as in CI; TRACKER_BRIEFS overrides.
BRIEFS = Path(os.environ.get("TRACKER_BRIEFS") or ROOT.parent / "shared" / "briefs")
HANOI_BRIEF = BRIEFS / "dgap-2019-berger-gipfeltreffen-in-hanoi.txt"

SMALL_RECORD = """\
document:
  id: doc-a
  title: A brief
  publisher: Example Institute
  published_on: 2019-02-26
  language: en
  authors: [ann]
authors:
  - id: ann
    name: Ann Example
    affiliation: Example Institute
  - id: bob
    name: Bob Other
questions:
  - id: q1
    title: Will X happen by March 2019?
    criteria: Yes if X is reported by 2019-03-01.
    resolve_by: 2019-03-01
    topics: [korea, sanctions]
  - id: q2
    title: Will Y happen in 2019?
    resolve_by: 2019-12-31
    topics: [korea]
  - id: q3
    title: Will Z happen in 2019?
    resolve_by: 2019-12-31
forecasts:
  - id: f1
    question: q1
    probability: 0.8
    interval: [0.7, 0.9]
    method: analyst
    phrase: zu erwarten
  - id: f2
    question: q2
    authors: [ann, bob]
    probability: 0.3
    method: stated
  - id: f3
    question: q1
    authors: [bob]
    probability: 0.6
    method: analyst
    conditional_on: f1
  - id: f4
    question: q3
    probability: 1.0
    method: stated
outcomes:
  - question: q1
    outcome: "no"
    resolved_on: 2019-02-28
    evidence:
      - url: https://example.org/x
        summary: It did not.
  - question: q3
    outcome: "no"
    resolved_on: 2019-06-01
    evidence:
      - url: https://example.org/z
"""


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    """Every test gets its own database path and analyst name; nothing touches db/forecasts.db."""
    monkeypatch.setenv("TRACKER_DB", str(tmp_path / "ledger.db"))
    monkeypatch.setenv("TRACKER_ANALYST", "test-analyst")


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "ledger.db"


@pytest.fixture
def small_record(tmp_path) -> Path:
    p = tmp_path / "records" / "doc-a.yml"
    p.parent.mkdir()
    p.write_text(SMALL_RECORD, encoding="utf-8")
    return p


@pytest.fixture
def db(db_path):
    from tracker.scores.derived import open_db

    d = open_db(db_path)
    yield d
    d.close()


@pytest.fixture
def small_db(db, small_record):
    from tracker.ledger.records.load import load_record
    from tracker.ledger.records.write import import_records

    import_records(db, [load_record(small_record)])
    return db


#: Every table and view derived from the ledger (scores and the sums behind them), not board_fits,
#: whose fitted_at is a time.
DERIVED = ("forecast_scores", "multiple_choice_scores", "time_weighted_scores", "peer_scores", "author_scores",
           "document_scores", "question_scores", "topic_scores", "horizon_scores", "calibration_bins",
           "calibration_summary", "score_sums", "auc_counts", "sensitivity_scenarios", "sensitivity_scores",
           "adjusted_scores")


def derived(db) -> dict[str, list[dict]]:
    """Every derived table's rows, ordered by all their columns: two states of the scores compare
    equal exactly when every score, sum and count is the same (rowids aside, unlike `dump`)."""
    out = {}
    for table in DERIVED:
        columns = [r[1] for r in db.execute(f"pragma table_info([{table}])")]
        order = ", ".join(f"[{c}]" for c in columns)
        out[table] = [dict(zip(columns, row, strict=True))
                      for row in db.execute(f"select * from [{table}] order by {order}")]
    return out


def rescored_copy(db):
    """A copy of the database with every score recomputed from the ledger alone."""
    import sqlite3

    from tracker.ledger.connection import Ledger
    from tracker.scores import board

    copy = sqlite3.connect(":memory:")
    db.conn.backup(copy)
    other = Ledger(copy)
    with other.atomic():
        board.refresh(other)
    return other


def count_fits(monkeypatch) -> list:
    """From now on, one item per fit of the difficulty-adjusted board (the fit itself still runs)."""
    from tracker.scores import board

    fits = []
    real_fit = board._adjusted
    monkeypatch.setattr(board, "_adjusted", lambda d: fits.append(1) or real_fit(d))
    return fits


def dump(db_or_path) -> list[str]:
    """The whole database as SQL, to compare two states exactly."""
    import sqlite3

    if isinstance(db_or_path, (str, Path)):
        conn = sqlite3.connect(str(db_or_path))
        try:
            return list(conn.iterdump())
        finally:
            conn.close()
    return list(db_or_path.conn.iterdump())


def needs_brief():
    return pytest.mark.skipif(not HANOI_BRIEF.exists(),
                              reason=f"the brief's text is not beside the project ({HANOI_BRIEF.name})")
