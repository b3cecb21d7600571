"""The audit trail: every change to a document, question, forecast or outcome, with who made it,
when, the old and new values, and the note they gave.

Triggers from sqlite-history-json record each insert, update and delete in `_history_json_<table>`
(new values as JSON); each write transaction opens a change group whose note says who ran which
command and why. Old values are recovered by replaying a row's entries in order.

A bulk import creates its rows under one import group instead (`import_groups`: the file, its
SHA-256, how many rows, who, which command, why), and each created forecast and author link
carries the group's id without an audit row of its own. Its trail starts with a "created by
import" entry read from the group and, until the row is first changed, from the row itself;
the first change or delete writes the values as created to the trail (triggers of migration
m003_import_groups), so the trail and the import groups alone give every row's whole history.
"""

from __future__ import annotations

import getpass
import json
import os
from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tracker.ledger.connection import Ledger

#: The tables whose every change is kept (score tables are derived and rebuilt, so not audited).
AUDITED = ("authors", "documents", "document_authors", "questions", "forecasts", "forecast_authors",
           "outcomes", "outcome_evidence")
GROUPS = "_history_json"


def analyst() -> str:
    """Who is making the change: $TRACKER_ANALYST, else the login name."""
    return os.environ.get("TRACKER_ANALYST") or getpass.getuser()


def enabled(db: Ledger) -> bool:
    return db.execute("select 1 from sqlite_master where name = ?", [GROUPS]).fetchone() is not None


def _marks(db: Ledger) -> tuple:
    marks = tuple(db.execute(f"select max(id) from [_history_json_{t}]").fetchone()[0] for t in AUDITED)
    return (*marks, db.execute("select max(id) from import_groups").fetchone()[0]) if has_import_groups(db) else marks


def has_import_groups(db: Ledger) -> bool:
    return db.execute("select 1 from sqlite_master where name = 'import_groups'").fetchone() is not None


#: the tables whose rows a bulk import creates under an import group (migration m003_import_groups)
GROUP_CREATED = ("forecasts", "forecast_authors")
#: what an entry names an import group by
IMPORT_KEY = "import_group"


def open_import_group(db: Ledger, path: str, sha256: str, kind: str, forecasts: int, forecast_authors: int) -> int:
    """File the rows a bulk import is about to create under one group, inside the write's change
    group (whose who, command and note it repeats); its id goes on each row."""
    (group,) = db.execute(f"select id from [{GROUPS}] where current = 1").fetchone() or (None,)
    if group is None:
        raise RuntimeError("an import group is opened inside writing(), in its change group")
    context = json.loads(db.execute(f"select note from [{GROUPS}] where id = ?", [group]).fetchone()[0])
    cursor = db.execute(
        "insert into import_groups (change_group, path, sha256, kind, forecasts, forecast_authors, by, command, "
        "note, at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, strftime('%Y-%m-%d %H:%M:%f', 'now'))",
        [group, path, sha256, kind, forecasts, forecast_authors, context.get("by"), context.get("command"),
         context.get("note")])
    assert cursor.lastrowid is not None
    return cursor.lastrowid


#: The command being run, as the CLI describes it (None when tracker is used as a library).
COMMAND: ContextVar[str | None] = ContextVar("tracker_command", default=None)


def describe_command(name: str, params: dict) -> str:
    """"tracker import --kind=record --note=why …": the command and the options it was given."""
    options = [f"--{k.replace('_', '-')}={','.join(map(str, v)) if isinstance(v, (list, tuple)) else v}"
               for k, v in params.items() if v not in (None, False, [], ())]
    return " ".join(["tracker", name.rstrip("_"), *options])[:500]


class ChangeGroup:
    """Opens a change group for one write transaction and drops it again if nothing changed, so a
    command that changes nothing leaves no trace (importing twice must leave the database as it was)."""

    def __init__(self, db: Ledger, note: str | None):
        self.db, self.note = db, note
        self.group: int | None = None

    def __enter__(self):
        if not enabled(self.db):
            return self
        self.before = _marks(self.db)
        self.db.execute(f"update [{GROUPS}] set current = null where current = 1")
        words = {"by": analyst(), "command": COMMAND.get(), "note": self.note}
        self.group = self.db.execute(f"insert into [{GROUPS}] (note, current) values (?, 1)",
                                     [json.dumps(words, ensure_ascii=False)]).lastrowid
        return self

    def __exit__(self, *exc):
        if self.group is None or not self.db.in_transaction:
            return False
        self.db.execute(f"update [{GROUPS}] set current = null where id = ?", [self.group])
        if _marks(self.db) == self.before:
            self.db.execute(f"delete from [{GROUPS}] where id = ?", [self.group])
        return False


def _value(v):
    if isinstance(v, dict) and v.get("null") == 1 and len(v) == 1:
        return None
    return v


def row_changes(db: Ledger, table: str, pk: dict) -> list[dict]:
    """Every change to one row, oldest first: when, what (insert, update, delete), and for each
    changed column its old and new value; with who, which command and the note."""
    where = " and ".join(f"a.[pk_{k}] = ?" for k in pk)
    rows = db.execute(
        f"select a.id, a.timestamp, a.operation, a.updated_values, g.note from [_history_json_{table}] a "
        f"left join [{GROUPS}] g on g.id = a.[group] where {where} order by a.id", list(pk.values())).fetchall()
    state: dict = {}
    out = []
    created = _created_by_import(db, table, pk, rows)
    if created is not None:
        rows.append(created)
    for change_id, when, operation, values, note in rows:
        new = {k: _value(v) for k, v in json.loads(values).items()} if values else {}
        if operation == "insert":
            state = {}
        changed = {k: {"old": state.get(k), "new": v} for k, v in new.items()
                   if operation != "update" or state.get(k) != v}
        if operation == "delete":
            changed = {k: {"old": v, "new": None} for k, v in state.items()}
        state.update(new)
        context = json.loads(note) if note else {}
        entry = {"change": change_id, "table": table, "key": pk, "at": when, "operation": operation,
                 "changes": changed, "by": context.get("by"), "command": context.get("command"),
                 "note": context.get("note")}
        group = new.get(IMPORT_KEY) if operation == "insert" else None
        if group is not None:
            entry["import"] = import_group(db, group)
            entry["changes"].pop(IMPORT_KEY, None)
        out.append(entry)
    return out


def import_group(db: Ledger, group: int) -> dict:
    """An import group as an entry of the trail names it: which import, of what file, how many rows."""
    row = db.execute("select id, path, sha256, kind, forecasts, forecast_authors from import_groups where id = ?",
                     [group]).fetchone()
    return dict(zip(("group", "path", "sha256", "kind", "forecasts", "forecast_authors"), row, strict=True))


def _created_by_import(db: Ledger, table: str, pk: dict, rows: list) -> tuple | None:
    """A row a bulk import created and nothing has changed since has no entry of its own after its
    last delete (if any): its "created by import" entry, as (id, time, operation, values, note) from
    its import group and its values now, which are its values as created."""
    if table not in GROUP_CREATED or (rows and rows[-1][2] != "delete") or not has_import_groups(db):
        return None
    where = " and ".join(f"[{k}] = ?" for k in pk)
    found = list(db.query(f"select * from [{table}] where {where}", list(pk.values())))
    if not found or found[0][IMPORT_KEY] is None:
        return None
    row = found[0]
    g = db.execute("select g.at, h.note from import_groups g left join [" + GROUPS + "] h on h.id = g.change_group "
                   "where g.id = ?", [row[IMPORT_KEY]]).fetchone()
    values = {k: ({"null": 1} if v is None else v) for k, v in row.items() if k not in pk and k != IMPORT_KEY}
    return (None, g[0], "insert", json.dumps({**values, IMPORT_KEY: row[IMPORT_KEY]}), g[1])


#: record kind → (table, id column) of the rows whose changes make up the record's trail
KINDS = {
    "question": [("questions", "id"), ("outcomes", "question_id")],
    "forecast": [("forecasts", "id"), ("forecast_authors", "forecast_id")],
    "document": [("documents", "id"), ("document_authors", "document_id")],
    "author": [("authors", "id")],
}


def find_kind(db: Ledger, record_id: str) -> str:
    from tracker.errors import TrackerError

    kinds = [k for k, tables in KINDS.items()
             if db.execute(f"select 1 from {tables[0][0]} where id = ?", [record_id]).fetchone()
             or db.execute(f"select 1 from [_history_json_{tables[0][0]}] where pk_id = ?", [record_id]).fetchone()]
    if not kinds:
        from tracker.ledger.ids import unknown

        raise unknown(db, KINDS, record_id, f"{record_id!r}: no document, question, forecast or author has this id")
    if len(kinds) > 1:
        raise TrackerError(f"{record_id!r}: names a {' and a '.join(kinds)}; pass --kind")
    return kinds[0]


def record_changes(db: Ledger, record_id: str, kind: str | None = None) -> list[dict]:
    """The whole trail of a record, oldest first: its own row, its link rows and, for a question,
    its outcome log and evidence."""
    kind = kind or find_kind(db, record_id)
    changes = []
    for table, column in KINDS[kind]:
        if column == "id":
            changes += row_changes(db, table, {"id": record_id})
            continue
        keys = _keys_for(db, table, column, record_id)
        for pk in keys:
            changes += row_changes(db, table, pk)
            if table == "outcomes":
                for (eid,) in db.execute(
                        "select distinct pk_id from _history_json_outcome_evidence e "
                        "where json_extract(e.updated_values, '$.outcome_id') = ?", [pk["id"]]).fetchall():
                    changes += row_changes(db, "outcome_evidence", {"id": eid})
    return sorted(changes, key=lambda c: (c["at"], AUDITED.index(c["table"]), c["change"] or 0))


def _keys_for(db: Ledger, table: str, column: str, value: str) -> list[dict]:
    """Primary keys of every row ever linked to the record, including deleted ones."""
    pks = [r[1] for r in db.execute(f"pragma table_info([{table}])").fetchall() if r[5]]
    cols = ", ".join(f"pk_{c}" for c in pks)
    found: set[tuple] = set()
    if table in GROUP_CREATED:  # rows created by a bulk import, with no entry until they change
        found.update(tuple(r) for r in db.execute(f"select {', '.join(pks)} from [{table}] where [{column}] = ?",
                                                  [value]).fetchall())
    for row in db.execute(
            f"select distinct {cols} from [_history_json_{table}] where "
            + (f"pk_{column} = ?" if column in pks else f"json_extract(updated_values, '$.{column}') = ?"),
            [value]).fetchall():
        found.add(tuple(row))
    return [dict(zip(pks, k, strict=True)) for k in sorted(found, key=str)]
