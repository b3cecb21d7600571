"""Heavy SQL beside normal readers, on loopback only: does one reader's heavy query stall the others?

Builds a synthetic ledger (benchmarks/generate.py), serves it with `datasette serve` as a published
instance runs (immutable, 3 s SQL time limit, the project's plugin and its guard), and runs
phases of S seconds each: R readers alone (the leaderboard, the reliability chart's query as
the dashboard sends it, forecast pages), then
the same readers beside H clients that send one kind of heavy SQL over and over (`HEAVY`):

- blob: `select length(hex(randomblob(100000000)))`, one call that ran past Datasette's time
  limit; the guard's 10 MB value limit refuses it at once;
- columns: the issue's 24 columns of `length(hex(randomblob(4000000)))` on every row of a long
  recursive CTE, each call within the value limit: it runs to the time limit (3 s), which the
  guard's watchdog enforces between any two instructions;
- trim: one `trim(X, Y)` of 40,000 by 200,000 characters (37 s in one step); the guard refuses
  a call of such work at once.

Every loop is bounded in count and time and the server is always stopped. Prints the readers'
p50/p99 in each phase, what the heavy clients got, and the server's peak memory (VmHWM and the
largest VmRSS sampled in each phase, from /proc).

    python benchmarks/heavy_sql.py                     # 10 readers, 4 heavy clients, 2 x 15 s
    python benchmarks/heavy_sql.py --readers 5 --heavy 2 --seconds 5 --forecasts 2000 --json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from datasette_latency import (  # noqa: E402
    PAGES,
    SEED,
    build,
    forecast_ids,
    free_port,
    percentile,
    row_path,
    serve,
    stop,
    wait_ready,
)

from tracker.site.metadata import shipped  # noqa: E402

#: the reliability chart's own query, as the calibration dashboard sends it (for everyone)
CHART_SQL = shipped()["plugins"]["datasette-dashboards"]["calibration"]["charts"]["reliability"]["query"]

HEAVY = {
    "blob": "select length(hex(randomblob(100000000)))",
    "columns": ("with recursive c(x) as (select 1 union all select x + 1 from c limit 100000) select "
                + ", ".join("length(hex(randomblob(4000000)))" for _ in range(24)) + " from c"),
    "trim": "select length(trim(replace(hex(zeroblob(20000)), '0', '2'), hex(zeroblob(100000)) || '2'))",
}
MAX_REQUESTS = 100_000  # per client and phase, beside the time bound


def memory_kb(pid: int, field: str) -> int | None:
    """VmRSS or VmHWM of a process, in kB (Linux /proc); None elsewhere."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


class Sampler(threading.Thread):
    """The largest VmRSS of `pid`, sampled every 50 ms until stopped."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.done = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.05):
            self.peak = max(self.peak, memory_kb(self.pid, "VmRSS") or 0)


async def reader(base: str, pages: dict[str, list[str]], until: float, latencies: list[float],
                 errors: Counter, seed: int, by_page: dict[str, list[float]]) -> None:
    rng = random.Random(seed)
    names = sorted(pages)
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        for _ in range(MAX_REQUESTS):
            if time.monotonic() >= until:
                return
            name = rng.choice(names)
            path = rng.choice(pages[name])
            start = time.perf_counter()
            try:
                ok = (await http.get(path)).status_code == 200
            except httpx.HTTPError:
                ok = False
            if ok:
                ms = (time.perf_counter() - start) * 1000
                latencies.append(ms)
                by_page.setdefault(name, []).append(ms)
            else:
                errors["reader"] += 1


async def heavy(base: str, sql: str, until: float, answers: Counter, latencies: list[float]) -> None:
    params = {"sql": sql}
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        for _ in range(MAX_REQUESTS):
            if time.monotonic() >= until:
                return
            start = time.perf_counter()
            try:
                r = await http.get("/forecasts.json", params=params)
                error = (r.json().get("error") or "ok").removeprefix("<p>")
                answers[f"{r.status_code} {error[:40]}"] += 1
            except (httpx.HTTPError, ValueError) as e:
                answers[type(e).__name__] += 1
            latencies.append((time.perf_counter() - start) * 1000)


def phase(base: str, pid: int, pages: dict, readers: int, heavies: int, seconds: float, kind: str = "blob") -> dict:
    latencies: list[float] = []
    errors: Counter = Counter()
    answers: Counter = Counter()
    heavy_ms: list[float] = []
    by_page: dict[str, list[float]] = {}
    sampler = Sampler(pid)
    sampler.start()
    start = time.monotonic()
    until = start + seconds

    async def main():
        await asyncio.gather(*(reader(base, pages, until, latencies, errors, s, by_page) for s in range(readers)),
                             *(heavy(base, HEAVY[kind], until, answers, heavy_ms) for _ in range(heavies)))

    asyncio.run(main())
    sampler.done.set()
    sampler.join()
    out = {"heavy_clients": heavies, "seconds": round(time.monotonic() - start, 1),
           "reader_requests": len(latencies), "reader_errors": errors["reader"],
           "reader_p50_ms": round(percentile(latencies, 50) or 0, 1),
           "reader_p99_ms": round(percentile(latencies, 99) or 0, 1),
           "peak_rss_mb": round(sampler.peak / 1024, 1),
           "pages": {name: {"requests": len(ms), "p50_ms": round(percentile(ms, 50) or 0, 1),
                            "p99_ms": round(percentile(ms, 99) or 0, 1)} for name, ms in sorted(by_page.items())}}
    if heavies:
        out["heavy_sql"] = kind
        out["heavy_answers"] = dict(answers)
        out["heavy_p50_ms"] = round(percentile(heavy_ms, 50) or 0, 1)
        out["heavy_p99_ms"] = round(percentile(heavy_ms, 99) or 0, 1)
    return out


def run(readers: int, heavies: int, seconds: float, forecasts: int, kinds: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        db = build(forecasts, Path(tmp))
        pages = {"leaderboard": [PAGES["leaderboard"].replace("?", ".json?", 1)],
                 "chart query": ["/forecasts.json?" + str(httpx.QueryParams({"sql": CHART_SQL, "author": "",
                                                                             "policy": ""}))],
                 "forecast page": [row_path(i) for i in forecast_ids(db, 50, SEED)]}
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = serve(db, port)
        try:
            wait_ready(base, time.monotonic() + 60)
            start_mb = round((memory_kb(server.pid, "VmRSS") or 0) / 1024, 1)
            alone = phase(base, server.pid, pages, readers, 0, seconds)
            beside = {kind: phase(base, server.pid, pages, readers, heavies, seconds, kind) for kind in kinds}
            hwm_mb = round((memory_kb(server.pid, "VmHWM") or 0) / 1024, 1)
        finally:
            stop(server)
    return {"forecasts": forecasts, "readers": readers, "server_start_rss_mb": start_mb,
            "server_peak_hwm_mb": hwm_mb, "readers_alone": alone, "beside_heavy": beside}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--readers", type=int, default=10, help="concurrent normal readers (default 10)")
    parser.add_argument("--heavy", type=int, default=4, help="concurrent heavy-SQL clients (default 4)")
    parser.add_argument("--seconds", type=float, default=15, help="length of each phase (default 15, at most 120)")
    parser.add_argument("--forecasts", type=int, default=5000, help="size of the synthetic ledger")
    parser.add_argument("--kinds", default="blob,columns,trim",
                        help=f"the heavy SQL, one phase each, of: {', '.join(HEAVY)} (default all)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args()
    kinds = args.kinds.split(",")
    if not set(kinds) <= set(HEAVY):
        parser.error(f"--kinds: choose from {', '.join(HEAVY)}")
    report = run(args.readers, args.heavy, min(args.seconds, 120), args.forecasts, kinds)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"ledger of {report['forecasts']} forecasts, {report['readers']} readers; server "
              f"{report['server_start_rss_mb']} MB at start, peak {report['server_peak_hwm_mb']} MB (VmHWM)")
        phases = [("readers alone", report["readers_alone"])]
        phases += [(f"beside {kind}", p) for kind, p in report["beside_heavy"].items()]
        for label, p in phases:
            print(f"  {label:<14} {p['reader_requests']:>6} reads  p50 {p['reader_p50_ms']} ms  "
                  f"p99 {p['reader_p99_ms']} ms  errors {p['reader_errors']}  peak RSS {p['peak_rss_mb']} MB")
            for name, q in p["pages"].items():
                print(f"    {name:<14} {q['requests']:>6} reads  p50 {q['p50_ms']} ms  p99 {q['p99_ms']} ms")
            if p["heavy_clients"]:
                print(f"    heavy clients ({p['heavy_clients']}): {p['heavy_answers']}  p50 {p['heavy_p50_ms']} ms  "
                      f"p99 {p['heavy_p99_ms']} ms")
