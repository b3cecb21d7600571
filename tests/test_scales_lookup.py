"""`tracker scales lookup PHRASE`: every scale's reading of a phrase, and the shipped scales for the
modal and expectation words (modal-en, house-de-modal)."""

import json

from typer.testing import CliRunner

from tracker.cli import app
from tracker.intake import wording

runner = CliRunner()


def lookup(*args):
    result = runner.invoke(app, ["scales", "lookup", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_every_scale_reads_the_phrase_in_any_language():
    rows = json.loads(lookup("likely", "--json"))
    assert {r["scale"]: (r["value"], r["low"], r["high"]) for r in rows} == {
        "icd-203": (0.675, 0.55, 0.8), "ipcc-en": (0.83, 0.66, 1.0), "kent": (0.75, 0.63, 0.87),
        "mauboussin-2018": (0.7, 0.6, 0.75), "uk-phia-2025": (0.65, 0.55, 0.75)}
    # "probably" has a spread now: the quartiles of the Mauboussin survey's answers
    assert lookup("probably").splitlines()[2:] == ["mauboussin-2018  en    likely  70 %  60 %  75 %"]


def test_negation_and_judgement_are_said():
    out = lookup("nicht zu erwarten")
    assert "house-de  de    zu erwarten  25 %  15 %  40 %  negated, judgement" in out


def test_a_phrase_no_scale_reads():
    assert lookup("blue sky") == "No scale reads 'blue sky'. `tracker scales` lists them; --scales DIR adds your own.\n"
    assert json.loads(lookup("blue sky", "--json")) == []


def test_modal_words_are_read_from_survey_data():
    """may, might, could and will (CAPphrase) and the possibility phrases (Mauboussin), with their
    quartiles; would and expect have no published survey reading and stay uncovered."""
    found = {m.phrase: m for m in wording.match("The talks may fail, could stall or might collapse.", "en")
             if m.scale == "modal-en"}
    assert {p: (m.value, m.low, m.high) for p, m in found.items()} == {
        "may": (0.4, 0.3, 0.51), "could": (0.4, 0.25, 0.5), "might": (0.4, 0.25, 0.5)}
    serious = [m for m in wording.match("There is a serious possibility of talks.", "en") if m.scale == "modal-en"]
    assert [(m.term, m.value) for m in serious] == [("serious possibility", 0.66)]
    would = wording.match("He expects more progress, and it would help.", "en")
    assert [(m.phrase, m.covered) for m in would] == [("expects", False), ("would", False)]


def test_a_modal_inside_a_longer_phrase_is_that_phrases_word():
    # "dürfte kaum" is read as "kaum", not also as "dürfte"; "will probably" as "probably"
    assert {m.scale for m in wording.match("Ein Abkommen dürfte kaum gelingen.", "de") if m.covered} == {"house-de"}
    assert "modal-en" not in {m.scale for m in wording.match("The talks will probably fail.", "en")}
    assert [m.value for m in wording.match("Ein Abkommen dürfte gelingen.", "de") if m.covered] == [0.7]


def test_a_longer_hedge_no_scale_reads_is_not_its_shorter_word():
    # "may well" says more than "may": no survey reads it, so it is uncovered rather than read as "may"
    assert [(m.phrase, m.covered) for m in wording.match("The two sides may well sign.", "en")] == [
        ("may well", False)]
    assert wording.readings("may well") == []
