"""A bounded load test of the served site, on loopback only.

Builds a synthetic ledger (benchmarks/generate.py), serves it with `datasette serve` exactly as a
published instance would be (immutable, SQL time limit, row limit, the project's plugin, which
brings the site's metadata), then runs C concurrent clients for S seconds against the leaderboard, a chart query and
forecast row pages. Every loop is bounded in count and time and the server is always stopped.
Reports the request rate, p50/p99 latency per page and the error count.

    python benchmarks/load_test.py                      # 50 clients, 30 s, 20,000 forecasts
    python benchmarks/load_test.py --clients 10 --seconds 5 --forecasts 2000 --json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from datasette_latency import (  # noqa: E402
    FLOOR,
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

CALIBRATION_SQL = ("select lower, upper, n, mean_forecast, observed, ci_low, ci_high from calibration_bins "
                   "where scope = 'all' and bins = 10 order by bin")


async def client(base: str, pages: dict[str, list[str]], until: float, max_requests: int,
                 results: dict[str, list[float]], errors: dict[str, int], seed: int) -> None:
    rng = random.Random(seed)
    names = sorted(pages)
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        for _ in range(max_requests):
            if time.monotonic() >= until:
                return
            name = rng.choice(names)  # each kind of page equally often
            path = rng.choice(pages[name])
            start = time.perf_counter()
            try:
                r = await http.get(path)
                ok = r.status_code == 200
            except httpx.HTTPError:
                ok = False
            elapsed = (time.perf_counter() - start) * 1000
            if ok:
                results[name].append(elapsed)
            else:
                errors[name] += 1


def run(clients: int, seconds: float, forecasts: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        db = build(forecasts, Path(tmp))
        forecast_pages = [row_path(i) for i in forecast_ids(db, 50, SEED)]
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = serve(db, port)
        try:
            wait_ready(base, time.monotonic() + 60)
            leaderboard = PAGES["leaderboard"]
            pages = {"leaderboard": [leaderboard.replace("?", ".json?", 1), leaderboard],
                     "chart query": ["/forecasts.json?" + str(httpx.QueryParams({"sql": CALIBRATION_SQL}))],
                     "versions (floor)": [PAGES[FLOOR]],
                     "forecast page": forecast_pages}
            results = {name: [] for name in pages}
            errors = {name: 0 for name in pages}
            start = time.monotonic()
            until = start + seconds

            async def main():
                await asyncio.gather(*(client(base, pages, until, 100_000, results, errors, seed)
                                       for seed in range(clients)))

            asyncio.run(main())
            elapsed = time.monotonic() - start
        finally:
            stop(server)
    total = sum(len(v) for v in results.values())
    report = {"clients": clients, "seconds": round(elapsed, 1), "forecasts": forecasts,
              "requests": total, "requests_per_second": round(total / elapsed, 1),
              "errors": sum(errors.values()), "pages": {}}
    every = [x for v in results.values() for x in v]
    for name in results:
        v = results[name]
        report["pages"][name] = {"requests": len(v), "errors": errors[name],
                                 "p50_ms": round(percentile(v, 50), 1) if v else None,
                                 "p99_ms": round(percentile(v, 99), 1) if v else None}
    report["p50_ms"] = round(percentile(every, 50), 1)
    report["p99_ms"] = round(percentile(every, 99), 1)
    return report


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (default 50)")
    parser.add_argument("--seconds", type=float, default=30, help="how long to run (default 30)")
    parser.add_argument("--forecasts", type=int, default=20000, help="size of the synthetic ledger")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args()
    report = run(args.clients, args.seconds, args.forecasts)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"{report['clients']} clients for {report['seconds']} s on a ledger of {report['forecasts']} forecasts: "
              f"{report['requests']} requests, {report['requests_per_second']} per second, {report['errors']} errors; "
              f"p50 {report['p50_ms']} ms, p99 {report['p99_ms']} ms")
        for name, p in report["pages"].items():
            print(f"  {name:<18} {p['requests']:>6} requests  p50 {p['p50_ms']} ms  p99 {p['p99_ms']} ms  "
                  f"errors {p['errors']}")
