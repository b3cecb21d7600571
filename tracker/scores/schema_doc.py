"""The schema of a new ledger as Markdown, for docs/schema.md (generated there with cog).

`python -m tracker.scores.schema_doc` prints it. The ledger is made by tracker's own opening
function in a temporary directory, so the page shows exactly what the ledger's migrations and the
score tables' definition (tracker/scores/schema.sql) build.
"""

from __future__ import annotations

import tempfile
import textwrap
from pathlib import Path

from tracker.scores import derived

#: The tables SQLite's FTS5 keeps for each full-text index: not part of the schema anyone writes.
FTS_SHADOW_SUFFIXES = ("_config", "_content", "_data", "_docsize", "_idx")

GROUPS = [
    ("Ledger tables", "What analysts record: documents, authors, questions, forecasts, outcomes, "
                      "and the log of imports. Full-text indexes are FTS5 virtual tables kept in step by triggers."),
    ("Derived score tables", "Computed from the ledger, never typed in, and kept current by every write "
                             "(see [scoring.md](scoring.md)); `tracker rescore` recomputes their rows, and "
                             "`tracker migrate` rebuilds them when their definition changes."),
    ("Audit trail", "sqlite-history-json's log of every change to the audited tables "
                    "(see [guarantees.md](guarantees.md#audit-trail))."),
    ("Views", "Plain SQL, readable from any SQLite client."),
    ("Internal", "sqlite-utils' record of the migration steps applied."),
]


def _ledger_schema() -> list[tuple[str, str, str, str]]:
    """(type, name, tbl_name, sql) of every object a fresh ledger has, made by `open_db`."""
    from tracker.scores.derived import open_db  # the one place that knows how a ledger is made

    with tempfile.TemporaryDirectory() as tmp:
        db = open_db(Path(tmp) / "schema.db")
        try:
            rows = db.execute("select type, name, tbl_name, sql from sqlite_master "
                                   "where sql is not null and name not like 'sqlite_%' "
                                   "order by type, name").fetchall()
        finally:
            db.close()
    return rows


def _group(kind: str, name: str, table: str) -> str:
    if kind == "view":
        return "Views"
    if name.startswith("_history_json") or table.startswith("_history_json"):
        return "Audit trail"
    if table.startswith("_"):
        return "Internal"
    if table in {name for _, name in derived.objects()} | {derived.STATE_TABLE}:
        return "Derived score tables"
    return "Ledger tables"


def _tidy(sql: str) -> str:
    """The statement as stored, with the migrations' indentation of its later lines taken off."""
    first, _, rest = sql.strip().partition("\n")
    lines = [first, *textwrap.dedent(rest).splitlines()] if rest else [first]
    return "\n".join(line.rstrip() for line in lines) + ";"


def schema_markdown() -> str:
    """Every table, view, index and trigger of a new ledger, grouped, as Markdown."""
    rows = _ledger_schema()
    virtual = {name for kind, name, _, sql in rows if kind == "table" and sql.upper().startswith("CREATE VIRTUAL")}
    shadows = {v + suffix for v in virtual for suffix in FTS_SHADOW_SUFFIXES}
    # each table with its own indexes and triggers, in the order tables, indexes, triggers, by name
    by_group: dict[str, dict[str, list[tuple[str, str, str]]]] = {g: {} for g, _ in GROUPS}
    order = {"table": 0, "view": 1, "index": 2, "trigger": 3}
    for kind, name, table, sql in sorted(rows, key=lambda r: (order.get(r[0], 9), r[1])):
        if name in shadows or table in shadows:
            continue
        # an audit trigger sits on the audited table, but belongs with the audit trail
        owner = name if kind in ("table", "view") else table
        group = _group(kind, name, owner)
        if group == "Audit trail" and not owner.startswith("_history_json"):
            owner = "_history_json_" + owner
            if owner not in {r[1] for r in rows}:
                owner = "_history_json"
        by_group[group].setdefault(owner, []).append((kind, name, sql))

    out = ["<!-- generated from a new ledger by tracker.scores.schema_doc; do not edit by hand -->\n"]
    for group, blurb in GROUPS:
        objects = by_group[group]
        if not objects:
            continue
        out.append(f"\n## {group}\n\n{blurb}\n")
        for owner in sorted(objects):
            out.append(f"\n### `{owner}`\n\n```sql\n")
            out.append("\n\n".join(_tidy(sql) for _, _, sql in objects[owner]))
            out.append("\n```\n")
    return "".join(out)


if __name__ == "__main__":
    print(schema_markdown(), end="")
