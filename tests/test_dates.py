"""Deadlines in words, German and English, relative to the publication date."""

import pytest

from tracker.errors import TrackerError
from tracker.intake.dates import parse_date, parse_deadline

PUBLISHED = "2019-02-26"
EVENTS = {"Gipfel": "2019-02-28", "Hanoi-Gipfel": "2019-02-28", "summit": "2019-02-28"}


@pytest.mark.parametrize("words,lang,date,explicit", [
    ("bis Ende 2019", "de", "2019-12-31", False),
    ("Ende Februar", "de", "2019-02-28", False),
    ("Ende Januar", "de", "2020-01-31", False),          # already past: the next one
    ("in den kommenden Monaten", "de", "2019-08-26", False),
    ("in the coming months", "en", "2019-08-26", False),
    ("in den kommenden Wochen", "de", "2019-04-23", False),
    ("next year", "en", "2020-12-31", False),
    ("im kommenden Jahr", "de", "2020-12-31", False),
    ("within six months", "en", "2019-08-26", False),
    ("innerhalb von 6 Monaten", "de", "2019-08-26", False),
    ("binnen eines Jahres", "de", "2020-02-26", False),
    ("Q3 2019", "en", "2019-09-30", False),
    ("im dritten Quartal 2019", "de", "2019-09-30", False),
    ("mid-2019", "en", "2019-06-30", False),
    ("Anfang 2020", "de", "2020-03-31", False),
    ("im Sommer 2019", "de", "2019-08-31", False),
    ("bis März 2019", "de", "2019-03-31", False),
    ("by the end of 2019", "en", "2019-12-31", False),
    ("bis zum 1. März 2019", "de", "2019-03-01", True),
    ("1 March 2019", "en", "2019-03-01", True),
    ("2019-06-01", None, "2019-06-01", True),
])
def test_deadlines(words, lang, date, explicit):
    d = parse_deadline(words, PUBLISHED, lang)
    assert d.date == date and d.words == words
    assert (d.convention is None) == explicit


@pytest.mark.parametrize("words,date", [
    ("nach dem Gipfel", "2019-12-31"),          # the rest of the event's year, as in the Hanoi record
    ("auf dem Hanoi-Gipfel", "2019-02-28"),
    ("vor dem Gipfel", "2019-02-27"),
    ("after the summit", "2019-12-31"),
])
def test_event_deadlines_need_the_event_date(words, date):
    d = parse_deadline(words, PUBLISHED, None, events=EVENTS)
    assert d.date == date and "event" in d.convention
    with pytest.raises(TrackerError, match="event whose date is not known; give an explicit date"):
        parse_deadline(words, PUBLISHED, None)


def test_after_a_late_event_is_six_months():
    assert parse_deadline("nach dem Gipfel", "2019-11-01", "de", events={"Gipfel": "2019-12-01"}).date == "2020-06-01"


@pytest.mark.parametrize("words,message", [
    ("03/04/2019", "'03/04/2019' could be day/month or month/day; give an explicit date"),
    ("bald", "cannot read 'bald' as a deadline; give an explicit date"),
    ("soon", "cannot read 'soon' as a deadline"),
    ("langfristig", "cannot read 'langfristig' as a deadline"),
    ("blurday 2019", "cannot read 'blurday 2019' as a deadline"),
    ("Ende 2018", "'Ende 2018' means 2018-12-31, before the publication date 2019-02-26"),
    ("", "empty expression"),
])
def test_unreadable_ambiguous_and_past_deadlines_are_errors(words, message):
    with pytest.raises(TrackerError, match=message) as e:
        parse_deadline(words, PUBLISHED, "de", where="resolve_by")
    assert str(e.value).startswith("resolve_by: ") and "\n" not in str(e.value)


def test_conventions_are_documented():
    import tracker.intake.dates as dates

    for words in ("in den kommenden Monaten", "next year", "nach dem Gipfel", "Q3 2019"):
        assert words.split()[-1] in dates.__doc__ or words in dates.__doc__
    from conftest import ROOT

    doc = (ROOT / "docs" / "deadlines.md").read_text(encoding="utf-8")
    assert "publication date + 6 months" in doc and "publication date + 6 months" in dates.__doc__


def test_parse_date_is_unchanged():
    assert parse_date("28. Februar 2019", "--on") == "2019-02-28"
    with pytest.raises(TrackerError, match="could be day/month"):
        parse_date("03/04/2019", "--on")
