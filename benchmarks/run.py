"""Benchmarks of tracker at N forecasts, each figure beside a baseline measured in the same run.

    .venv/bin/python benchmarks/run.py --sizes 10000 100000 [1000000] [--json] [--work DIR]

For each N, on a synthetic ledger from benchmarks/generate.py (every command a real subprocess,
as a user runs it):

- import: `tracker import --kind forecasts` against the floor, the same rows read with Python's
  csv module and inserted with executemany into a bare SQLite table (target: at most 3x);
  also the same import with the audit trail's triggers removed (what the audit costs), the
  outcomes import, and re-importing the same file (must change nothing); and the schema bound
  (benchmarks/schema_bound.py: the same rows written into tracker's schema by plain SQL with no
  checks, with and without the audit triggers), what SQLite itself can do with the ledger
- peak memory of the import (the child's own ru_maxrss, from os.wait4) (target: under 400 MB)
- `tracker score --by author --json` and `tracker calibration --json` against
  benchmarks/pandas_baseline.py computing the same numbers from the same CSVs (target: 2x
  faster), and the numbers must agree to 1e-9
- one `tracker resolve ... --correct` against `tracker --help`, the start-up floor (target:
  at most 1.3x), each run paired with a run of the other, and `tracker rescore` (the full rescore:
  at most 10x the floor, and 30 s at 1M); the re-import of the same file (at most 1x the floor),
  the outcomes import (at most 10x the floor); the peak memory of every import (under 400 MB)
- on the largest ledger, Datasette's latency (benchmarks/datasette_latency.py): p50 and p99 of
  the leaderboard, the calibration query and forecast row pages against /-/versions.json on the
  same server (target: p50 under 50 ms, p99 under 200 ms)

Then how each figure grows from the smallest to the largest N. Times are medians of --repeat
runs for the quick commands, single runs for imports.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import datasette_latency  # noqa: E402
from datasette_latency import fresh, hide_pandas  # noqa: E402
from generate import generate  # noqa: E402

PY = sys.executable
TRACKER = [PY, "-m", "tracker"]
#: tracker's own processes run as tracker is installed, without pandas: sqlite-utils imports
#: pandas whenever it can (only to map pandas.Timestamp), which adds ~0.25 s to every command
#: in a venv that also has the benchmark's pandas. --with-pandas measures that case instead.
#: tracker's modules also run from cached bytecode, as installed: with PYTHONDONTWRITEBYTECODE set
#: (some machines set it) every command compiled them again, 20-30 ms that no user pays.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

#: runs of one resolve and of --help, per --repeat
QUICK_RUNS = 3

FLOOR = r"""
import csv, sqlite3, sys
conn = sqlite3.connect(sys.argv[2])
with open(sys.argv[1], newline="") as f:
    rows = csv.reader(f)
    header = next(rows)
    conn.execute(f"create table forecasts ({', '.join(header)})")
    conn.executemany(f"insert into forecasts values ({', '.join('?' * len(header))})", rows)
conn.commit()
"""


#: the schema bound (benchmarks/schema_bound.py), which imports tracker's id function
BOUND = [PY, str(ROOT / "benchmarks" / "schema_bound.py")]


def _env(cmd: list[str]) -> dict | None:
    """The environment of tracker's processes (see ENV) for tracker and the scripts that import it."""
    return ENV if cmd[:3] == TRACKER or cmd[:2] == BOUND else None


def run(cmd: list[str]) -> tuple[float, None, str]:
    """(wall seconds, None, stdout) of a command run to completion."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, cwd=ROOT, env=_env(cmd))
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr.decode()[-2000:]}")
    return wall, None, proc.stdout.decode()


def run_peak(cmd: list[str]) -> tuple[float, float, str]:
    """Like run, but reaps the child with os.wait4 to read its own peak memory."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT,
                            env=_env(cmd))
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}")
    return wall, usage.ru_maxrss / 1024, out.decode()


def median_time(cmd: list[str], repeat: int) -> float:
    return statistics.median(run(cmd)[0] for _ in range(repeat))


def migrated(db: Path) -> Path:
    """A fresh, empty ledger with tracker's schema (made by tracker's own open_db: `tracker rescore`
    refuses a missing ledger, which once left the runner measuring the wrong thing)."""
    fresh(db)
    subprocess.run([PY, "-c", "import sys; from tracker.scores.derived import open_db; open_db(sys.argv[1]).close()",
                    str(db)], cwd=ROOT, check=True, env=ENV)
    return db


def without_audit(db: Path) -> Path:
    """An empty ledger whose audit triggers are gone: what the import costs without the trail."""
    migrated(db)
    conn = sqlite3.connect(db)
    for (name,) in conn.execute("select name from sqlite_master where type = 'trigger' "
                                "and name like '_history_json%'").fetchall():
        conn.execute(f"drop trigger [{name}]")
    conn.commit()
    left = conn.execute("select count(*) from sqlite_master where type = 'trigger' and name like '_history_json%'"
                        ).fetchone()[0]
    tables = conn.execute("select count(*) from sqlite_master where name = 'forecasts'").fetchone()[0]
    conn.close()
    if left or not tables:
        raise SystemExit(f"{db}: expected a migrated ledger without audit triggers")
    return db


def same_forecasts(a: Path, b: Path) -> bool:
    """Whether two ledgers hold the same forecasts (count, keys and probabilities, summed)."""
    sql = "select count(*), min(id), max(id), round(sum(probability), 6), (select count(*) from forecast_authors) " \
          "from forecasts"
    found = []
    for db in (a, b):
        conn = sqlite3.connect(db)
        found.append(conn.execute(sql).fetchone())
        conn.close()
    return found[0] == found[1]


def compare(tracker_scores: list[dict], tracker_cal: dict, pandas_out: dict) -> float:
    """The largest absolute difference between tracker's numbers and pandas'; raises on a
    difference in which authors or bins there are."""
    worst = 0.0

    def diff(a, b, what):
        nonlocal worst
        if a is None or b is None or (isinstance(b, float) and math.isnan(b)):
            if not (a is None and (b is None or (isinstance(b, float) and math.isnan(b)))):
                raise SystemExit(f"numbers differ at {what}: tracker {a!r}, pandas {b!r}")
            return
        worst = max(worst, abs(float(a) - float(b)))

    by_name = {r["name"]: r for r in tracker_scores}
    if set(by_name) != {r["author"] for r in pandas_out["authors"]}:
        raise SystemExit("tracker and pandas score different authors")
    for row in pandas_out["authors"]:
        mine = by_name[row["author"]]
        for key, value in row.items():
            if key != "author":
                diff(mine[key], value, f"{row['author']}.{key}")
    cal = pandas_out["calibration"]
    if len(cal["bins"]) != len(tracker_cal["bins"]):
        raise SystemExit("tracker and pandas have different calibration bins")
    for a, b in zip(tracker_cal["bins"], cal["bins"], strict=True):
        for key in b:
            diff(a[key], b[key], f"bin {b['lower']}.{key}")
    for key, value in cal.items():
        if key != "bins":
            diff(tracker_cal[key], value, f"calibration.{key}")
    return worst


def resolved_question(db: Path) -> tuple[str, str]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("select question_id, outcome from current_outcomes where outcome in ('yes', 'no') "
                            "order by question_id limit 1").fetchone()
    finally:
        conn.close()


def measure(n: int, work: Path, repeat: int) -> dict:
    directory = work / f"ledger-{n}"
    forecasts, outcomes = directory / "forecasts.csv", directory / "outcomes.csv"
    if not forecasts.exists() or not outcomes.exists():
        generate(n, directory)
    rows = sum(1 for _ in forecasts.open()) - 1
    db = fresh(directory / "ledger.db")
    r: dict = {"n": n, "rows": rows, "csv_mb": round(forecasts.stat().st_size / 2**20, 1)}
    say = lambda *a: print(f"  [{n}]", *a, file=sys.stderr, flush=True)  # noqa: E731

    r["floor_s"], r["floor_mb"], _ = run_peak([PY, "-c", FLOOR, str(forecasts), str(fresh(directory / "floor.db"))])
    say(f"floor {r['floor_s']:.2f} s")
    r["import_s"], r["import_mb"], _ = run_peak(TRACKER + ["import", "--kind", "forecasts", str(forecasts),
                                                           "--db", str(db)])
    say(f"import {r['import_s']:.2f} s, {r['import_mb']:.0f} MB")
    bare = without_audit(directory / "no-audit.db")
    r["import_no_audit_s"], _, _ = run_peak(TRACKER + ["import", "--kind", "forecasts", str(forecasts),
                                                       "--db", str(bare)])
    say(f"import without audit triggers {r['import_no_audit_s']:.2f} s")
    # What SQLite itself does with tracker's schema and no checks, with and without the audit trail
    bound_cmd = BOUND + [str(forecasts)]
    bound = migrated(directory / "bound.db")
    r["bound_s"], r["bound_mb"], _ = run_peak(bound_cmd + [str(bound)])
    r["bound_no_audit_s"], _, _ = run_peak(bound_cmd + [str(without_audit(directory / "bound-no-audit.db"))])
    if not same_forecasts(bound, db):
        raise SystemExit(f"{bound}: the schema bound wrote other forecasts than tracker's import")
    say(f"schema bound {r['bound_s']:.2f} s, without audit triggers {r['bound_no_audit_s']:.2f} s")
    r["outcomes_s"], r["outcomes_mb"], _ = run_peak(TRACKER + ["import", "--kind", "outcomes", str(outcomes),
                                                               "--db", str(db)])
    say(f"outcomes import {r['outcomes_s']:.2f} s")
    before = db.stat().st_size
    r["reimport_s"], r["reimport_mb"], out = run_peak(TRACKER + ["import", "--kind", "forecasts", str(forecasts),
                                                               "--db", str(db),
                                                  "--json"])
    counts = json.loads(out)[str(forecasts)]
    r["reimport_unchanged"] = counts["unchanged"] == rows and counts["created"] == counts["updated"] == 0
    r["reimport_noop"] = bool(counts.get("same_as_import"))  # not read: the same bytes, nothing changed since
    say(f"re-import {r['reimport_s']:.2f} s, changed nothing: {r['reimport_unchanged']}, "
        f"as a no-op: {r['reimport_noop']} ({before} bytes)")

    # per forecast, as the pandas baseline computes them (the default boards score each question once)
    score_cmd = TRACKER + ["score", "--by", "author", "--policy", "forecasts", "--min-n", "1", "--json",
                           "--db", str(db)]
    cal_cmd = TRACKER + ["calibration", "--policy", "forecasts", "--json", "--db", str(db)]
    pandas_cmd = [PY, str(ROOT / "benchmarks" / "pandas_baseline.py"), str(directory)]
    r["score_s"], r["calibration_s"] = median_time(score_cmd, repeat), median_time(cal_cmd, repeat)
    r["pandas_s"] = median_time(pandas_cmd, repeat)
    r["max_abs_difference"] = compare(json.loads(run(score_cmd)[2]), json.loads(run(cal_cmd)[2]),
                                      json.loads(run(pandas_cmd)[2]))
    say(f"score {r['score_s']:.2f} s, calibration {r['calibration_s']:.2f} s, pandas {r['pandas_s']:.2f} s, "
        f"max difference {r['max_abs_difference']:.2e}")

    qid, outcome = resolved_question(db)
    # Each resolve is paired with a --help run next to it, so that the machine's drift (seen at
    # ±30 % over a minute) moves the figure and its floor alike; more runs, as both are quick.
    times, helps = [], []
    for i in range(QUICK_RUNS * repeat):
        flip = ("no" if outcome == "yes" else "yes") if i % 2 == 0 else outcome
        times.append(run(TRACKER + ["resolve", qid, "--outcome", flip, "--correct", "--note", "benchmark",
                                    "--db", str(db)])[0])
        helps.append(run(TRACKER + ["--help"])[0])
    r["resolve_s"], r["help_s"] = statistics.median(times), statistics.median(helps)
    r["resolve_runs"] = len(times)
    say(f"resolve {r['resolve_s']:.2f} s, --help {r['help_s']:.2f} s")
    _, _, out = run(TRACKER + ["rescore", "--json", "--db", str(db)])
    r["rescore_s"] = json.loads(out)["seconds"]
    say(f"rescore {r['rescore_s']:.2f} s")
    r["db_mb"] = round(db.stat().st_size / 2**20, 1)
    return r


def measure_pages(n: int, work: Path, requests: int) -> dict:
    """Datasette's latency on the ledger of N forecasts, served immutable as a published instance:
    {"ledger": what was served, "pages": figures per page}, as datasette_latency reports them."""
    db = work / f"ledger-{n}" / "ledger.db"
    conn = sqlite3.connect(db)
    conn.execute("pragma wal_checkpoint(TRUNCATE)")  # an immutable server reads the main file only
    conn.close()
    result = datasette_latency.latency(db, list(datasette_latency.PAGES), requests)
    if "failed" in result:
        raise SystemExit(f"FAILED: {result['failed']}")
    # named as in the other tables: the file alone (not this machine's directory), and N
    result["ledger"].update(db=db.name, forecasts=n)
    return result


TARGETS = [
    # (label, figure, baseline, target: the figure over the baseline must be at most this ratio)
    ("import (forecasts)", "import_s", "floor_s", 3.0),
    ("re-import, same file", "reimport_s", "floor_s", 1.0),
    ("outcomes import (scores everything)", "outcomes_s", "floor_s", 10.0),
    ("rescore (full)", "rescore_s", "floor_s", 10.0),
    ("score --by author --json", "score_s", "pandas_s", 0.5),
    ("calibration --json", "calibration_s", "pandas_s", 0.5),
    ("resolve --correct", "resolve_s", "help_s", 1.3),
]
#: seconds a full rescore may take on the 1M ledger, on this machine
RESCORE_1M_S = 30.0


def report(results: list[dict]) -> str:
    lines = ["| N | figure | tracker | baseline | ratio | target | met |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in results:
        for label, key, base, target in TARGETS:
            ratio = r[key] / r[base]
            base_name = {"floor_s": "csv+executemany", "pandas_s": "pandas", "help_s": "--help"}[base]
            lines.append(f"| {r['n']:,} | {label} | {r[key]:.2f} s | {r[base]:.2f} s ({base_name}) | {ratio:.2f}x | "
                         f"<= {target}x | {'yes' if ratio <= target else 'NO'} |")
        for label, key in (("peak memory of the import", "import_mb"), ("same, outcomes import", "outcomes_mb"),
                           ("same, re-import", "reimport_mb")):
            lines.append(f"| {r['n']:,} | {label} | {r[key]:.0f} MB | {r['floor_mb']:.0f} MB "
                         f"(floor) | {r[key] / r['floor_mb']:.2f}x | < 400 MB | {'yes' if r[key] < 400 else 'NO'} |")
        if r["n"] >= 1_000_000:
            lines.append(f"| {r['n']:,} | rescore (full), seconds | {r['rescore_s']:.2f} s | | | "
                         f"<= {RESCORE_1M_S:.0f} s | "
                         f"{'yes' if r['rescore_s'] <= RESCORE_1M_S else 'NO'} |")
        lines.append(f"| {r['n']:,} | import without audit triggers | {r['import_no_audit_s']:.2f} s | "
                     f"{r['floor_s']:.2f} s (floor) | {r['import_no_audit_s'] / r['floor_s']:.2f}x | | |")
        for label, key, base in (("schema bound (no checks)", "bound_s", "floor_s"),
                                 ("schema bound, no audit triggers", "bound_no_audit_s", "floor_s"),
                                 ("import against the schema bound", "import_s", "bound_s"),
                                 ("same, both without audit triggers", "import_no_audit_s", "bound_no_audit_s")):
            base_name = "floor" if base == "floor_s" else "bound"
            lines.append(f"| {r['n']:,} | {label} | {r[key]:.2f} s | {r[base]:.2f} s ({base_name}) | "
                         f"{r[key] / r[base]:.2f}x | | |")
        lines.append(f"| {r['n']:,} | outcomes import (scores everything) | {r['outcomes_s']:.2f} s | | | | |")
        lines.append(f"| {r['n']:,} | re-import, same file | {r['reimport_s']:.2f} s | "
                     f"{r['import_s']:.2f} s (import) | "
                     f"{r['reimport_s'] / r['import_s']:.2f}x | changes nothing (no-op: "
                     f"{'yes' if r.get('reimport_noop') else 'no'}) | "
                     f"{'yes' if r['reimport_unchanged'] else 'NO'} |")
        lines.append(f"| {r['n']:,} | numbers vs pandas | max abs difference {r['max_abs_difference']:.1e} | | | "
                     f"<= 1e-9 | {'yes' if r['max_abs_difference'] <= 1e-9 else 'NO'} |")
    if len(results) > 1:
        a, b = results[0], results[-1]
        growth = b["n"] / a["n"]
        lines += ["", f"Growth from N = {a['n']:,} to N = {b['n']:,} ({growth:.0f}x the forecasts); "
                      "exponent 1 is linear:", "",
                  "| figure | smallest N | largest N | grew | exponent |", "| --- | --- | --- | --- | --- |"]
        for key in ("floor_s", "bound_s", "bound_no_audit_s", "import_s", "import_no_audit_s", "outcomes_s",
                    "reimport_s", "import_mb", "outcomes_mb", "reimport_mb", "score_s", "calibration_s", "pandas_s",
                    "resolve_s", "help_s",
                    "rescore_s"):
            x, y = a[key], b[key]
            unit = "MB" if key.endswith("mb") else "s"
            lines.append(f"| {key} | {x:.2f} {unit} | {y:.2f} {unit} | {y / x:.1f}x | "
                         f"{math.log(y / x) / math.log(growth):.2f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000], help="numbers of forecasts")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "tracker-bench",
                        help="where generated ledgers and databases are kept (reused across runs)")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each quick command (median is reported)")
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON too")
    parser.add_argument("--page-requests", type=int, default=200,
                        help="requests per page for Datasette's latency on the largest ledger (0: skip)")
    parser.add_argument("--with-pandas", action="store_true",
                        help="let tracker's processes import pandas (see ENV above) instead of hiding it")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    if not args.with_pandas:
        ENV["PYTHONPATH"] = os.pathsep.join(filter(None, [str(hide_pandas(args.work)), os.environ.get("PYTHONPATH")]))
    results = [measure(n, args.work, args.repeat) for n in sorted(args.sizes)]
    if args.page_requests:
        results[-1]["datasette"] = measure_pages(results[-1]["n"], args.work, args.page_requests)
    print(report(results))
    if args.page_requests:
        print()
        print(datasette_latency.table(**results[-1]["datasette"]))
    if args.json:
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
