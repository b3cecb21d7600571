"""ForecastBench's forecast sets, read with the question and resolution sets of their round, on real
trimmed files from forecastingresearch/forecastbench-datasets (CC BY-SA 4.0; see
tests/fixtures/README.md). The Brier scores are recomputed from the raw files with pandas, and one
number of ForecastBench's own leaderboard is reproduced."""

import csv
import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from tracker.cli import app
from tracker.errors import TrackerError
from tracker.imports.dispatch import import_file

from conftest import dump

runner = CliRunner()

HERE = Path(__file__).parent / "fixtures" / "forecastbench"
DATASETS = HERE / "datasets"
SUPER = DATASETS / "forecast_sets" / "2024-07-21" / "2024-07-21.ForecastBench.human_super_individual.json"
QUESTIONS = DATASETS / "question_sets" / "2024-07-21-human.json"
RESOLUTIONS = DATASETS / "resolution_sets" / "2024-07-21_resolution_set.json"
BOARD = HERE / "leaderboard-2025-09-05"
MEDIAN = BOARD / "2024-07-21.ForecastBench.human_super.json"

MARKETS = ["manifold", "metaculus", "infer", "polymarket"]
AUTHOR = "fb:ForecastBench/Superforecaster forecasts/"


def resolved_forecasts(forecast_set: Path, resolution_set: Path) -> pd.DataFrame:
    """Every forecast joined to its resolution as ForecastBench joins them
    (src/resolve/_prepare.py set_resolution_dates): a market question on (source, id), a dataset
    question also on resolution_date. Only questions resolved to 0 or 1, the ones tracker scores."""
    forecasts = pd.DataFrame(json.loads(forecast_set.read_text())["forecasts"])
    resolutions = pd.DataFrame(json.loads(resolution_set.read_text())["resolutions"])
    resolutions = resolutions[resolutions["id"].map(lambda i: isinstance(i, str))]
    resolutions = resolutions.drop(columns="direction")
    forecasts = forecasts.drop(columns=[c for c in ("direction",) if c in forecasts])
    market = forecasts["source"].isin(MARKETS)
    joined = pd.concat([
        forecasts[market].drop(columns="resolution_date").merge(
            resolutions[resolutions["source"].isin(MARKETS)], on=["source", "id"]),
        forecasts[~market].merge(resolutions[~resolutions["source"].isin(MARKETS)],
                                 on=["source", "id", "resolution_date"]),
    ], ignore_index=True)
    joined = joined[joined["resolved"]]
    joined["brier"] = (joined["forecast"] - joined["resolved_to"]) ** 2
    return joined


def test_forecastbench_mapping(db):
    result = import_file(db, SUPER, "forecastbench")
    assert result["forecasts"]["created"] == 354 and result["forecasts"]["rejected"] == 0
    # 6 dataset questions at 8 resolution dates each, and 8 market questions
    assert result["forecasts"]["questions_created"] == 56 and result["forecasts"]["authors_created"] == 35
    # the 5 past resolution dates of the 5 dataset questions in the resolution set, 5 markets
    # resolved to 0 or 1 and 2 open at their value; the two questions ForecastBench left out of its
    # resolution set (manifold YulPWDHFTUkekmrO3v4J, the dbnomics one) stay open, as do the
    # resolution dates still to come
    assert result["outcomes"]["created"] == 25 + 5 + 2
    assert result["dropped"] == {}

    # ForecastBench's ids verbatim (case kept), with the round and, for a dataset question, the date
    q = db["questions"].get("fb:2024-07-21:manifold:TPkEjiNb1wVCIGFnPcDD")
    assert q["title"] == "Will the average global temperature in 2024 exceed 2023?"
    assert q["resolve_by"] == "2025-01-01"  # the day the market closes
    kmb = db["questions"].get("fb:2024-07-21:yfinance:KMB:2024-10-19")
    assert kmb["title"].startswith("Will KMB's market close price on 2024-10-19 be higher than its market close "
                                   "price on 2024-07-21?")
    assert kmb["resolve_by"] == "2024-10-19" and json.loads(kmb["topics"]) == ["forecastbench-dataset",
                                                                                 "forecastbench-yfinance"]
    outcomes = {r["question_id"]: (r["outcome"], r["resolved_on"]) for r in db.query("select * from current_outcomes")}
    assert outcomes["fb:2024-07-21:manifold:TPkEjiNb1wVCIGFnPcDD"] == ("yes", "2025-01-10")
    assert outcomes["fb:2024-07-21:yfinance:KMB:2024-10-19"][1] == "2024-10-19"
    assert "fb:2024-07-21:yfinance:KMB:2027-07-21" not in outcomes  # not yet
    # an open market's value on the last day is a probability-valued resolution
    assert float(outcomes["fb:2024-07-21:manifold:q6wJThcy6TJnQKrbjALm"][0]) == pytest.approx(0.453687591)
    assert outcomes["fb:2024-07-21:manifold:q6wJThcy6TJnQKrbjALm"][1] == "2026-08-20"

    # each superforecaster is an author, known by ForecastBench's user id, case kept
    author = db["authors"].get(AUTHOR + "SbZAVaBSo6")
    assert author["name"] == "ForecastBench/Superforecaster forecasts/SbZAVaBSo6"
    first = db.execute("""select f.made_on, f.probability, f.note from forecasts f
                          join forecast_authors a on a.forecast_id = f.id
                          where a.author_id = ? and f.question_id = ?""",
                       [AUTHOR + "SbZAVaBSo6", "fb:2024-07-21:manifold:TPkEjiNb1wVCIGFnPcDD"]).fetchall()
    assert first == [("2024-07-21", 0.75, "Updating to account for the crowd consensus which is much more "
                                          "confident than I am on this question.")]


def test_each_forecasters_brier_equals_a_pandas_recomputation(db):
    import_file(db, SUPER, "forecastbench")
    expected = resolved_forecasts(SUPER, RESOLUTIONS).groupby("user_id")["brier"].agg(["mean", "count"])
    # 33 of the 35 forecast at least one question that has resolved
    assert len(expected) == 33 and expected["count"].sum() == 204
    got = {r["author_id"]: (r["brier"], r["n"]) for r in db.query(
        "select author_id, brier, n from author_scores where n > 0")}
    assert set(got) == {AUTHOR + user for user in expected.index}
    for user, row in expected.iterrows():
        brier, n = got[AUTHOR + user]
        assert n == row["count"]
        assert brier == pytest.approx(row["mean"], abs=1e-9)


def published_row() -> dict:
    with (BOARD / "human_leaderboard_overall.csv").open(newline="") as f:
        rows = list(csv.reader(f))
    return {re.sub(r" \(N=\d+\)$", "", k): (v, re.search(r"\(N=(\d+)\)$", k)) for k, v in zip(*rows, strict=True)}


def test_forecastbench_leaderboard_score_is_reproduced(db):
    """ForecastBench's human leaderboard of 2025-09-05 scores the superforecasters' median forecast
    (src/leaderboard/main.py, get_leaderboard_entry at commit 153a7a03): the mean Brier over the
    resolved dataset questions, each (question, resolution date) once, and over the resolved market
    questions. Imported as one author, tracker's per-forecast Brier gives the same means."""
    result = import_file(db, MEDIAN, "forecastbench")
    # this folder has no question set: the questions have no wording, and say so
    assert result["dropped"] == {"questions with no wording (question set not found)": 957}
    row = published_row()
    assert row["Model"][0] == "Superforecaster median forecast"
    means = {}
    for topic, column in (("forecastbench-dataset", "Dataset Score"),
                          ("forecastbench-market", "Market Score (resolved)")):
        n, brier = db.execute("select n, brier from topic_scores where topic = ?", [topic]).fetchone()
        published, count = row[column]
        assert n == int(count.group(1))  # 521 and 54
        assert round(brier, 3) == float(published)  # 0.122 and 0.082
        means[topic] = brier
    # "Overall Resolved Score" is the mean of the two means, not the mean over all forecasts
    assert round((means["forecastbench-dataset"] + means["forecastbench-market"]) / 2, 3) == \
        float(row["Overall Resolved Score"][0])
    # and the same numbers, to 1e-9, straight from the raw files
    raw = resolved_forecasts(MEDIAN, BOARD / "2024-07-21_resolution_set.json")
    raw_market = raw["source"].isin(MARKETS)
    assert means["forecastbench-dataset"] == pytest.approx(raw[~raw_market]["brier"].mean(), abs=1e-9)
    assert means["forecastbench-market"] == pytest.approx(raw[raw_market]["brier"].mean(), abs=1e-9)
    median = db["author_scores"].get("fb:ForecastBench/Superforecaster median forecast")
    assert median["n"] == 575 and median["brier"] == pytest.approx(raw["brier"].mean(), abs=1e-9)


def test_forecastbench_reimport_changes_nothing(db):
    import_file(db, SUPER, "forecastbench")
    before = dump(db)
    again = import_file(db, SUPER, "forecastbench")
    assert again["forecasts"]["unchanged"] == 354 and again["outcomes"]["unchanged"] == 32
    assert again["forecasts"]["created"] == again["outcomes"]["created"] == 0
    assert dump(db) == before


def round_copy(tmp_path: Path, edit=None, *, with_questions=True, with_resolutions=True) -> Path:
    """The fixture round copied into the datasets repository's layout, the forecast set edited."""
    root = tmp_path / "datasets"
    target = root / "forecast_sets" / "2024-07-21" / SUPER.name
    target.parent.mkdir(parents=True)
    data = json.loads(SUPER.read_text())
    if edit:
        edit(data)
    target.write_text(json.dumps(data))
    for keep, src, folder in ((with_questions, QUESTIONS, "question_sets"),
                              (with_resolutions, RESOLUTIONS, "resolution_sets")):
        if keep:
            (root / folder).mkdir()
            shutil.copy(src, root / folder / src.name)
    return target


def test_what_forecastbench_itself_leaves_out_is_counted(db, tmp_path):
    def edit(data):
        kmb = next(f for f in data["forecasts"] if f["id"] == "KMB")
        data["forecasts"] += [
            # a combination question (the LLM sets of 2024-2025 have them): id a list, with a direction
            {"id": ["TPkEjiNb1wVCIGFnPcDD", "KCFbp1TH0RYN4j5zYdmh"], "source": "manifold", "forecast": 0.7,
             "resolution_date": None, "reasoning": None, "direction": [1, -1], "user_id": "SbZAVaBSo6"},
            {**kmb, "forecast": None},                         # no value
            {**kmb, "source": "elsewhere"},                    # a source ForecastBench does not know
            {**kmb, "id": "NOPE"},                             # not in the question set
            {**kmb, "resolution_date": "2024-07-29"},          # not one of the question's dates
        ]
    path = round_copy(tmp_path, edit)
    result = import_file(db, path, "forecastbench")
    assert result["forecasts"]["created"] == 354
    assert result["dropped"] == {
        "forecasts on combination questions (not scored: ForecastBench's leaderboard leaves them out too)": 1,
        "forecasts with no value": 1,
        "forecasts on a source ForecastBench does not know": 1,
        "forecasts on a question not in the question set": 1,
        "dataset forecasts for a resolution date the question does not have": 1,
    }
    out = runner.invoke(app, ["import", "--kind", "forecastbench", str(path), "--db", str(tmp_path / "cli.db")])
    assert out.exit_code == 0, out.output
    assert "left out: 1 dataset forecasts for a resolution date" in out.stdout
    assert "1 forecasts on combination questions (not scored" in out.stdout


def test_a_round_without_its_resolution_set_is_left_open(db, tmp_path):
    path = round_copy(tmp_path, with_resolutions=False)
    result = import_file(db, path, "forecastbench")
    assert result["forecasts"]["created"] == 354 and result["outcomes"]["created"] == 0
    assert result["dropped"] == {"questions left open (resolution set not found)": 56}
    assert db["questions"].get("fb:2024-07-21:fred:T10YIE:2024-07-28")["title"].startswith(
        "Will the US' 10-year breakeven inflation rate have increased by 2024-07-28")


def test_a_bad_forecast_is_named_and_changes_nothing(tmp_path, db_path):
    def edit(data):
        data["forecasts"][3]["forecast"] = 1.5
    path = round_copy(tmp_path, edit)
    first = runner.invoke(app, ["import", "--kind", "forecastbench", str(SUPER), "--db", str(db_path)])
    assert first.exit_code == 0, first.output
    before = dump(db_path)
    out = runner.invoke(app, ["import", "--kind", "forecastbench", str(path), "--db", str(db_path)])
    assert out.exit_code == 1
    assert f"{path}:forecasts[3]: probability: 1.5 is outside [0, 1]" in out.stderr
    assert dump(db_path) == before


def test_a_bad_resolution_is_named(db, tmp_path):
    path = round_copy(tmp_path)
    rs = path.parents[2] / "resolution_sets" / RESOLUTIONS.name
    data = json.loads(rs.read_text())
    i = next(k for k, r in enumerate(data["resolutions"]) if r["id"] == "TPkEjiNb1wVCIGFnPcDD")
    data["resolutions"][i]["resolved_to"] = 0.4
    rs.write_text(json.dumps(data, indent=4))
    before = dump(db)
    with pytest.raises(TrackerError, match=re.escape(
            f"{path}:2024-07-21_resolution_set.json resolutions[{i}]: resolved_to 0.4 for a resolved question")):
        import_file(db, path, "forecastbench")
    assert dump(db) == before


def test_the_other_files_of_a_round_are_not_forecast_sets(db):
    with pytest.raises(TrackerError, match="a question set; import the forecast set of its round"):
        import_file(db, QUESTIONS, "forecastbench")
    with pytest.raises(TrackerError, match="a resolution set; import the forecast set of its round"):
        import_file(db, RESOLUTIONS, "forecastbench")


def test_a_resolution_set_of_another_round_is_refused(db, tmp_path):
    path = round_copy(tmp_path)
    rs = path.parents[2] / "resolution_sets" / RESOLUTIONS.name
    rs.write_text(rs.read_text().replace('"forecast_due_date": "2024-07-21"', '"forecast_due_date": "2024-08-04"'))
    with pytest.raises(TrackerError, match="its forecast_due_date is 2024-08-04, not 2024-07-21"):
        import_file(db, path, "forecastbench")


def test_a_newer_resolution_set_meets_the_outcomes_in_force(db, tmp_path):
    """ForecastBench rewrites a round's resolution set every night: an open market's value moves.
    Re-imported against a newer set, the forecasts are unchanged and each changed value is
    appended to the outcome log as a correction (the source owns its questions), the old value kept."""
    path = round_copy(tmp_path)
    rs = path.parents[2] / "resolution_sets" / RESOLUTIONS.name
    older = json.loads((BOARD / RESOLUTIONS.name).read_text())  # the same round on 2025-09-05
    rs.write_text(json.dumps(older, indent=4))
    import_file(db, path, "forecastbench")
    q = "fb:2024-07-21:manifold:q6wJThcy6TJnQKrbjALm"
    assert db.execute("select outcome, resolved_on from current_outcomes where question_id = ?",
                      [q]).fetchone() == ("0.61", "2025-09-04")
    shutil.copy(RESOLUTIONS, rs)  # the set of 2026-08-21
    again = import_file(db, path, "forecastbench")
    assert again["forecasts"]["unchanged"] == 354
    assert again["outcomes"]["corrected"] == 2 and again["outcomes"]["unchanged"] == 30
    log = db.execute("select action, outcome, resolved_on from outcomes where question_id = ? order by id",
                     [q]).fetchall()
    assert log[0] == ("resolve", "0.61", "2025-09-04") and log[-1][0] == "correct" and len(log) == 2
    assert import_file(db, path, "forecastbench")["outcomes"]["corrected"] == 0  # and again: nothing
