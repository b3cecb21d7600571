"""The Metaculus adapter on exports shaped as Metaculus's utils/csv_utils.py writes them (fixtures in
tests/fixtures/metaculus/, written by make_fixtures.py there), through the real import path, with
Metaculus's own published scores (score_data.csv) reproduced from tracker's per-forecast scores."""

import csv
import io
import json
import math
import zipfile

import pandas as pd
import pytest
from typer.testing import CliRunner

from tracker.cli import app
from tracker.errors import TrackerError
from tracker.imports.adapters import metaculus as m
from tracker.imports.dispatch import import_file

from conftest import ROOT, dump

runner = CliRunner()
FIXTURES = ROOT / "tests" / "fixtures" / "metaculus"
EXPORT = FIXTURES / "metaculus_data.zip"
OLD_EXPORT = FIXTURES / "metaculus_data_2025-01.zip"
ANONYMIZED = FIXTURES / "anonymized"

DROPPED = {
    m.AGGREGATES: 6,
    "forecasts on numeric questions": 1,
    "forecasts on date questions": 1,
    m.AFTER_CLOSE: 1,              # Nikkei: made after the day it resolved on
    m.MISSING_OUTCOME: 3,          # Democratic nominee: made before "Kamala Harris" was an option
    m.MISSING_OPTION_OPEN: 1,      # 2028 medal table: made before "Australia" was added, still open
    m.RESCALED: 1,                 # UK election: 0.999991, within Metaculus's check, not tracker's
    m.ENDED: 5,                    # a withdrawal, two expiries (one in the future), two ended by an option added
}


def frame(name: str, source=EXPORT) -> pd.DataFrame:
    """A CSV of the export, read by pandas: the independent reading the tests compare with."""
    if source.suffix == ".zip":
        with zipfile.ZipFile(source) as z:
            text = z.read(name).decode("utf-8")
    else:
        text = (source / name).read_text(encoding="utf-8")
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


def utc(text: str) -> pd.Timestamp | None:
    return pd.Timestamp(text).tz_convert("UTC") if text else None


@pytest.fixture
def imported(db):
    return db, import_file(db, EXPORT, "metaculus")


def test_the_fixture_has_the_exporters_short_rows():
    # an open, annulled or ambiguous question's user forecasts have 18 fields under a header of 19
    with zipfile.ZipFile(EXPORT) as z:
        rows = list(csv.reader(io.StringIO(z.read("forecast_data.csv").decode())))
    assert len(rows[0]) == 19 and {len(r) for r in rows[1:]} == {18, 19}


def test_mapping(imported):
    db, result = imported
    assert result["forecasts"] == {"read": 23, "created": 23, "updated": 0, "unchanged": 0, "rejected": 0,
                                   "questions_created": 9, "questions_updated": 0, "authors_created": 4}
    assert result["outcomes"]["created"] == 7  # the open questions have none, nor numeric and date ones
    assert result["dropped"] == DROPPED
    q = db["questions"].get("metaculus:question:18730")
    assert q["title"] == "Will SpaceX's Starship reach orbit before January 1, 2024?"
    assert q["resolve_by"] == "2023-12-31T23:00:00+00:00" and json.loads(q["topics"]) == ["Space"]
    outcomes = {r["question_id"].split(":")[-1]: (r["outcome"], r["resolved_on"])
                for r in db.query("select * from current_outcomes")}
    assert outcomes == {
        "18730": ("no", "2024-01-01T09:12:44.318002+00:00"), "21344": ("yes", "2024-07-26T21:40:12.505117+00:00"),
        "20517": ("yes", "2024-03-04T06:00:00+00:00"), "19820": ("annulled", "2024-02-15T16:20:00+00:00"),
        "16211": ("annulled", "2024-03-01T10:00:00+00:00"), "19335": ("Kamala Harris", "2024-08-06T00:00:00+00:00"),
        "17852": ("Labour", "2024-07-05T04:00:00+00:00")}
    # time of day kept, in UTC; the author is the Metaculus user, by id
    rows = list(db.query("""select f.made_on, f.probability, fa.author_id, a.name from forecasts f
                            join forecast_authors fa on fa.forecast_id = f.id join authors a on a.id = fa.author_id
                            where f.question_id = 'metaculus:question:18730' order by f.made_on"""))
    assert [(r["made_on"], r["probability"], r["author_id"], r["name"]) for r in rows[:2]] == [
        ("2023-06-01T16:12:09.418230+00:00", 0.35, "metaculus:user:117642", "kestrel_fc"),
        ("2023-06-02T08:45:30.002113+00:00", 0.6, "metaculus:user:130958", "mira.v")]
    assert len(rows) == 7 and rows[-1]["made_on"] == "2023-11-18T14:20:00.551903+00:00"
    # multiple choice: the options in Metaculus's order; an option added later is 0 in the older forecasts
    uk = db["questions"].get("metaculus:question:17852")
    assert uk["kind"] == "multiple_choice"
    assert json.loads(uk["options"]) == ["Labour", "Conservative", "Reform UK", "Other"]
    dists = [json.loads(r["probabilities"]) for r in db.query(
        "select probabilities from forecasts where question_id = 'metaculus:question:17852' order by made_on")]
    assert dists[0] == {"Labour": 0.86, "Conservative": 0.13, "Reform UK": 0.0, "Other": 0.01}
    assert math.isclose(sum(dists[-1].values()), 1, abs_tol=1e-12)
    assert dists[-1]["Labour"] == pytest.approx(0.95 / 0.999991, abs=1e-15)


def test_reimport_changes_nothing(imported):
    db, _ = imported
    before = dump(db)
    again = import_file(db, EXPORT, "metaculus")
    assert again["forecasts"]["unchanged"] == 23 and again["forecasts"]["created"] == 0
    assert again["outcomes"]["unchanged"] == 7 and again["outcomes"]["created"] == 0
    assert dump(db) == before


def test_brier_of_each_forecaster_equals_a_recomputation(imported):
    db, _ = imported
    questions = frame("question_data.csv").set_index("Question ID")
    f = frame("forecast_data.csv")
    f = f[f["Forecaster ID"] != ""].join(questions, on="Question ID")
    f = f[(f["Question Type"] == "binary") & f["Resolution"].isin(["yes", "no"])]
    f = f[[utc(s) < utc(c) for s, c in zip(f["Start Time"], f["Actual Close Time"], strict=True)]]
    y = (f["Resolution"] == "yes").astype(float)
    f = f.assign(brier=(f["Probability Yes"].astype(float) - y) ** 2)
    expected = f.groupby("Forecaster ID")["brier"].agg(["mean", "size"])
    got = {r["author_id"]: (r["brier"], r["n"]) for r in db.query("select author_id, brier, n from author_scores")}
    assert {a.split(":")[-1] for a in got} == set(expected.index)
    for user, row in expected.iterrows():
        brier, n = got[f"metaculus:user:{user}"]
        assert n == row["size"] and brier == pytest.approx(row["mean"], abs=1e-9)


# ---------------------------------------------------------------- Metaculus's own scores, reproduced

def _coverage(row, q) -> float:
    """scoring/score_math.py: the share of [Open Time, Scheduled Close Time] a forecast stood, cut at
    the Actual Close Time."""
    opened, closed, scheduled = utc(q["Open Time"]), utc(q["Actual Close Time"]), utc(q["Scheduled Close Time"])
    start = max(utc(row["Start Time"]), opened)
    end = min(utc(row["End Time"]) or closed, closed)
    return max((end - start).total_seconds(), 0) / (scheduled - opened).total_seconds()


def _standing_at_spot(row, q) -> bool:
    opened, reveal = utc(q["Open Time"]), utc(q["CP Reveal Time"])
    spot = min(reveal if reveal > opened else utc(q["Actual Close Time"]), utc(q["Actual Close Time"]))
    end = utc(row["End Time"])
    return utc(row["Start Time"]) <= spot and (end is None or spot < end)


def _per_forecast(db, row, q) -> float:
    """Metaculus's baseline score of one forecast, from tracker's own score of it: the binary one is
    stored (forecast_scores.baseline_score); for multiple choice, 100 · ln(p · N) / ln N with tracker's
    p_outcome and N the options offered when it was made."""
    key = (f"metaculus:question:{row['Question ID']}", f"metaculus:user:{row['Forecaster ID']}",
           utc(row["Start Time"]).isoformat())
    if q["Question Type"] == "binary":
        return db.execute("""select s.baseline_score from forecast_scores s join forecasts f on f.id = s.forecast_id
                             join forecast_authors fa on fa.forecast_id = f.id
                             where f.question_id = ? and fa.author_id = ? and f.made_on = ?""", key).fetchone()[0]
    p = db.execute("""select s.p_outcome from multiple_choice_scores s join forecasts f on f.id = s.forecast_id
                      join forecast_authors fa on fa.forecast_id = f.id
                      where f.question_id = ? and fa.author_id = ? and f.made_on = ?""", key).fetchone()[0]
    offered = sum(v is not None for v in m.python_list(row["Probability Yes Per Category"], "test"))
    return 100 * math.log(p * offered) / math.log(offered)


@pytest.mark.parametrize("question", ["18730", "21344", "20517", "17852"])
def test_metaculus_baseline_scores_are_reproduced(imported, question):
    """Baseline and spot baseline, per user: Metaculus's score is tracker's per-forecast baseline
    score, weighted by the time each forecast stood (baseline) or taken at the spot time."""
    db, _ = imported
    q = frame("question_data.csv").set_index("Question ID").loc[question]
    f = frame("forecast_data.csv")
    f = f[(f["Question ID"] == question) & (f["Forecaster ID"] != "")]
    published = frame("score_data.csv")
    published = published[(published["Question ID"] == question) & (published["User ID"] != "")]
    seen = set()
    for user, forecasts in f.groupby("Forecaster Username"):
        covers = [_coverage(r, q) for _, r in forecasts.iterrows()]
        if sum(covers) == 0:
            assert user not in set(published["User Username"])  # e.g. a forecast made after the close
            continue
        baseline = sum(c * _per_forecast(db, r, q) for c, (_, r) in zip(covers, forecasts.iterrows(), strict=True)
                       if c > 0)
        row = published[(published["User Username"] == user) & (published["Score Type"] == "baseline")].iloc[0]
        tolerance = 1e-9 if user != "jgalt" or question != "17852" else 3e-5  # his forecast was rescaled
        assert baseline == pytest.approx(float(row["Score"]), abs=tolerance)
        assert sum(covers) == pytest.approx(float(row["Coverage"]), abs=1e-12)
        seen.add((user, "baseline"))
        spot = [r for _, r in forecasts.iterrows() if _standing_at_spot(r, q)]
        if spot:
            row = published[(published["User Username"] == user) & (published["Score Type"] == "spot_baseline")]
            assert _per_forecast(db, spot[0], q) == pytest.approx(float(row.iloc[0]["Score"]), abs=1e-9)
            seen.add((user, "spot_baseline"))
    assert seen == {(u, t) for u, t in zip(published["User Username"], published["Score Type"], strict=True)
                    if t in ("baseline", "spot_baseline")}


def test_peer_score_equals_metaculus_spot_peer_where_the_definitions_meet(imported):
    """Tracker's peer score takes each author's latest forecast; Metaculus's spot peer score the
    forecasts standing at the spot time (CP Reveal Time). On the Olympics question they are the same
    forecasts, and the scores agree; on the Starship question they are not (updates, a withdrawal,
    later forecasters and a bot Metaculus leaves out of its mean), and they differ."""
    db, _ = imported
    published = frame("score_data.csv")
    spot = published[(published["Score Type"] == "spot_peer") & (published["User ID"] != "")]
    ours = {(r["question_id"].split(":")[-1], r["author_id"].split(":")[-1]): r["peer_score"]
            for r in db.query("select question_id, author_id, peer_score from peer_scores")}
    olympics = spot[spot["Question ID"] == "21344"]
    assert len(olympics) == 2
    for _, row in olympics.iterrows():
        assert ours[("21344", row["User ID"])] == pytest.approx(float(row["Score"]), abs=1e-9)
    starship = spot[spot["Question ID"] == "18730"].set_index("User ID")["Score"].astype(float)
    assert ours[("18730", "117642")] == pytest.approx(31.0731, abs=1e-4)
    assert starship["117642"] == pytest.approx(48.5508, abs=1e-4)


# ---------------------------------------------------------------- the other layouts

def test_the_2025_layout(db):
    result = import_file(db, OLD_EXPORT, "metaculus")
    assert result["forecasts"]["created"] == 4 and result["outcomes"]["created"] == 3
    assert result["dropped"] == {m.AGGREGATES: 2, "forecasts on numeric questions": 1}
    assert json.loads(db["questions"].get("metaculus:question:17852")["options"]) == [
        "Labour", "Conservative", "Reform UK", "Other"]  # from "MC Options"


@pytest.mark.parametrize("name", ["forecast_data.csv", "question_data.csv"])
def test_an_unzipped_anonymized_export(db, name):
    result = import_file(db, ANONYMIZED / name, "metaculus")
    assert result["forecasts"]["created"] == 4 and result["outcomes"]["created"] == 1
    assert result["dropped"] == {m.AGGREGATES: 2, m.ENDED: 1}
    authors = {r["id"]: r["name"] for r in db.query("select id, name from authors")}
    assert authors == {
        "metaculus:anonymous:d8e3947833eb42be8a8fbd90205bf656df64a5021ddce15f543aa5e584b00027": "anonymous d8e39478",
        "metaculus:anonymous:855c610eb00d08fe6e74f05ec4a5709d4b29fd4e68c6c4ba1d5d3eab8453f77a": "anonymous 855c610e"}


# ---------------------------------------------------------------- errors

def _edited(tmp_path, edit, member="forecast_data.csv") -> object:
    """The export with `member` changed by `edit` (text → text), zipped as Metaculus does."""
    out = tmp_path / "metaculus_data.zip"
    with zipfile.ZipFile(EXPORT) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for info in src.infolist():
            data = src.read(info.filename).decode()
            dst.writestr(info.filename, edit(data) if info.filename == member else data)
    return out


def test_a_later_export_brings_what_resolution_decides(tmp_path, imported):
    """The 2028 medal-table question resolves: the forecast made before "Australia" was an option is
    imported now (it priced China), and nothing imported before changes."""
    db, _ = imported
    resolved = _edited(tmp_path, lambda text: text.replace(
        "2028-07-14 00:00:00+00:00,,,,False,1.0", "2028-07-14 00:00:00+00:00,2028-08-11 20:00:00+00:00,China,"
        "2028-08-11 21:05:00+00:00,False,1.0"), member="question_data.csv")
    again = import_file(db, resolved, "metaculus")
    assert again["forecasts"]["created"] == 1 and again["forecasts"]["unchanged"] == 23
    assert again["outcomes"]["created"] == 1 and again["outcomes"]["unchanged"] == 7
    assert m.MISSING_OPTION_OPEN not in again["dropped"]
    first = db.execute("select probabilities from forecasts where question_id = 'metaculus:question:23907' "
                       "order by made_on").fetchone()[0]
    assert json.loads(first) == {"United States": 0.62, "China": 0.33, "Australia": 0.0, "Other": 0.05}


def test_a_group_sub_question_and_an_unzipped_export(tmp_path, db):
    with zipfile.ZipFile(EXPORT) as z:
        questions = z.read("question_data.csv").decode()
        forecasts = z.read("forecast_data.csv").decode()
    header, row = questions.splitlines()[:2]
    (tmp_path / "question_data.csv").write_text(
        f"{header}\r\n" + row.replace("['Space'],[],,", "['Space'],[],Starship,")
        + "\r\n", encoding="utf-8", newline="")
    (tmp_path / "forecast_data.csv").write_text("\r\n".join(forecasts.splitlines()[:3]) + "\r\n", newline="")
    result = import_file(db, tmp_path / "forecast_data.csv", "metaculus")
    assert result["forecasts"]["created"] == 2
    # the label is in the title already: kept as it is
    assert db["questions"].get("metaculus:question:18730")["title"] == (
        "Will SpaceX's Starship reach orbit before January 1, 2024?")
    (tmp_path / "question_data.csv").write_text(
        f"{header}\r\n" + row.replace("['Space'],[],,", "['Space'],[],Ship 28,") + "\r\n", newline="")
    other = tmp_path / "other"
    other.mkdir()
    for name in ("question_data.csv", "forecast_data.csv"):
        (other / name).write_text((tmp_path / name).read_text().replace("18730", "18731"), newline="")
    import_file(db, other / "question_data.csv", "metaculus")
    assert db["questions"].get("metaculus:question:18731")["title"] == (
        "Will SpaceX's Starship reach orbit before January 1, 2024? (Ship 28)")


def test_a_bad_row_names_file_and_line_and_changes_nothing(tmp_path, db_path):
    out = runner.invoke(app, ["import", "--kind", "metaculus", str(EXPORT)])
    assert out.exit_code == 0, out.output
    before = dump(db_path)
    bad = _edited(tmp_path, lambda text: text.replace("21344,117642,kestrel_fc,False,2024-01-10 18:03:27.331005+00:00"
                                                      ",,,0.82,", "21344,117642,kestrel_fc,False,2024-01-10 "
                                                      "18:03:27.331005+00:00,,,1.7,"))
    out = runner.invoke(app, ["import", "--kind", "metaculus", str(bad)])
    assert out.exit_code == 1
    assert f"{bad}:forecast_data.csv:9: probability: '1.7' is outside [0, 1]" in out.stderr
    assert dump(db_path) == before


def test_a_bad_list_cell(tmp_path, db):
    bad = _edited(tmp_path, lambda text: text.replace('"[0.97, 0.02, 0.005, 0.005]"', '"[0.97, 0.02]"'))
    with pytest.raises(TrackerError, match=r"forecast_data.csv:26: Probability Yes Per Category has 2 "
                                           r"probabilities for 4 options"):
        import_file(db, bad, "metaculus")


def test_through_the_cli(db_path):
    out = runner.invoke(app, ["import", "--kind", "metaculus", str(EXPORT)])
    assert out.exit_code == 0, out.output
    assert "forecasts: 23 read, 23 created" in out.stdout
    assert "6 aggregate forecasts (the community prediction)" in out.stdout


def test_what_is_not_an_export(tmp_path, db):
    other = tmp_path / "score_data.csv"
    other.write_text("Question ID\n1\n")
    with pytest.raises(TrackerError, match=r"expected Metaculus's forecast_data\.csv or question_data\.csv"):
        import_file(db, other, "metaculus")
    lonely = tmp_path / "forecast_data.csv"
    lonely.write_text("Question ID\n1\n")
    with pytest.raises(TrackerError, match=r"no question_data\.csv beside it"):
        import_file(db, lonely, "metaculus")
    empty = tmp_path / "data.zip"
    with zipfile.ZipFile(empty, "w") as z:
        z.writestr("README.md", "")
    with pytest.raises(TrackerError, match=r"not a Metaculus export: no question_data\.csv in the zip"):
        import_file(db, empty, "metaculus")
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK not really")
    with pytest.raises(TrackerError, match="not a readable zip file"):
        import_file(db, broken, "metaculus")
