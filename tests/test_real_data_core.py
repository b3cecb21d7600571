"""Real data in, as it is (issue 15's core): source ids kept verbatim and case-sensitive, author
ids made from names in any script without silent merges, times of day kept in UTC and used to
order updates, the outcome words sources use, probability-valued resolutions, and
multiple-choice rows in tables."""

import json
import re

import pytest
from typer.testing import CliRunner

from tracker import values
from tracker.cli import app
from tracker.errors import TrackerError
from tracker.imports.dispatch import import_files
from tracker.imports.forecast_rows import import_forecasts
from tracker.imports.outcome_rows import import_outcomes
from tracker.ledger.records.load import load_record
from tracker.ledger.records.write import import_records

from conftest import dump

runner = CliRunner()


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def rows(db, sql, params=()):
    return [tuple(r) for r in db.execute(sql, params).fetchall()]


# ------------------------------------------------------------------ ids

def test_source_ids_are_kept_verbatim_and_case_sensitive(db, tmp_path):
    f = write(tmp_path, "f.csv", "id,question_id,author,author_id,probability,made_on\n"
              "fb/1,manifold:TPkEjiNb1wVCIGFnPcDD,Ann,sf-Ab,0.2,2024-01-01\n"
              "fb/2,manifold:tpkejinb1wvcigfnpcdd,Ann B,sf-aB,0.3,2024-01-01\n"
              "-17,acled:Afghanistan/2024-07-01,Иван Петров,,0.4,2024-01-01\n")
    counts = import_forecasts(db, f)
    assert counts["created"] == 3 and counts["questions_created"] == 3 and counts["authors_created"] == 3
    assert rows(db, "select id from questions order by id") == [
        ("acled:Afghanistan/2024-07-01",), ("manifold:TPkEjiNb1wVCIGFnPcDD",), ("manifold:tpkejinb1wvcigfnpcdd",)]
    assert rows(db, "select id, name from authors order by id") == [
        ("sf-Ab", "Ann"), ("sf-aB", "Ann B"), ("иван-петров", "Иван Петров")]
    assert rows(db, "select id from forecasts order by id") == [("-17",), ("fb/1",), ("fb/2",)]
    assert import_forecasts(db, f)["unchanged"] == 3  # and again: nothing changes


@pytest.mark.parametrize("name, expected", [
    ("Bernt Berger", "bernt-berger"), ("Jörg Müller", "jörg-müller"), ("Jorg Muller", "jorg-muller"),
    ("Иван Петров", "иван-петров"), ("王伟", "王伟"), ("Straße", "strasse"), ("  O'Brien, Pat ", "o-brien-pat"),
    ("\uff21\uff22\uff23", "abc"),  # NFKC: full-width letters are letters
    ("---", ""),
])
def test_author_ids_from_names_in_any_script(name, expected):
    assert values.name_id(name) == expected


def test_two_names_that_would_make_one_id_are_an_error_naming_both(db, tmp_path):
    f = write(tmp_path, "f.csv", "question_id,author,probability,made_on\n"
              "q1,Jörg Müller,0.2,2024-01-01\nq2,Jorg Muller,0.3,2024-01-01\nq3,jörg müller,0.4,2024-01-01\n")
    before = dump(db)
    with pytest.raises(TrackerError, match=r"f.csv:4: author 'jörg müller' would get the id 'jörg-müller' of "
                                           r"'Jörg Müller'; if they are one person, say so with --same-person "
                                           r"'jörg müller=jörg-müller'"):
        import_forecasts(db, f)
    assert dump(db) == before
    # the user says they are one person: kept, and the next import needs no word
    import_files(db, [f], "forecasts", same_person=[("jörg müller", "jörg-müller")])
    assert rows(db, "select id, name from authors order by id") == [("jorg-muller", "Jorg Muller"),
                                                                    ("jörg-müller", "Jörg Müller")]
    assert rows(db, "select f.question_id, fa.author_id from forecasts f join forecast_authors fa "
                    "on fa.forecast_id = f.id order by 1") == [("q1", "jörg-müller"), ("q2", "jorg-muller"),
                                                               ("q3", "jörg-müller")]
    assert rows(db, "select name, author_id, recorded_by from author_aliases") == [
        ("jörg müller", "jörg-müller", "test-analyst")]
    assert import_forecasts(db, f)["unchanged"] == 3


def test_same_person_also_joins_a_name_to_another_id(db, tmp_path):
    f = write(tmp_path, "f.csv", "question_id,author,probability,made_on\nq1,Jörg Müller,0.2,2024-01-01\n"
              "q2,J. Müller,0.3,2024-01-01\n")
    import_files(db, [f], "forecasts", same_person=[("J. Müller", "jörg-müller")])
    assert rows(db, "select id from authors") == [("jörg-müller",)]


def test_same_person_through_the_cli_and_its_errors(tmp_path, db_path):
    f = write(tmp_path, "f.csv", "question_id,author,probability,made_on\nq1,Jörg Müller,0.2,2024-01-01\n"
              "q2,jörg müller,0.3,2024-01-01\n")
    out = runner.invoke(app, ["import", "--kind", "forecasts", str(f)])
    assert out.exit_code == 1 and "--same-person 'jörg müller=jörg-müller'" in out.stderr
    assert "Traceback" not in out.output
    out = runner.invoke(app, ["import", "--kind", "forecasts", str(f), "--same-person", "jörg müller=nobody"])
    assert out.exit_code == 1 and "--same-person jörg müller=nobody: no author has the id 'nobody'" in out.stderr
    out = runner.invoke(app, ["import", "--kind", "forecasts", str(f), "--same-person", "no-equals-sign"])
    assert out.exit_code == 1 and "write it NAME=AUTHOR_ID" in out.stderr
    out = runner.invoke(app, ["import", "--kind", "forecasts", str(f), "--same-person", "jörg müller=jörg-müller",
                              "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)[str(f)]["created"] == 2


@pytest.mark.parametrize("cell, message", [
    ("q\x01", "contains the character U+0001, which is not printable"),
    ("q\u200b", "contains the character U+200B, which is not printable"),
    ("q ", "has leading or trailing space"),
    ("q" * 501, "id of 501 characters is longer than 500"),
])
def test_ids_that_are_not_printable_text_are_refused(db, tmp_path, cell, message):
    f = tmp_path / "f.jsonl"
    f.write_text(json.dumps({"question_id": cell, "author": "Ann", "probability": 0.5, "made_on": "2024-01-01"})
                 + "\n", encoding="utf-8")
    with pytest.raises(TrackerError, match="f.jsonl:1: question_id: .*" + re.escape(message)):
        import_forecasts(db, f)


def test_records_keep_ids_verbatim_too(db, tmp_path):
    p = write(tmp_path, "r.yml", """
questions:
  - id: "Hanoi:Q1/Deal"
    title: A deal in Hanoi
    resolve_by: 2019-03-01
forecasts:
  - id: Berger/1
    question: "Hanoi:Q1/Deal"
    authors: [Bernt-Berger]
    made_on: 2019-02-20T09:30:00+01:00
    probability: 0.3
    method: stated
authors:
  - id: Bernt-Berger
    name: Bernt Berger
""")
    import_records(db, [load_record(p)])
    assert rows(db, "select id, question_id, made_on from forecasts") == [
        ("Berger/1", "Hanoi:Q1/Deal", "2019-02-20T08:30:00+00:00")]


# ------------------------------------------------------------------ time

@pytest.mark.parametrize("given, stored", [
    ("2019-02-20", "2019-02-20"),
    ("2024-05-01T12:34:56Z", "2024-05-01T12:34:56+00:00"),
    ("2024-05-01 12:34:56.5+02:00", "2024-05-01T10:34:56.500000+00:00"),
    ("2024-05-01T23:30:00-05:00", "2024-05-02T04:30:00+00:00"),  # the UTC day is the next day
])
def test_moments_are_dates_or_utc_times(given, stored):
    assert values.moment(given, "x") == stored


@pytest.mark.parametrize("given, message", [
    ("2024-05-01T12:34", "has a time but no zone"),
    ("2024-05-01T25:00Z", "is not an ISO 8601 timestamp"),
    ("2024-13-01", "is not a real date"),
])
def test_moments_that_name_no_instant_are_refused(given, message):
    with pytest.raises(TrackerError, match=message):
        values.moment(given, "x")


def test_stored_moments_sort_as_text_in_the_order_they_happened():
    given = ["2024-05-01T10:00:00.000001Z", "2024-05-01", "2024-05-01T10:00:00Z", "2024-05-01T09:59:59.9Z",
             "2024-04-30T23:00:00-02:00"]
    stored = [values.moment(g, "x") for g in given]
    assert sorted(stored) == ["2024-05-01", "2024-05-01T01:00:00+00:00", "2024-05-01T09:59:59.900000+00:00",
                              "2024-05-01T10:00:00+00:00", "2024-05-01T10:00:00.000001+00:00"]


def test_same_day_updates_are_ordered_by_time_in_the_time_weighted_score(db, tmp_path):
    """Written out of order, with ids that sort against time: 0.9 at 09:00, then 0.1 at 18:00 on
    the same day; the question resolved no the next day. The day is scored with the later forecast:
    (0.1 - 0)² = 0.01 (ordered by id it would be 0.81)."""
    f = write(tmp_path, "f.csv", "id,question_id,author,probability,made_on,resolve_by\n"
              "a-late,q,Ann,0.1,2024-05-01T18:00:00+02:00,2024-05-02\n"
              "z-early,q,Ann,0.9,2024-05-01T09:00:00+02:00,2024-05-02\n")
    import_forecasts(db, f)
    import_outcomes(db, write(tmp_path, "o.csv", "question_id,outcome,resolved_on\nq,no,2024-05-02T00:00:00Z\n"))
    (days, brier), = rows(db, "select days, brier from time_weighted_scores")
    assert days == 1 and brier == pytest.approx(0.01, abs=1e-15)
    assert rows(db, "select made_on from forecasts order by made_on") == [
        ("2024-05-01T07:00:00+00:00",), ("2024-05-01T16:00:00+00:00",)]


@pytest.mark.parametrize("made_on, resolve_by, late", [
    ("2024-05-01T23:00:00Z", "2024-05-01", False),           # on the day: on time, whatever the hour
    ("2024-05-02T00:00:01Z", "2024-05-01", True),
    ("2024-05-01T12:00:01Z", "2024-05-01T12:00:00Z", True),  # both have a time: to the second
    ("2024-05-01", "2024-05-01T12:00:00Z", False),
])
def test_a_forecast_after_its_deadline_is_refused_to_the_instant_when_both_have_one(db, tmp_path, made_on,
                                                                                    resolve_by, late):
    f = write(tmp_path, "f.csv", f"question_id,author,probability,made_on,resolve_by\nq,Ann,0.5,{made_on},"
              f"{resolve_by}\n")
    if late:
        with pytest.raises(TrackerError, match="is after question q's resolve-by date"):
            import_forecasts(db, f)
    else:
        assert import_forecasts(db, f)["created"] == 1


# ------------------------------------------------------------------ outcomes

@pytest.mark.parametrize("word, stored", [
    ("1.0", "yes"), ("0.0", "no"), ("TRUE", "yes"), ("False", "no"), ("ambiguous", "annulled"),
    ("Cancelled", "annulled"), ("canceled", "annulled"), ("VOID", "annulled"), ("annulled", "annulled"),
    ("0.37", "0.37"), ("1e-3", "0.001"),
])
def test_outcome_words_and_probability_valued_resolutions(db, tmp_path, word, stored):
    import_forecasts(db, write(tmp_path, "f.csv", "question_id,author,probability,made_on\nq,Ann,0.5,2024-01-01\n"))
    import_outcomes(db, write(tmp_path, "o.csv", f"question_id,outcome,resolved_on\nq,{word},2024-02-01\n"))
    assert rows(db, "select outcome from current_outcomes") == [(stored,)]
    scored = rows(db, "select count(*) from forecast_scores")[0][0]
    assert scored == (1 if stored in ("yes", "no") else 0)  # a probability-valued resolution is not scored yet


@pytest.mark.parametrize("word", ["1.5", "-0.1", "maybe", "nan"])
def test_outcomes_that_are_no_outcome_are_refused(db, tmp_path, word):
    import_forecasts(db, write(tmp_path, "f.csv", "question_id,author,probability,made_on\nq,Ann,0.5,2024-01-01\n"))
    before = dump(db)
    with pytest.raises(TrackerError, match=f"o.csv:2: outcome: outcome '{word}' is not one of yes, no, annulled"):
        import_outcomes(db, write(tmp_path, "o.csv", f"question_id,outcome,resolved_on\nq,{word},2024-02-01\n"))
    assert dump(db) == before


def test_the_database_refuses_a_probability_outside_zero_one_from_any_client(db, tmp_path):
    import sqlite3

    import_forecasts(db, write(tmp_path, "f.csv", "question_id,author,probability,made_on\nq,Ann,0.5,2024-01-01\n"))
    for bad in ("1.5", "0", "abc"):
        with pytest.raises(sqlite3.IntegrityError, match="outcome does not fit the question"):
            db.execute("insert into outcomes (question_id, action, outcome, resolved_on, source) "
                       "values ('q', 'resolve', ?, '2024-02-01', 'sql')", [bad])


# ------------------------------------------------------------------ multiple choice in tables

MC = ("question_id,author,made_on,options,probabilities\n"
      'w,Ann,2024-01-01,"[""a"",""b"",""c""]","{""a"": 0.5, ""b"": 0.3, ""c"": 0.2}"\n'
      'w,Bob,2024-01-02,"[""a"",""b"",""c""]","{""c"": 0.1, ""a"": 0.1, ""b"": 0.8}"\n')


def test_multiple_choice_rows_make_a_multiple_choice_question_scored_by_category(db, tmp_path):
    counts = import_forecasts(db, write(tmp_path, "mc.csv", MC))
    assert counts["created"] == 2
    assert rows(db, "select kind, options from questions") == [("multiple_choice", '["a", "b", "c"]')]
    import_outcomes(db, write(tmp_path, "o.csv", "question_id,outcome,resolved_on\nw,b,2024-02-01\n"))
    got = dict(rows(db, "select fa.author_id, m.brier_multi from multiple_choice_scores m "
                        "join forecast_authors fa on fa.forecast_id = m.forecast_id"))
    # Σ (f - o)²: Ann 0.25 + 0.49 + 0.04, Bob 0.01 + 0.04 + 0.01
    assert got == {"ann": pytest.approx(0.78, abs=1e-15), "bob": pytest.approx(0.06, abs=1e-15)}
    assert import_forecasts(db, write(tmp_path, "mc.csv", MC))["unchanged"] == 2


@pytest.mark.parametrize("options, probabilities, message", [
    ('["a"]', '{"a": 1}', "options must list two or more distinct names"),
    ('["a", "a"]', '{"a": 1}', "options must list two or more distinct names"),
    ('["a", "b"]', '{"a": 0.5}', "probabilities must give each option exactly once ('b' does not fit)"),
    ('["a", "b"]', '{"a": 0.5, "b": 0.6}', "probabilities sum to 1.1, not 1"),
    ('["a", "b"]', '[0.5, 0.5]', "expected a JSON object"),
    ('a, b', '{"a": 0.5, "b": 0.5}', "is not JSON"),
])
def test_bad_multiple_choice_rows(db, tmp_path, options, probabilities, message):
    f = tmp_path / "f.jsonl"
    f.write_text(json.dumps({"question_id": "w", "author": "Ann", "made_on": "2024-01-01", "options": options,
                             "probabilities": probabilities}) + "\n", encoding="utf-8")
    with pytest.raises(TrackerError, match=r"f.jsonl:1: .*" + message.replace("(", r"\(").replace(")", r"\)")):
        import_forecasts(db, f)


def test_a_probability_and_a_distribution_do_not_mix_on_one_question(db, tmp_path):
    import_forecasts(db, write(tmp_path, "mc.csv", MC))
    with pytest.raises(TrackerError, match="question w is multiple-choice in the database; give options"):
        import_forecasts(db, write(tmp_path, "b.csv", "question_id,author,probability,made_on\nw,Ann,0.5,2024-01-03\n"))
    other = MC.replace('""c""]', '""d""]').replace('""c"": 0.2', '""d"": 0.2').splitlines()[:2]
    with pytest.raises(TrackerError, match="question w has the options a, b, c in the database, not a, b, d"):
        import_forecasts(db, write(tmp_path, "c.csv", "\n".join(other).replace("2024-01-01", "2024-01-05") + "\n"))
