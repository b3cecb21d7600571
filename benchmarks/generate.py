"""A realistic synthetic ledger: N forecasts by thousands of authors on tens of thousands of
questions, with skewed activity (a few prolific authors, many occasional ones) and outcomes for
most questions. Writes forecasts.csv and outcomes.csv in tracker's flat-table format.

    python benchmarks/generate.py 20000 --out ledger-20k
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
from pathlib import Path

import numpy as np


def generate(n: int, out: Path, seed: int = 1) -> tuple[Path, Path]:
    rng = np.random.default_rng(seed)
    n_authors = max(20, n // 300)
    n_questions = max(50, n // 20)
    out.mkdir(parents=True, exist_ok=True)
    # Zipf-like activity: author k writes in proportion to 1 / (k + 5)
    weights = 1.0 / (np.arange(n_authors) + 5)
    weights /= weights.sum()
    authors = rng.choice(n_authors, size=n, p=weights)
    questions = rng.integers(0, n_questions, size=n)
    truth = rng.random(n_questions) < 0.35                       # base rate ~35 %
    skill = rng.uniform(0.0, 0.35, size=n_authors)                # how far toward the truth
    start = dt.date(2015, 1, 1)
    made = rng.integers(0, 3000, size=n)
    horizon = rng.integers(3, 900, size=n_questions)
    resolve_by = {}
    seen: set[tuple[int, int, int]] = set()
    fpath, opath = out / "forecasts.csv", out / "outcomes.csv"
    with fpath.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["question_id", "author", "probability", "made_on", "resolve_by", "topic"])
        for a, q, m in zip(authors, questions, made, strict=True):
            key = (int(a), int(q), int(m))
            if key in seen:
                continue
            seen.add(key)
            p = 0.5 + (skill[a] if truth[q] else -skill[a]) + rng.normal(0, 0.18)
            p = round(min(0.99, max(0.01, p)), 2)
            day = start + dt.timedelta(days=int(m))
            deadline = resolve_by.setdefault(int(q), start + dt.timedelta(days=3000 + int(horizon[q])))
            w.writerow([f"q{q}", f"Author {a}", p, day.isoformat(), deadline.isoformat(), f"topic-{q % 40}"])
    with opath.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["question_id", "outcome", "resolved_on"])
        for q, deadline in sorted(resolve_by.items()):
            if rng.random() < 0.85:                                 # outcomes for most questions
                w.writerow([f"q{q}", "yes" if truth[q] else "no", deadline.isoformat()])
    return fpath, opath


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, help="number of forecasts")
    parser.add_argument("--out", type=Path, required=True, help="directory for the CSV files")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    f, o = generate(args.n, args.out, args.seed)
    print(f"wrote {f} and {o}")
