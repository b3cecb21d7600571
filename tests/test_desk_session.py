"""Issue 17's test of the desk: a new analyst enters real pre-summit forecasts by others with the
commands alone, no YAML: an institution's forecast, one quoted in a news report, one in German, and
one on a question the Hanoi record defined (rows of ../shared/reference/hanoi-pre-summit-forecasts.csv,
copied here so the test needs no file beside the project). Then the ledger goes back to forecasts/."""

# ruff: noqa: RUF001  (the sources' own typographic quotes, as they wrote them)
import json

from typer.testing import CliRunner

from tracker.cli import app

from conftest import HANOI_RECORD

runner = CliRunner()


def run(*args):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.stdout


SESSION = [
    # an institution's forecast, read by the scale its own analysts write by (ICD 203)
    ["forecast", "add", "hanoi-2019-complete-denuclearisation-commitment",
     "--title", "Will North Korea commit at the Hanoi summit to give up all of its nuclear weapons?",
     "--criteria", "Yes if a signed document or joint statement commits North Korea to complete denuclearisation.",
     "--resolve-by", "2019-02-28", "--topic", "denuclearisation",
     "--author", "Office of the Director of National Intelligence",
     "--url", "https://www.atlanticcouncil.org/blogs/new-atlanticist/trump-kim-north-korea-vietnam-nuclear/",
     "--document-title", "Worldwide Threat Assessment (as quoted by the Atlantic Council)",
     "--published-on", "2019-01-29", "--scale", "icd-203", "--phrase", "unlikely",
     "--quote", "Kim’s regime is “unlikely to give up all of its nuclear weapons and production capabilities”"],
    # quoted in a news report, on a question the Hanoi record defined
    ["forecast", "add", "hanoi-2019-any-agreement", "--author", "Vipin Narang",
     "--affiliation", "Massachusetts Institute of Technology",
     "--url", "https://www.deccanchronicle.com/world/america/260219/stakes-high-at-hanoi-meeting.html",
     "--document-title", "Stakes high at Hanoi meeting (AFP)", "--publisher", "Deccan Chronicle",
     "--published-on", "2019-02-26", "--analyst", "0.675", "--low", "0.55", "--high", "0.8",
     "--phrase", "unlikely", "--reasoning", "A complete collapse is 'unlikely' (ICD 203: 0.325 [0.2, 0.45]); "
     "the question asks for any agreement, so it gets the complement.",
     "--quote", "A complete collapse of the summit seems ‘unlikely because Trump and Kim are so invested in the "
     "meeting,’ said Viping Narang"],
    # in German, read by the house's modal scale
    ["forecast", "add", "hanoi-2019-us-sanctions-relief",
     "--title", "Will the US agree at the Hanoi summit to any easing of sanctions on North Korea?",
     "--resolve-by", "2019-02-28", "--topic", "sanctions", "--author", "Werner Pfennig",
     "--url", "https://www.deutschlandfunkkultur.de/trump-und-kim-in-hanoi-gipfel-unter-erwartungsdruck.1008.de.html"
     "?dram:article_id=442173", "--document-title", "Trump und Kim in Hanoi: Gipfel unter Erwartungsdruck",
     "--publisher", "Deutschlandfunk Kultur", "--published-on", "2019-02-26", "--lang", "de",
     "--scale", "house-de-modal", "--phrase", "erwartet",
     "--quote", "Konkrete Schritte zur Denuklearisierung und eine Lockerung der US-Sanktionen erwartet "
     "Korea-Experte Werner Pfennig."],
    # words no scale reads: the analyst's own reading, on another question of the Hanoi record
    ["forecast", "add", "hanoi-2019-end-of-war-declaration", "--author", "Harry J. Kazianis",
     "--affiliation", "Center for the National Interest",
     "--url", "https://www.newsweek.com/donald-trump-kim-jong-un-summit-war-1345047",
     "--document-title", "Trump and Kim in Hanoi (Newsweek)", "--published-on", "2019-02-26",
     "--analyst", "0.95", "--low", "0.9", "--high", "0.98", "--phrase", "all but certain",
     "--reasoning", "'All but certain' sits with ICD 203 'almost certain' (95-99); no scale has the phrase.",
     "--quote", "a peace declaration is all but certain to be signed"],
]


def test_a_new_analyst_enters_forecasts_with_commands_alone(tmp_path, db_path):
    run("import", HANOI_RECORD)
    for args in SESSION:
        run(*args)
    forecasts = {f["id"]: f for f in json.loads(run("forecasts", "--json"))}
    ids = [f["id"] for f in forecasts.values() if not f["id"].startswith("dgap-")]
    assert len(ids) == 4
    ic = forecasts["worldwide-threat-assessment-as-quoted-by-the-01"]
    assert (ic["probability"], ic["author"]) == (0.325, "Office of the Director of National Intelligence")
    german = forecasts["trump-und-kim-in-hanoi-gipfel-unter-01"]
    assert german["probability"] == 0.75 and german["phrase"] == "erwartet"
    on_hanoi = [f for f in forecasts.values() if f["question_id"] == "hanoi-2019-any-agreement"]
    assert sorted(f["author"] for f in on_hanoi) == ["Bernt Berger", "Vipin Narang"]
    # scored at once against the record's outcome (no agreement): (0.675 - 0)²
    assert forecasts["stakes-high-at-hanoi-meeting-afp-01"]["brier"] == 0.675 ** 2
    # back to forecasts/: export, import into a new ledger, export again: the same files
    out, again = tmp_path / "out", tmp_path / "again"
    run("export", out)
    run("import", "--db", tmp_path / "fresh.db", out)
    run("export", "--db", tmp_path / "fresh.db", again)
    assert {p.name: p.read_text() for p in out.iterdir()} == {p.name: p.read_text() for p in again.iterdir()}
    names = {p.name for p in out.iterdir()}
    assert {"dgap-2019-berger-gipfeltreffen-in-hanoi.yml", "stakes-high-at-hanoi-meeting-afp.yml",
            "trump-and-kim-in-hanoi-newsweek.yml"} <= names  # the Hanoi brief and the new documents
