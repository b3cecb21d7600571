"""PredictionBook: the public dump (real rows, tests/fixtures/predictionbook/dump) and the API's JSON
(written in its serializers' shape, tests/fixtures/predictionbook/api), through the real import path.
docs/adapters/predictionbook.md has the mapping and the sources."""

import csv
import json
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
FIXTURES = Path(__file__).parent / "fixtures" / "predictionbook"
DUMP = FIXTURES / "dump" / "public.csv"
QUESTIONS = FIXTURES / "dump" / "questions.csv"
API = FIXTURES / "api" / "my_predictions.json"

DUMP_DROPPED = {"forecasts made after the deadline": 20,
                "questions judged unknown (open on PredictionBook)": 2,
                "outcomes of questions none of whose forecasts is kept": 16}


def scores_by_name(db) -> dict[str, tuple[int, float]]:
    """Tracker's per-author mean Brier (author_scores), by the author's name."""
    return {r["name"]: (r["n"], r["brier"]) for r in db.query(
        "select a.name, s.n, s.brier from author_scores s join authors a on a.id = s.author_id")}


# ------------------------------------------------------------------ the public dump


def pandas_brier_from_dump(path: Path) -> pd.DataFrame:
    """Each user's mean Brier recomputed from the raw dump by the rules in
    docs/adapters/predictionbook.md: resolved questions only (outcome 1.0 or 0.0), forecasts made
    by the deadline and before the judgement (one made at its very second is kept but, being late,
    not scored: docs/scoring.md), every row counted (a repeated row twice)."""
    raw = pd.read_csv(path, dtype={"user_id": str}, keep_default_na=False)
    made = pd.to_datetime(raw["timestamp"], utc=True)
    deadline = pd.to_datetime(raw["close_time"], utc=True, format="ISO8601")
    judged = pd.to_datetime(raw["resolve_time"].replace("", None), utc=True)
    kept = raw[(raw["q_status"] == "resolved") & (made <= deadline) & (made < judged)].copy()
    y = kept["outcome"].astype(float)
    assert set(y) <= {0.0, 1.0}
    kept["brier"] = (kept["probability"].astype(float) - y) ** 2
    return kept.groupby("user_id")["brier"].agg(["count", "mean"])


def test_the_dump_imports_as_it_is(db):
    result = import_file(db, DUMP, "predictionbook")
    assert result["forecasts"]["read"] == 138 and result["forecasts"]["created"] == 138
    assert result["forecasts"]["rejected"] == 0 and result["outcomes"]["rejected"] == 0
    assert result["outcomes"]["created"] == 27
    assert result["dropped"] == DUMP_DROPPED
    assert 138 + sum(v for k, v in DUMP_DROPPED.items() if k.startswith("forecasts")) == 158  # every row
    q = db["questions"].get("pb:1")
    assert q["title"] == "PredictionBook will have an Alpha server running by June 20, 2008"  # from questions.csv
    assert q["resolve_by"] == "2008-06-20T10:00:00+00:00"  # the deadline, to the second
    matt = db.execute("select f.made_on, f.probability, fa.author_id from forecasts f join forecast_authors fa "
                      "on fa.forecast_id = f.id where f.question_id = 'pb:1'").fetchall()
    assert matt == [("2008-06-20T03:46:16+00:00", 0.8, "pb:name:Matt")]
    assert db["authors"].get("pb:name:Matt")["name"] == "Matt"
    # the name that is one zero-width space keeps its own author, with an id that shows it
    assert db["authors"].get("pb:name:<U+200B>")["name"] == "\u200b"
    assert db["authors"].get("pb:name:Bébhinn")["name"] == "Bébhinn"
    outcomes = {r["question_id"]: (r["outcome"], r["resolved_on"]) for r in db.query("select * from current_outcomes")}
    assert outcomes["pb:1"] == ("yes", "2008-08-14T02:28:40+00:00")  # the judgement's own time
    assert outcomes["pb:2"] == ("no", "2008-08-01T09:18:01+00:00")
    # "unknown" (ambiguous in the dump) reopens a prediction: no outcome, and forecasts after it count
    assert "pb:466" not in outcomes and db.execute("select count(*) from forecasts where question_id = 'pb:466'"
                                                   ).fetchone()[0] == 9
    assert "pb:10372" not in outcomes  # open
    # every forecast after the deadline: no question, and so no outcome
    assert db.execute("select count(*) from questions where id = 'pb:4'").fetchone()[0] == 0


def test_each_users_brier_equals_a_pandas_recomputation_from_the_raw_dump(db):
    import_file(db, DUMP, "predictionbook")
    expected = pandas_brier_from_dump(DUMP)
    got = scores_by_name(db)
    assert set(got) == set(expected.index) and len(got) > 20
    for user, row in expected.iterrows():
        n, brier = got[user]
        assert n == row["count"], user
        assert brier == pytest.approx(row["mean"], abs=1e-9, rel=0), user
    assert got["Glenn"][0] >= 10  # a user with many forecasts, not only singletons


def test_forecasts_made_once_the_judgement_was_known_are_kept_late_and_never_scored(db):
    # issue 16: a late forecast is kept and marked, never scored and never left out
    import_file(db, DUMP, "predictionbook")
    after = {r[0] for r in db.execute("""select f.id from forecasts f
                                         join current_outcomes o on o.question_id = f.question_id
                                         where f.made_on >= o.resolved_on""")}
    late = {r[0] for r in db.execute("select forecast_id from late_forecasts")}
    assert after == late and len(late) == 6  # the 5 after the judgement and 1 at its very second
    assert not late & {r[0] for r in db.execute("select forecast_id from forecast_scores")}
    # pb:155: Glenn's 0.95 at the second of the judgement, and the same 0.95 51 seconds later: both late
    assert db.execute("select made_on, probability from forecasts where question_id = 'pb:155' order by made_on"
                      ).fetchall() == [("2008-08-16T04:35:13+00:00", 0.95), ("2008-08-16T04:36:04+00:00", 0.95)]


def test_a_row_repeated_exactly_is_two_forecasts(db):
    import_file(db, DUMP, "predictionbook")
    ids = [r[0] for r in db.execute("select id from forecasts where question_id = 'pb:387' and made_on = "
                                    "'2009-08-31T02:30:53+00:00' order by id")]
    assert len(ids) == 2 and ids[1] == ids[0] + "-2"


def test_reimporting_the_dump_changes_nothing(db):
    import_file(db, DUMP, "predictionbook")
    before = dump(db)
    again = import_file(db, DUMP, "predictionbook")
    assert again["forecasts"]["unchanged"] == 138 and again["outcomes"]["unchanged"] == 27
    assert again["forecasts"]["created"] == again["outcomes"]["created"] == 0
    assert dump(db) == before


def test_the_dump_without_its_questions_file(db, tmp_path):
    alone = tmp_path / "public.csv"
    shutil.copy(DUMP, alone)
    result = import_file(db, alone, "predictionbook")
    assert result["forecasts"]["created"] == 138 and result["outcomes"]["created"] == 27
    assert db["questions"].get("pb:1")["title"] == "pb:1"  # no wording: the id stands in, as for any table


def rewrite_dump(src: Path, dst: Path, change) -> Path:
    rows = list(csv.reader(src.open(encoding="utf-8", newline="")))
    change(rows)
    with dst.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    return dst


def test_a_bad_row_names_its_line_and_changes_nothing(db, tmp_path, db_path):
    def bad(rows):
        rows[2][rows[0].index("probability")] = "1.5"  # line 3, a forecast that is kept

    p = rewrite_dump(DUMP, tmp_path / "public.csv", bad)
    before = dump(db)
    with pytest.raises(TrackerError, match=r"public.csv:3: probability: '1.5' is outside \[0, 1\]"):
        import_file(db, p, "predictionbook")
    assert dump(db) == before
    out = runner.invoke(app, ["import", "--kind", "predictionbook", str(p)])
    assert out.exit_code == 1 and "public.csv:3: probability: '1.5' is outside [0, 1]" in out.stderr
    assert dump(db_path) == before


def test_other_csv_files_are_named_for_what_they_are(db, tmp_path):
    with pytest.raises(TrackerError, match="this is the dump's questions file"):
        import_file(db, QUESTIONS, "predictionbook")
    # PredictionBook's own CSV export (PredictionsController#mine) has no one's forecasts
    export = tmp_path / "my_predictions.csv"
    export.write_text("created_at,creator_id,creator_label,deadline,description_with_group,description,group_id,id,"
                      "mean_confidence,outcome,prediction_group_id,last_judgement_at,updated_at,uuid,version,"
                      "visibility,withdrawn\n2023-08-01 06:25:44 UTC,7,ioannes,2023-09-01 00:00:00 UTC,X,X,,9,70,,,,"
                      "2023-08-01 06:25:44 UTC,u,1,visible_to_everyone,false\n", encoding="utf-8")
    with pytest.raises(TrackerError, match="has each prediction's mean confidence but nobody's forecasts"):
        import_file(db, export, "predictionbook")
    other = tmp_path / "x.csv"
    other.write_text("question_id,author,probability,made_on\nq,Ann,0.5,2019-01-01\n", encoding="utf-8")
    with pytest.raises(TrackerError, match="not PredictionBook's public dump: no column 'user_id'"):
        import_file(db, other, "predictionbook")


# ------------------------------------------------------------------ the API's JSON


def pandas_brier_from_api(path: Path) -> pd.DataFrame:
    """Each user's mean Brier recomputed from the raw API answer: wagers (responses with a
    confidence) on predictions judged true or false, made by the deadline and by the judgement."""
    data = json.loads(path.read_text(encoding="utf-8"))
    r = pd.json_normalize(data["predictions"], "responses", ["id", "outcome", "deadline", "last_judgement_at"],
                          record_prefix="r.")
    r = r[r["r.confidence"].notna() & r["outcome"].isin([True, False])]
    made = pd.to_datetime(r["r.created_at"], utc=True)
    deadline, judged = pd.to_datetime(r["deadline"], utc=True), pd.to_datetime(r["last_judgement_at"], utc=True)
    r = r[(made <= deadline) & (made <= judged)]
    brier = (r["r.confidence"] / 100 - r["outcome"].astype(float)) ** 2
    return brier.groupby(r["r.user_label"]).agg(["count", "mean"])


def test_api_mapping(db):
    result = import_file(db, API, "predictionbook")
    assert result["forecasts"]["created"] == 10 and result["outcomes"]["created"] == 2
    assert result["dropped"] == {"responses with no confidence (comments)": 1, "forecasts made after the deadline": 1,
                                 "predictions judged unknown (open on PredictionBook)": 1}
    q = db["questions"].get("pb:190410")
    assert q["title"] == "[World Cup 2018] Argentina will reach the quarter-final"  # description_with_group
    assert q["resolve_by"] == "2018-06-30T23:59:00+00:00"
    f = db["forecasts"].get("pb:181961:3103")
    assert (f["probability"], f["made_on"], f["note"]) == (0.7, "2017-04-15T04:46:56+00:00", "polls")
    assert db["forecasts"].get("pb:190410:4201")["made_on"] == "2018-05-02T09:00:00.512000+00:00"
    assert [r[0] for r in db.execute("select author_id from forecast_authors where forecast_id = 'pb:181961:3103'")
            ] == ["pb:12"]
    assert db["authors"].get("pb:31")["name"] == "Jörg Müller"
    outcomes = {r["question_id"]: (r["outcome"], r["resolved_on"]) for r in db.query("select * from current_outcomes")}
    # last_judgement_at, not updated_at (2017-04-14, before the forecasts it resolves)
    assert outcomes == {"pb:181961": ("yes", "2017-04-17T14:09:39+00:00"),
                        "pb:190410": ("no", "2018-07-01T08:15:42.250000+00:00")}


def test_api_brier_per_user_equals_a_pandas_recomputation(db):
    import_file(db, API, "predictionbook")
    expected = pandas_brier_from_api(API)
    got = scores_by_name(db)
    assert set(got) == set(expected.index) == {"ioannes", "danielfilan", "Jörg Müller", "Иван Петров"}
    for user, row in expected.iterrows():
        assert got[user][0] == row["count"]
        assert got[user][1] == pytest.approx(row["mean"], abs=1e-9, rel=0)
    assert got["ioannes"][1] == pytest.approx((0.34 ** 2 + 0.35 ** 2) / 2, abs=1e-12)


def test_reimporting_the_api_answer_changes_nothing(db):
    import_file(db, API, "predictionbook")
    before = dump(db)
    again = import_file(db, API, "predictionbook")
    assert again["forecasts"]["unchanged"] == 10 and again["outcomes"]["unchanged"] == 2
    assert dump(db) == before


def test_an_answer_from_before_last_judgement_at(db, tmp_path):
    """Before August 2023 the API had no judgement time: the deadline, or the last forecast if later."""
    data = json.loads(API.read_text(encoding="utf-8"))
    for p in data["predictions"]:
        del p["last_judgement_at"]
    old = tmp_path / "old.json"
    old.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    import_file(db, old, "predictionbook")
    outcomes = {r["question_id"]: r["resolved_on"] for r in db.query("select * from current_outcomes")}
    assert outcomes == {"pb:181961": "2017-04-17T12:00:00+00:00", "pb:190410": "2018-06-30T23:59:00+00:00"}
    # without a judgement time "unknown" cannot be told from never judged: open either way
    assert "pb:195002" not in outcomes


def test_one_prediction_and_withdrawn(db):
    result = import_file(db, FIXTURES / "api" / "prediction_withdrawn.json", "predictionbook")
    assert result["forecasts"]["read"] == 0 and result["dropped"] == {"withdrawn predictions": 1}


def test_prediction_groups_answer(db, tmp_path):
    data = json.loads(API.read_text(encoding="utf-8"))
    groups = [{"id": 88, "description": "World Cup 2018", "predictions": data["predictions"][1:2]}]
    p = tmp_path / "groups.json"
    p.write_text(json.dumps(groups), encoding="utf-8")
    result = import_file(db, p, "predictionbook")
    assert result["forecasts"]["created"] == 3 and result["outcomes"]["created"] == 1


def test_older_names_and_jsonl(db, tmp_path):
    """Older files: credence instead of confidence, user for the label, judgements with dates,
    one prediction per line."""
    line = {"id": 21903, "description": "Sheep will not be operating in 12 months", "deadline": "2014-10-30T02:16:35Z",
            "responses": [{"user": "gwern", "created_at": "2013-10-30T02:16:35Z", "credence": 70},
                          {"user": "gwern", "created_at": "2013-11-10T23:58:04Z", "credence": 80}],
            "judgements": [{"outcome": None, "created_at": "2014-10-01T00:00:00Z"},
                           {"outcome": "right", "created_at": "2014-10-31T09:00:00Z"}]}
    p = tmp_path / "pb.jsonl"
    p.write_text(json.dumps(line) + "\n", encoding="utf-8")
    result = import_file(db, p, "predictionbook")
    assert result["forecasts"]["created"] == 2 and result["outcomes"]["created"] == 1
    assert db.execute("select outcome, resolved_on from current_outcomes").fetchone() == (
        "yes", "2014-10-31T09:00:00+00:00")
    # a name without a user id: the same author id as the dump gives that name
    assert db["author_scores"].get("pb:name:gwern")["brier"] == pytest.approx((0.3 ** 2 + 0.2 ** 2) / 2)


def test_a_bad_confidence_is_named(db, tmp_path):
    data = json.loads(API.read_text(encoding="utf-8"))
    data["predictions"][0]["responses"][0]["confidence"] = 150
    p = tmp_path / "pb.json"
    p.write_text(json.dumps(data), encoding="utf-8")
    before = dump(db)
    with pytest.raises(TrackerError, match=r"pb.json:prediction 181961, response 3101: probability: 1.5 is outside"):
        import_file(db, p, "predictionbook")
    assert dump(db) == before


def test_an_error_answer_is_named(db, tmp_path):
    p = tmp_path / "pb.json"
    p.write_text('{"error":"invalid API token","status":"unauthorized"}', encoding="utf-8")  # AuthorisedController
    with pytest.raises(TrackerError, match=r"pb\.json: the API answered with an error: invalid API token"):
        import_file(db, p, "predictionbook")


def test_through_the_cli(db_path):
    out = runner.invoke(app, ["import", "--kind", "predictionbook", str(DUMP), str(API), "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data[str(DUMP)]["forecasts"]["created"] == 138 and data[str(API)]["forecasts"]["created"] == 10
    out = runner.invoke(app, ["import", "--kind", "predictionbook", str(DUMP)])
    assert out.exit_code == 0, out.output
    assert "forecasts: 138 read" in out.stdout and "left out: 20 forecasts made after the deadline" in out.stdout
    wrong = runner.invoke(app, ["import", "--kind", "predictionbook", str(FIXTURES / "README.md")])
    assert wrong.exit_code == 1 and "is a .json or .jsonl or .ndjson or .csv file" in wrong.stderr
