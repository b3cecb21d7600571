"""Plain-text tables for people. Scripts use --json (or --csv) instead."""

from __future__ import annotations

import csv
import io
import json


def csv_rows(rows: list[dict]) -> str:
    """Rows as CSV with a header, every column any row has; lists and dicts as JSON, None empty."""
    columns = list(dict.fromkeys(c for r in rows for c in r))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for r in rows:
        writer.writerow(["" if r.get(c) is None else json.dumps(r[c]) if isinstance(r.get(c), (list, dict))
                         else r[c] for c in columns])
    return out.getvalue()


def _fmt(v, kind: str = "") -> str:
    if v is None:
        return "–"
    if kind == "pct":
        return f"{v * 100:.4g} %"
    if isinstance(v, float):
        return f"{v:.3f}"
    return str(v)


def table(rows: list[dict], columns: list[tuple[str, str, str]]) -> str:
    """columns: (key, heading, kind) with kind '' or 'pct'."""
    cells = [[_fmt(r.get(k), kind) for k, _, kind in columns] for r in rows]
    heads = [h for _, h, _ in columns]
    widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(heads)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(heads, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    return "\n".join(lines)


def import_summary(result: dict) -> str:
    parts = []
    for kind, c in result.items():
        bits = [f"{c[k]} {k}" for k in ("read", "created", "updated", "unchanged") if c.get(k)]
        parts.append(f"{kind}: {', '.join(bits) or 'nothing'}")
    return "\n".join(parts)


def forecasts(rows: list[dict]) -> str:
    if not rows:
        return "No forecasts."
    return table(rows, [("id", "id", ""), ("question_id", "question", ""), ("author", "author", ""),
                        ("probability", "p", "pct"), ("made_on", "made on", ""), ("phrase", "phrase", ""),
                        ("outcome", "outcome", ""), ("brier", "Brier (0..1)", "")])


def _clip(text: str | None, width: int = 48) -> str | None:
    """A long title cut to `width` characters for a table (--json has it whole)."""
    return text if text is None or len(text) <= width else text[:width - 1] + "…"


def questions(rows: list[dict]) -> str:
    if not rows:
        return "No questions."
    shown = [{**r, "title": _clip(r["title"]), "outcome": r["outcome"] or "open"} for r in rows]
    return table(shown, [("id", "id", ""), ("title", "title", ""), ("resolve_by", "resolve by", ""),
                         ("outcome", "outcome", ""), ("forecasts", "forecasts", ""), ("authors", "authors", "")])


def authors(rows: list[dict]) -> str:
    if not rows:
        return "No authors."
    return table(rows, [("id", "id", ""), ("name", "name", ""), ("affiliation", "affiliation", ""),
                        ("documents", "documents", ""), ("forecasts", "forecasts", ""), ("scored", "scored n", "")])


def documents(rows: list[dict]) -> str:
    if not rows:
        return "No documents."
    shown = [{**r, "title": _clip(r["title"]), "authors": "; ".join(r["authors"]) or None} for r in rows]
    return table(shown, [("id", "id", ""), ("title", "title", ""), ("publisher", "publisher", ""),
                         ("published_on", "published", ""), ("language", "lang", ""), ("authors", "authors", ""),
                         ("forecasts", "forecasts", "")])


def _interval(low, high) -> str:
    return f"[{low:.3f}, {high:.3f}]" if low is not None else "– (n < 2)"


def scores(by: str, rows: list[dict]) -> str:
    if not rows:
        return "No scored forecasts yet: resolve some questions first."
    for r in rows:
        r["interval"] = _interval(r["brier_ci_low"], r["brier_ci_high"])
    label = {"author": "name", "document": "title", "question": "title"}.get(by)
    cols = [(by, by, "")] + ([(label, label, "")] if label else [])
    cols += [("n", "n", ""), ("brier", "Brier (0..1)", ""), ("interval", "95 % interval", ""),
             ("brier_gj", "Brier (0..2)", ""), ("log_score", "log (nats)", ""),
             ("skill_vs_chance", "skill vs 50 %", "")]
    note = ("Lower Brier is better; 0.25 (0.5 on 0..2) = always saying 50 %. n counts forecasts, each as if\n"
            "independent. Interval: Student-t on the mean, wide and unbounded at small n.\n"
            "Skill vs 50 % = 1 − Brier/0.25: above 0 beats always saying 50 %. --json has every score and interval.")
    if by == "author":
        note += ("\nRepeated forecasts count many times here: to compare authors, use a policy (the default board,"
                 " `tracker score`).")
    return table(rows, cols) + "\n" + note


_WHY_NO_INTERVAL = {"too few": "too few", "no spread": "– (all equal)", None: "–"}


def policy_board(rows: list[dict]) -> str:
    """The fair board: one row per forecaster, n counting questions, crowd rows marked."""
    if not rows:
        return "No author has enough scored questions yet (see --min-n): resolve some questions first."
    for r in rows:
        r["who"] = r["author"] + (" *" if r["crowd"] else "")
        r["name_shown"] = "crowd benchmark" if r["crowd"] else r["name"]
        r["interval_shown"] = (f"[{r['brier_ci_low']:.3f}, {r['brier_ci_high']:.3f}]"
                               if r["brier_ci_low"] is not None else _WHY_NO_INTERVAL.get(r["interval_method"], "–"))
        r["provisional"] = (f"{r['provisional_brier']:.3f} (n {r['provisional_n']})" if r["provisional_n"] else None)
    cols = [("rank", "rank", ""), ("who", "author", ""), ("name_shown", "name", ""), ("n", "n", ""),
            ("shrunk_brier", "Brier, shrunk", ""), ("brier", "Brier (0..1)", ""),
            ("interval_shown", "95 % interval", ""), ("log_score", "log (nats)", ""), ("late", "late", "")]
    if any(r["provisional_n"] for r in rows):
        cols.append(("provisional", "provisional Brier", ""))
    r0 = rows[0]
    topic = f", topic {r0['topic']}" if r0.get("topic") else ""
    note = (f"Policy {r0['policy']}{topic}: each question counts once (n = questions). "
            "Brier on 0..1, lower is better;\n"
            "0.25 = always saying 50 %. The shrunk Brier is the Brier expected on a question of average\n"
            "difficulty, the author's lead over everyone on the same questions shrunk the more the fewer the\n"
            "questions (empirical Bayes, Efron & Morris 1975); the raw mean beside it. Interval: bootstrap\n"
            f"over questions, none below {MIN_INTERVAL_N} questions (too few). * = crowd aggregate, a benchmark,\n"
            "not a person, unranked. late = forecasts made once the outcome was known, never scored.")
    if any(r["provisional_n"] for r in rows):
        note += "\nProvisional: questions resolved to a probability (e.g. a market's value), kept apart."
    head = ""
    if r0["ranking"] == RANKED:
        note = "Ranked by the shrunk Brier.\n" + note
    else:  # said first: a reader of a long board sees its head
        head = r0["ranking"].capitalize() + ".\n"
    if r0.get("stale_writes"):
        note += (f"\nFitted {r0['fitted_at']}; {r0['stale_writes']} outcome change(s) since are not in it yet:"
                 " `tracker rescore` refits it.")
    return head + table(rows, cols) + "\n" + note


#: the smallest n with an interval (tracker.scores.fair.MIN_INTERVAL_N, repeated to keep this module light)
MIN_INTERVAL_N = 10
#: tracker.scores.fair.RANKED, repeated for the same reason (tests/test_scoreboard.py checks both)
RANKED = "ranked by shrunk Brier"


def adjusted(rows: list[dict]) -> str:
    if not rows:
        return "No scored forecasts yet: resolve some questions first."
    for r in rows:
        r["interval"] = (f"[{r['adjusted_ci_low']:+.3f}, {r['adjusted_ci_high']:+.3f}]"
                         if r["adjusted_ci_low"] is not None else r["interval_method"])
        r["adjusted_shown"] = f"{r['adjusted_brier']:+.3f}"
        r["group_shown"] = str(r["group"]) if r["comparable"] else "not comparable"
        r["who"] = r["author"] + (" *" if r["crowd"] else "")
        r["name_shown"] = "crowd benchmark" if r["crowd"] else r["name"]
    cols = [("group_shown", "group", ""), ("who", "author", ""), ("name_shown", "name", ""), ("n", "n", ""),
            ("brier", "raw Brier (0..1)", ""), ("adjusted_shown", "adjusted", ""), ("interval", "95 % interval", "")]
    note = ("Adjusted = Brier minus each question's difficulty (two-way fixed effects), one score per question\n"
            "(policy time-weighted). It is not a Brier on 0..1: it is a difference on the Brier's scale, below 0\n"
            "for beating the average on hard questions. Lower is better. Scores compare only within a group of\n"
            "authors linked by common questions; 'not comparable': shares no question with anyone. Interval:\n"
            f"bootstrap over questions (200 refits), none below {MIN_INTERVAL_N} questions (too few).\n"
            "* = crowd aggregate, a benchmark scored against the people's question effects, not in the fit.")
    if rows[0]["stale_writes"]:
        note += (f"\nFitted {rows[0]['fitted_at']}; {rows[0]['stale_writes']} outcome change(s) since are not in it yet"
                 " (one fit covers every author, so single outcomes on a large ledger do not refit it):"
                 " `tracker rescore` refits it.")
    return table(rows, cols) + "\n" + note


def forecastbench(rows: list[dict]) -> str:
    if not rows:
        return "No ForecastBench questions scored yet (import a forecast set with --kind forecastbench)."
    for r in rows:
        r["who"] = r["author"] + (" *" if r["crowd"] else "")
        for h in ("dataset", "market", "market_unresolved"):
            r[f"{h}_shown"] = f"{r[f'{h}_brier']:.3f} (N={r[f'{h}_n']})" if r[f"{h}_n"] else "–"
    cols = [("who", "author", ""), ("dataset_shown", "Dataset", ""), ("market_shown", "Market (resolved)", ""),
            ("overall_resolved_brier", "Overall resolved", ""), ("market_unresolved_shown", "Market (unresolved)", "")]
    note = ("ForecastBench's leaderboard method (src/leaderboard/main.py, get_leaderboard_entry, commit 153a7a03):\n"
            "mean Brier (0..1) over resolved dataset questions and over resolved market questions; overall = the mean\n"
            "of the two. Unresolved markets are scored against their current value, provisionally, and kept apart.\n"
            "* = crowd aggregate. Today's ForecastBench boards rank by a difficulty-adjusted Brier index: not this.")
    return table(rows, cols) + "\n" + note


def calibration(result: dict) -> str:
    if not result["n"]:
        return "No scored forecasts in this set."
    for b in result["bins"]:
        b["range"] = f"[{b['lower']:.2f}, {b['upper']:.2f}{']' if b['upper'] == 1 else ')'}"
        b["interval"] = f"[{b['ci_low']:.2f}, {b['ci_high']:.2f}]"
    text = table(result["bins"], [("range", "forecast", ""), ("n", "n", ""), ("mean_forecast", "mean forecast", ""),
                                  ("observed", "observed", ""), ("interval", "95 % interval (Wilson)", "")])
    r = result
    auc = "too few" if r["auc"] is None else f"{r['auc']:.3f}"
    unit = ("every forecast as published" if r.get("policy", "forecasts") == "forecasts"
            else f"one forecast per (author, question), policy {r['policy']}")
    lines = [text, "", f"n counts {unit}.",
             f"n {r['n']}  Brier (0..1) {r['brier']:.4f} = REL {r['reliability']:.4f} − RES {r['resolution']:.4f}"
             f" + UNC {r['uncertainty']:.4f} + WBV {r['within_bin_variance']:.4f}"
             f" − WBC {r['within_bin_covariance']:.4f}",
             f"Yates: bias (calibration-in-the-large) {r['yates_bias']:+.4f}, scatter {r['yates_scatter']:.4f},"
             f" covariance {r['yates_covariance']:.4f}   ROC AUC {auc}"]
    return "\n".join(lines)


def comparison(r: dict) -> str:
    if not r["n_common"]:
        return f"{r['author_a']} and {r['author_b']} have no scored question in common."

    def f(v):
        return "–" if v is None else f"{v:.4f}"

    policy = r.get("policy", "forecasts")
    unit = "each forecast as published, averaged per question" if policy == "forecasts" else f"policy {policy}"
    why = {"too few": f"too few common questions for an interval (fewer than {MIN_INTERVAL_N})",
           "no spread": "every difference is the same: no interval"}.get(r.get("interval_method") or "")
    lines = [
        f"{r['author_a']} vs {r['author_b']} on {r['n_common']} common question(s), Brier on 0..1, {unit}",
        f"  mean Brier A {f(r['brier_a'])}, B {f(r['brier_b'])}; difference A − B {f(r['mean_difference'])}"]
    if why:
        return "\n".join([*lines, f"  {why}", "  A negative difference means A was more accurate."])
    return "\n".join([
        *lines,
        f"  95 % bootstrap interval [{f(r['ci_low'])}, {f(r['ci_high'])}]"
        f" (seed {r['seed']}, {r['bootstrap_samples']} resamples)",
        f"  95 % paired-t interval [{f(r['t_ci_low'])}, {f(r['t_ci_high'])}], p = {f(r['p_value'])}",
        "  A negative difference means A was more accurate.",
    ])


def sensitivity(rows: list[dict]) -> str:
    if not rows:
        return "No scored forecasts yet: resolve some questions first."
    for r in rows:
        lo = [v for v in (r["brier_best"], r["brier_scales_min"]) if v is not None]
        hi = [v for v in (r["brier_worst"], r["brier_scales_max"]) if v is not None]
        r["range"] = f"[{min(lo):.3f}, {max(hi):.3f}]"
        r["ranks"] = f"{r['rank_best']}–{r['rank_worst']}" if r["rank_best"] != r["rank_worst"] else str(r["rank"])
        r["survives"] = "yes" if r["rank_survives"] else "no"
        r["scales_used"] = ", ".join(r["scales"]) or "–"
    cols = [("author", "author", ""), ("n", "n", ""), ("brier", "Brier (0..1)", ""), ("range", "range", ""),
            ("rank", "rank", ""), ("ranks", "ranks seen", ""), ("survives", "rank holds", ""),
            ("scales_used", "scales covering the words", "")]
    note = ("Range: from every forecast at the interval end nearest to what happened to the farthest, and\n"
            "under every scale that covers the words. Ranks seen: across all-low, all-high and each scale.")
    return table(rows, cols) + "\n" + note


def history(question_id: str, rows: list[dict]) -> str:
    if not rows:
        return f"{question_id}: no outcome recorded yet."
    lines = []
    for o in rows:
        mark = "*" if o["in_force"] else " "
        what = o["outcome"] or "(withdrawn)"
        lines.append(f"{mark} #{o['id']} {o['action']:<9} {what:<9} known {o['resolved_on'] or '–'}  "
                     f"by {o['recorded_by'] or '–'} at {o['recorded_at'] or '(from the record)'} via {o['source']}")
        if o["note"]:
            lines.append(f"      note: {o['note']}")
        for e in o["evidence"]:
            lines.append(f"      evidence: {e['url']}" + (f" — {e['summary']}" if e["summary"] else ""))
    lines.append("* = in force")
    return "\n".join(lines)


def changes(record_id: str, rows: list[dict]) -> str:
    if not rows:
        return f"{record_id}: no changes recorded."
    lines = []
    for c in rows:
        key = "/".join(str(v) for v in c["key"].values())
        who = f" by {c['by']}" if c["by"] else ""
        lines.append(f"#{c['change'] or '–'} {c['at']} {c['operation']} {c['table']} {key}{who}"
                     + (f": {c['note']}" if c["note"] else ""))
        if c.get("import"):
            g = c["import"]
            lines.append(f"      created by import #{g['group']} of {g['path']} ({g['forecasts']} forecasts, "
                         f"sha256 {g['sha256'][:12]}…)")
        if c["command"]:
            lines.append(f"      command: {c['command']}")
        for column, v in c["changes"].items():
            if c["operation"] == "update":
                lines.append(f"      {column}: {_short(v['old'])} → {_short(v['new'])}")
            elif c["operation"] == "insert" and v["new"] is not None and column in _SHOWN:
                lines.append(f"      {column}: {_short(v['new'])}")
    return "\n".join(lines)


#: the columns worth showing for a newly created row (all are in --json)
_SHOWN = {"title", "name", "probability", "probabilities", "outcome", "action", "resolved_on", "method",
          "phrase", "url", "author_id", "question_id", "resolve_by", "made_on"}


def _short(v) -> str:
    text = "–" if v is None else str(v)
    return text if len(text) <= 80 else text[:77] + "…"


def migrated(r: dict) -> str:
    """What `tracker migrate` did to a ledger, in one line."""
    if r["scores"] == "current":
        return f"{r['db']}: schema current ({r['schema']}); score tables current."
    done = {"rebuilt": "rebuilt (their definition changed)", "created": "created"}[r["scores"]]
    return (f"{r['db']}: schema current ({r['schema']}); score tables {done} in {r['seconds']:.2f} s: "
            f"{r['scored']} of {r['forecasts']} forecasts scored.")
