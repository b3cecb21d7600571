"""Latency of the served ledger (issue 6): p50 and p99 of the leaderboard, the calibration query
and forecast row pages, against Datasette's own /-/versions.json on the same server.

    .venv/bin/python benchmarks/datasette_latency.py                  # 1,000,000 forecasts
    .venv/bin/python benchmarks/datasette_latency.py --forecasts 20000 --requests 50 --plans
    .venv/bin/python benchmarks/datasette_latency.py --db db/forecasts.db --json

Serves the ledger with one `datasette serve` on loopback as a published instance (immutable, SQL
time limit, row limit, the project's plugin, which brings the site's metadata; `serve`, which benchmarks/load_test.py
uses too), warms it up, then sends requests one at a time (latency, not load), the pages
interleaved, a different seeded-random forecast for every row page. Target: p50 under 50 ms and
p99 under 200 ms. Every response must be a 200: the first that is not (e.g. a query over
Datasette's time limit) stops the run, is named, and the script exits 1 (after --plans' output).
--pages leaves pages out; the floor is always measured.

The ledger is either --db, or a synthetic one of --forecasts N (benchmarks/generate.py,
imported with `tracker import --kind forecasts` then `--kind outcomes`), kept as
WORK/ledger-N/forecasts.db and reused by later runs.

--plans also records the SQL each page runs (Datasette's own queries, the canned queries of
tracker/site/metadata.yml, the plugin's extra_template_vars), times each query on its own, prints its
EXPLAIN QUERY PLAN and flags every full scan of a large table or index, read from the
statement's bytecode (a Rewind over a b-tree), so an alias in the plan cannot hide the table.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import json
import os
import random
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
# this tree's tracker (its Datasette plugin too, for --plans) before an installed one
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from generate import generate  # noqa: E402

TRACKER = [sys.executable, "-m", "tracker"]
#: the server's settings (serve), as a published instance's: no facet suggestions, which run a
#: query per column per page; the in-process Datasette of --plans overrides the time limit only
SETTINGS = {"sql_time_limit_ms": 3000, "max_returned_rows": 2000, "suggest_facets": False}

P50_TARGET_MS, P99_TARGET_MS = 50, 200
#: unmeasured requests per page first, and the seed of the forecast ids and of the order of the pages
WARMUP, SEED = 10, 1
FLOOR = "versions"
#: page → its path; the forecast page gets a different forecast id on every request
PAGES = {
    "leaderboard": "/forecasts/leaderboard?min_n=5&board=raw",   # the canned query, as load_test.py
    "calibration": "/forecasts/calibration",                     # the canned query, everyone
    "forecast": "/forecasts/forecasts/{id}",                     # a forecast's row page
    FLOOR: "/-/versions.json",                                   # Datasette's own page, no SQL
}
LABELS = {"leaderboard": "leaderboard (canned query)", "calibration": "calibration (canned query)",
          "forecast": "forecast row page", FLOOR: "/-/versions.json (floor)"}


def say(*args) -> None:
    print(*args, file=sys.stderr, flush=True)


def hide_pandas(work: Path) -> Path:
    """A directory whose pandas.py raises ImportError: first on PYTHONPATH, it keeps a child
    process from importing pandas (sqlite-utils imports pandas whenever it can; tracker does not
    use it)."""
    hide = work / "no-pandas"
    hide.mkdir(parents=True, exist_ok=True)
    (hide / "pandas.py").write_text('raise ImportError("hidden by the benchmarks: tracker does not use pandas")\n')
    return hide


def child_path(work: Path, with_pandas: bool) -> None:
    """The path of tracker's processes (imports, the server): this tree first, so the server loads
    this tree's plugin, and, as benchmarks/run.py does, without pandas unless asked."""
    first = [str(ROOT)] if with_pandas else [str(hide_pandas(work)), str(ROOT)]
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [*first, os.environ.get("PYTHONPATH")]))


def fresh(path: Path) -> Path:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    return path


def build(n: int, work: Path) -> Path:
    """WORK/ledger-N/forecasts.db, built once (imported into building.db, renamed when complete)."""
    directory = work / f"ledger-{n}"
    db = directory / "forecasts.db"
    if db.exists():
        say(f"reusing {db}")
        return db
    say(f"generating {n:,} forecasts in {directory}")
    forecasts, outcomes = generate(n, directory)
    partial = fresh(directory / "building.db")
    for kind, path in (("forecasts", forecasts), ("outcomes", outcomes)):
        start = time.perf_counter()
        proc = subprocess.run(TRACKER + ["import", "--kind", kind, str(path), "--db", str(partial)],
                              capture_output=True, cwd=ROOT)
        if proc.returncode != 0:
            raise SystemExit(f"tracker import --kind {kind} failed ({proc.returncode}):\n"
                             f"{proc.stderr.decode()[-2000:]}")
        say(f"  {kind} import: {time.perf_counter() - start:.0f} s")
    conn = sqlite3.connect(partial)
    conn.execute("pragma wal_checkpoint(TRUNCATE)")
    conn.execute("pragma journal_mode = delete")  # an immutable snapshot has no WAL
    conn.close()
    partial.rename(db)
    return db


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(db: Path, port: int) -> subprocess.Popen:
    # no --metadata: the plugin supplies the site's, as on a published instance
    cmd = [sys.executable, "-m", "datasette", "serve", "-i", str(db), "--host", "127.0.0.1", "--port", str(port)]
    for name, value in SETTINGS.items():
        cmd += ["--setting", name, ("on" if value else "off") if isinstance(value, bool) else str(value)]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop(server: subprocess.Popen) -> None:
    """End a server started by serve, killing it if it does not stop within 10 s."""
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()


def wait_ready(base: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/-/versions.json", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the server did not start in time")


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]


def read_only(db: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{urllib.request.pathname2url(str(db.resolve()))}?immutable=1", uri=True)


def served_as_forecasts(db: Path, tmp: Path) -> Path:
    """The file Datasette serves: it names a database after its file, and the pages live under
    /forecasts, so a ledger under another name is served through a symlink forecasts.db."""
    wal = Path(f"{db}-wal")
    if wal.exists() and wal.stat().st_size:
        raise SystemExit(f"{db} has changes in {wal.name} that an immutable server would not see; "
                         "checkpoint it first (pragma wal_checkpoint(TRUNCATE))")
    if db.name == "forecasts.db":
        return db
    link = tmp / "forecasts.db"
    link.symlink_to(db.resolve())
    return link


def forecast_ids(db: Path, k: int, seed: int) -> list[str]:
    conn = read_only(db)
    ids = [r[0] for r in conn.execute("select id from forecasts order by id")]
    conn.close()
    if not ids:
        raise SystemExit(f"{db} has no forecasts")
    rng = random.Random(seed)
    return rng.sample(ids, k) if len(ids) >= k else rng.choices(ids, k=k)


def row_path(forecast_id: str) -> str:
    from datasette.utils import tilde_encode

    return PAGES["forecast"].format(id=tilde_encode(str(forecast_id)))


class Failed(Exception):
    """A page answered something other than 200."""


def failure(name: str, path: str, r: httpx.Response) -> Failed:
    """Name the page, the status and Datasette's own explanation (an error page's title and
    first paragraph, e.g. "SQL Interrupted: SQL query took too long")."""
    text = r.text
    if "html" in r.headers.get("content-type", ""):
        parts = [re.search(r"<title>(.*?)</title>", text, re.S), re.search(r"<p>(.*?)</p>", text, re.S)]
        text = ": ".join(" ".join(html.unescape(re.sub(r"<[^>]+>", "", m.group(1))).split()) for m in parts if m)
    return Failed(f"{name}: GET {path} answered {r.status_code}, not 200: {text[:500]}")


def measure(db: Path, pages: list[str], requests: int, warmup: int, seed: int) -> dict[str, list[float]]:
    """Milliseconds of each request, by page: one server, one client, one request at a time.
    Raises Failed at the first answer that is not a 200."""
    ids = iter(forecast_ids(db, (requests + warmup), seed))
    rng = random.Random(seed)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = serve(db, port)
    times: dict[str, list[float]] = {name: [] for name in pages}
    try:
        wait_ready(base, time.monotonic() + 120)
        with httpx.Client(base_url=base, timeout=30, trust_env=False) as http:

            def get(name: str) -> float:
                path = row_path(next(ids)) if name == "forecast" else PAGES[name]
                start = time.perf_counter()
                r = http.get(path)
                elapsed = (time.perf_counter() - start) * 1000
                if r.status_code != 200:
                    raise failure(name, path, r)
                return elapsed

            names = list(pages)
            for _ in range(warmup):
                for name in names:
                    get(name)
            say(f"warmed up ({warmup} requests per page); measuring {requests} per page")
            for _ in range(requests):
                rng.shuffle(names)  # interleaved, in a seeded order that changes every round
                for name in names:
                    times[name].append(get(name))
    finally:
        stop(server)
    return times


def summarise(times: dict[str, list[float]]) -> dict[str, dict]:
    floor = statistics.median(times[FLOOR])
    out = {}
    for name, v in times.items():
        p50, p99 = percentile(v, 50), percentile(v, 99)
        out[name] = {"requests": len(v), "p50_ms": round(p50, 1), "p99_ms": round(p99, 1),
                     "max_ms": round(max(v), 1), "p50_vs_floor": round(p50 / floor, 1),
                     "p50_met": p50 < P50_TARGET_MS, "p99_met": p99 < P99_TARGET_MS}
    return out


def latency(db: Path, pages: list[str], requests: int, warmup: int = WARMUP, seed: int = SEED) -> dict:
    """Datasette's latency on the ledger db, served immutable as a published instance:
    {"ledger": what was served, "pages": figures per page}, or, in place of "pages", "failed":
    the first answer that was not a 200."""
    import datasette

    with tempfile.TemporaryDirectory() as tmp:
        served = served_as_forecasts(db, Path(tmp))
        conn = read_only(served)
        n = conn.execute("select count(*) from forecasts").fetchone()[0]
        conn.close()
        ledger = {"db": str(db), "forecasts": n, "db_mb": round(db.stat().st_size / 2**20, 1),
                  "datasette": datasette.__version__, "requests": requests, "warmup": warmup, "seed": seed}
        report: dict = {"ledger": ledger}
        try:
            report["pages"] = summarise(measure(served, pages, requests, warmup, seed))
        except Failed as e:
            report["failed"] = str(e)
    return report


def table(ledger: dict, pages: dict[str, dict]) -> str:
    yes = lambda ok: "yes" if ok else "**NO**"  # noqa: E731
    lines = [f"Datasette {ledger['datasette']} serving {ledger['db']} ({ledger['forecasts']:,} forecasts, "
             f"{ledger['db_mb']:,} MB); sequential requests on loopback, pages interleaved, after "
             f"{ledger['warmup']} warm-up requests per page.", "",
             f"| page | requests | p50 | p99 | max | p50 / floor p50 | p50 < {P50_TARGET_MS} ms | "
             f"p99 < {P99_TARGET_MS} ms |", "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |"]
    for name, p in pages.items():
        lines.append(f"| {LABELS[name]} | {p['requests']} | {p['p50_ms']:.1f} ms | {p['p99_ms']:.1f} ms "
                     f"| {p['max_ms']:.1f} ms | {p['p50_vs_floor']:.1f}x | {yes(p['p50_met'])} | {yes(p['p99_met'])} |")
    return "\n".join(lines)


# --- --plans: the SQL behind each page ---------------------------------------------------------

def page_queries(db: Path, paths: dict[str, str]) -> dict[str, list[dict]]:
    """The SQL each page runs against the ledger, in order, as Datasette's tracer records it, from
    an in-process Datasette set up as the server is (same settings and plugin, which brings the metadata)."""
    from datasette.app import Datasette
    from datasette.tracer import capture_traces

    async def run() -> dict[str, list[dict]]:
        # as the server, but without its time limit: a query it gives up on is still recorded and explained
        ds = Datasette(immutables=[str(db)],
                       settings={**SETTINGS, "sql_time_limit_ms": 600_000})
        await ds.invoke_startup()
        out = {}
        for name, path in paths.items():
            await ds.client.get(path)  # the first request also counts every table, once per server
            traces: list[dict] = []
            with capture_traces(traces):
                r = await ds.client.get(path)
            if r.status_code != 200:
                raise SystemExit(str(failure(name, path, r)) + " (in process, recording the SQL)")
            out[name] = [{"sql": t["sql"], "params": t.get("params")} for t in traces
                         if t["type"] == "sql" and t.get("database") == "forecasts"]
        return out

    return asyncio.run(run())


def canned_queries() -> dict[str, str]:
    from tracker.site.metadata import WRITTEN_FOR, shipped

    queries = shipped()["databases"][WRITTEN_FOR].get("queries", {})
    return {q["sql"].strip(): name for name, q in queries.items()}


def plan_tree(rows: list[tuple]) -> list[str]:
    depth = {0: -1}
    lines = []
    for node, parent, _, detail in rows:
        depth[node] = depth.get(parent, -1) + 1
        lines.append("  " * depth[node] + detail)
    return lines


def full_scans(conn: sqlite3.Connection, sql: str, params) -> list[tuple[str, str]]:
    """(b-tree, its table) of every full scan in the statement: a Rewind (or Last) over a cursor
    opened on a table or index of the database, read from EXPLAIN's bytecode."""
    roots = {root: (name, table) for name, table, root in
             conn.execute("select name, tbl_name, rootpage from sqlite_master where rootpage > 0")}
    cursors, scans = {}, []
    for _, opcode, p1, p2, p3, *_ in conn.execute("explain " + sql, params or ()):
        if opcode in ("OpenRead", "ReopenIdx") and p3 == 0 and p2 in roots:
            cursors[p1] = roots[p2]
        elif opcode in ("Rewind", "Last") and p1 in cursors:
            scans.append(cursors[p1])
    return scans


def explain(db: Path, queries: dict[str, list[dict]], large: int) -> dict[str, list[dict]]:
    conn = read_only(db)
    counts: dict[str, int] = {}

    def rows_of(table: str) -> int:
        if table not in counts:
            counts[table] = conn.execute(f"select count(*) from [{table}]").fetchone()[0]
        return counts[table]

    canned = canned_queries()
    out = {}
    for page, page_sql in queries.items():
        seen, plans = set(), []
        for q in page_sql:
            sql, params = q["sql"], q["params"]
            if sql in seen or not sql.lower().lstrip().startswith(("select", "with")):
                continue
            seen.add(sql)
            runs = []
            for _ in range(3):
                start = time.perf_counter()
                conn.execute(sql, params or ()).fetchall()
                runs.append((time.perf_counter() - start) * 1000)
            scans = [{"btree": btree, "table": table, "rows": rows_of(table),
                      "large": rows_of(table) >= large} for btree, table in full_scans(conn, sql, params)]
            name = ("canned query " + canned[sql.strip()]) if sql.strip() in canned else " ".join(sql.split())
            plans.append({"query": name,
                          "params": params, "ms": round(statistics.median(runs), 2),
                          "plan": plan_tree(conn.execute("explain query plan " + sql, params or ()).fetchall()),
                          "full_scans": scans})
        out[page] = plans
    conn.close()
    return out


def plans_text(plans: dict[str, list[dict]], large: int) -> str:
    lines = ["", f"Query plans (a full scan of a table or index of at least {large:,} rows is flagged **LARGE**):"]
    for page, queries in plans.items():
        lines += ["", f"### {LABELS[page]}: {len(queries)} distinct queries"]
        for q in queries:
            scans = ", ".join(f"{'**LARGE** ' if s['large'] else ''}{s['btree']}"
                              f"{'' if s['btree'] == s['table'] else ' (index on ' + s['table'] + ')'} "
                              f"{s['rows']:,} rows" for s in q["full_scans"]) or "none"
            lines += ["", f"- `{q['query'][:300]}`", f"  params {q['params']}; {q['ms']} ms on its own; "
                      f"full scans: {scans}", "", "  ```", *("  " + p for p in q["plan"]), "  ```"]
    flagged = {(page, q["query"][:120], s["btree"]) for page, qs in plans.items() for q in qs for s in q["full_scans"]
               if s["large"]}
    lines += ["", f"{len(flagged)} full scans of large tables or indexes" + (":" if flagged else ".")]
    lines += [f"- {page}: {btree} in `{query}`" for page, query, btree in sorted(flagged)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path,
                        help="serve this ledger (a SQLite file, not changed) instead of generating one")
    parser.add_argument("--forecasts", type=int, default=1_000_000,
                        help="size of the synthetic ledger to generate and import when no --db is given "
                             "(default: %(default)s)")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "tracker-datasette-latency",
                        help="where the synthetic ledger is kept as ledger-N/forecasts.db, and reused if there "
                             "(default: %(default)s)")
    parser.add_argument("--requests", type=int, default=200,
                        help="measured requests per page (default: %(default)s)")
    parser.add_argument("--warmup", type=int, default=WARMUP,
                        help="unmeasured requests per page first (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=SEED,
                        help="seed of the forecast ids and the order of the pages (default: %(default)s)")
    parser.add_argument("--pages", nargs="+", choices=[p for p in PAGES if p != FLOOR], metavar="PAGE",
                        default=[p for p in PAGES if p != FLOOR],
                        help=f"the pages to measure, of {', '.join(p for p in PAGES if p != FLOOR)} (default: all); "
                             f"the floor, {PAGES[FLOOR]}, is always measured")
    parser.add_argument("--plans", action="store_true",
                        help="also print each page's SQL with its time, EXPLAIN QUERY PLAN and full scans")
    parser.add_argument("--large", type=int, default=10_000,
                        help="with --plans, flag full scans of tables with at least this many rows "
                             "(default: %(default)s)")
    parser.add_argument("--json", action="store_true", help="print the figures (and plans) as JSON instead")
    parser.add_argument("--with-pandas", action="store_true",
                        help="let tracker's processes import pandas instead of hiding it (see benchmarks/run.py)")
    args = parser.parse_args()
    if args.requests < 1 or args.warmup < 0:
        parser.error("--requests must be at least 1 and --warmup at least 0")
    work = args.work.resolve()
    db = args.db.resolve() if args.db else None
    if db is not None and not db.is_file():
        parser.error(f"no such ledger: {args.db}")
    work.mkdir(parents=True, exist_ok=True)
    child_path(work, args.with_pandas)
    os.chdir(ROOT)  # `python -m` puts the working directory first: this tree's tracker, nobody else's

    if db is None:
        db = build(args.forecasts, work)
    pages = [p for p in PAGES if p in args.pages or p == FLOOR]
    report = latency(db, pages, args.requests, args.warmup, args.seed)
    if args.plans:  # also after a failure: they tell why
        say("recording and explaining each page's SQL")
        with tempfile.TemporaryDirectory() as tmp:
            served = served_as_forecasts(db, Path(tmp))
            paths = {name: row_path(forecast_ids(served, 1, args.seed)[0]) if name == "forecast" else PAGES[name]
                     for name in pages if name != FLOOR}
            report["plans"] = explain(served, page_queries(served, paths), args.large)
    if args.json:
        print(json.dumps(report, indent=2, default=str))
    else:
        if "pages" in report:
            print(table(report["ledger"], report["pages"]))
        if args.plans:
            print(plans_text(report["plans"], args.large))
    if "failed" in report:
        raise SystemExit(f"FAILED: {report['failed']}")


if __name__ == "__main__":
    main()
