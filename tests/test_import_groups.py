"""A bulk import's created rows are audited as one group (issue 19): the group says which file, its
SHA-256, how many rows, who, the command and the note; each created row carries its id. Updates and
deletes keep their per-row audit, and the whole history of every forecast can be rebuilt from the
audit trail and the import groups alone."""

import json
import sqlite3

from typer.testing import CliRunner

from tracker.cli import app
from tracker.imports.forecast_rows import import_forecasts
from tracker.ledger import audit
from tracker.ledger.connection import touched, writing
from tracker.ledger.migrations import migrations
from tracker.ledger.sqlite_utils_lean import Database
from tracker.scores.derived import open_db

runner = CliRunner()
HEADER = "question_id,author,probability,made_on,id\n"


def _table(path, rows):
    path.write_text(HEADER + "".join(f"{q},{a},{p},{d},{f}\n" for q, a, p, d, f in rows))
    return path


def _state(db, fid):
    """A forecast as the ledger holds it now: its columns (without its id and group) and its authors."""
    rows = list(db.query("select * from forecasts where id = ?", [fid]))
    if not rows:
        return None
    values = {k: v for k, v in rows[0].items() if k not in ("id", "import_group")}
    authors = tuple(db.execute("select author_id, position from forecast_authors where forecast_id = ? "
                               "order by author_id", [fid]).fetchall())
    return values, authors


def _rebuilt(conn, fid):
    """The forecast's states, one after each change group that touched it, replayed from the audit
    trail and the import groups only: a row an import created and nothing changed since has no
    entry of its own, and its group's entry takes its values from the row, which are its values
    as created (anything later would be in the trail)."""
    def decode(values):
        return {k: (None if v == {"null": 1} else v) for k, v in json.loads(values).items()}

    entries = [("f", group, i, op, decode(v) if v else {}, None) for i, op, v, group in conn.execute(
        "select id, operation, updated_values, [group] from _history_json_forecasts where pk_id = ?", [fid])]
    entries += [("a", group, i, op, decode(v) if v else {}, author) for i, op, v, group, author in conn.execute(
        "select id, operation, updated_values, [group], pk_author_id from _history_json_forecast_authors "
        "where pk_forecast_id = ?", [fid])]
    # rows still as an import created them: the latest entry of their key is none, or a delete
    for table, kind in (("forecasts", "f"), ("forecast_authors", "a")):
        for row in conn.execute(f"select r.*, g.change_group from [{table}] r join import_groups g "
                                f"on g.id = r.import_group where r.{'id' if kind == 'f' else 'forecast_id'} = ?",
                                [fid]).fetchall():
            names = [d[0] for d in conn.execute(f"select * from [{table}] limit 0").description] + ["change_group"]
            row = dict(zip(names, row, strict=True))
            author = row.get("author_id")
            mine = [e for e in entries if e[0] == kind and e[5] == author]
            if not mine or max(mine, key=lambda e: e[2])[3] == "delete":
                values = {k: v for k, v in row.items()
                          if k not in ("id", "forecast_id", "author_id", "import_group", "change_group")}
                entries.append((kind, row["change_group"], float("inf"), "insert", values, author))
    states, forecast, authors = [None], None, {}
    for group in sorted({e[1] for e in entries}):
        for kind, _, _, op, values, author in sorted((e for e in entries if e[1] == group), key=lambda e: e[2]):
            values = {k: v for k, v in values.items() if k != "import_group"}
            if kind == "f":
                forecast = None if op == "delete" else ({**(forecast or {}), **values} if op == "update" else values)
            elif op == "delete":
                authors.pop(author, None)
            else:
                authors[author] = {**authors.get(author, {}), **values}
        state = None if forecast is None else (
            dict(forecast), tuple(sorted((a, v["position"]) for a, v in authors.items())))
        if not states or states[-1] != state:
            states.append(state)
    return states


def test_the_whole_history_of_every_forecast_is_rebuilt_from_the_trail_and_the_import_groups(tmp_path):
    db = open_db(tmp_path / "l.db")
    first = [("q1", "Ann", 0.5, "2019-01-01", "f1"), ("q1", "Ann;Bob", 0.6, "2019-01-02", "f2"),
             ("q2", "Bob", 0.7, "2019-01-03", "f3"), ("q2", "Cem", 0.2, "2019-01-04", "f4"),
             ("q3", "Ann", 0.9, "2019-01-05", "f5")]
    ids = [r[4] for r in first] + ["f6"]
    seen = {f: [None] for f in ids}

    def snapshot():
        for f in ids:
            s = _state(db, f)
            if seen[f][-1] != s:
                seen[f].append(s)

    p = tmp_path / "f.csv"
    import_forecasts(db, _table(p, first), note="first load")
    snapshot()
    second = [r for r in first]
    second[1] = ("q1", "Ann;Bob", 0.65, "2019-01-02", "f2")     # a new probability
    second[2] = ("q2", "Bob;Cem", 0.7, "2019-01-03", "f3")      # another author
    import_forecasts(db, _table(p, [*second, ("q3", "Dee", 0.4, "2019-01-06", "f6")]), note="second")
    snapshot()
    with writing(db, "withdrawn"):                               # a forecast deleted
        db.execute("delete from forecast_authors where forecast_id = 'f4'")
        db.execute("delete from forecasts where id = 'f4'")
        touched(db, ["q2"])
    snapshot()
    third = [*second, ("q3", "Dee", 0.4, "2019-01-06", "f6")]
    third[3] = ("q2", "Cem", 0.25, "2019-01-04", "f4")           # re-created by a later import
    third[1] = ("q1", "Bob", 0.8, "2019-01-02", "f2")            # changed again, an author dropped
    import_forecasts(db, _table(p, third), note="third")
    snapshot()
    with writing(db, "by hand"):
        db.execute("update forecasts set probability = 0.3 where id = 'f4'")
        touched(db, ["q2"])
    snapshot()
    assert seen["f1"] == [None, seen["f1"][1]]  # never changed after its import: no entry of its own
    assert db.execute("select count(*) from _history_json_forecasts where pk_id = 'f1'").fetchone()[0] == 0
    assert len(seen["f2"]) == 4 and len(seen["f4"]) == 5
    conn = sqlite3.connect(tmp_path / "l.db")
    for f in ids:
        assert _rebuilt(conn, f) == seen[f], f
    # and the trail as tracker reads it: created by its import, then each change with old and new values
    trail = audit.record_changes(db, "f2", "forecast")
    created = [c for c in trail if c["table"] == "forecasts" and c["operation"] == "insert"]
    assert len(created) == 1 and created[0]["import"]["path"] == str(p) and created[0]["note"] == "first load"
    assert created[0]["import"]["forecasts"] == 5 and created[0]["changes"]["probability"] == {"old": None, "new": 0.6}
    updates = [c["changes"]["probability"] for c in trail if c["table"] == "forecasts" and c["operation"] == "update"]
    assert updates == [{"old": 0.6, "new": 0.65}, {"old": 0.65, "new": 0.8}]


def test_an_import_files_its_created_rows_under_one_group(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_ANALYST", "ann")
    p = _table(tmp_path / "f.csv", [("q1", "Ann", 0.5, "2019-01-01", "f1"), ("q1", "Ann;Bob", 0.6, "2019-01-02", "f2")])
    db_path = tmp_path / "l.db"
    result = runner.invoke(app, ["import", "--kind", "forecasts", str(p), "--db", str(db_path), "--note", "why"])
    assert result.exit_code == 0, result.output
    db = open_db(db_path)
    [group] = db.query("select * from import_groups")
    assert (group["path"], group["kind"], group["forecasts"], group["forecast_authors"], group["by"],
            group["note"]) == (str(p), "forecasts", 2, 3, "ann", "why")
    assert group["sha256"] == db.execute("select sha256 from imports").fetchone()[0]
    assert group["command"].startswith("tracker import") and "--note=why" in group["command"]
    assert {r[0] for r in db.execute("select import_group from forecasts union all "
                                     "select import_group from forecast_authors")} == {group["id"]}
    # one audit row per created row no longer: none for forecasts and their authors
    assert db.count("_history_json_forecasts") == db.count("_history_json_forecast_authors") == 0
    # the change log still has one entry per created row, read from its group
    log = db.execute("select table_name, record, operation, by, note from change_log "
                     "where table_name like 'forecast%' order by table_name, record").fetchall()
    assert log == [("forecast_authors", "f1/ann", "insert", "ann", "why"), ("forecast_authors", "f2/ann", "insert",
                    "ann", "why"), ("forecast_authors", "f2/bob", "insert", "ann", "why"),
                   ("forecasts", "f1", "insert", "ann", "why"), ("forecasts", "f2", "insert", "ann", "why")]
    shown = runner.invoke(app, ["history", "f2", "--changes", "--db", str(db_path)])
    assert shown.exit_code == 0, shown.output
    assert f"created by import #{group['id']} of {p} (2 forecasts, sha256 {group['sha256'][:12]}" in shown.output
    assert shown.output.count("created by import") == 3  # the forecast and its two author links
    # the group is append-only
    for sql in ("update import_groups set note = 'x'", "delete from import_groups"):
        try:
            db.execute(sql)
        except sqlite3.IntegrityError as e:
            assert "append-only" in str(e)
        else:
            raise AssertionError(sql)


def test_a_ledger_before_import_groups_migrates_and_keeps_its_trail(tmp_path):
    """m003_import_groups on a ledger with forecasts audited row by row: their trail and change log
    stay as they were, they carry no group, and the next import files its rows under one."""
    path = tmp_path / "old.db"
    old = Database(path)
    migrations.apply(old, stop_before="m003_import_groups")
    old.execute("insert into questions (id, title) values ('q1', 'Q')")
    old.execute("insert into authors (id, name) values ('ann', 'Ann')")
    old.execute("insert into forecasts (id, question_id, made_on, probability, method) "
                "values ('f0', 'q1', '2019-01-01', 0.5, 'stated')")
    old.execute("insert into forecast_authors (forecast_id, author_id, position) values ('f0', 'ann', 1)")
    old.execute("update forecasts set probability = 0.55 where id = 'f0'")
    old.conn.commit()
    log_before = old.execute("select * from change_log order by table_name, change").fetchall()
    old.close()
    result = runner.invoke(app, ["migrate", "--db", str(path)])
    assert result.exit_code == 0, result.output
    db = open_db(path)
    assert db.execute("select name from _sqlite_migrations order by id desc limit 1").fetchone()[0] == \
        "m003_import_groups"
    assert db.execute("select * from change_log order by table_name, change").fetchall() == log_before
    assert db.execute("select import_group from forecasts").fetchall() == [(None,)]
    trail = audit.record_changes(db, "f0", "forecast")
    assert [c["operation"] for c in trail if c["table"] == "forecasts"] == ["insert", "update"]
    import_forecasts(db, _table(tmp_path / "f.csv", [("q1", "Ann", 0.5, "2019-01-01", "f0"),
                                                     ("q1", "Ann", 0.7, "2019-01-02", "f1")]))
    assert db.execute("select id, import_group from forecasts order by id").fetchall() == [("f0", None), ("f1", 1)]
    changes = [c["changes"] for c in audit.record_changes(db, "f0", "forecast") if c["operation"] == "update"]
    assert changes[-1]["probability"] == {"old": 0.55, "new": 0.5}
    assert db.execute("pragma foreign_key_check").fetchall() == []


def test_a_group_whose_import_creates_only_forecasts_keeps_its_change_group(tmp_path):
    """A file whose questions and authors exist already writes no audit row at all; its change
    group (who, command, note) must still be kept, since its import group refers to it."""
    db = open_db(tmp_path / "l.db")
    import_forecasts(db, _table(tmp_path / "a.csv", [("q1", "Ann", 0.5, "2019-01-01", "f1")]), note="first")
    before = db.count("_history_json_questions") + db.count("_history_json_authors")
    import_forecasts(db, _table(tmp_path / "b.csv", [("q1", "Ann", 0.6, "2019-01-02", "f2")]), note="second")
    assert db.count("_history_json_questions") + db.count("_history_json_authors") == before
    groups = db.execute("select g.id, json_extract(h.note, '$.note') from import_groups g "
                        "join _history_json h on h.id = g.change_group order by g.id").fetchall()
    assert groups == [(1, "first"), (2, "second")]
    [created] = [c for c in audit.record_changes(db, "f2", "forecast") if c["table"] == "forecasts"]
    assert created["note"] == "second" and created["import"]["path"] == str(tmp_path / "b.csv")
