"""The pandas script a research group would write instead of tracker: per-author scores and the
calibration table computed from the same flat CSVs (forecasts.csv, outcomes.csv), with the same
definitions as tracker.scores.rules. benchmarks/run.py times it and checks its numbers against
`tracker score --by author --json` and `tracker calibration --json`.

    python benchmarks/pandas_baseline.py DIR            # DIR holds forecasts.csv and outcomes.csv
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

LOG_CLIP = 0.001
BINS = 10


def scored(directory: Path) -> pd.DataFrame:
    f = pd.read_csv(directory / "forecasts.csv", usecols=["question_id", "author", "probability"])
    o = pd.read_csv(directory / "outcomes.csv", usecols=["question_id", "outcome"])
    o = o[o["outcome"].isin(["yes", "no"])]
    d = f.merge(o, on="question_id")
    d["y"] = (d["outcome"] == "yes").astype(np.int64)
    p, y = d["probability"].to_numpy(float), d["y"].to_numpy()
    p_outcome = np.where(y == 1, p, 1.0 - p)
    d["brier"] = (p - y) ** 2
    d["log"] = -np.log(np.maximum(p_outcome, LOG_CLIP))
    d["spherical"] = p_outcome / np.hypot(p, 1.0 - p)
    return d


def per_author(d: pd.DataFrame) -> list[dict]:
    g = d.groupby("author")
    out = g.agg(n=("brier", "size"), brier=("brier", "mean"), brier_sd=("brier", "std"), log_score=("log", "mean"),
                log_sd=("log", "std"), spherical=("spherical", "mean"), base_rate=("y", "mean")).reset_index()
    t = stats.t.ppf(0.975, out["n"] - 1)
    for col, sd in (("brier", "brier_sd"), ("log_score", "log_sd")):
        half = t * out[sd] / np.sqrt(out["n"])
        out[f"{col}_ci_low"], out[f"{col}_ci_high"] = out[col] - half, out[col] + half
    out["skill_vs_chance"] = 1.0 - out["brier"] / 0.25
    clim = out["base_rate"] * (1.0 - out["base_rate"])
    out["skill_vs_climatology"] = np.where(clim > 0, 1.0 - out["brier"] / clim.where(clim > 0, 1.0), np.nan)
    cols = ["author", "n", "brier", "brier_ci_low", "brier_ci_high", "log_score", "log_score_ci_low",
            "log_score_ci_high", "spherical", "base_rate", "skill_vs_chance", "skill_vs_climatology"]
    out = out[cols].sort_values(["brier", "n", "author"], ascending=[True, False, True])
    return json.loads(out.to_json(orient="records", double_precision=15))


def bin_index(p: np.ndarray, k: int) -> np.ndarray:
    """tracker.scores.calibration.bin_index, vectorised: exact edges k/K, the last bin closed at 1."""
    b = np.minimum((p * k).astype(np.int64), k - 1)
    b = np.where((b > 0) & (p < b / k), b - 1, b)
    return np.where((b < k - 1) & (p >= (b + 1) / k), b + 1, b)


def calibration(d: pd.DataFrame) -> dict:
    p, y = d["probability"].to_numpy(float), d["y"].to_numpy()
    n = len(p)
    b = bin_index(p, BINS)
    frame = pd.DataFrame({"bin": b, "p": p, "y": y})
    g = frame.groupby("bin")
    table = g.agg(n=("p", "size"), mean_forecast=("p", "mean"), events=("y", "sum")).reset_index()
    table["observed"] = table["events"] / table["n"]
    z = float(stats.norm.ppf(0.975))
    z2 = z * z
    centre = (table["events"] + z2 / 2) / (table["n"] + z2)
    half = z / (table["n"] + z2) * np.sqrt(table["events"] * (table["n"] - table["events"]) / table["n"] + z2 / 4)
    table["ci_low"] = np.where(table["events"] == 0, 0.0, np.maximum(0.0, centre - half))
    table["ci_high"] = np.where(table["events"] == table["n"], 1.0, np.minimum(1.0, centre + half))
    table["lower"], table["upper"] = table["bin"] / BINS, (table["bin"] + 1) / BINS
    ybar = y.mean()
    fbar_k = g["p"].transform("mean").to_numpy()
    obar_k = g["y"].transform("mean").to_numpy()
    counts, means, obs = table["n"].to_numpy(), table["mean_forecast"].to_numpy(), table["observed"].to_numpy()
    f1, f0 = p[y == 1], p[y == 0]
    var_y = ybar * (1 - ybar)
    fbar = p.mean()
    ranks = stats.rankdata(p)
    n1, n0 = int(y.sum()), n - int(y.sum())
    summary = {
        "n": n, "brier": float(((p - y) ** 2).mean()),
        "reliability": float((counts * (means - obs) ** 2).sum() / n),
        "resolution": float((counts * (obs - ybar) ** 2).sum() / n),
        "uncertainty": float(var_y),
        "within_bin_variance": float(((p - fbar_k) ** 2).sum() / n),
        "within_bin_covariance": float(2.0 * ((p - fbar_k) * (y - obar_k)).sum() / n),
        "auc": float((ranks[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)) if n1 and n0 else None,
        "yates_var_y": float(var_y),
        "yates_min_var_f": float((f1.mean() - f0.mean()) ** 2 * var_y) if len(f1) and len(f0) else 0.0,
        "yates_scatter": float(ybar * (f1.var() if len(f1) else 0.0) + (1 - ybar) * (f0.var() if len(f0) else 0.0)),
        "yates_bias": float(fbar - ybar), "yates_bias_squared": float((fbar - ybar) ** 2),
        "yates_covariance": float(((p - fbar) * (y - ybar)).mean()),
    }
    cols = ["lower", "upper", "n", "mean_forecast", "observed", "ci_low", "ci_high"]
    return {"bins": json.loads(table[cols].to_json(orient="records", double_precision=15)), **summary}


if __name__ == "__main__":
    data = scored(Path(sys.argv[1]))
    print(json.dumps({"authors": per_author(data), "calibration": calibration(data)}))
