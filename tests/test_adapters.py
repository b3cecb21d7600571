"""Import adapters: PredictionBook's JSON, on small files written here in the exact shape it
produces (see docs/adapters.md for the mapping). Fatebook's are in test_adapter_fatebook.py."""

import json

import pytest
from typer.testing import CliRunner

from tracker.cli import app
from tracker.errors import TrackerError
from tracker.imports.dispatch import import_file

from conftest import dump

runner = CliRunner()

def pb_prediction(pid, description, deadline, outcome, responses, **extra):
    return {"id": pid, "description": description, "deadline": deadline, "created_at": "2017-04-14T22:09:21.000Z",
            "updated_at": "2017-04-17T14:09:39.000Z", "creator_id": 7, "uuid": f"uuid-{pid}", "withdrawn": False,
            "version": 1, "visibility": "visible_to_everyone", "group_id": None, "prediction_group_id": None,
            "outcome": outcome, "mean_confidence": 60, "responses": responses, **extra}


def pb_response(rid, who, confidence, at, comment=None, user_id=1):
    return {"id": rid, "comment": comment, "confidence": confidence, "created_at": at, "updated_at": at,
            "user_id": user_id, "user_label": who}


@pytest.fixture
def pb_json(tmp_path):
    data = {"user": {"user_id": 7, "name": "ioannes", "email": "x@example.org"}, "predictions": [
        pb_prediction(181961, "“Yes” succeeds in Turkey's referendum", "2017-04-17T12:00:00.000Z", True, [
            pb_response(1, "ioannes", 66, "2017-04-14T22:09:21.000Z"),
            pb_response(2, "ioannes", None, "2017-04-14T22:09:27.000Z", comment="a link"),
            pb_response(3, "danielfilan", 70, "2017-04-15T04:46:56.000Z", comment="polls"),
            pb_response(4, "danielfilan", 66, "2017-04-15T18:39:55.000Z"),
            pb_response(5, "late", 99, "2017-04-20T18:39:55.000Z"),  # after the deadline: dropped
        ]),
        pb_prediction(505, "A feature ships within two weeks", "2009-10-28T23:27:12+10:00", False, [
            pb_response(10, "kess3r", 90, "2009-10-14T23:27:12Z"),
            pb_response(11, "JFE", 95, "2009-10-15T13:13:10Z"),
        ]),
        pb_prediction(777, "Still unknown", "2030-01-01T00:00:00Z", None,
                      [pb_response(20, "ioannes", 40, "2020-01-01T00:00:00Z")]),
        pb_prediction(778, "Withdrawn", "2030-01-01T00:00:00Z", None,
                      [pb_response(21, "ioannes", 40, "2020-01-01T00:00:00Z")],
                      withdrawn=True),
    ]}
    p = tmp_path / "pb.json"
    p.write_text(json.dumps(data), encoding="utf-8")
    return p


def test_predictionbook_mapping(db, pb_json):
    result = import_file(db, pb_json, "predictionbook")
    assert result["forecasts"]["created"] == 6 and result["outcomes"]["created"] == 2
    assert result["dropped"] == {"responses with no confidence (comments)": 1,
                                 "forecasts made after the deadline": 1, "withdrawn predictions": 1}
    q = db["questions"].get("pb-181961")
    assert q["title"] == "“Yes” succeeds in Turkey's referendum" and q["resolve_by"] == "2017-04-17"
    f = db["forecasts"].get("pb-181961-3")
    assert (f["probability"], f["made_on"], f["note"]) == (0.7, "2017-04-15", "polls")
    # a deadline with a zone is read as a UTC day
    assert db["questions"].get("pb-505")["resolve_by"] == "2009-10-28"
    outcomes = {r["question_id"]: (r["outcome"], r["resolved_on"]) for r in db.query("select * from current_outcomes")}
    assert outcomes == {"pb-181961": ("yes", "2017-04-17"), "pb-505": ("no", "2017-04-17")}
    assert db["author_scores"].get("danielfilan")["brier"] == pytest.approx(((1 - 0.7) ** 2 + (1 - 0.66) ** 2) / 2)
    before = dump(db)
    again = import_file(db, pb_json, "predictionbook")
    assert again["forecasts"]["unchanged"] == 6 and again["outcomes"]["unchanged"] == 2
    assert dump(db) == before


def test_predictionbook_older_names_and_jsonl(db, tmp_path):
    """Older dumps: credence instead of confidence, judgements with dates, one prediction per line."""
    lines = [
        {"id": 21903, "description": "Sheep will not be operating in 12 months", "deadline": "2014-10-30T02:16:35Z",
         "responses": [{"user": "gwern", "created_at": "2013-10-30T02:16:35Z", "credence": 70},
                       {"user": "gwern", "created_at": "2013-11-10T23:58:04Z", "credence": 80}],
         "judgements": [{"outcome": None, "created_at": "2014-10-01T00:00:00Z"},
                        {"outcome": "right", "created_at": "2014-10-31T09:00:00Z"}]},
    ]
    p = tmp_path / "pb.jsonl"
    p.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    result = import_file(db, p, "predictionbook")
    assert result["forecasts"]["created"] == 2 and result["outcomes"]["created"] == 1
    assert db.execute("select outcome, resolved_on from current_outcomes").fetchone() == ("yes", "2014-10-31")
    assert db["author_scores"].get("gwern")["brier"] == pytest.approx(((0.3) ** 2 + (0.2) ** 2) / 2)


def test_predictionbook_bad_confidence_is_named(db, tmp_path):
    p = tmp_path / "pb.json"
    p.write_text(json.dumps([pb_prediction(9, "X?", "2030-01-01T00:00:00Z", None,
                                           [pb_response(1, "ann", 150, "2020-01-01T00:00:00Z")])]))
    with pytest.raises(TrackerError, match=r"pb.json:prediction 9, response 1: probability: 1.5 is outside"):
        import_file(db, p, "predictionbook")


def test_adapters_through_the_cli(tmp_path, pb_json, db_path):
    out = runner.invoke(app, ["import", "--kind", "predictionbook", str(pb_json), "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)[str(pb_json)]
    assert data["forecasts"]["created"] == 6 and data["outcomes"]["created"] == 2
    wrong = runner.invoke(app, ["import", "--kind", "fatebook", str(pb_json)])
    assert wrong.exit_code == 1 and "Fatebook's CSV export is a .csv file" in wrong.stderr
