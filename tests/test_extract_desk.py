"""What issue 17 found extraction missing: expectation statements, two forecasts in one sentence,
a Markdown brief's date line, ids of readable length, and the modal words now read."""

import pytest

from tracker.intake.documents import normalise, read_document, readable_id
from tracker.intake.extract import candidates, from_file

ENGLISH = """Outlook

He expects more progress at the summit. There is an ample possibility of a deal.
A full deal is unlikely in Hanoi, but a partial agreement is more likely.
The summit will end with a statement.
"""


def by_start(found, start):
    return next(c for c in found if c.sentence.startswith(start))


def test_expectation_statements_are_found():
    found = candidates(ENGLISH, "en")
    expects = by_start(found, "He expects")
    assert (expects.phrase, expects.covered) == ("expects", False)  # no survey reads "expects": no number
    ample = by_start(found, "There is an ample possibility")
    assert ample.phrase == "ample possibility" and not ample.covered


def test_a_sentence_with_two_forecasts_gives_two_candidates_with_exact_quotes():
    found = candidates(ENGLISH, "en")
    first, second = by_start(found, "A full deal"), by_start(found, "but a partial")
    assert (first.sentence, first.term) == ("A full deal is unlikely in Hanoi", "unlikely")
    assert (second.sentence, second.term) == ("but a partial agreement is more likely.", "likely")
    text = normalise(ENGLISH)
    for c in (first, second):
        assert text[c.offset:c.offset + len(c.sentence)] == c.sentence
    # one forecast with a clause of reasons stays one
    one = candidates("An agreement is likely, but only after long talks.", "en")
    assert [c.sentence for c in one] == ["An agreement is likely, but only after long talks."]


def test_german_sentence_with_two_forecasts():
    found = candidates("Ein Abkommen ist unwahrscheinlich, aber eine Erklärung ist durchaus möglich.", "de")
    assert [(c.sentence, c.term) for c in found] == [
        ("Ein Abkommen ist unwahrscheinlich", "unwahrscheinlich"),
        ("aber eine Erklärung ist durchaus möglich.", "durchaus möglich")]


def test_the_plain_future_is_read_when_the_grammar_says_future():
    will = by_start(candidates(ENGLISH, "en"), "The summit will")
    assert (will.scale, will.term, will.probability) == ("modal-en", "will", 1.0)


def test_german_expectations_are_read():
    found = candidates("Eine Lockerung der Sanktionen erwartet Korea-Experte Werner Pfennig. "
                       "Rüdiger Frank rechnet mit substanziellen Ergebnissen.", "de")
    assert [(c.scale, c.term) for c in found] == [("house-de-modal", "erwartet"), ("house-de-modal", "rechnet mit")]


@pytest.mark.parametrize("line,day", [
    ("26 February 2019", "2019-02-26"),
    ("*26. Februar 2019*", "2019-02-26"),
    ("Published: 2019-02-26", "2019-02-26"),
    ("_Datum: 26. Februar 2019_", "2019-02-26"),
])
def test_a_markdown_briefs_date_line_is_read(tmp_path, line, day):
    brief = tmp_path / "brief.md"
    brief.write_text(f"# Ausblick auf den Gipfel\n\n{line}\n\nEin Abkommen ist zu erwarten.\n", encoding="utf-8")
    assert read_document(brief)[3]["published_on"] == day


def test_front_matter_wins_and_a_date_in_the_text_is_no_date_line(tmp_path):
    brief = tmp_path / "brief.md"
    brief.write_text("---\npublished_on: 2019-03-01\n---\n# T\n\n26 February 2019\n", encoding="utf-8")
    assert read_document(brief)[3]["published_on"] == "2019-03-01"
    brief.write_text("# T\n\nThe summit of 26 February 2019 ended without a deal, as many had feared.\n",
                     encoding="utf-8")
    assert "published_on" not in read_document(brief)[3]


def test_ids_made_from_titles_are_of_readable_length(tmp_path):
    title = "Gipfeltreffen in Hanoi: Trump und Kim wollen einen Friedensprozess in Gang bringen und abrüsten"
    assert readable_id(title) == "gipfeltreffen-in-hanoi-trump-und-kim-wollen"
    brief = tmp_path / "brief.md"
    brief.write_text(f"# {title}\n\n26. Februar 2019\n\nEin Abkommen ist zu erwarten.\n", encoding="utf-8")
    doc, _authors, _text = from_file(brief)
    assert doc["id"] == "gipfeltreffen-in-hanoi-trump-und-kim-wollen" and len(doc["id"]) <= 48
    assert doc["published_on"] == "2019-02-26"
    assert readable_id("A" * 60) == "a" * 48
