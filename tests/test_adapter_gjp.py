"""The Good Judgment Project adapter on GJP's own files: the real mini survey file's last 2,400 rows
and the real ifps.csv rows of its questions (tests/fixtures/gjp/README.md says how they were cut),
and a constructed survey file, shaped as GJP's, for the question types the mini file lacks.

Each user's Brier is recomputed here with pandas straight from the two raw files, by GJP's own
definitions (one row per option; the outcome is an option letter), and compared with tracker's."""

import json
import re
import shutil

import pandas as pd
import pytest
from typer.testing import CliRunner

from tracker.cli import app
from tracker.errors import TrackerError
from tracker.imports.adapters.gjp import gjp_day, parse_options
from tracker.imports.dispatch import import_file, import_files

from conftest import ROOT, derived, dump, rescored_copy

runner = CliRunner()
FIXTURES = ROOT / "tests" / "fixtures" / "gjp"
MINI = FIXTURES / "survey_fcasts_mini.yr1.csv"
CONSTRUCTED = FIXTURES / "survey_fcasts_constructed.csv"
IFPS = FIXTURES / "ifps.csv"


def pandas_briers(survey, ifps) -> pd.DataFrame:
    """Each user's mean Brier from the raw files, by GJP's definitions: a forecast is the rows
    sharing (year, ifp_id, forecast_id), one per option; a yes-no question is scored on option
    a (0..1), any other with the multi-category Brier Σ (value - [option = outcome])² (0..2).
    Left out as the adapter documents: users NULL/NA, withdrawals (fcast_type 4), forecasts
    missing an option's row, forecasts after date_to_close, voided questions (not scored)."""
    s = pd.read_csv(survey, dtype={"user_id": str})  # NULL and NA read as missing
    q = pd.read_csv(ifps)
    q["to_close"] = pd.to_datetime(q["date_to_close"], format="%m/%d/%y")
    q["yes_no"] = q["options"].str.endswith("(a) Yes, (b) No") & (q["n_opts"] == 2)
    s = s.merge(q[["ifp_id", "n_opts", "q_status", "outcome", "to_close", "yes_no"]], on="ifp_id",
                suffixes=("", "_q"))
    key = ["year", "ifp_id", "forecast_id"]
    s["rows"] = s.groupby(key)["answer_option"].transform("size")
    s["withdrawn"] = s.groupby(key)["fcast_type"].transform(lambda t: (t == 4).any())
    s = s[s["user_id"].notna() & (s["rows"] == s["n_opts"]) & ~s["withdrawn"]
          & (pd.to_datetime(s["fcast_date"]) <= s["to_close"]) & (s["q_status_q"] == "closed")]
    s["hit"] = (s["answer_option"] == s["outcome"]).astype(float)
    s["sq"] = (s["value"] - s["hit"]) ** 2
    binary = s[s["yes_no"] & (s["answer_option"] == "a")].groupby("user_id")["sq"].agg(["mean", "size"])
    multi = s[~s["yes_no"]].groupby(key + ["user_id"])["sq"].sum().groupby("user_id").agg(["mean", "size"])
    return binary.add_suffix("_binary").join(multi.add_suffix("_multi"), how="outer")


def test_the_real_mini_file_imports_as_it_is(db):
    result = import_file(db, MINI, "gjp")
    assert result["forecasts"]["rejected"] == result["outcomes"]["rejected"] == 0
    # the slice holds 1,094 forecast ids: 18 are by the user NULL, and the last (like the mini
    # file's own) lost its second row when the file was cut
    assert result["dropped"] == {"forecasts with no user (user_id NULL or NA)": 18,
                                 "forecasts missing an option's row (a file cut short)": 1}
    assert result["forecasts"]["created"] == 1094 - 19
    assert result["outcomes"]["created"] == 18  # every question of year 1's first week, all closed
    putin = db["questions"].get("gjp:1002-0")
    assert putin["kind"] == "multiple_choice"
    assert json.loads(putin["options"]) == ["(a) Medvedev", "(b) Putin", "(c) Neither"]
    assert db.execute("select outcome from current_outcomes where question_id = 'gjp:1002-0'").fetchone()[0] \
        == "(b) Putin"
    palestine = db["questions"].get("gjp:1004-0")
    assert (palestine["kind"], palestine["resolve_by"]) == ("binary", "2011-09-30")
    first = db["forecasts"].get("gjp:yr1:1011-0:-195868")  # the first row of the slice, id verbatim
    assert (first["question_id"], first["made_on"], first["probability"]) == ("gjp:1011-0", "2011-09-06", 0.2)
    assert first["note"] == "GJP timestamp 2011-09-06 17:01:43 (time zone not given); fcast_type 0; ctt 4b12; " \
                            "expertise 3"
    authors = [r[0] for r in db.execute("select author_id from forecast_authors where forecast_id = ?",
                                        ["gjp:yr1:1011-0:-195868"])]
    assert authors == ["gjp:63"] and db["authors"].get("gjp:63")["name"] == "GJP user 63"


def test_each_users_brier_equals_a_pandas_recomputation(db):
    import_file(db, MINI, "gjp")
    want = pandas_briers(MINI, IFPS)
    got = {r["author_id"]: r for r in db.query("select * from author_scores")}
    assert sorted(got) == sorted(f"gjp:{u}" for u in want.index)
    assert len(got) == 145  # the slice's 146 user ids, less NULL
    for user, w in want.iterrows():
        g = got[f"gjp:{user}"]
        assert g["n"] == (0 if pd.isna(w["size_binary"]) else w["size_binary"])
        assert g["mc_n"] == (0 if pd.isna(w["size_multi"]) else w["size_multi"])
        if not pd.isna(w["mean_binary"]):
            assert g["brier"] == pytest.approx(w["mean_binary"], abs=1e-9)
        if not pd.isna(w["mean_multi"]):
            assert g["mc_brier"] == pytest.approx(w["mean_multi"], abs=1e-9)
    # and the same numbers through the command line
    assert runner.invoke(app, ["import", "--kind", "gjp", str(MINI), "--json"]).exit_code == 0
    # per forecast, as the recomputation counts them (the default board scores each author once per question)
    board = json.loads(runner.invoke(app, ["score", "--policy", "forecasts", "--json"]).output)
    for row in board:
        w = want.loc[row["author"].removeprefix("gjp:")]
        assert row["brier"] == pytest.approx(w["mean_binary"], abs=1e-9)


def test_every_question_type_and_fcast_type(db):
    result = import_file(db, CONSTRUCTED, "gjp")
    assert result["dropped"] == {"withdrawals (fcast_type 4)": 1, "forecasts with no user (user_id NULL or NA)": 1,
                                 "forecasts made after the question's date_to_close": 1}
    assert result["forecasts"]["created"] == 10 and result["outcomes"]["created"] == 5
    q = {r["id"]: r for r in db.query("select * from questions")}
    # a conditional question: each branch its own question, the condition in its title
    assert q["gjp:1129-2"]["title"] == (
        "Will Syria use chemical or biological weapons before 1 January 2013? [If there is not a substantial "
        "lethal confrontation between Syrian forces and a foreign or multinational military force before "
        "1 January 2013?]")
    assert q["gjp:1129-2"]["kind"] == "binary" and "gjp-conditional" in json.loads(q["gjp:1129-2"]["topics"])
    assert json.loads(q["gjp:1113-6"]["options"])[3] == "(d) Event will not occur before 1 April 2013"
    assert "gjp-ordered" in json.loads(q["gjp:1113-6"]["topics"])
    assert len(json.loads(q["gjp:1205-0"]["options"])) == 5
    outcomes = dict(db.execute("select question_id, outcome from current_outcomes"))
    assert outcomes == {"gjp:1019-0": "annulled", "gjp:1129-1": "annulled", "gjp:1129-2": "no",
                        "gjp:1113-6": "(d) Event will not occur before 1 April 2013",
                        "gjp:1205-0": "(e) Someone else"}
    ids = {r[0] for r in db.execute("select id from forecasts")}
    # one submission on both branches of the conditional question, and R's 1e+05, kept verbatim
    assert {"gjp:yr2:1129-1:100001", "gjp:yr2:1129-2:100001", "gjp:yr2:1113-6:1e+05",
            "gjp:yr1:1019-0:-190000"} <= ids
    # an update the same day is its own forecast; the affirmation (fcast_type 2) is one too
    same_day = list(db.execute("select id, made_on, probability, note from forecasts where question_id = "
                               "'gjp:1129-2' and id like '%:10000_' order by id"))
    assert [(i, m, p) for i, m, p, _ in same_day] == [
        ("gjp:yr2:1129-2:100001", "2012-08-01", 0.1), ("gjp:yr2:1129-2:100002", "2012-08-01", 0.05),
        ("gjp:yr2:1129-2:100003", "2012-08-02", 0.2)]
    assert "fcast_type a:1 b:0" in same_day[1][3]
    assert "fcast_type 2" in db["forecasts"].get("gjp:yr2:1129-2:100050")["note"]
    scores = {r["author_id"]: r for r in db.query("select * from author_scores")}
    # by hand: 6001's yes-no forecasts on 1129-2 (it did not happen): 0.1, 0.05, 0.05
    assert scores["gjp:6001"]["n"] == 3
    assert scores["gjp:6001"]["brier"] == pytest.approx((0.01 + 0.0025 + 0.0025) / 3, abs=1e-12)
    # its ordered forecast (d happened) and its Pope forecast (e happened), on 0..2
    assert scores["gjp:6001"]["mc_brier"] == pytest.approx(((0.01 + 0.04 + 0.09 + 0.36)
                                                            + (0.09 + 0.0625 + 0.0225 + 0.01 + 0.64)) / 2, abs=1e-12)
    assert scores["gjp:6002"]["brier"] == pytest.approx(0.04, abs=1e-12)
    assert scores["gjp:6002"]["mc_brier"] == pytest.approx(((0.0025 + 0.0225 + 0.04) + (4 * 0.01 + 0.16)) / 2,
                                                           abs=1e-12)
    assert "gjp:1234" not in scores or not scores["gjp:1234"]["n"]  # only a voided question
    want = pandas_briers(CONSTRUCTED, IFPS)
    for user, w in want.iterrows():
        assert scores[f"gjp:{user}"]["brier"] == pytest.approx(w["mean_binary"], abs=1e-9)
        assert scores[f"gjp:{user}"]["mc_brier"] == pytest.approx(w["mean_multi"], abs=1e-9)


def test_several_yearly_files_in_one_import(db):
    result = import_files(db, [MINI, CONSTRUCTED], "gjp")
    assert result[str(MINI)]["forecasts"]["created"] == 1075
    assert result[str(CONSTRUCTED)]["forecasts"]["created"] == 10
    assert derived(db) == derived(rescored_copy(db))


def test_reimport_changes_nothing(db):
    import_files(db, [MINI, CONSTRUCTED], "gjp")
    before = dump(db)
    again = import_files(db, [MINI, CONSTRUCTED], "gjp")
    for counts in again.values():
        assert counts["forecasts"]["created"] == counts["forecasts"]["updated"] == 0
        assert counts["outcomes"]["created"] == 0
    assert again[str(MINI)]["forecasts"]["unchanged"] == 1075
    assert dump(db) == before


def copy_with(tmp_path, survey=CONSTRUCTED, replace=None, ifps=True):
    """The survey file (with one line changed) and, unless told not to, ifps.csv beside it."""
    text = survey.read_text(encoding="utf-8")
    if replace:
        old, new = replace
        assert old in text
        text = text.replace(old, new, 1)
    p = tmp_path / survey.name
    p.write_text(text, encoding="utf-8", newline="")
    if ifps:
        shutil.copy(IFPS, tmp_path / "ifps.csv")
    return p


def test_a_bad_row_names_its_line_and_leaves_the_database_as_it_was(db_path, tmp_path):
    (tmp_path / "good").mkdir()
    good = copy_with(tmp_path / "good", MINI)
    assert runner.invoke(app, ["import", "--kind", "gjp", str(good)]).exit_code == 0
    before = dump(db_path)
    (tmp_path / "bad").mkdir()
    # line 28 is option e of 6001's Pope forecast: its five values now sum to 1.5
    bad = copy_with(tmp_path / "bad", replace=('"e",0.2,"2013-03-01"', '"e",0.7,"2013-03-01"'))
    result = runner.invoke(app, ["import", "--kind", "gjp", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:28: probabilities: " in result.output and "1.5" in result.output
    assert dump(db_path) == before
    skipped = runner.invoke(app, ["import", "--kind", "gjp", str(bad), "--skip-invalid", "--json"])
    assert skipped.exit_code == 0
    assert json.loads(skipped.output)[str(bad)]["forecasts"]["rejected"] == 1


def test_a_yes_no_forecast_must_sum_to_one(db, tmp_path):
    bad = copy_with(tmp_path, replace=('"b",0.4,"2011-09-08"', '"b",0.5,"2011-09-08"'))
    with pytest.raises(TrackerError, match=rf"{re.escape(str(bad))}:2: forecast -190000: options a and b sum to 1.1"):
        import_file(db, bad, "gjp")


def test_a_row_of_an_unknown_question_or_option(db, tmp_path):
    bad = copy_with(tmp_path, replace=('"1019-0","1b"', '"9999-0","1b"'))
    with pytest.raises(TrackerError, match=rf"{re.escape(str(bad))}:2: question '9999-0' is not in .*ifps.csv"):
        import_file(db, bad, "gjp")
    bad = copy_with(tmp_path, replace=(',"b",0.4,"2011-09-08"', ',"c",0.4,"2011-09-08"'))
    with pytest.raises(TrackerError, match=rf"{re.escape(str(bad))}:3: forecast -190000 on 1019-0: answer_option 'c'"):
        import_file(db, bad, "gjp")


def test_ifps_csv_is_read_from_beside_the_survey_file(db, tmp_path):
    alone = copy_with(tmp_path, ifps=False)
    with pytest.raises(TrackerError, match=r"ifps.csv: cannot read .*read with the ifps.csv beside them"):
        import_file(db, alone, "gjp")
    with pytest.raises(TrackerError, match=r"not a GJP survey file: no column 'user_id'.*ifps.csv holds GJP's"):
        import_file(db, IFPS, "gjp")


def test_ifps_csv_with_carriage_returns_as_dataverse_wrote_it(db, tmp_path):
    """The Dataverse original ends its records with CR (iqisa's copy with LF): both read the same."""
    survey = copy_with(tmp_path)
    (tmp_path / "ifps.csv").write_bytes(IFPS.read_bytes().replace(b"\n", b"\r"))
    result = import_file(db, survey, "gjp")
    assert result["forecasts"]["created"] == 10 and result["outcomes"]["created"] == 5


def test_ifps_csv_that_is_not_utf8_is_refused_with_the_fix(db, tmp_path):
    survey = copy_with(tmp_path)
    (tmp_path / "ifps.csv").write_bytes(IFPS.read_bytes().replace(b"medical", b"medic\x8c\xe6al"))
    with pytest.raises(TrackerError, match=r"ifps.csv:\d+: not UTF-8 text \(byte \d+\); iqisa's copy"):
        import_file(db, survey, "gjp")


def test_gjp_dates():
    assert gjp_day("9/1/11", "x") == "2011-09-01"
    assert gjp_day("12/30/11 0:00", "x") == "2011-12-30"
    assert gjp_day("2011-09-01", "x") == "2011-09-01"
    assert gjp_day("NULL", "x") is None and gjp_day("NA", "x") is None
    with pytest.raises(TrackerError, match=r"x: date '13/1/11' is not of the form M/D/YY"):
        gjp_day("13/1/11", "x")
    with pytest.raises(TrackerError, match=r"x: date '2/30/12' is not"):
        gjp_day("2/30/12", "x")


def test_gjp_options():
    assert parse_options("(a) Yes, by 15 October 2011, (b) Yes, between 16 Oct and 31 Dec, (c) No", 3, "x") == (
        "", ["(a) Yes, by 15 October 2011", "(b) Yes, between 16 Oct and 31 Dec", "(c) No"])
    assert parse_options("If it rains? :  (a) Yes, (b) No", 2, "x") == ("If it rains?", ["(a) Yes", "(b) No"])
    with pytest.raises(TrackerError, match=r"do not list 3 options \(a\) to \(c\)"):
        parse_options("(a) Yes, (b) No", 3, "x")


def test_a_zipped_yearly_file_is_to_be_unzipped_first(db, tmp_path):
    zipped = tmp_path / "survey_fcasts.yr3.csv.zip"
    zipped.write_bytes(b"PK\x03\x04")
    with pytest.raises(TrackerError, match=r"survey_fcasts.yr3.csv.zip: GJP's survey CSV.* is a .csv file"):
        import_file(db, zipped, "gjp")
