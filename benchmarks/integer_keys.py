"""What integer keys would buy the import: a bare-schema experiment (issue 19).

    python benchmarks/integer_keys.py FORECASTS.csv [--work DIR] [--json]

The benchmark's forecasts CSV is staged once (csv + executemany into a TEMP table, as the floor
reads it, with tracker's forecast ids and author ids), then written into two bare schemas that
hold the same rows with the same constraints that matter for speed and nothing else (no audit,
no score tables, no checks): forecasts, their author links, authors and questions, with the
ledger's indexes, built after the rows as tracker's bulk import builds them.

- text keys, as the ledger has them: `forecasts.id TEXT PRIMARY KEY`, links keyed by
  (forecast_id, author_id) text, text foreign keys and indexes on question and author ids;
- integer keys: every table keyed by an INTEGER PRIMARY KEY (the rowid), links by two integers,
  indexes on integers; the ids users see stay, as UNIQUE text columns (so one text index each).

Each write is timed on its own, beside the floor (the same rows into a bare table) measured in the
same run; the file sizes say how much smaller the ledger would be. It is a measurement, not an
importer: it reads the generator's columns only.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TEXT_KEYS = """
create table authors (id text primary key, name text not null);
create table questions (id text primary key, title text not null, resolve_by text, topics text);
create table forecasts (id text primary key, question_id text not null references questions(id),
    made_on text not null, probability real, method text not null);
create table forecast_authors (forecast_id text not null references forecasts(id),
    author_id text not null references authors(id), position integer not null,
    primary key (forecast_id, author_id));
"""
TEXT_INDEXES = """
create index idx_forecasts_question on forecasts(question_id);
create index idx_forecast_authors_author on forecast_authors(author_id);
"""
INTEGER_KEYS = """
create table authors (rowid_ integer primary key, id text not null unique, name text not null);
create table questions (rowid_ integer primary key, id text not null unique, title text not null,
    resolve_by text, topics text);
create table forecasts (rowid_ integer primary key, id text not null,
    question integer not null references questions(rowid_), made_on text not null, probability real,
    method text not null);
create table forecast_authors (forecast integer not null references forecasts(rowid_),
    author integer not null references authors(rowid_), position integer not null,
    primary key (forecast, author)) without rowid;
"""
INTEGER_INDEXES = """
create unique index forecasts_id on forecasts(id);
create index idx_forecasts_question on forecasts(question);
create index idx_forecast_authors_author on forecast_authors(author);
"""


def stage(conn: sqlite3.Connection, source: str) -> None:
    from tracker.imports.cells import name_id as author_id
    from tracker.imports.forecast_rows import table_forecast_id

    conn.execute("""create temp table s (line integer primary key, question_id text, author text, probability real,
                    made_on text, resolve_by text, topic text, author_id text, id text)""")
    with open(source, newline="", encoding="utf-8") as f:
        rows = csv.reader(f)
        next(rows)

        def staged():
            for line, (q, a, p, m, rb, t) in enumerate(rows, 2):
                aid = author_id(a)
                yield line, q, a, p, m, rb, t, aid, table_forecast_id(q, [aid], m, None)

        conn.executemany("insert into s values (?, ?, ?, ?, ?, ?, ?, ?, ?)", staged())


def write_text_keys(conn: sqlite3.Connection) -> None:
    conn.execute("insert into authors (id, name) select author_id, min(author) from s group by author_id")
    conn.execute("""insert into questions (id, title, resolve_by, topics) select question_id, question_id,
                    max(resolve_by), json_array(max(topic)) from s group by question_id""")
    conn.execute("""insert into forecasts (id, question_id, made_on, probability, method)
                    select id, question_id, made_on, probability, 'stated' from s order by id""")
    conn.execute("""insert into forecast_authors (forecast_id, author_id, position)
                    select id, author_id, 1 from s order by id""")
    for sql in TEXT_INDEXES.strip().split(";"):
        if sql.strip():
            conn.execute(sql)


def write_integer_keys(conn: sqlite3.Connection) -> None:
    conn.execute("insert into authors (id, name) select author_id, min(author) from s group by author_id")
    conn.execute("""insert into questions (id, title, resolve_by, topics) select question_id, question_id,
                    max(resolve_by), json_array(max(topic)) from s group by question_id""")
    # the staged rows take their integer keys from the lookups (as an importer would)
    conn.execute("""insert into forecasts (id, question, made_on, probability, method)
                    select s.id, q.rowid_, s.made_on, s.probability, 'stated'
                    from s join questions q on q.id = s.question_id order by s.line""")
    conn.execute("""insert into forecast_authors (forecast, author, position)
                    select f.rowid_, a.rowid_, 1 from forecasts f join s on s.line - 1 = f.rowid_
                    join authors a on a.id = s.author_id order by f.rowid_""")
    for sql in INTEGER_INDEXES.strip().split(";"):
        if sql.strip():
            conn.execute(sql)


def timed_write(source: str, db: Path, schema: str, write) -> dict:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("pragma foreign_keys = on")
    conn.execute("pragma cache_size = -131072")  # as tracker's import has it
    conn.executescript(schema)
    conn.execute("begin immediate")
    stage(conn, source)
    start = time.perf_counter()
    write(conn)
    conn.execute("commit")
    seconds = time.perf_counter() - start
    conn.close()
    return {"write_s": round(seconds, 3), "db_mb": round(db.stat().st_size / 2**20, 1)}


FLOOR = r"""
import csv, sqlite3, sys, time
conn = sqlite3.connect(sys.argv[2])
start = time.perf_counter()
with open(sys.argv[1], newline="") as f:
    rows = csv.reader(f)
    header = next(rows)
    conn.execute(f"create table forecasts ({', '.join(header)})")
    conn.executemany(f"insert into forecasts values ({', '.join('?' * len(header))})", rows)
conn.commit()
print(time.perf_counter() - start)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("forecasts", help="a forecasts CSV made by benchmarks/generate.py")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "tracker-bench-keys")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    floor_db = args.work / "floor.db"
    floor_db.unlink(missing_ok=True)
    floor = float(subprocess.run([sys.executable, "-c", FLOOR, args.forecasts, str(floor_db)], check=True,
                                 capture_output=True, text=True).stdout)
    result = {"floor_s": round(floor, 3),
              "text_keys": timed_write(args.forecasts, args.work / "text.db", TEXT_KEYS, write_text_keys),
              "integer_keys": timed_write(args.forecasts, args.work / "integer.db", INTEGER_KEYS,
                                          write_integer_keys)}
    for name in ("text_keys", "integer_keys"):
        r = result[name]
        print(f"{name}: write {r['write_s']:.2f} s ({r['write_s'] / floor:.1f}x the floor's {floor:.2f} s, "
              f"which reads and writes the file), {r['db_mb']} MB")
    print(f"integer keys write in {result['integer_keys']['write_s'] / result['text_keys']['write_s']:.2f}x "
          f"the time of text keys")
    if args.json:
        print(json.dumps(result, indent=2))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
