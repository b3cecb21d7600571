<<<<<<< HEAD
"""Import adapters: PredictionBook's JSON, on small files written here in the exact shape it
produces (see docs/adapters.md for the mapping). Fatebook's are in test_adapter_fatebook.py."""

import json
=======
"""Import adapters: Fatebook's CSV export, on small files written here in the exact shape it
produces (see docs/adapters.md for the mappings). PredictionBook's are in test_adapter_predictionbook.py."""

import csv
>>>>>>> predictionbook

import pytest
from typer.testing import CliRunner

from tracker.cli import app
from tracker.errors import TrackerError
from tracker.imports.dispatch import import_file

from conftest import dump

runner = CliRunner()

<<<<<<< HEAD
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
=======
# Fatebook's export header (lib/web/export.ts), in its order
FATEBOOK_HEADER = ["Question title", "Multiple choice option", "Forecast created by", "Forecast (scale = 0-1)",
                   "Forecast created at", "Question created by", "Question created at", "Question resolve by",
                   "Resolution", "Resolved at", "Your Brier score for this question",
                   "Your relative Brier score for this question", "Question notes", "Question shared with",
                   "Question shared publicly", "Question comments"]


def fatebook_row(title, who, p, at, *, resolve_by="2024-06-30 23:59:0", resolution="", resolved_at="", option="",
                 created="2024-01-02 09:15:3", creator="Ann Example"):
    return [title, option, who, p, at, creator, created, resolve_by, resolution, resolved_at, "0.04", "-0.01",
            "some notes", "Bob Other", "false", "Ann Example: a comment"]


def write_fatebook(path, rows, header=FATEBOOK_HEADER):
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, quoting=csv.QUOTE_NONNUMERIC)
        w.writerow(header)
        w.writerows(rows)
    return path


@pytest.fixture
def fatebook_csv(tmp_path):
    return write_fatebook(tmp_path / "fatebook.csv", [
        fatebook_row("Will the treaty be ratified by June?", "Ann Example", 0.7, "2024-01-02 09:15:3",
                     resolution="YES", resolved_at="2024-05-01 10:00:12"),
        # the same person updating the same question twice on one day: two forecasts
        fatebook_row("Will the treaty be ratified by June?", "Ann Example", 0.8, "2024-02-10 08:00:1",
                     resolution="YES", resolved_at="2024-05-01 10:00:12"),
        fatebook_row("Will the treaty be ratified by June?", "Ann Example", 0.85, "2024-02-10 17:30:44",
                     resolution="YES", resolved_at="2024-05-01 10:00:12"),
        fatebook_row("Will the treaty be ratified by June?", "Bob Other", 0.4, "2024-01-05 12:00:0",
                     resolution="YES", resolved_at="2024-05-01 10:00:12"),
        fatebook_row("Will it snow in Berlin on New Year's Day?", "Bob Other", 0.2, "2024-12-01 12:00:0",
                     resolve_by="2025-01-01 23:59:0", resolution="NO", resolved_at="2025-01-02 08:00:0",
                     created="2024-12-01 11:00:0", creator="Bob Other"),
        fatebook_row("Will the vote be postponed?", "Ann Example", 0.5, "2024-03-01 12:00:0",
                     resolve_by="2024-04-01 00:00:0", resolution="AMBIGUOUS", resolved_at="2024-04-02 00:00:0",
                     created="2024-03-01 11:00:0"),
        fatebook_row("Still open?", "Ann Example", 0.33, "2024-03-01 12:00:0", resolve_by="2030-01-01 00:00:0",
                     created="2024-03-01 11:00:0"),
        # dropped: a multiple-choice option, and a forecast after the resolve-by date
        fatebook_row("Who wins?", "Ann Example", 0.6, "2024-03-01 12:00:0", option="Alice",
                     created="2024-03-01 11:00:0"),
        fatebook_row("Will it snow in Berlin on New Year's Day?", "Cem Third", 0.9, "2025-01-05 12:00:0",
                     resolve_by="2025-01-01 23:59:0", resolution="NO", resolved_at="2025-01-02 08:00:0",
                     created="2024-12-01 11:00:0", creator="Bob Other"),
    ])


def test_fatebook_mapping(db, fatebook_csv):
    result = import_file(db, fatebook_csv, "fatebook")
    assert result["forecasts"]["created"] == 7 and result["forecasts"]["rejected"] == 0
    assert result["outcomes"]["created"] == 3  # YES, NO, AMBIGUOUS; the open question has none
    assert result["dropped"] == {"rows of multiple-choice questions": 1,
                                 "forecasts made after the resolve-by date": 1}
    treaty = fatebook_question_id("Will the treaty be ratified by June?", "2024-01-02 09:15:3", "Ann Example")
    assert treaty.startswith("fb-will-the-treaty-be-ratified-by-june-")
    q = db["questions"].get(treaty)
    assert q["title"] == "Will the treaty be ratified by June?" and q["resolve_by"] == "2024-06-30"
    rows = list(db.query("select f.made_on, f.probability, fa.author_id from forecasts f join forecast_authors fa "
                         "on fa.forecast_id = f.id where f.question_id = ? order by f.made_on, f.probability",
                         [treaty]))
    assert [(r["made_on"], r["probability"], r["author_id"]) for r in rows] == [
        ("2024-01-02", 0.7, "ann-example"), ("2024-01-05", 0.4, "bob-other"),
        ("2024-02-10", 0.8, "ann-example"), ("2024-02-10", 0.85, "ann-example")]
    outcomes = {r["question_id"]: (r["outcome"], r["resolved_on"]) for r in db.query("select * from current_outcomes")}
    assert outcomes[treaty] == ("yes", "2024-05-01")
    assert sorted(o for o, _ in outcomes.values()) == ["annulled", "no", "yes"]
    # scored like any other forecast: Ann's 0.7, 0.8, 0.85 and Bob's 0.4 on a yes
    assert db["author_scores"].get("bob-other")["n"] == 2


def test_fatebook_reimport_changes_nothing(db, fatebook_csv):
    import_file(db, fatebook_csv, "fatebook")
    before = dump(db)
    again = import_file(db, fatebook_csv, "fatebook")
    assert again["forecasts"]["unchanged"] == 7 and again["outcomes"]["unchanged"] == 3
    assert again["forecasts"]["created"] == again["outcomes"]["created"] == 0
    assert dump(db) == before


def test_an_adapter_import_hashes_its_file_once(db, fatebook_csv, monkeypatch):
    import hashlib

    hashed = []
    real = hashlib.file_digest
    monkeypatch.setattr(hashlib, "file_digest", lambda f, *a, **k: hashed.append(f.name) or real(f, *a, **k))
    import_file(db, fatebook_csv, "fatebook")
    assert hashed == [str(fatebook_csv)]
    sha = hashlib.sha256(fatebook_csv.read_bytes()).hexdigest()
    logged = [(r["kind"], r["sha256"]) for r in db.query("select kind, sha256 from imports order by id")]
    assert logged == [("fatebook", sha), ("fatebook-outcomes", sha)]


def test_an_adapter_import_scores_once(db, fatebook_csv, monkeypatch):
    """An adapter imports a file's forecasts and then its outcomes; the scores (and the board's
    fit over every author and question) are computed once, after both, and equal a full rescore."""
    from conftest import count_fits, derived, rescored_copy

    fits = count_fits(monkeypatch)
    import_file(db, fatebook_csv, "fatebook")
    assert len(fits) == 1
    assert db.execute("select pairs from board_fits").fetchone()[0] > 0  # the fit saw the outcomes
    assert derived(db) == derived(rescored_copy(db))


def test_fatebook_older_export_columns(db, tmp_path):
    header = ["Question title", "Forecast created by", "Forecast (scale = 0-1)", "Forecast created at",
              "Question created by", "Question created at", "Question resolution", "Question resolve by",
              "Question resolved at", "Your Brier score for this question",
              "Your relative Brier score for this question", "Question notes", "Question shared with",
              "Question shared publicly", "Question comments"]
    p = write_fatebook(tmp_path / "old.csv", [
        ["Rain tomorrow?", "Ann", 0.9, "2023-05-01 10:00:0", "Ann", "2023-05-01 09:00:0", "NO", "2023-05-02 00:00:0",
         "2023-05-03 07:00:0", "", "", "", "", "false", ""]], header=header)
    result = import_file(db, p, "fatebook")
    assert result["forecasts"]["created"] == 1 and result["outcomes"]["created"] == 1
    assert db["author_scores"].get("ann")["brier"] == pytest.approx(0.81)


def test_fatebook_bad_row_names_its_line(db, tmp_path):
    p = write_fatebook(tmp_path / "bad.csv", [
        fatebook_row("Fine?", "Ann", 0.5, "2024-01-01 10:00:0"),
        fatebook_row("Broken?", "Ann", 1.5, "2024-01-01 10:00:0"),
    ])
    before = dump(db)
    with pytest.raises(TrackerError, match=r"bad.csv:3: probability: '1.5' is outside \[0, 1\]"):
        import_file(db, p, "fatebook")
    assert dump(db) == before
    result = import_file(db, p, "fatebook", skip_invalid=True)
    assert result["forecasts"]["created"] == 1 and result["forecasts"]["rejected"] == 1


def test_not_a_fatebook_export(db, tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("question_id,author,probability,made_on\nq,Ann,0.5,2019-01-01\n")
    with pytest.raises(TrackerError, match="not a Fatebook export: no column 'Question title'"):
        import_file(db, p, "fatebook")


def test_adapters_through_the_cli(tmp_path, fatebook_csv, db_path):
    out = runner.invoke(app, ["import", "--kind", "fatebook", str(fatebook_csv)])
    assert out.exit_code == 0, out.output
    assert "forecasts: 7 read, 7 created" in out.stdout and "left out: 1 forecasts made after" in out.stdout
    other = tmp_path / "pb.json"
    other.write_text("[]", encoding="utf-8")
    wrong = runner.invoke(app, ["import", "--kind", "fatebook", str(other)])
>>>>>>> predictionbook
    assert wrong.exit_code == 1 and "Fatebook's CSV export is a .csv file" in wrong.stderr
