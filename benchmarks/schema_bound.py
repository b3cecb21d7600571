"""What SQLite itself can do with tracker's schema: the benchmark's forecasts CSV written into a
migrated ledger with no checks at all, as fast as we know how. The import's second baseline,
between the floor (a bare table) and `tracker import` (every check, with its messages).

    python benchmarks/schema_bound.py FORECASTS.csv LEDGER.db   # LEDGER.db: made by tracker, empty

The rows go with `executemany` into a TEMP table, as the floor's do, with each forecast's key
(tracker's id for a row with no id: a hash of question, author and date). Then plain SQL writes
authors, questions, forecasts and their author links, sorted by key, in one transaction, with
the ledger's keys, indexes (built after the rows, as tracker's import builds them for a large
file), foreign keys and (unless its triggers were removed) the audit trail: authors and questions
row by row, forecasts and their author links as one import group, as tracker's import files them.
It reads the generator's six columns only (question_id, author, probability, made_on,
resolve_by, topic): it is a measurement, not an importer. The runner checks that it writes the
same forecasts as `tracker import`.
"""

from __future__ import annotations

import csv
import sqlite3
import sys


def main(source: str, ledger: str) -> None:
    from tracker.imports.cells import name_id as author_id  # an author's id, cached as the import caches it
    from tracker.imports.forecast_rows import (
        BULK_TABLES,
        table_forecast_id,  # the key tracker gives a row without an id
    )
    from tracker.ledger.connection import indexes_built_after

    conn = sqlite3.connect(ledger, isolation_level=None)
    conn.execute("pragma foreign_keys = on")
    conn.execute("pragma cache_size = -131072")  # as tracker's import has it
    conn.execute("begin immediate")
    conn.execute("""create temp table s (line integer primary key, question_id text, author text, probability real,
                    made_on text, resolve_by text, topic text, author_id text, id text)""")
    with open(source, newline="", encoding="utf-8") as f:
        rows = csv.reader(f)
        if next(rows) != ["question_id", "author", "probability", "made_on", "resolve_by", "topic"]:
            raise SystemExit(f"{source}: not the generator's columns")

        def staged():
            for line, (q, a, p, m, rb, t) in enumerate(rows, 2):
                aid = author_id(a)
                yield line, q, a, p, m, rb, t, aid, table_forecast_id(q, [aid], m, None)

        conn.executemany("insert into s values (?, ?, ?, ?, ?, ?, ?, ?, ?)", staged())
    conn.execute("insert into authors (id, name) select author_id, min(author) from s group by author_id")
    conn.execute("""insert into questions (id, title, resolve_by, topics, note)
                    select question_id, question_id, max(resolve_by), json_array(max(topic)), 'bound'
                    from s group by question_id""")
    # the rows are filed under one import group, as tracker's import files them (no audit row each)
    audited = conn.execute("select count(*) from sqlite_master where name = '_history_json'").fetchone()[0]
    change_group = conn.execute("insert into _history_json (note, current) values ('{}', null)").lastrowid \
        if audited else 0
    group = conn.execute("""insert into import_groups (change_group, path, sha256, kind, forecasts, forecast_authors,
                            at) values (?, ?, '', 'forecasts', 0, 0, '')""", [change_group, source]).lastrowid
    with indexes_built_after(conn, BULK_TABLES):  # as tracker's import does for a large file
        conn.execute("""insert into forecasts (id, question_id, made_on, probability, method, import_group)
                        select id, question_id, made_on, probability, 'stated', ? from s order by id""", [group])
        conn.execute("""insert into forecast_authors (forecast_id, author_id, position, import_group)
                        select id, author_id, 1, ? from s order by id""", [group])
    conn.execute("commit")
    conn.close()


if __name__ == "__main__":
    main(*sys.argv[1:3])
