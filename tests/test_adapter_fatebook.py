"""The Fatebook adapter on exports shaped exactly as Sage-Future/fatebook writes them
(tests/fixtures/fatebook/, README there), through the real import path.

Fatebook's own per-question scores are checked twice: `fatebook_scores` below is lib/_scoring.ts's
rule written again in Python, checked against the numbers Fatebook's own test
(pages/api/debug_scoring_test.ts) expects, and the fixture's "Your Brier score" columns are what
that rule gives; tracker's scores are then compared with them where the two definitions agree."""

from __future__ import annotations

import csv
import itertools
import json
import math
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from tracker.cli import app
from tracker.errors import TrackerError
from tracker.imports.adapters.fatebook import Fatebook, utc
from tracker.imports.dispatch import import_file

from conftest import dump

runner = CliRunner()
FIXTURES = Path(__file__).parent / "fixtures" / "fatebook"
EXPORT_2025 = FIXTURES / "fatebook-forecasts-2025.csv"
EXPORT_2024_11 = FIXTURES / "fatebook-forecasts-2024-11.csv"
EXPORT_2024_05 = FIXTURES / "fatebook-forecasts-2024-05.csv"
TOURNAMENT = FIXTURES / "tournament-forecasts.csv"
BUDGET = "Will the city council pass the 2025 budget before March?"
RETITLED = "Will the council pass its 2025 budget by 1 March?"

# The keys of the object each exporter builds, in order (Object.keys gives the header), at the
# commits that introduced each layout (Sage-Future/fatebook).
LAYOUT_2023 = [  # lib/web/export.ts, a745b3f825a6497e65417373bd5291a5821ca95e (2023-07-12)
    "Question title", "Forecast created by", "Forecast (scale = 0-1)", "Forecast created at", "Question created by",
    "Question created at", "Question resolution", "Question resolve by", "Question resolved at",
    "Your Brier score for this question", "Your relative Brier score for this question", "Question notes",
    "Question shared with", "Question shared publicly", "Question comments"]
LAYOUT_2024 = [  # lib/web/export.ts, 1a2bfdc8396cbaf372c0bce0eeaf53195ea9341a (2024-09-16)
    "Question title", "Multiple choice option", "Forecast created by", "Forecast (scale = 0-1)",
    "Forecast created at", "Question created by", "Question created at", "Question resolve by", "Resolution",
    "Resolved at", "Your Brier score for this question", "Your relative Brier score for this question",
    "Question notes", "Question shared with", "Question shared publicly", "Question comments"]
LAYOUT_2025 = [*LAYOUT_2024, "Question tags"]  # e66483b55e02888e78213af56283f71cc1bb611b (2025-01-20)
LAYOUT_TOURNAMENT = [  # lib/web/tournament_router.ts, 3b840670108b8e005792960293abb6d6f6625484 (2025-04-09)
    "Tournament name", "Question title", "Multiple choice option", "Forecast created by", "Forecast (scale = 0-1)",
    "Forecast created at", "Question created by", "Question created at", "Question resolve by", "Resolution",
    "Resolved at", "Question notes"]
#: the columns printForCsv quotes (strings; a Date, a Decimal, a boolean and null are not)
STRINGS = {"Tournament name", "Question title", "Multiple choice option", "Forecast created by",
           "Question created by", "Question resolution", "Resolution", "Question notes", "Question shared with",
           "Question comments", "Question tags"}

#: (forecasts imported, {left out: n}, outcomes) of each fixture
EXPECTED = {
    EXPORT_2025: (21, {"hidden forecasts": 2, "forecasts by users with no name": 2,
                       "forecasts made after the resolve-by time": 1,
                       "repeated forecasts (same person, time and value)": 2}, 9),
    EXPORT_2024_11: (7, {"forecasts by users with no name": 1}, 5),
    EXPORT_2024_05: (5, {"hidden forecasts": 1}, 2),
    TOURNAMENT: (9, {"forecasts by users with no name": 1}, 2),
}


def rows_of(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


# ------------------------------------------------------------------ the files as Fatebook writes them

def quoted_records(body: str) -> list[list[tuple[str, bool]]]:
    """The records of a CSV body as (cell, whether it was quoted), to check printForCsv's quoting."""
    records, record, cell, quoted, inside, i = [], [], "", False, False, 0
    while i < len(body):
        c = body[i]
        if inside:
            if c == '"' and body[i + 1:i + 2] == '"':
                cell, i = cell + '"', i + 1
            elif c == '"':
                inside = False
            else:
                cell += c
        elif c == '"':
            inside = quoted = True
        elif c in ",\n":
            record.append((cell, quoted))
            cell, quoted = "", False
            if c == "\n":
                records.append(record)
                record = []
        else:
            cell += c
        i += 1
    records.append([*record, (cell, quoted)])
    return records


@pytest.mark.parametrize(("path", "header"), [(EXPORT_2025, LAYOUT_2025), (EXPORT_2024_11, LAYOUT_2024),
                                              (EXPORT_2024_05, LAYOUT_2023), (TOURNAMENT, LAYOUT_TOURNAMENT)],
                         ids=lambda x: x.name if isinstance(x, Path) else None)
def test_fixtures_are_shaped_as_the_exporter_writes(path, header):
    """jsonToCsv: the keys unquoted on the first line, "\\n" between rows and none at the end;
    printForCsv: strings quoted ('"' doubled), a Date as YYYY-MM-DD HH:MM:S, a Decimal, a boolean
    as they print, null and undefined as nothing."""
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and b"\r" not in raw and not raw.endswith(b"\n")
    head, body = raw.decode("utf-8").split("\n", 1)
    assert head == ",".join(header)
    for record in quoted_records(body):
        assert len(record) == len(header)
        for name, (cell, quoted) in zip(header, record, strict=True):
            if name in STRINGS:
                assert quoted or cell == "", (name, cell)
            else:
                assert not quoted, (name, cell)
            if name.endswith((" at", " resolve by")) and cell:
                assert utc(cell).endswith("Z") and cell != utc(cell), cell


def test_timestamps_are_read_as_utc():
    assert utc("2025-02-24 21:40:3") == "2025-02-24T21:40:03Z"
    assert utc("2025-02-24 21:40:30") == "2025-02-24T21:40:30Z"
    assert utc("2025-02-24T21:40:30+02:00") == "2025-02-24T21:40:30+02:00"  # left for the core to read


# ------------------------------------------------------------------ every layout, through the import

@pytest.mark.parametrize("path", list(EXPECTED), ids=lambda p: p.name)
def test_every_layout_imports_and_says_what_it_left_out(db, path):
    forecasts, dropped, outcomes = EXPECTED[path]
    result = import_file(db, path, "fatebook")
    assert result["forecasts"]["created"] == forecasts and result["forecasts"]["rejected"] == 0
    assert result["outcomes"]["created"] == outcomes
    assert result["dropped"] == dropped
    before = dump(db)
    again = import_file(db, path, "fatebook")
    assert again["forecasts"]["unchanged"] == forecasts and again["outcomes"]["unchanged"] == outcomes
    assert dump(db) == before


def test_a_faithful_export_imports_through_the_cli(db_path):
    out = runner.invoke(app, ["import", "--kind", "fatebook", str(EXPORT_2025)])
    assert out.exit_code == 0, out.output
    assert f"{EXPORT_2025}: forecasts: 21 read, 21 created, 0 updated, 0 unchanged, 0 rejected" in out.stdout
    assert f"{EXPORT_2025}: outcomes: 9 read, 9 created" in out.stdout
    assert (f"{EXPORT_2025}: left out: 2 forecasts by users with no name; 1 forecasts made after the resolve-by "
            "time; 2 hidden forecasts; 2 repeated forecasts (same person, time and value)") in out.stdout


def test_mapping_of_one_question(db):
    import_file(db, EXPORT_2025, "fatebook")
    qid = "fatebook:2025-02-17T08:12:40Z"
    q = db["questions"].get(qid)
    assert q["title"] == "Will the city council pass the 2025 budget before March?"
    assert q["resolve_by"].startswith("2025-03-01T00:00:00")
    assert json.loads(q["topics"]) == ["politics", "local"]  # Question tags
    made = [(r["made_on"], r["probability"], r["author_id"]) for r in db.query(
        "select f.made_on, f.probability, fa.author_id from forecasts f join forecast_authors fa "
        "on fa.forecast_id = f.id where f.question_id = ? order by f.made_on", [qid])]
    assert made == [("2025-02-17T08:12:40+00:00", 0.6, "ann-example"),
                    ("2025-02-18T14:00:09+00:00", 0.3, "bob-other"),
                    ("2025-02-24T09:05:11+00:00", 0.9, "ann-example"),
                    ("2025-02-24T21:40:03+00:00", 0.2, "ann-example")]
    outcome = db.execute("select outcome, resolved_on from current_outcomes where question_id = ?", [qid]).fetchone()
    assert outcome[0] == "no" and outcome[1].startswith("2025-03-03T12:00:05")


def test_same_day_updates_are_ordered_by_time(db):
    """Ann said 0.9 at 09:05 and 0.2 at 21:40 on 24 February: the day's last word, 0.2, is the
    one held until the outcome (no), as an independent day-by-day count in pandas says."""
    import_file(db, EXPORT_2025, "fatebook")
    got = db.execute("select brier from time_weighted_scores where author_id = 'ann-example' "
                     "and question_id = 'fatebook:2025-02-17T08:12:40Z'").fetchone()[0]
    rows = pd.DataFrame(rows_of(EXPORT_2025))
    ann = rows[rows["Question title"].str.startswith("Will the city council")
               & (rows["Forecast created by"] == "Ann Example")]
    stamps = pd.to_datetime(ann["Forecast created at"].map(utc))
    daily = pd.Series(ann["Forecast (scale = 0-1)"].astype(float).values, index=stamps).sort_index()
    daily = daily.groupby(daily.index.date).last()
    days = pd.date_range(min(daily.index), pd.Timestamp("2025-03-03") - pd.Timedelta(days=1), freq="D").date
    held = daily.reindex(days).ffill()
    assert got == pytest.approx(((held - 0) ** 2).mean(), abs=1e-12)
    assert got == pytest.approx(0.2, abs=1e-12)  # 7 days at 0.6 and 7 at 0.2; 0.9 last would give 0.585


# ------------------------------------------------------------------ multiple choice, ids, tags

def test_options_are_yes_no_questions_as_fatebook_scores_them(db):
    import_file(db, EXPORT_2025, "fatebook")
    base = "fatebook:2025-03-03T10:00:00Z"
    outcomes = dict(db.execute("select question_id, outcome from current_outcomes where question_id like ?",
                               [base + "/%"]).fetchall())
    assert outcomes == {f"{base}/Red": "no", f"{base}/Green": "yes", f"{base}/Blue": "no"}
    assert db["questions"].get(f"{base}/Green")["title"] == "Which team wins the office chess cup? — Green"
    assert db.execute("select count(*) from forecasts where question_id like ?", [base + "/%"]).fetchone()[0] == 6


def retitled(tmp_path: Path, *, resolve_by: str | None = None) -> Path:
    """The 2025 export as it would be after Ann edited the budget question's title (and, if
    given, its resolve-by time) in Fatebook."""
    text = EXPORT_2025.read_text(encoding="utf-8").replace(BUDGET, RETITLED)
    if resolve_by:
        text = text.replace('"Ann Example",2025-02-17 08:12:40,2025-03-01 00:00:0,',
                            f'"Ann Example",2025-02-17 08:12:40,{resolve_by},')
    path = tmp_path / "fatebook-forecasts-later.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_ids_survive_a_title_edit(db, tmp_path):
    """Fatebook lets a question's author edit its title; the next export gives the same question
    and forecast ids, so nothing can be counted twice."""
    edited = retitled(tmp_path)
    ids = [(r["id"], r["question_id"]) for _, r in Fatebook(EXPORT_2025).forecasts()]
    assert ids == [(r["id"], r["question_id"]) for _, r in Fatebook(edited).forecasts()]


def test_an_edited_question_takes_its_new_title_and_deadline(db, tmp_path):
    """Fatebook owns its questions: the re-export's title and deadline are taken, counted, and
    kept in the audit trail; no forecast is added again."""
    import_file(db, EXPORT_2025, "fatebook")
    questions, forecasts = db.count("questions"), db.count("forecasts")
    old_title = db["questions"].get("fatebook:2025-02-17T08:12:40Z")["title"]
    again = import_file(db, retitled(tmp_path, resolve_by="2025-03-02 00:00:0"), "fatebook")
    assert again["forecasts"]["created"] == 0 and again["forecasts"]["rejected"] == 0
    assert again["forecasts"]["questions_updated"] == 1
    assert (db.count("questions"), db.count("forecasts")) == (questions, forecasts)
    q = db["questions"].get("fatebook:2025-02-17T08:12:40Z")
    assert q["title"] == RETITLED and q["resolve_by"].startswith("2025-03-02T00:00:00")
    changes = db.execute("select new_values from change_log where table_name = 'questions' "
                         "and record = 'fatebook:2025-02-17T08:12:40Z' order by change").fetchall()
    assert RETITLED in changes[-1][0] and old_title in changes[0][0]
    # a plain table would not have done it: it says the wording differs
    table = tmp_path / "t.csv"
    table.write_text("question_id,question,author,probability,made_on\n"
                     "fatebook:2025-02-17T08:12:40Z,Another title,Ann,0.5,2025-02-18\n", encoding="utf-8")
    with pytest.raises(TrackerError, match="is worded differently in the database"):
        import_file(db, table, "forecasts")


def test_a_renamed_user_keeps_their_forecasts(db, tmp_path):
    """A Fatebook user can change their name: the next export names them differently, and their
    forecasts (the same ids) pass to the new name instead of being counted again."""
    renamed = tmp_path / "fatebook-forecasts-later.csv"
    renamed.write_text(EXPORT_2025.read_text(encoding="utf-8").replace('"Bob Other"', '"Bob O."'), encoding="utf-8")
    import_file(db, EXPORT_2025, "fatebook")
    forecasts = db.count("forecasts")
    again = import_file(db, renamed, "fatebook")
    assert again["forecasts"]["created"] == 0 and again["forecasts"]["updated"] == 7
    assert db.count("forecasts") == forecasts
    assert db.execute("select count(*) from forecast_authors where author_id = 'bob-o'").fetchone()[0] == 7


def test_two_people_with_one_time_and_value_are_two_forecasts(db, tmp_path):
    """Bob's first forecast on "Will cubs win?" made, like Ann's, at the question's creation and
    with her 0.9: the two forecasts are told apart by their authors."""
    text = EXPORT_2025.read_text(encoding="utf-8").replace(
        '"Will cubs win?",,"Bob Other",0.25,', '"Will cubs win?",,"Bob Other",0.9,')
    same = tmp_path / "same.csv"
    same.write_text(text, encoding="utf-8")
    rows = [r for _, r in Fatebook(same).forecasts() if r["question_id"] == "fatebook:2025-02-03T00:00:00Z"]
    assert len({r["id"] for r in rows}) == len(rows) == 5
    assert import_file(db, same, "fatebook")["forecasts"]["created"] == 21


def test_questions_created_in_one_second_are_told_apart(db):
    """A spreadsheet imported into Fatebook gives its questions one creation time: creator and
    title tell them apart, the same way in every export that holds them."""
    import_file(db, EXPORT_2025, "fatebook")
    ids = sorted(r[0] for r in db.execute("select id from questions where id like 'fatebook:2024-01-01T00:00:00Z/%'"))
    assert len(ids) == 2
    result = import_file(db, EXPORT_2024_11, "fatebook")  # the same account, two months earlier
    assert result["forecasts"]["unchanged"] == 2 and result["forecasts"]["created"] == 5


def test_a_tournament_export_counts_nothing_twice(db):
    import_file(db, EXPORT_2025, "fatebook")
    result = import_file(db, TOURNAMENT, "fatebook")
    assert result["forecasts"] == {**result["forecasts"], "created": 0, "unchanged": 9}
    topics = json.loads(db["questions"].get("fatebook:2025-02-03T00:00:00Z")["topics"])
    assert topics == ["sport", "test", "Team cup 2025"]  # tags, then the tournament


# ------------------------------------------------------------------ errors

def test_a_bad_row_names_its_line_and_changes_nothing(db, tmp_path, db_path):
    lines = EXPORT_2025.read_text(encoding="utf-8").split("\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join([lines[0], lines[1].replace(",0.5,", ",1.5,", 1)]), encoding="utf-8")
    before = dump(db)
    with pytest.raises(TrackerError, match=r"bad.csv:2: probability: '1.5' is outside \[0, 1\]"):
        import_file(db, bad, "fatebook")
    assert dump(db) == before
    out = runner.invoke(app, ["import", "--kind", "fatebook", str(bad)])
    assert out.exit_code == 1 and "bad.csv:2: probability: '1.5' is outside [0, 1]" in out.stderr
    assert dump(db_path) == before


def test_not_a_fatebook_export(db, tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("question_id,author,probability,made_on\nq,Ann,0.5,2019-01-01\n")
    with pytest.raises(TrackerError, match="not a Fatebook export: no column 'Question title'"):
        import_file(db, p, "fatebook")


# ------------------------------------------------------------------ the import, as any adapter's

def test_an_adapter_import_hashes_its_file_once(db, monkeypatch):
    import hashlib

    hashed = []
    real = hashlib.file_digest
    monkeypatch.setattr(hashlib, "file_digest", lambda f, *a, **k: hashed.append(f.name) or real(f, *a, **k))
    import_file(db, EXPORT_2025, "fatebook")
    assert hashed == [str(EXPORT_2025)]
    sha = hashlib.sha256(EXPORT_2025.read_bytes()).hexdigest()
    logged = [(r["kind"], r["sha256"]) for r in db.query("select kind, sha256 from imports order by id")]
    assert logged == [("fatebook", sha), ("fatebook-outcomes", sha)]


def test_an_adapter_import_scores_once(db, monkeypatch):
    """An adapter imports a file's forecasts and then its outcomes; the scores (and the board's
    fit over every author and question) are computed once, after both, and equal a full rescore."""
    from conftest import count_fits, derived, rescored_copy

    fits = count_fits(monkeypatch)
    import_file(db, EXPORT_2025, "fatebook")
    assert len(fits) == 1
    assert db.execute("select pairs from board_fits").fetchone()[0] > 0  # the fit saw the outcomes
    assert derived(db) == derived(rescored_copy(db))


# ------------------------------------------------------------------ Fatebook's own scores

DAY = 86_400_000  # ms


def fatebook_scores(forecasts: list[tuple[str, int, float]], created: int, resolved: int,
                    yes: bool) -> dict[str, tuple[float, float | None]]:
    """lib/_scoring.ts relativeBrierScoring, in the same float operations: {user: (absolute,
    relative)} for forecasts (user, epoch ms, p) on a question created and resolved at those ms.

    The question's life is cut into 24-hour intervals from its creation (the last one shorter).
    In each, a user's forecast is the time-weighted mean of what they held (the part before their
    first forecast goes to the interval's last one), scored (p - y)^2 + ((1-p) - (1-y))^2, and
    less the median of that interval's scores for the relative score. Both are summed over the
    intervals the user had a forecast in, the last weighted by its length, and divided by the
    question's whole life in days."""
    def brier(p):
        t = 1 if yes else 0
        return (p - t) ** 2 + (1 - p - (1 - t)) ** 2

    def median(v):
        v = sorted(v)
        h = len(v) // 2
        return 0 if not v else v[h] if len(v) % 2 else (v[h - 1] + v[h]) / 2.0

    def total(xs):
        s = 0.0
        for x in xs:
            s = s + x
        return s

    def average(scores, whole, frac):
        if whole == 0:
            return total(scores) / 1
        if not abs(frac) < 0.0001:  # floatEquality(fractionalDay, 0)
            return (total(scores[:-1]) + scores[-1] * frac) / (whole + frac)
        return total(scores) / whole

    def held(inside, latest, start, length):
        avg = weights = 0.0
        if latest is not None and inside:
            w = (inside[0][0] - start) / length
            weights, avg = weights + w, avg + w * latest
        elif latest is not None:
            return latest
        elif not inside:
            return None
        for (t, p), (t_next, _) in itertools.pairwise(inside):
            w = (t_next - t) / length
            weights, avg = weights + w, avg + w * p
        return avg + (1 - weights) * inside[-1][1]

    if not forecasts:
        return {}
    days = (resolved - created) / DAY
    frac = days - math.floor(days)
    users = list(dict.fromkeys(u for u, _, _ in forecasts))
    series = {u: sorted(((t, p) for v, t, p in forecasts if v == u), key=lambda x: x[0]) for u in users}
    relative: dict[str, list[float]] = {}
    absolute: dict[str, list[float]] = {}
    j = created
    while j < created + math.ceil(days) * DAY:
        end, start = min(j + DAY, resolved), min(j, resolved)
        means = {}
        for u in users:
            before = [p for t, p in series[u] if t <= start]
            means[u] = held([(t, p) for t, p in series[u] if start <= t < end], before[-1] if before else None,
                            start, end - start)
        mid = median([brier(m) for m in means.values() if m is not None])
        for u, m in means.items():
            if m is not None:
                relative.setdefault(u, []).append(brier(m) - mid)
                absolute.setdefault(u, []).append(brier(m))
        j = j + DAY
    return {u: (average(absolute[u], math.floor(days), frac),
                None if len(users) == 1 else average(relative[u], math.floor(days), frac)) for u in relative}


def test_the_rule_gives_fatebooks_own_test_numbers():
    """pages/api/debug_scoring_test.ts: the cases and the numbers it checks (to its floatEquality's 1e-4)."""
    def f(user, p, day):
        return user, int(day * DAY), p

    multi = fatebook_scores([f("1", 0.9, 0), f("1", 0.95, 3), f("2", 0.25, 0), f("2", 0.2, 2), f("3", 0.99, 5)],
                            0, 7 * DAY, True)
    assert [multi[u][1] for u in "123"] == pytest.approx([-0.43, 0.7943, -0.00137], abs=1e-4)
    single = fatebook_scores([f("1", 0.9, 0), f("1", 0.95, 3)], 0, 7 * DAY, True)
    assert single["1"][0] == pytest.approx(0.0114, abs=1e-4)
    assert fatebook_scores([f("1", 0.9, 0.2)], 0, int(0.7 * DAY), True)["1"][0] == pytest.approx(0.02, abs=1e-4)
    two = fatebook_scores([f("1", 0.9, 0), f("1", 0.95, 0.21)], 0, int(0.7 * DAY), True)
    assert two["1"][0] == pytest.approx(0.00845, abs=1e-4)


def _ms(stamp: str) -> int:
    return int(pd.Timestamp(utc(stamp)).value // 1_000_000)


def exported_scores(path: Path, exporter: str) -> dict[tuple[str, str], tuple[tuple[float, float | None], tuple]]:
    """For each resolved, scored question (and option) of an export: (what the export says of the
    exporter, what the rule gives from the export's rows)."""
    out = {}
    rows = rows_of(path)
    keys = dict.fromkeys((r["Question created at"], r["Question title"], r.get("Multiple choice option") or "")
                         for r in rows if r["Your Brier score for this question"])
    for created, title, option in keys:
        mine = [r for r in rows if (r["Question created at"], r["Question title"]) == (created, title)]
        stated = (float(mine[0]["Your Brier score for this question"]),
                  float(mine[0]["Your relative Brier score for this question"] or "nan"))
        of_option = [r for r in mine if (r.get("Multiple choice option") or "") == option]
        first = of_option[0]
        res = first.get("Resolution", first.get("Question resolution"))
        at = _ms(first.get("Resolved at", first.get("Question resolved at")))
        forecasts = [(r["Forecast created by"] or f"nameless {i}", _ms(r["Forecast created at"]),
                      float(r["Forecast (scale = 0-1)"])) for i, r in enumerate(of_option)]
        ruled = fatebook_scores(forecasts, _ms(created), at, res == "YES").get(exporter)
        out[(title, option)] = (stated, ruled)
    return out


@pytest.mark.parametrize("path", [EXPORT_2025, EXPORT_2024_11, EXPORT_2024_05], ids=lambda p: p.name)
def test_the_exported_scores_are_the_rules(path):
    """Every "Your Brier score" in the fixtures is what lib/_scoring.ts gives from the export's
    own rows (for a multiple-choice question: the first option's, which export.ts finds first)."""
    for (title, option), (stated, ruled) in exported_scores(path, "Ann Example").items():
        first_option = option == (next((r.get("Multiple choice option") for r in rows_of(path)
                                        if r["Question title"] == title), "") or "")
        if option and not first_option:
            continue
        assert stated[0] == pytest.approx(ruled[0], abs=1e-15), title
        assert (math.isnan(stated[1]) and ruled[1] is None) or stated[1] == pytest.approx(ruled[1], abs=1e-15), title


def test_tracker_reproduces_fatebooks_scores_where_the_definitions_agree(db):
    """Fatebook's Brier is on the 0..2 scale (tracker's brier_gj, twice tracker's brier) and
    averaged over the question's life in 24-hour steps. Where each forecaster's first forecast
    falls in the question's first 24 hours and nobody updates between interval boundaries (a
    single forecast, or updates at whole days from a question created at 00:00 UTC), that is
    tracker's time-weighted Brier, doubled; the relative score is then the exporter's score
    less the median of all forecasters' scores."""
    for path in (EXPORT_2025, EXPORT_2024_11):
        import_file(db, path, "fatebook")

    def tw(author, qid):
        return db.execute("select brier from time_weighted_scores where author_id = ? and question_id = ?",
                          [author, qid]).fetchone()[0]

    # "Will cubs win?": Fatebook's own test case, created and resolved at 00:00 UTC
    cubs = "fatebook:2025-02-03T00:00:00Z"
    assert 2 * tw("ann-example", cubs) == pytest.approx(0.011428571428571427, abs=1e-12)  # the export's number
    # a single forecast in the first 24 hours: office chess cup (the export's option, Red) and the library
    assert 2 * tw("ann-example", "fatebook:2025-03-03T10:00:00Z/Red") == pytest.approx(0.5, abs=1e-12)
    assert 2 * tw("ann-example", "fatebook:2024-09-16T12:30:00Z") == pytest.approx(0.245, abs=1e-12)
    assert 2 * tw("ann-example", "fatebook:2024-09-20T10:00:00Z/Feature A") == pytest.approx(0.18, abs=1e-12)
    # relative: Ann's Red less the median of Ann's and Bob's (each one forecast, in the first day)
    red = [r[0] for r in db.execute("select brier_gj from forecast_scores where question_id = ?",
                                    ["fatebook:2025-03-03T10:00:00Z/Red"])]
    assert 0.5 - (sorted(red)[0] + sorted(red)[1]) / 2 == pytest.approx(0.21, abs=1e-12)


def test_where_tracker_and_fatebook_differ(db):
    """The differences docs/adapters/fatebook.md describes, with numbers."""
    import_file(db, EXPORT_2025, "fatebook")

    def tw(author, qid):
        return db.execute("select brier from time_weighted_scores where author_id = ? and question_id = ?",
                          [author, qid]).fetchone()[0]

    cubs = {u: s for u, s in fatebook_scores(
        [("cem", 5 * DAY, 0.99), ("ann", 0, 0.9), ("ann", 3 * DAY, 0.95), ("bob", 0, 0.25), ("bob", 2 * DAY, 0.2)],
        0, 7 * DAY, True).items()}
    # Cem forecast on day 5 of 7: Fatebook divides his two days by all seven (as if he had scored 0
    # before he came); tracker scores him from his first forecast
    assert cubs["cem"][0] == pytest.approx(2 * 0.0001 * 2 / 7, abs=1e-12)
    assert 2 * tw("cem-üçüncü", "fatebook:2025-02-03T00:00:00Z") == pytest.approx(2 * 0.0001, abs=1e-12)
    # within a day Fatebook weights each forecast by the hours it was held; tracker keeps the day's last
    assert 2 * tw("ann-example", "fatebook:2025-02-17T08:12:40Z") == pytest.approx(0.4, abs=1e-12)
    budget = exported_scores(EXPORT_2025, "Ann Example")[(BUDGET, "")]
    assert budget[0][0] == pytest.approx(0.43855321234669836, abs=1e-15)
    # a forecast after the resolve-by time: Fatebook scores it until the resolution, tracker leaves it out
    lisbon = exported_scores(EXPORT_2025, "Ann Example")[("Will it rain in Lisbon on 1 March 2025?", "")]
    assert lisbon[0][0] == pytest.approx(0.7111952238562046, abs=1e-15)
    assert 2 * tw("ann-example", "fatebook:2025-01-21T07:00:44Z") != pytest.approx(lisbon[0][0], abs=1e-3)
