"""Scales of estimative words and the matcher: inflection, word order, negation, spelling."""

import pytest
import yaml

from tracker.errors import TrackerError
from tracker.intake import wording
from tracker.ledger.records.load import load_record

from conftest import HANOI_RECORD

SHIPPED = {"kent", "icd-203", "uk-phia-2025", "mauboussin-2018", "ipcc-en", "ipcc-de", "house-de", "modal-en",
           "house-de-modal"}
JUDGEMENT = {"house-de", "house-de-modal"}


def one(text, lang="de", scale=None):
    found = [m for m in wording.match(text, lang) if scale is None or m.scale == scale]
    assert len(found) == 1, found
    return found[0]


def test_every_shipped_scale_loads_with_source_and_sound_terms():
    scales = wording.load_scales()
    assert set(scales) >= SHIPPED
    for s in scales.values():
        assert s.source and s.version and s.language in ("de", "en")
        for t in s.terms:
            assert 0 <= t.low <= t.value <= t.high <= 1, (s.name, t.term)
    for name in JUDGEMENT:
        assert scales[name].judgement and all(t.justification for t in scales[name].terms)
    assert not any(s.judgement for n, s in scales.items() if n not in JUDGEMENT)


@pytest.mark.parametrize("scale,term,value,low,high", [
    ("kent", "probable", 0.75, 0.63, 0.87),           # 75 ± 12
    ("kent", "almost certainly not", 0.07, 0.02, 0.12),
    ("icd-203", "likely", 0.675, 0.55, 0.8),          # midpoint of 55–80
    ("uk-phia-2025", "realistic possibility", 0.45, 0.4, 0.5),
    ("mauboussin-2018", "might happen", 0.4, 0.2, 0.5),  # median, quartiles of the published answers
    ("modal-en", "may", 0.4, 0.3, 0.51),                 # CAPphrase "May Happen"
    ("modal-en", "will", 1.0, 0.99, 1.0),
    ("ipcc-en", "very unlikely", 0.05, 0.0, 0.1),
    ("ipcc-de", "wahrscheinlich", 0.83, 0.66, 1.0),
])
def test_values_follow_the_reference(scale, term, value, low, high):
    t = {t.term: t for t in wording.get_scale(scale).terms}[term]
    assert (t.value, t.low, t.high) == pytest.approx((value, low, high))


@pytest.mark.parametrize("text,term,value,phrase", [
    ("Ein Erfolg ist wahrscheinlicher als ein Scheitern.", "wahrscheinlich", 0.83, "wahrscheinlicher"),
    ("Das ist höchst unwahrscheinlich.", "äußerst unwahrscheinlich", 0.025, "höchst unwahrscheinlich"),
    ("Das ist hoechst unwahrscheinlich.", "äußerst unwahrscheinlich", 0.025, "hoechst unwahrscheinlich"),
    ("Ein Abkommen dürfte kaum gelingen.", "kaum", 0.15, "dürfte kaum"),
    ("Ein Abkommen duerfte kaum gelingen.", "kaum", 0.15, "duerfte kaum"),
    ("Die zu erwartenden Vereinbarungen", "zu erwarten", 0.75, "zu erwartenden"),
    ("Die Zeichen lassen darauf schließen, dass", "lässt darauf schließen", 0.7, "lassen darauf schließen"),
    ("Die Zeichen lassen darauf schliessen, dass", "lässt darauf schließen", 0.7, "lassen darauf schliessen"),
    ("…, dass die Zeichen darauf schließen lassen.", "lässt darauf schließen", 0.7, "darauf schließen lassen"),
    ("ES IST DURCHAUS MÖGLICH, dass", "durchaus möglich", 0.5, "DURCHAUS MÖGLICH"),
    ("Ob das gelingt, bleibt abzuwarten.", "bleibt abzuwarten", 0.4, "bleibt abzuwarten"),
])
def test_german_inflection_word_order_case_and_spelling(text, term, value, phrase):
    m = one(text)
    assert (m.term, m.value, m.phrase, m.negated) == (term, pytest.approx(value), phrase, False)
    assert m.version and m.scale in ("house-de", "ipcc-de")


def test_longer_term_wins_and_shorter_is_not_also_read():
    found = wording.match("Ein Durchbruch ist sehr unwahrscheinlich.", "de")
    assert [(m.scale, m.term) for m in found] == [("ipcc-de", "sehr unwahrscheinlich")]


def test_negation_gives_the_complement_with_the_interval_flipped():
    m = one("Ein Durchbruch ist nicht zu erwarten.")
    assert m.negated and m.phrase == "nicht zu erwarten"
    assert (m.value, m.low, m.high) == pytest.approx((0.25, 0.15, 0.4))
    future = one("Der Gipfel wird keine größere Klarheit liefern.")
    assert future.negated and future.term == "wird" and future.phrase == "wird keine"
    assert (future.value, future.low, future.high) == pytest.approx((0.15, 0.05, 0.3))
    assert not one("Er wird nicht nur kommen, sondern bleiben.").negated  # "nicht nur" is no negation
    en = next(m for m in wording.match("Talks are not likely to resume.", "en") if m.scale == "icd-203")
    assert en.negated and (en.value, en.low, en.high) == pytest.approx((0.325, 0.2, 0.45))


def test_litotes_and_unknown_hedges_are_uncovered_never_guessed():
    litotes = one("Das ist nicht unwahrscheinlich.")
    assert not litotes.covered and litotes.value is None and "litotes" in litotes.reason
    for text, lang, phrase in [("Das Abkommen wäre vielleicht gescheitert.", "de", "vielleicht"),
                               ("Ein Abkommen ist vermutlich fertig.", "de", "vermutlich"),
                               ("The talks would collapse.", "en", "would")]:
        m = one(text, lang)
        assert (m.covered, m.phrase, m.value) == (False, phrase, None)
    assert wording.match("Der Himmel ist blau.", "de") == []


def test_english_phrase_is_read_by_every_english_scale():
    found = wording.match("It is highly likely that talks resume.", "en")
    assert {(m.scale, m.term) for m in found if m.covered} == {("kent", "almost certain"),
                                                                ("uk-phia-2025", "highly likely")}


def test_readings_lists_every_scale_for_sensitivity_analysis():
    r = {m.scale: m.value for m in wording.readings("likely")}
    assert r == pytest.approx({"icd-203": 0.675, "uk-phia-2025": 0.65, "mauboussin-2018": 0.7,
                               "ipcc-en": 0.83, "kent": 0.75})
    assert [m.scale for m in wording.readings("durchaus möglich")] == ["house-de"]
    assert [m.scale for m in wording.readings("könnte")] == ["house-de-modal"]
    assert wording.readings("vielleicht") == []


def test_house_scale_gives_the_readings_of_the_hanoi_record():
    rec = load_record(HANOI_RECORD)
    compared = 0
    for f in rec.forecasts:
        found = [m for m in wording.match(f["phrase"], "de") if m.covered]
        if not found:
            continue
        m = wording.best(found)
        assert (m.value, m.low, m.high) == pytest.approx(
            (f["probability"], f["interval_low"], f["interval_high"])), f["id"]
        compared += 1
    assert compared == 9  # all but "soll" and the two unhedged "Neben der Ankündigung" readings


def write_scale(folder, name="my-scale", **changes):
    data = {"name": name, "title": "Mine", "version": "1", "language": "de", "source": "me",
            "terms": [{"term": "voraussichtlich", "value": 0.7, "low": 0.6, "high": 0.8}]}
    data.update(changes)
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.yml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_a_user_scale_is_added_and_read(tmp_path, monkeypatch):
    write_scale(tmp_path / "scales")
    monkeypatch.setenv("TRACKER_SCALES", str(tmp_path / "scales"))
    scales = wording.load_scales()
    assert "my-scale" in scales and not scales["my-scale"].shipped
    m = one("Ein Abkommen kommt voraussichtlich zustande.", scale="my-scale")
    assert (m.scale, m.value) == ("my-scale", 0.7)


@pytest.mark.parametrize("changes,message", [
    ({"language": "fr"}, "language 'fr' is not one of de, en"),
    ({"terms": []}, "terms: needs a list of at least one term"),
    ({"terms": [{"term": "x", "value": 70, "low": 0.6, "high": 0.8}]}, "term 'x' value: 70.0 is outside [0, 1]"),
    ({"terms": [{"term": "x", "value": 0.5, "low": 0.6, "high": 0.8}]}, "interval [0.6, 0.8] does not contain"),
    ({"terms": [{"term": "x", "value": 0.5, "low": 0.4}]}, "term 'x': high is missing"),
    ({"terms": [{"term": "x", "value": 0.5, "low": 0.4, "high": 0.6, "aliases": ["X"]}]}, "already a phrase"),
    ({"judgement": True}, "needs a justification for every term"),
    ({"colour": "red"}, "unknown field 'colour'"),
    ({"name": "house-de"}, "already taken"),
])
def test_bad_user_scales_are_clear_errors(tmp_path, changes, message):
    name = changes.get("name", "my-scale")
    write_scale(tmp_path / "scales", **{"name": name, **changes})
    with pytest.raises(TrackerError, match=message.replace("[", r"\[").replace("]", r"\]")) as e:
        wording.load_scales(tmp_path / "scales")
    assert str(tmp_path / "scales") in str(e.value) and "\n" not in str(e.value)


def test_missing_scale_directory_and_unknown_scale(tmp_path):
    with pytest.raises(TrackerError, match="no such scale directory"):
        wording.load_scales(tmp_path / "nope")
    with pytest.raises(TrackerError, match="scale 'nope': no such scale"):
        wording.get_scale("nope")


def test_alternative_readings_for_the_sensitivity_analysis(db, monkeypatch):
    import json

    from tracker.ledger.records.write import import_records
    from tracker.scores import board

    assert wording.alternative_readings("wird keine größere Klarheit", "de") == [("house-de", 0.15)]
    assert wording.alternative_readings("soll", "de") == []
    assert dict(wording.alternative_readings("highly likely", "en")) == {"kent": 0.93, "uk-phia-2025": 0.85}
    # Plugged into the scoreboard, the Hanoi record's words are re-read with the house scale.
    monkeypatch.setattr(board, "alternative_readings", wording.alternative_readings)
    import_records(db, [load_record(HANOI_RECORD)])
    row = next(db.query("select * from sensitivity_scores where author_id = 'bernt-berger'"))
    assert json.loads(row["scales"]) == ["house-de"]
