"""Random input thrown at every parser: a TrackerError (a one-line message) or a value, never a
traceback of any other kind."""

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker import values
from tracker.errors import TrackerError
from tracker.imports.forecast_rows import import_forecasts
from tracker.imports.outcome_rows import import_outcomes
from tracker.intake import dates
from tracker.ledger.records.load import load_record

from conftest import SMALL_RECORD

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
anything = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
                     st.text(), st.lists(st.integers(), max_size=3),
                     st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))


def only_tracker_errors(fn, *args):
    try:
        return fn(*args)
    except TrackerError as e:
        assert "\n" not in str(e) and str(e)
        return None


@FAST
@given(anything)
def test_probability(value):
    p = only_tracker_errors(values.probability, value, "x")
    assert p is None or 0 <= p <= 1


@FAST
@given(anything)
def test_dates_and_outcomes(value):
    only_tracker_errors(values.iso_date, value, "x")
    only_tracker_errors(values.outcome, value, "x")
    only_tracker_errors(values.slug, value, "x")


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=30))
def test_dates_typed_on_the_command_line(text):
    day = only_tracker_errors(dates.parse_date, text, "--on")
    assert day is None or len(day) == 10


yaml_noise = st.text(alphabet=string.printable + "äöü–\t", max_size=300)


@FAST
@given(yaml_noise)
def test_random_yaml(tmp_path, text):
    p = tmp_path / "r.yml"
    p.write_text(text, encoding="utf-8")
    only_tracker_errors(load_record, p)


@FAST
@given(st.data())
def test_mutated_records(tmp_path, data):
    """The real record with one line replaced by noise."""
    lines = SMALL_RECORD.splitlines()
    i = data.draw(st.integers(0, len(lines) - 1))
    lines[i] = lines[i].split(":")[0] + ": " + data.draw(st.text(alphabet=string.printable, max_size=20))
    p = tmp_path / "r.yml"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    only_tracker_errors(load_record, p)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=200), st.sampled_from(["f.csv", "f.jsonl"]))
def test_random_tables(db, tmp_path, raw, name):
    p = tmp_path / name
    p.write_bytes(b"question_id,author,probability,made_on\n" + raw if name.endswith(".csv") else raw)
    only_tracker_errors(import_forecasts, db, p)
    only_tracker_errors(import_outcomes, db, p)
