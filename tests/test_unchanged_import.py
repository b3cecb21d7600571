"""An unchanged file imports as a no-op (issue 19): the same SHA-256 as its last import, which
rejected nothing, and nothing it depends on changed since (no migration, no audited change, no rows
filed by another import). Anything else reads it again, with every check."""

import json

import pytest
from typer.testing import CliRunner

from tracker.cli import app
from tracker.errors import TrackerError
from tracker.imports.forecast_rows import import_forecasts
from tracker.imports.outcome_rows import import_outcomes
from tracker.ledger.connection import touched, writing
from tracker.ledger.outcomes import resolve

from conftest import dump

runner = CliRunner()
FORECASTS = ("question_id,author,probability,made_on,id\n"
             "q1,Ann,0.5,2019-01-01,f1\nq1,Bob,0.6,2019-01-02,f2\nq2,Ann,0.7,2019-01-03,f3\n")


@pytest.fixture
def table(tmp_path):
    p = tmp_path / "f.csv"
    p.write_text(FORECASTS)
    return p


def test_the_same_file_again_reads_nothing_and_writes_nothing(db, table):
    first = import_forecasts(db, table)
    assert first["created"] == 3 and "same_as_import" not in first
    before = dump(db)
    again = import_forecasts(db, table)
    assert again["same_as_import"] == db.execute("select max(id) from imports").fetchone()[0]
    assert (again["read"], again["created"], again["updated"], again["unchanged"]) == (0, 0, 0, 3)
    assert dump(db) == before


def test_the_cli_says_so(tmp_path, table):
    db_path = tmp_path / "l.db"
    assert runner.invoke(app, ["import", "--kind", "forecasts", str(table), "--db", str(db_path)]).exit_code == 0
    result = runner.invoke(app, ["import", "--kind", "forecasts", str(table), "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    assert (f"{table}: unchanged since its last import (the same SHA-256, and nothing it depends on changed since): "
            "3 rows unchanged, nothing read or written") in result.output
    out = json.loads(runner.invoke(app, ["import", "--kind", "forecasts", str(table), "--db", str(db_path),
                                         "--json"]).stdout)
    assert out[str(table)]["unchanged"] == 3 and out[str(table)]["same_as_import"] == 1


def test_an_audited_change_since_means_the_file_is_read_again(db, table):
    import_forecasts(db, table)
    with writing(db, "by hand"):
        db.execute("update forecasts set probability = 0.9 where id = 'f2'")
        touched(db, ["q1"])
    again = import_forecasts(db, table)
    assert "same_as_import" not in again and again["read"] == 3 and again["updated"] == 1
    assert db.execute("select probability from forecasts where id = 'f2'").fetchone()[0] == 0.6
    # the import put the file's values back, and its entry says what that depended on: a no-op now
    assert import_forecasts(db, table).get("same_as_import")


def test_another_bytes_or_a_migration_or_rejects_mean_it_is_read_again(db, table, tmp_path):
    import_forecasts(db, table)
    table.write_text(FORECASTS + "q2,Bob,0.2,2019-01-04,f4\n")
    assert import_forecasts(db, table)["created"] == 1  # other bytes
    # a migration since its last import: the log's state names fewer schema steps than there are
    state = json.loads(db.execute("select state from imports order by id desc limit 1").fetchone()[0])
    db.execute("update imports set state = ? where id = (select max(id) from imports)",
               [json.dumps({**state, "schema": state["schema"] - 1}, sort_keys=True)])
    db.conn.commit()
    after_migration = import_forecasts(db, table)
    assert "same_as_import" not in after_migration and after_migration["unchanged"] == 4
    # a file with a bad row, imported with --skip-invalid: the row may pass another time
    bad = tmp_path / "bad.csv"
    bad.write_text(FORECASTS.replace("q2,Ann,0.7", "q2,Ann,1.7"))
    assert import_forecasts(db, bad, skip_invalid=True)["rejected"] == 1
    again = import_forecasts(db, bad, skip_invalid=True)
    assert "same_as_import" not in again and again["rejected"] == 1


def test_rows_filed_by_another_import_mean_it_is_read_again(db, table, tmp_path):
    import_forecasts(db, table)
    other = tmp_path / "other.csv"
    other.write_text("question_id,author,probability,made_on,id\nq3,Cem,0.5,2019-01-01,g1\n")
    import_forecasts(db, other)
    assert "same_as_import" not in import_forecasts(db, table)
    assert import_forecasts(db, other).get("same_as_import")


def test_outcomes_do_not_matter_to_forecasts_but_do_to_outcomes(db, table, tmp_path):
    import_forecasts(db, table)
    outcomes = tmp_path / "o.csv"
    outcomes.write_text("question_id,outcome,resolved_on\nq1,yes,2019-06-01\n")
    import_outcomes(db, outcomes)
    assert import_forecasts(db, table).get("same_as_import")   # an outcome is nothing a forecast row checks
    assert import_outcomes(db, outcomes).get("same_as_import")
    resolve(db, "q1", "no", resolved_on="2019-06-01", correct=True, note="was wrong")
    with pytest.raises(TrackerError, match="already resolved 'no'"):
        import_outcomes(db, outcomes)   # read again, and checked against the correction


def test_a_failed_import_logs_nothing_so_the_next_reads_again(db, table, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(FORECASTS.replace("q2,Ann,0.7", "q2,Ann,1.7"))
    with pytest.raises(TrackerError, match=r"bad\.csv:4"):
        import_forecasts(db, bad)
    with pytest.raises(TrackerError, match=r"bad\.csv:4"):
        import_forecasts(db, bad)
